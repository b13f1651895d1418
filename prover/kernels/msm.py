"""Multi-scalar multiplication Σ kᵢ·Pᵢ on BN254 G1: Pippenger, signed digits, batch-affine buckets.

Role: the prover's hottest kernel (every KZG commitment is one MSM).

Maths.  Split each scalar k < 2²⁵⁴ into nw = ⌈255/c⌉ windows of c bits and
recode to signed digits dᵥ ∈ [−2^(c−1), 2^(c−1)] with k = Σ dᵥ·2^(cv):

    dᵥ = bits[cv, cv+c)(k) + bit(cv − 1)(k) − 2^c·bit(cv + c − 1)(k)

(the carry into window v is bit cv − 1 because the recoded low part lies in
[−2^(cv−1), 2^(cv−1))).  A point with digit d goes to bucket |d| with sign
sgn(d) (negation is free in affine: (x, −y)), so a window needs only 2^(c−1)
buckets instead of 2^c − 1.  Window sum Wᵥ = Σ_b b·B_b by the running-sum trick
(see "Bucket sum" below); each window doubles its sum cv times and the
weighted sums are added up as one more batch-affine bucket.

Batch-affine buckets (the gnark-crypto / Constantine idea, here in the
"sort then tree-reduce" form): per window, points are counting-sorted by
bucket into one buffer, then every bucket list is halved per round by adding
neighbours (P₂ᵢ + P₂ᵢ₊₁, written back into P₂ᵢ's slot, so round j works at
stride 2ʲ in place) in AFFINE coordinates.  An affine addition needs
λ = (y₂ − y₁)/(x₂ − x₁) (or 3x₁²/(2y₁) when P₁ = P₂), x₃ = λ² − x₁ − x₂,
y₃ = λ(x₁ − x₃) − y₁; all denominators of a round share ONE inversion by
Montgomery's trick (3 multiplications each), so an addition costs ~6M
instead of the 11M of a mixed Jacobian addition.  Cases: either operand at
infinity (copy), P + P (tangent), P + (−P) (denominator 0: result infinity,
left out of the product).  Buckets are reduced a block of ~``BLOCK`` points
at a time so that all rounds of a block run in cache (one inversion per
block and round).  Bucket sum: with j = hi·L + lo (L = 2^⌊(c−1)/2⌋),
Σ j·B_j = L·Σ hi·A_hi + Σ lo·C_lo where A_hi, C_lo are plain sums of buckets
(batch-affine again), leaving two short Jacobian running sums (S += A, T += S)
instead of one over all 2^(c−1) buckets.

Parallelism: windows are independent; each worker thread owns one scratch
set and takes windows t, t + T, t + 2T, … (``_windows``, run once per thread
by ``threads.run_each``; the window's kernels are nogil); the final sum of the
weighted window sums follows on the calling thread.

Where the CPU has AVX-512 IFMA, ``REDUCE`` is ``msm_vec.reduce_buckets``: the
same tree, its six Fq products per addition done eight at a time (same
results, limb for limb).  Measured on the 2-core dev machine (shared, so
±20 %), scalar reduction: 2¹⁶ points 0.18–0.23 s, 2²⁰ points 2.4–2.8 s wall
with both cores, about 140 ns a batch-affine addition (six products of
~20 ns); with the IFMA reduction 2¹⁶ points ~0.05–0.09 s (1.9–2× in the same run).
"""

import numpy as np
from numba import njit

from verifier.fields import R_MOD

from . import convert, fq, g1, ifma, msm_vec
from .backend import switchable
from .g1 import _F0, _F1, INF_J, _a, _d, _inv, _load_a, _store, _x2, _z
from .threads import num_threads, run_each

#: Fq product and square on 4-tuples, inlined (the batch-affine additions are the hot loop)
_mi, _si = fq.mul_ti, fq.sqr_ti

__all__ = ["window_bits", "msm_affine", "msm", "msm_g1"]

_ONE = np.uint64(1)
#: points per reduction block (buffer ≈ 64 B/point stays in L2/L3)
BLOCK = 8192
_TOP_LIMIT = np.uint64(1 << 62)   # scalars must be < 2²⁵⁴


