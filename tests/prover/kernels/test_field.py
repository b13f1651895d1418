"""Fr/Fq kernels against Python ints and the Montgomery twin; galois for Fr laws."""

import pathlib
import random
import sys

import galois
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from prover.kernels import convert as cv
from prover.kernels import fq, fr
from prover.kernels.twins import field as twin
from verifier.fields import Q_MOD, R_MOD

FIELDS = [
    pytest.param(fr, R_MOD, cv.fr_from_ints, cv.fr_to_ints, id="Fr"),
    pytest.param(fq, Q_MOD, cv.fq_from_ints, cv.fq_to_ints, id="Fq"),
]


def edges(p):
    return [0, 1, 2, p - 1, p - 2, (p - 1) // 2, (1 << 255) % p, (1 << 64) - 1, 1 << 64]


@pytest.mark.parametrize("F,p,into,out", FIELDS)
def test_edges_all_pairs(F, p, into, out):
    xs = edges(p)
    a = into([x for x in xs for _ in xs])
    b = into([y for _ in xs for y in xs])
    pairs = [(x, y) for x in xs for y in xs]
    assert out(F.mul_vec(a, b)) == [x * y % p for x, y in pairs]
    assert out(F.add_vec(a, b)) == [(x + y) % p for x, y in pairs]
    assert out(F.sub_vec(a, b)) == [(x - y) % p for x, y in pairs]
    assert out(F.neg_vec(a)) == [(-x) % p for x, _ in pairs]
    assert out(F.sqr_vec(a)) == [x * x % p for x, _ in pairs]


@pytest.mark.parametrize("F,p,into,out", FIELDS)
def test_limbs_match_montgomery_twin(F, p, into, out):
    rng = random.Random(1)
    xs = [rng.randrange(p) for _ in range(300)] + edges(p)
    ys = [rng.randrange(p) for _ in xs]
    a, b = into(xs), into(ys)
    got = cv.limbs_to_ints(F.mul_vec(a, b))
    ma = [twin.to_mont(x, p) for x in xs]
    mb = [twin.to_mont(y, p) for y in ys]
    assert cv.limbs_to_ints(a) == ma
    assert got == [twin.mont_mul(x, y, p) for x, y in zip(ma, mb)]


@pytest.mark.parametrize("F,p,into,out", FIELDS)
def test_inverse_and_pow(F, p, into, out):
    rng = random.Random(2)
    xs = [0, 1, p - 1] + [rng.randrange(1, p) for _ in range(50)]
    inv = out(F.inv_vec(into(xs)))
    assert inv == [pow(x, -1, p) if x else 0 for x in xs]
    for x in xs[:10]:
        assert out(F.inv1(into([x])[0])) == [pow(x, -1, p) if x else 0]
        e = rng.randrange(1 << 256)
        assert out(F.pow1(into([x])[0], cv.ints_to_limbs([e])[0])) == [pow(x, e, p)]


@pytest.mark.parametrize("F,p,into,out", FIELDS)
def test_batch_inverse_large_with_zeros(F, p, into, out):
    rng = random.Random(3)
    xs = [rng.randrange(p) for _ in range(10_000)]
    xs[0] = xs[4321] = xs[-1] = 0
    inv = out(F.inv_vec(into(xs)))
    assert all((x * y) % p == (1 if x else 0) and (x or y == 0) for x, y in zip(xs, inv))


def test_powers_and_scale():
    g = 7
    assert cv.fr_to_ints(fr.powers(cv.fr_scalar(g), 20)) == [pow(g, i, R_MOD) for i in range(20)]
    xs = list(range(1, 30))
    assert cv.fr_to_ints(fr.scale_vec(cv.fr_from_ints(xs), cv.fr_scalar(R_MOD - 3))) == [
        (-3 * x) % R_MOD for x in xs]


def test_empty_vectors():
    e = np.zeros((0, 4), dtype=np.uint64)
    assert fr.mul_vec(e, e).shape == (0, 4)
    assert fr.inv_vec(e).shape == (0, 4)


# Passing the known generator (checked in verifier.fields) skips galois's slow search.
GF = galois.GF(R_MOD, primitive_element=5, verify=False)
elem = st.integers(min_value=0, max_value=R_MOD - 1)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(elem, elem, elem), min_size=1, max_size=8))
def test_fr_agrees_with_galois(triples):
    xs, ys, zs = (list(t) for t in zip(*triples))
    a, b, c = cv.fr_from_ints(xs), cv.fr_from_ints(ys), cv.fr_from_ints(zs)
    ga, gb, gc = GF(xs), GF(ys), GF(zs)
    # distributivity computed by kernels, value checked by galois
    lhs = fr.mul_vec(a, fr.add_vec(b, c))
    rhs = fr.add_vec(fr.mul_vec(a, b), fr.mul_vec(a, c))
    assert np.array_equal(lhs, rhs)
    assert cv.fr_to_ints(lhs) == [int(v) for v in ga * (gb + gc)]
    assert cv.fr_to_ints(fr.sub_vec(a, b)) == [int(v) for v in ga - gb]


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=Q_MOD - 1), st.integers(min_value=0, max_value=Q_MOD - 1))
def test_fq_commutes_and_inverts(x, y):
    a, b = cv.fq_from_ints([x]), cv.fq_from_ints([y])
    assert np.array_equal(fq.mul_vec(a, b), fq.mul_vec(b, a))
    if x:
        assert cv.fq_to_ints(fq.mul_vec(a, fq.inv_vec(a))) == [1]


def test_generated_files_are_current(tmp_path):
    root = pathlib.Path(__file__).resolve().parents[3]
    sys.path.insert(0, str(root / "tools"))
    try:
        import gen_field
    finally:
        sys.path.pop(0)
    for name in ("fr", "fq"):
        assert (root / "prover" / "kernels" / f"{name}.py").read_text() == gen_field.render(name), (
            f"prover/kernels/{name}.py is stale: run python tools/gen_field.py")


def test_fr_from_ints_fast_path_and_reduction_agree():
    """A list of ints in [0, r) takes the byte fast path; values ≥ r, negative, ≥ 2²⁵⁶, bools
    and numpy ints take the reducing path; every case gives the reduced Montgomery limbs."""
    rng = random.Random(7)
    edge = [0, 1, R_MOD - 1, (1 << 255) - 1 - ((1 << 255) - 1) % R_MOD]
    cases = [
        edge + [rng.randrange(R_MOD) for _ in range(200)],
        edge + [R_MOD],                               # one value = r: must wrap to 0
        [R_MOD + 5, 2 * R_MOD + 1, (1 << 256) - 1],
        [-1, -R_MOD, 3],
        [(1 << 256) + 2, 7],
        [True, False, 2],
        list(np.arange(5, dtype=np.int64)),
    ]
    for xs in cases:
        got = cv.fr_from_ints(xs)
        want = fr.to_mont_vec(cv.ints_to_limbs(int(x) % R_MOD for x in xs))
        assert np.array_equal(got, want)
        assert cv.fr_to_ints(got) == [int(x) % R_MOD for x in xs]
