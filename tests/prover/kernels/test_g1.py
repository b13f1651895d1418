"""G1 kernels vs the pure-Python twin (same formulas: Jacobian coordinates must match
exactly) and vs py_ecc through verifier.curve (affine results), on random and edge inputs."""

import random

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from prover.kernels import convert as cv
from prover.kernels import g1
from prover.kernels.twins import g1 as twin
from verifier import curve
from verifier.fields import Q_MOD as Q
from verifier.fields import R_MOD as R

RNG = random.Random(7)
G = curve.G1_GEN
scalars = st.integers(min_value=1, max_value=R - 1)
zs = st.integers(min_value=1, max_value=Q - 1)


def jac_of(p, z):
    """Affine int point (None = infinity) → Jacobian ints with the given Z."""
    if p is None:
        return twin.INF_J
    return (p[0] * z * z % Q, p[1] * z * z * z % Q, z % Q)


def to_jarr(Js):
    return cv.fq_from_ints([c for J in Js for c in J]).reshape(-1, 3, 4)


def from_jarr(arr):
    ints = cv.fq_to_ints(np.ascontiguousarray(arr).reshape(-1, 4))
    return [tuple(ints[i:i + 3]) for i in range(0, len(ints), 3)]


def affine(Js):
    return [twin.to_affine(J) for J in Js]


def check_same(J_kernel, J_twin, expected):
    """Kernel Jacobian == twin Jacobian coordinate by coordinate (except the free
    (X, Y) of an infinity), and both normalise to the py_ecc answer."""
    for k, t, e in zip(J_kernel, J_twin, expected):
        if t[2] == 0:
            assert k[2] == 0
        else:
            assert k == t
        assert twin.to_affine(k) == e


@settings(max_examples=8, deadline=None)
@given(scalars, scalars, zs, zs)
def test_add_double_random(a, b, z1, z2):
    A, B = curve.g1_mul(G, a), curve.g1_mul(G, b)
    JA, JB = jac_of(A, z1), jac_of(B, z2)
    arrA, arrB = to_jarr([JA]), to_jarr([JB])
    check_same(from_jarr(g1.add_vec(arrA, arrB)), [twin.jadd(JA, JB)], [curve.g1_add(A, B)])
    check_same(from_jarr(g1.add_mixed_vec(arrA, g1.points_to_array([B]))),
               [twin.jadd_mixed(JA, B)], [curve.g1_add(A, B)])
    check_same(from_jarr(g1.double_vec(arrA)), [twin.jdouble(JA)], [curve.g1_add(A, A)])


def edge_pairs():
    """(P, Q) pairs hitting every branch: infinity on either side, P + P, P + (−P)."""
    P = curve.g1_mul(G, RNG.randrange(1, R))
    S = curve.g1_mul(G, RNG.randrange(1, R))
    nP = curve.g1_neg(P)
    return [(None, None), (None, P), (P, None), (P, P), (P, nP), (nP, P), (P, S), (G, G)]


def test_add_edges_jacobian_and_mixed():
    pairs = edge_pairs()
    z1s = [RNG.randrange(1, Q) for _ in pairs]
    z2s = [RNG.randrange(1, Q) for _ in pairs]
    J1 = [jac_of(p, z) for (p, _), z in zip(pairs, z1s)]
    J2 = [jac_of(q, z) for (_, q), z in zip(pairs, z2s)]
    expected = [curve.g1_add(p, q) for p, q in pairs]
    assert expected[4] is None and expected[3] == curve.g1_mul(pairs[3][0], 2)
    k = from_jarr(g1.add_vec(to_jarr(J1), to_jarr(J2)))
    check_same(k, [twin.jadd(a, b) for a, b in zip(J1, J2)], expected)
    Q2 = g1.points_to_array([q for _, q in pairs])
    k = from_jarr(g1.add_mixed_vec(to_jarr(J1), Q2))
    check_same(k, [twin.jadd_mixed(a, q) for a, (_, q) in zip(J1, pairs)], expected)
    # doubling: infinity stays infinity
    k = from_jarr(g1.double_vec(to_jarr(J1)))
    check_same(k, [twin.jdouble(a) for a in J1], [curve.g1_add(p, p) for p, _ in pairs])


def test_affine_jacobian_conversions_keep_infinity():
    pts = [None, curve.g1_mul(G, 5), None, G, curve.g1_mul(G, R - 1)]
    A = g1.points_to_array(pts)
    assert A.shape == (5, 2, 4) and not A[0].any() and not A[2].any()
    assert g1.array_to_points(A) == pts
    J = g1.affine_to_jac(A)
    assert [j[2] for j in from_jarr(J)] == [0, 1, 0, 1, 1]
    assert g1.array_to_points(g1.jac_to_affine(J)) == pts
    # non-trivial Z, batch normalisation with a single inversion, vs the twin
    Js = [jac_of(p, RNG.randrange(1, Q)) for p in pts]
    out = g1.array_to_points(g1.jac_to_affine(to_jarr(Js)))
    assert out == pts == twin.batch_to_affine(Js)
    assert g1.jac_to_affine(np.zeros((0, 3, 4), np.uint64)).shape == (0, 2, 4)
    assert g1.points_to_array([]).shape == (0, 2, 4) and g1.array_to_points(np.zeros((0, 2, 4))) == []
    assert g1.array_to_points(A[1]) == [pts[1]]


def test_neg_affine():
    pts = [None, G, curve.g1_mul(G, 99)]
    assert g1.array_to_points(g1.neg_affine_vec(g1.points_to_array(pts))) == [
        curve.g1_neg(p) for p in pts]


@pytest.mark.parametrize("k", [0, 1, 2, 3, R - 1, R, R + 1, (1 << 256) - 1, 1 << 255])
def test_scalar_mul_edges(k):
    P = curve.g1_mul(G, 1234567)
    out = g1.scalar_mul(g1.points_to_array([P])[0], cv.ints_to_limbs([k])[0])
    J = from_jarr(out)[0]
    check_same([J], [twin.scalar_mul(P, k)], [curve.g1_mul(P, k)])


@settings(max_examples=5, deadline=None)
@given(scalars, st.integers(min_value=0, max_value=(1 << 256) - 1))
def test_scalar_mul_random(a, k):
    P = curve.g1_mul(G, a)
    out = from_jarr(g1.scalar_mul(g1.points_to_array([P])[0], cv.ints_to_limbs([k])[0]))
    check_same(out, [twin.scalar_mul(P, k)], [curve.g1_mul(P, k)])


def test_scalar_mul_of_infinity():
    out = g1.scalar_mul(np.zeros((2, 4), np.uint64), cv.ints_to_limbs([12345])[0])
    assert from_jarr(out)[0][2] == 0


def test_twin_affine_add_matches_py_ecc():
    for p, q in edge_pairs():
        assert twin.affine_add(p, q) == curve.g1_add(p, q)
