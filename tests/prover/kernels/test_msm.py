"""MSM kernel vs py_ecc sums (through verifier.curve) and vs the twin Pippenger.

Edge inputs: n = 0..3, zero scalars, r − 1, infinity points, duplicates (P + P
inside a bucket, also in later tree rounds) and opposite points (P + (−P))."""

import random

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from prover.kernels import convert as cv
from prover.kernels import g1, msm
from prover.kernels.twins import g1 as twin_g1
from prover.kernels.twins import msm as twin
from verifier import curve
from verifier.fields import R_MOD as R

RNG = random.Random(11)
G = curve.G1_GEN


def random_points(n, rng, distinct=16):
    """n points from a few py_ecc multiples and running sums (cheap, all distinct-ish)."""
    base = [curve.g1_mul(G, rng.randrange(1, R)) for _ in range(min(n, distinct))]
    out, acc = [], None
    for i in range(n):
        acc = curve.g1_add(acc, base[i % len(base)]) if acc is not None else base[0]
        out.append(acc)
    return out


def kernel(points, scalars, c=0):
    P = g1.points_to_array(points)
    K = cv.ints_to_limbs(scalars) if scalars else np.zeros((0, 4), np.uint64)
    return g1.array_to_points(msm.msm(P, K, c))[0]


def test_empty():
    assert kernel([], []) is None
    assert msm.msm_g1([], []) is None
    assert twin.msm([], []) is None


@pytest.mark.parametrize("n", [1, 2, 3])
def test_tiny(n):
    pts = random_points(n, RNG)
    for ks in ([RNG.randrange(R) for _ in range(n)], [0] * n, [1] * n, [R - 1] * n,
               [R - 1, 1, 0][:n]):
        want = curve.g1_lincomb(pts, ks)
        assert kernel(pts, ks) == want
        assert msm.msm_g1(pts, ks) == want


def test_edge_buckets():
    P, S = random_points(2, RNG)
    nP = curve.g1_neg(P)
    k = RNG.randrange(1, R)
    cases = [
        ([P] * 8, [k] * 8),                           # P + P, then 2P + 2P, 4P + 4P
        ([P, P, nP, nP], [k] * 4),                    # 2P + (−2P) in round two
        ([P, nP, S, S, P], [k] * 5),                  # ∞ from P + (−P), then ∞ + 2S
        ([P, nP], [k, k]),                            # bucket ends at infinity
        ([P, None, S, None], [k, k, k, 5]),           # infinity inputs
        ([P, S, nP], [k, R - 1, R - k]),              # r − 1 and −k ≡ R − k
        ([P, S], [0, 0]),                             # all digits zero
        ([P, S, P], [R - 1, R - 1, 1]),               # sums to [−1]S
    ]
    for pts, ks in cases:
        want = curve.g1_lincomb(pts, ks)
        assert twin.msm(pts, ks) == want
        for c in (0, 2, 5, 13):
            assert kernel(pts, ks, c) == want, (pts, ks, c)


def test_scalars_only_need_to_be_below_2_254():
    pts = random_points(3, RNG)
    ks = [5, R + 7, (1 << 254) - 1]
    want = curve.g1_lincomb(pts, ks)                  # reduces mod r
    assert kernel(pts, ks) == want == twin.msm(pts, ks)
    with pytest.raises(ValueError, match="2\\^254"):
        kernel(pts, [1, 2, 1 << 254])


def test_bad_shapes():
    with pytest.raises(ValueError, match="shape"):
        msm.msm(np.zeros((3, 2, 4), np.uint64), np.zeros((2, 4), np.uint64))
    with pytest.raises(ValueError, match="shape"):
        msm.msm(np.zeros((3, 4), np.uint64), np.zeros((3, 4), np.uint64))
    with pytest.raises(ValueError, match="window"):
        msm.msm(np.zeros((3, 2, 4), np.uint64), np.zeros((3, 4), np.uint64), c=1)
    with pytest.raises(ValueError, match="window"):
        msm.msm(np.zeros((3, 2, 4), np.uint64), np.zeros((3, 4), np.uint64), c=21)
    with pytest.raises(ValueError):
        msm.msm_g1([G], [1, 2])


@settings(max_examples=3, deadline=None)
@given(st.integers(min_value=60, max_value=120), st.integers(min_value=0, max_value=2**32))
def test_random_vs_py_ecc(n, seed):
    rng = random.Random(seed)
    pts = random_points(n, rng)
    pts[rng.randrange(n)] = None
    ks = [rng.randrange(R) for _ in range(n)]
    ks[rng.randrange(n)] = 0
    ks[rng.randrange(n)] = R - 1
    want = curve.g1_lincomb(pts, ks)
    assert kernel(pts, ks) == want
    assert kernel(pts, ks, c=rng.randrange(2, 17)) == want


@pytest.mark.parametrize("c", [2, 3, 8, 16])
def test_signed_digits_kernel_vs_twin(c):
    ks = [0, 1, R - 1, (1 << 254) - 1] + [RNG.randrange(R) for _ in range(20)]
    K = cv.ints_to_limbs(ks)
    nw = -(-255 // c)
    for i, k in enumerate(ks):
        ds = twin.signed_digits(k, c, nw)
        assert sum(d << (c * v) for v, d in enumerate(ds)) == k
        assert all(-(1 << (c - 1)) <= d <= 1 << (c - 1) for d in ds)
        assert [msm._digit(K, i, v, c) for v in range(nw)] == ds


def test_twin_pippenger_vs_naive():
    pts = random_points(40, RNG)
    ks = [RNG.randrange(R) for _ in pts]
    assert twin.msm(pts, ks, 4) == twin.msm_naive(pts, ks) == curve.g1_lincomb(pts, ks)


def test_4096_vs_twin_pippenger():
    n = 1 << 12
    rng = random.Random(4096)
    pts = random_points(n, rng, distinct=64)
    pts[17] = None
    pts[100] = pts[99]                                # duplicates across buckets
    pts[200] = curve.g1_neg(pts[201])
    ks = [rng.randrange(R) for _ in range(n)]
    ks[5], ks[6] = 0, R - 1
    ks[200] = ks[201]                                 # P + (−P) in every window's bucket
    want = twin.msm(pts, ks, 8)                       # different window than the kernel's
    assert msm.window_bits(n) != 8
    assert kernel(pts, ks) == want
    # and the convenience wrapper reduces int scalars mod r
    assert msm.msm_g1(pts[:50], [k + R for k in ks[:50]]) == twin.msm(pts[:50], ks[:50])


@pytest.mark.parametrize("c", [2, 3, 4, 6])
def test_twin_bucket_sum_split(c):
    nb = 1 << (c - 1)
    pts = random_points(nb, RNG)
    B = [None] + [p if RNG.random() < 0.8 else None for p in pts]
    want = curve.g1_lincomb(B[1:], list(range(1, nb + 1)))
    assert twin_g1.to_affine(twin.bucket_sum(B, c)) == want


def test_window_choice_matches_twin():
    for k in range(0, 23):
        assert msm.window_bits(1 << k) == twin.window_bits(1 << k)
    assert 2 <= msm.window_bits(1) and msm.window_bits(1 << 20) >= 15