def window_bits(n: int) -> int:
    """Window width c minimising ⌈255/c⌉·(n + 2·2^(c−1)): per window, about one batch-affine
    addition per point and two per bucket (``_segments``)."""
    if n <= 1:
        return 2
    return min(range(2, 21), key=lambda c: -(-255 // c) * (n + 2 * (1 << (c - 1))))


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _bit(scalars, i, pos):
    if pos < 0 or pos >= 256:
        return 0
    return np.int64((scalars[i, pos >> 6] >> np.uint64(pos & 63)) & _ONE)


@njit(cache=True)
def _digit(scalars, i, w, c):
    """Signed digit of window w (see module docstring)."""
    lo = c * w
    if lo >= 256:
        return 0
    idx = lo >> 6
    off = lo & 63
    v = scalars[i, idx] >> np.uint64(off)
    if off + c > 64 and idx < 3:
        v |= scalars[i, idx + 1] << np.uint64(64 - off)
    raw = np.int64(v & ((_ONE << np.uint64(c)) - _ONE))
    d = raw + _bit(scalars, i, lo - 1)
    if raw >= (1 << (c - 1)):
        d -= 1 << c
    return d


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _is_inf(p):
    return _z(p[0]) and _z(p[1])


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _pair_den(p, q):
    """Denominator of the affine sum p + q: x_q − x_p, 2y_p (p = q), or 0 (copy / p = −q)."""
    if _is_inf(p) or _is_inf(q):
        return _F0
    dx = _d(q[0], p[0])
    if not _z(dx):
        return dx
    if p[1] == q[1]:
        return _x2(p[1])
    return _F0


@njit(cache=True, nogil=True)
def _reduce_buckets(buf, start, ln, active, pre, nb, block):
    """Tree-reduce every bucket to one affine point at buf[start[b]], a block of buckets
    (about ``block`` points, so that it stays in cache) at a time.

    Each round halves every active bucket (len ≥ 2) at element stride st: bucket b's
    i-th element lives at start[b] + i·st and the pair (2i, 2i+1) is summed into slot
    2i, which is element i at stride 2·st (an odd last element is already in place).
    Forward: the denominators' prefix products; one inversion; backward: peel off each
    1/den and add (the module docstring's affine formulas and cases).  One function
    with the multiplies inlined: this loop is the MSM's hot path."""
    b = 1
    while b <= nb:
        na = 0
        size = 0
        while b <= nb and size < block:
            if ln[b] >= 2:
                active[na] = b
                na += 1
                size += ln[b]
            b += 1
        st = np.int64(1)     # not a literal: one specialisation
        while na > 0:
            acc = _F1
            k = np.int64(0)
            for a in range(na):
                s0 = start[active[a]]
                for i in range(ln[active[a]] // 2):
                    p0 = s0 + 2 * i * st
                    dd = _pair_den(_load_a(buf, p0), _load_a(buf, p0 + st))
                    pre[k, 0], pre[k, 1], pre[k, 2], pre[k, 3] = acc
                    if not _z(dd):
                        acc = _mi(acc, dd)
                    k += 1
            inv = _inv(acc)
            for a in range(na - 1, -1, -1):
                s0 = start[active[a]]
                for i in range(ln[active[a]] // 2 - 1, -1, -1):
                    k -= 1
                    p0 = s0 + 2 * i * st
                    p = _load_a(buf, p0)
                    q = _load_a(buf, p0 + st)
                    dd = _pair_den(p, q)
                    if _is_inf(p):
                        r = q
                    elif _is_inf(q):
                        r = p
                    elif _z(dd):
                        r = (_F0, _F0)                         # p = −q
                    else:
                        dinv = _mi(inv, (pre[k, 0], pre[k, 1], pre[k, 2], pre[k, 3]))
                        inv = _mi(inv, dd)
                        if p[0] == q[0]:
                            xx = _si(p[0])
                            lam = _mi(_a(_x2(xx), xx), dinv)   # 3x²/(2y)
                        else:
                            lam = _mi(_d(q[1], p[1]), dinv)    # (y₂ − y₁)/(x₂ − x₁)
                        x3 = _d(_d(_si(lam), p[0]), q[0])
                        r = (x3, _d(_mi(lam, _d(p[0], x3)), p[1]))
                    _store(buf, p0, r)
            na2 = 0
            for a in range(na):
                bk = active[a]
                ln[bk] = (ln[bk] + 1) // 2
                if ln[bk] >= 2:
                    active[na2] = bk
                    na2 += 1
            na = na2
            st *= 2


#: the bucket reduction the MSM uses: the IFMA one (``msm_vec``, eight products at a time, same
#: results) where the CPU has AVX-512 IFMA, else the scalar one above
REDUCE = msm_vec.reduce_buckets if ifma.available() else _reduce_buckets


@njit(cache=True, nogil=True)
def _scatter(points, inf, scalars, w, c, dig, cnt, start, ln, buf):
    """Window w: counting-sort the points by |digit| into buf (y negated for a negative
    digit); bucket b's points are buf[start[b] : start[b] + ln[b]]."""
    n = points.shape[0]
    nb = 1 << (c - 1)
    cnt[:] = 0
    for i in range(n):
        d = 0
        if not inf[i]:
            d = _digit(scalars, i, w, c)
        dig[i] = d
        if d != 0:
            cnt[abs(d)] += 1
    s = 0
    for b in range(1, nb + 1):
        start[b] = s
        ln[b] = cnt[b]
        s += cnt[b]
        cnt[b] = start[b]                      # now the scatter cursor
    for i in range(n):
        d = dig[i]
        if d == 0:
            continue
        j = cnt[abs(d)]
        cnt[abs(d)] += 1
        x, y = _load_a(points, i)
        if d < 0:
            y = fq.neg(y[0], y[1], y[2], y[3])
        _store(buf, j, (x, y))


@njit(cache=True, nogil=True)
def _segments(buf, start, ln, nb, h, sbuf, sstart, sln, sact):
    """Bucket sum, step 1 of 2.  With j = hi·L + lo (L = 2^h):

        Σ_j j·B_j = L·Σ_hi hi·A_hi + Σ_lo lo·C_lo,
        A_hi = Σ_lo B_(hi·L+lo),  C_lo = Σ_hi B_(hi·L+lo).

    Copies each reduced, non-empty B_j into segment hi (A) and segment nhi + lo (C),
    so that ``_reduce_buckets`` sums the ≤ 2·nb points batch-affine; returns the
    segment count nhi + L."""
    L = 1 << h
    nhi = (nb >> h) + 1
    nseg = nhi + L
    sln[:nseg + 1] = 0
    for j in range(1, nb + 1):
        if ln[j] == 1 and not _is_inf(_load_a(buf, start[j])):
            if j >> h:
                sln[j >> h] += 1
            if j & (L - 1):
                sln[nhi + (j & (L - 1))] += 1
    k = 0
    for g in range(1, nseg):
        sstart[g] = k
        sact[g] = k                            # fill cursor
        k += sln[g]
    for j in range(1, nb + 1):
        if ln[j] == 1 and not _is_inf(_load_a(buf, start[j])):
            p = _load_a(buf, start[j])
            if j >> h:
                _store(sbuf, sact[j >> h], p)
                sact[j >> h] += 1
            if j & (L - 1):
                _store(sbuf, sact[nhi + (j & (L - 1))], p)
                sact[nhi + (j & (L - 1))] += 1
    return nseg


@njit(cache=True, nogil=True)
def _segment_sums(sbuf, sstart, sln, nhi, h, shift, sums, w):
    """Bucket sum, step 2 of 2, and the window's weight: sums[w] = 2^shift·(2^h·Σ_hi hi·A_hi +
    Σ_lo lo·C_lo), by two short Jacobian running sums (S += segment, T += S) over the
    reduced segments (sln 0 or 1): the A part over segments 1 … nhi − 1, doubled h times,
    then the C part on top; finally ``shift`` = c·w doublings (so that the MSM is the
    plain sum of all sums[w])."""
    T = INF_J
    for part in range(2):
        first = 0 if part == 0 else nhi
        count = nhi if part == 0 else 1 << h
        if part == 1:
            for _ in range(h):
                T = g1.jdouble(T)
        S = INF_J
        for i in range(count - 1, 0, -1):
            if sln[first + i] == 1:
                S = g1.jadd_mixed(S, _load_a(sbuf, sstart[first + i]))
            T = g1.jadd(T, S)
    for _ in range(shift):
        T = g1.jdouble(T)
    _store(sums, w, T)


def _windows(points, inf, scalars, c, block, t, nt, sums):
    """Worker t: windows t, t + nt, … into sums[w], with one scratch set reused.

    A window is five flat nogil kernels called from here (scatter, reduce the
    buckets, segment them, reduce the segments, running sums): one kernel calling
    the others would make Numba compile them all over again inside it."""
    n = points.shape[0]
    nb = 1 << (c - 1)
    h = (c - 1) // 2
    dig = np.empty(n, dtype=np.int32)
    cnt = np.empty(nb + 1, dtype=np.int64)
    start = np.zeros(nb + 1, dtype=np.int64)
    ln = np.zeros(nb + 1, dtype=np.int64)
    active = np.empty(nb + 5, dtype=np.int64)
    buf = np.empty((n, 2, 4), dtype=np.uint64)
    pre = np.empty((max(n, 2 * nb) // 2 + 1, 4), dtype=np.uint64)
    sbuf = np.empty((2 * nb, 2, 4), dtype=np.uint64)
    sstart = np.zeros(nb + 5, dtype=np.int64)
    sln = np.zeros(nb + 5, dtype=np.int64)
    for w in range(t, sums.shape[0], nt):
        _scatter(points, inf, scalars, w, c, dig, cnt, start, ln, buf)
        REDUCE(buf, start, ln, active, pre, nb, block)
        nseg = _segments(buf, start, ln, nb, h, sbuf, sstart, sln, active)
        REDUCE(sbuf, sstart, sln, active, pre, nseg - 1, block)
        _segment_sums(sbuf, sstart, sln, (nb >> h) + 1, h, c * w, sums, w)


@switchable
def msm_affine(points, scalars, c, nt, block):
    """Σ kᵢ·Pᵢ as a (2, 4) affine array (all-zero = infinity); points (n, 2, 4) affine
    Montgomery, scalars (n, 4) plain limbs < 2²⁵⁴, window width c ≥ 2, nt worker threads,
    block: points per cache-resident reduction block.

    The windows' weighted sums 2^(cw)·Wᵥ (Jacobian) are normalised together and then
    added by the same batch-affine tree as a bucket (one bucket holding all of them)."""
    nw = (255 + c - 1) // c
    inf = ~points.reshape(points.shape[0], 8).any(axis=1)      # all-zero rows: infinity
    sums = np.zeros((nw, 3, 4), dtype=np.uint64)
    nt = max(1, min(nt, nw))
    run_each(_windows, [(points, inf, scalars, c, block, t, nt, sums) for t in range(nt)])
    buf = g1.jac_to_affine(sums)
    start = np.zeros(2, dtype=np.int64)
    ln = np.array([0, nw], dtype=np.int64)
    _reduce_buckets(buf, start, ln, np.empty(2, dtype=np.int64),
                    np.empty((nw // 2 + 1, 4), dtype=np.uint64), 1, block)
    return buf[0]


def msm(points, scalars, c: int = 0) -> np.ndarray:
    """Σ kᵢ·Pᵢ → affine (2, 4) Montgomery (all-zero = infinity).

    points: (n, 2, 4) uint64 affine Montgomery (all-zero rows = infinity);
    scalars: (n, 4) uint64 plain (not Montgomery) limbs, each < r (< 2²⁵⁴ suffices).
    c: window width, 0 = choose from n.
    """
    points = np.ascontiguousarray(points, dtype=np.uint64)
    scalars = np.ascontiguousarray(scalars, dtype=np.uint64)
    if points.ndim != 3 or points.shape[1:] != (2, 4):
        raise ValueError(f"msm: points must have shape (n, 2, 4), got {points.shape}")
    if scalars.shape != (points.shape[0], 4):
        raise ValueError(f"msm: scalars must have shape ({points.shape[0]}, 4), got {scalars.shape}")
    n = points.shape[0]
    if n == 0:
        return np.zeros((2, 4), dtype=np.uint64)
    if (scalars[:, 3] >= _TOP_LIMIT).any():
        raise ValueError("msm: scalars must be reduced (< 2^254)")
    c = c or window_bits(n)
    if not 2 <= c <= 20:
        raise ValueError(f"msm: window width {c} outside [2, 20]")
    return msm_affine(points, scalars, c, num_threads(), BLOCK)


def msm_g1(points, scalars) -> tuple:
    """Convenience on ``verifier.curve`` objects: Σ kᵢ·Pᵢ for int scalars (reduced mod r)."""
    points, scalars = list(points), list(scalars)
    if len(points) != len(scalars):
        raise ValueError(f"msm_g1: {len(points)} points but {len(scalars)} scalars")
    if not points:
        return None
    P = g1.points_to_array(points)
    K = convert.ints_to_limbs(int(k) % R_MOD for k in scalars)
    return g1.array_to_points(msm(P, K))[0]
