"""IFMA bucket reduction (prover/kernels/msm_vec.py) vs the scalar one (msm._reduce_buckets).

Both must leave the same canonical affine limbs in every bucket: random buckets of
length 0..40 with infinities, repeated points (the tangent case, also deeper in the
tree), opposite points (p + (−p) = ∞, then ∞ + q) and blocks small enough to split the
buckets over several blocks.  The MSM tests run whichever reduction ``msm.REDUCE``
is; the scalar one is also run end to end here, against py_ecc."""

import random

import numpy as np
import pytest

from prover.kernels import convert as cv
from prover.kernels import g1, ifma, msm, msm_vec
from verifier import curve
from verifier.fields import R_MOD as R

needs_ifma = pytest.mark.skipif(not ifma.available(), reason="CPU without AVX-512 IFMA")
G = curve.G1_GEN


def buckets(rng, nb, pool):
    """A bucket buffer: start/ln per bucket 1..nb, points drawn from pool (None = ∞)."""
    pts, start, ln = [], np.zeros(nb + 1, np.int64), np.zeros(nb + 1, np.int64)
    for b in range(1, nb + 1):
        k = rng.choice([0, 1, 2, 3, 5, 8, 17, 40])
        start[b], ln[b] = len(pts), k
        for _ in range(k):
            r = rng.random()
            if r < 0.05:
                pts.append(None)
            elif r < 0.15 and pts:
                pts.append(pts[-1])                             # p + p
            elif r < 0.25 and pts and pts[-1] is not None:
                pts.append(curve.g1_neg(pts[-1]))               # p + (−p)
            else:
                pts.append(rng.choice(pool))
    return g1.points_to_array(pts) if pts else np.zeros((0, 2, 4), np.uint64), start, ln


@needs_ifma
@pytest.mark.parametrize("seed,nb,block", [(1, 30, 8192), (2, 50, 16), (3, 7, 3), (4, 200, 64)])
def test_same_buckets_as_scalar(seed, nb, block):
    rng = random.Random(seed)
    pool = [curve.g1_mul(G, rng.randrange(1, R)) for _ in range(12)]
    buf, start, ln = buckets(rng, nb, pool)
    n = buf.shape[0]
    outs = []
    for reduce in (msm._reduce_buckets, msm_vec.reduce_buckets):
        b, l = buf.copy(), ln.copy()
        reduce(b, start, l, np.empty(nb + 5, np.int64), np.empty((n // 2 + 2, 4), np.uint64),
               nb, block)
        outs.append((b, l))
    (b0, l0), (b1, l1) = outs
    assert np.array_equal(l0, l1)
    for j in range(1, nb + 1):
        if l0[j]:
            assert np.array_equal(b0[start[j]], b1[start[j]]), j
    # and the sums are right (py_ecc)
    pts = g1.array_to_points(buf) if n else []
    for j in range(1, nb + 1):
        if ln[j]:
            want = None
            for p in pts[start[j]:start[j] + ln[j]]:
                want = curve.g1_add(want, p) if want is not None else p
            assert g1.array_to_points(b1[start[j]])[0] == want


@pytest.mark.parametrize("reduce", ["scalar", "ifma"])
def test_msm_with_each_reduction(monkeypatch, reduce):
    if reduce == "ifma" and not ifma.available():
        pytest.skip("CPU without AVX-512 IFMA")
    monkeypatch.setattr(msm, "REDUCE", msm._reduce_buckets if reduce == "scalar"
                        else msm_vec.reduce_buckets)
    rng = random.Random(9)
    pts = [curve.g1_mul(G, rng.randrange(1, R)) for _ in range(24)]
    P = pts[0]
    nP = curve.g1_neg(P)
    cases = [(pts, [rng.randrange(R) for _ in pts]), ([P] * 8, [7] * 8), ([P, P, nP, nP], [9] * 4),
             ([P, nP, pts[1], pts[1], P], [5] * 5), ([P, None, pts[1], None], [3, 3, 3, 5]),
             (pts, [R - 1] * 24), (pts[:3], [0, 0, 0])]
    for pp, ks in cases:
        want = curve.g1_lincomb(pp, ks)
        for c in (0, 2, 5, 13):
            got = g1.array_to_points(msm.msm(g1.points_to_array(pp), cv.ints_to_limbs(ks), c))[0]
            assert got == want, (reduce, c, len(pp))


def test_ifma_is_used_where_available():
    assert (msm.REDUCE is msm_vec.reduce_buckets) == ifma.available()
