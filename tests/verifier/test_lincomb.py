"""verifier.lincomb (G1 multi-scalar multiplication) against py_ecc sums.

The reference Σ [kᵢ]Pᵢ is py_ecc's multiply/add (its own double-and-add), used
directly so that no code under test computes the expected value.
"""

import random

import pytest
from hypothesis import given, settings, strategies as st
from py_ecc import optimized_bn128 as bn

from verifier import curve
from verifier.fields import Q_MOD as Q, R_MOD as R
from verifier.lincomb import g1_lincomb, wnaf

RNG = random.Random(7041)


def g1(k):
    if k % R == 0:
        return None
    x, y = bn.normalize(bn.multiply(bn.G1, k % R))
    return (int(x.n), int(y.n))


def reference(points, scalars):
    acc = bn.Z1
    for p, k in zip(points, scalars):
        if p is not None:
            acc = bn.add(acc, bn.multiply((bn.FQ(p[0]), bn.FQ(p[1]), bn.FQ.one()), k % R))
    if bn.is_inf(acc):
        return None
    x, y = bn.normalize(acc)
    return (int(x.n), int(y.n))


def neg(p):
    return (p[0], -p[1] % Q)


scalar = st.one_of(st.integers(0, R - 1), st.integers(-(2**300), 2**300), st.integers(0, 2**40),
                   st.sampled_from([0, 1, 2, R - 1, R, R + 1, -1]))


@settings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(st.integers(1, R - 1), scalar), min_size=1, max_size=6))
def test_random_against_py_ecc(items):
    points = [g1(k) for k, _ in items]
    scalars = [s for _, s in items]
    assert g1_lincomb(points, scalars) == reference(points, scalars)


def test_ten_points_full_scalars():
    points = [g1(RNG.randrange(1, R)) for _ in range(10)]
    scalars = [RNG.randrange(R) for _ in range(10)]
    assert g1_lincomb(points, scalars) == reference(points, scalars)


def test_empty_zero_and_infinity():
    P = g1(5)
    assert g1_lincomb([], []) is None
    assert g1_lincomb([P, g1(9)], [0, R]) is None
    assert g1_lincomb([None, None], [3, 4]) is None
    assert g1_lincomb([None, P], [3, 4]) == g1(20)
    assert g1_lincomb([P, None], [R + 2, 1]) == g1(10)


def test_scalar_r_minus_one_and_negative():
    P = g1(RNG.randrange(1, R))
    assert g1_lincomb([P], [R - 1]) == neg(P)
    assert g1_lincomb([P], [-1]) == neg(P)
    assert g1_lincomb([P], [1]) == P


def test_repeated_points_and_opposites():
    k = RNG.randrange(1, R)
    P = g1(k)
    a, b = RNG.randrange(R), RNG.randrange(R)
    assert g1_lincomb([P, P], [a, b]) == g1(k * (a + b))
    assert g1_lincomb([P, P], [1, 1]) == g1(2 * k)             # acc = T: the doubling branch
    assert g1_lincomb([P, neg(P)], [1, 1]) is None              # acc = −T: infinity branch
    assert g1_lincomb([P, neg(P)], [a, a]) is None
    assert g1_lincomb([P, neg(P)], [a, b]) == g1(k * (a - b))
    assert g1_lincomb([P, P, P], [R - 1, 1, 7]) == g1(7 * k)
    assert g1_lincomb([P, neg(P), P], [a, a, 3]) == g1(3 * k)


def test_small_and_large_scalars_mixed():
    points = [g1(RNG.randrange(1, R)) for _ in range(4)]
    scalars = [1, 2**32 - 1, 2**32, RNG.randrange(R)]
    assert g1_lincomb(points, scalars) == reference(points, scalars)


def test_length_mismatch_raises():
    with pytest.raises(ValueError):
        g1_lincomb([g1(1)], [1, 2])


def test_curve_wrappers():
    P = g1(RNG.randrange(1, R))
    k = RNG.randrange(R)
    assert curve.g1_mul(P, k) == reference([P], [k])
    assert curve.g1_mul(None, k) is None and curve.g1_mul(P, 0) is None and curve.g1_mul(P, R) is None
    assert curve.g1_lincomb([P, curve.G1_GEN], [k, 3]) == reference([P, curve.G1_GEN], [k, 3])


@pytest.mark.parametrize("w", [2, 3, 5])
def test_wnaf_digits(w):
    for k in [0, 1, 2, 15, 16, 31, R - 1, RNG.randrange(R), 2**254 - 1]:
        ds = wnaf(k, w)
        assert sum(d << i for i, d in enumerate(ds)) == k
        assert all(d == 0 or (d % 2 == 1 and abs(d) < 2 ** (w - 1)) for d in ds)
        nz = [i for i, d in enumerate(ds) if d]
        assert all(j - i >= w for i, j in zip(nz, nz[1:]))
        assert not ds or ds[-1] > 0
