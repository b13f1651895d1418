"""The MSM's batch-affine bucket reduction with its Fq products on eight AVX-512 IFMA lanes.

Role: a drop-in for ``msm._reduce_buckets`` (same arguments, same results bit
for bit: every sum is stored as canonical affine Montgomery limbs), used by
``msm`` when ``ifma.available()``.  The products are ~86 % of the scalar
version's time and ``ifma.mont_at`` does eight of them in ~4–6 ns each
instead of ~20 ns.

Maths (one round of one block, K pairs (p, q) → p + q; see ``msm.py`` for the
tree and the affine formulas).  Pair k runs in lane k mod 8 of group ⌊k/8⌋,
so the eight lanes are eight independent Montgomery-trick chains:

    forward   PRE[g] = ACC;  ACC ← ACC·dx[g]              (per lane: prefix products)
    one inversion of the eight lane totals (scalar, by Montgomery's trick again)
    backward  (g descending) dinv = J·PRE[g], J ← J·dx[g], λ = dinv·dy[g], λ²
    then      x₃ = λ² − x₁ − x₂,  y₃ = λ·(x₁ − x₃) − y₁.

Representations.  ``buf`` holds Montgomery residues for R = 2²⁵⁶ (4×64-bit
limbs, canonical); the IFMA product is a·b/R' with R' = 2²⁶⁰ = 16R.  So one
factor of every product carries an extra 16: mont(a, 16b) = ab/R is the
R-form product.  Values go to the lanes as 52-bit limbs of v (or 16v, a 4-bit
shift, < 16q) and come back as 4×64 limbs reduced below q (one conditional
subtraction: lane outputs are < 2q).  J holds 16·(lane inverse), so that
J·PRE and J·dx need no scaling; λ² uses λ·(16λ) (``ifma.scale16_at``).  The
bounds of ``ifma`` hold: every product has one factor < 2q and one < 32q.
Additions and subtractions stay in scalar 4×64-bit code (``fq``).

Special pairs (an infinity operand, p = ±q) take a neutral factor 1 in the
chains and are finished in scalar code: copy, infinity, or the tangent
3x²/(2y) with its own inversion (rare: an MSM over distinct bases meets
p = q only when two different bucket sums coincide).
"""

import numpy as np
from numba import njit

from . import fq
from .g1 import _F0, _a, _d, _inv, _load_a, _m, _s, _store, _x2, _z
from .ifma import mont_at, scale16_at
from .u128 import sbb

__all__ = ["reduce_buckets"]

_Z = np.uint64(0)
_M52 = np.uint64((1 << 52) - 1)
_S4 = np.uint64(4)
_S60 = np.uint64(60)
_S12, _S16, _S24, _S28, _S36, _S40, _S48, _S52 = (np.uint64(k) for k in (12, 16, 24, 28, 36, 40, 48, 52))
_ONE_R = (fq.ONE0, fq.ONE1, fq.ONE2, fq.ONE3)


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _put(arr, k, v, scale16):
    """Lane k of arr (group k >> 3, lane k & 7) ← the 52-bit limbs of v (4×64, < 2²⁵⁶/16 when
    scale16) or of 16·v."""
    w0, w1, w2, w3 = v
    w4 = _Z
    if scale16:
        w4 = w3 >> _S60
        w3 = (w3 << _S4) | (w2 >> _S60)
        w2 = (w2 << _S4) | (w1 >> _S60)
        w1 = (w1 << _S4) | (w0 >> _S60)
        w0 = w0 << _S4
    g, ln = k >> 3, k & 7
    arr[g, 0, ln] = w0 & _M52
    arr[g, 1, ln] = ((w0 >> _S52) | (w1 << _S12)) & _M52
    arr[g, 2, ln] = ((w1 >> _S40) | (w2 << _S24)) & _M52
    arr[g, 3, ln] = ((w2 >> _S28) | (w3 << _S36)) & _M52
    arr[g, 4, ln] = (w3 >> _S16) | (w4 << _S48)


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _get(arr, k):
    """Lane k of arr as 4×64 limbs reduced below q (the lane holds a value < 2q)."""
    g, ln = k >> 3, k & 7
    l0, l1, l2, l3, l4 = arr[g, 0, ln], arr[g, 1, ln], arr[g, 2, ln], arr[g, 3, ln], arr[g, 4, ln]
    w0 = l0 | (l1 << _S52)
    w1 = (l1 >> _S12) | (l2 << _S40)
    w2 = (l2 >> _S24) | (l3 << _S28)
    w3 = (l3 >> _S36) | (l4 << _S16)
    t0, bw = sbb(w0, fq.Q0, _Z)
    t1, bw = sbb(w1, fq.Q1, bw)
    t2, bw = sbb(w2, fq.Q2, bw)
    t3, bw = sbb(w3, fq.Q3, bw)
    if bw:
        return (w0, w1, w2, w3)
    return (t0, t1, t2, t3)


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _special_sum(p, q):
    """p + q for the pairs the lanes skip: an infinity operand, p = q (tangent), p = −q."""
    if _z(p[0]) and _z(p[1]):
        return q
    if _z(q[0]) and _z(q[1]):
        return p
    if p[1] != q[1]:
        return (_F0, _F0)                              # p = −q
    xx = _s(p[0])
    lam = _m(_a(_x2(xx), xx), _inv(_x2(p[1])))         # 3x²/(2y)
    x3 = _d(_d(_s(lam), p[0]), q[0])
    return (x3, _d(_m(lam, _d(p[0], x3)), p[1]))


@njit(cache=True, nogil=True)
def _round(buf, start, ln, active, na, st, P0, SPEC, X3, DX, DY, PRE, LAM, one):
    """One round over the active buckets of a block (see the module docstring)."""
    K = 0
    for a in range(na):
        s0 = start[active[a]]
        for i in range(ln[active[a]] // 2):
            p0 = s0 + 2 * i * st
            p = _load_a(buf, p0)
            q = _load_a(buf, p0 + st)
            P0[K] = p0
            dx = _d(q[0], p[0])
            special = _z(p[0]) and _z(p[1]) or _z(q[0]) and _z(q[1]) or _z(dx)
            SPEC[K] = special
            if special:
                _put(DX, K, _ONE_R, True)
                _put(DY, K, _F0, True)
            else:
                _put(DX, K, dx, True)
                _put(DY, K, _d(q[1], p[1]), True)
            K += 1
    G = (K + 7) >> 3
    for k in range(K, 8 * G):                          # padding lanes: neutral factors
        _put(DX, k, _ONE_R, True)
        _put(DY, k, _F0, True)
    for k in range(8):                                 # one[0] = ACC, one[1] = J, one[2] = dinv, one[3] = 16λ
        _put(one, k, _ONE_R, False)
    for g in range(G):
        for j in range(5):                             # element-wise: an array assignment would
            for k in range(8):                         # compile Numba's shape-error path (~7 s)
                PRE[g, j, k] = one[0, j, k]
        mont_at(one, 0, one, 0, DX, g)
    acc = _ONE_R                                       # the eight lane totals: one inversion
    tot = np.empty((8, 4), dtype=np.uint64)
    for k in range(8):
        t = _get(one, k)
        tot[k, 0], tot[k, 1], tot[k, 2], tot[k, 3] = acc
        acc = _m(acc, t)
    inv = _inv(acc)
    for k in range(7, -1, -1):
        t = _get(one, k)
        lane_inv = _m(inv, (tot[k, 0], tot[k, 1], tot[k, 2], tot[k, 3]))
        inv = _m(inv, t)
        j = _x2(_x2(_x2(_x2(lane_inv))))               # 16·inverse (mod q)
        _put(one, 8 + k, j, False)
    for g in range(G - 1, -1, -1):
        mont_at(one, 2, one, 1, PRE, g)                # dinv
        mont_at(one, 1, one, 1, DX, g)                 # J ← J·dx
        mont_at(LAM, g, one, 2, DY, g)                 # λ
        scale16_at(one, 3, LAM, g)
        mont_at(PRE, g, LAM, g, one, 3)                # λ² (into PRE[g], no longer needed)
    for k in range(K):
        if SPEC[k]:
            continue
        p = _load_a(buf, P0[k])
        q = _load_a(buf, P0[k] + st)
        x3 = _d(_d(_get(PRE, k), p[0]), q[0])
        X3[k, 0], X3[k, 1], X3[k, 2], X3[k, 3] = x3
        _put(DX, k, _d(p[0], x3), True)                # 16·(x₁ − x₃), DX no longer needed
    for g in range(G):
        mont_at(DY, g, LAM, g, DX, g)                  # λ·(x₁ − x₃)
    for k in range(K):
        p = _load_a(buf, P0[k])
        if SPEC[k]:
            _store(buf, P0[k], _special_sum(p, _load_a(buf, P0[k] + st)))
        else:
            x3 = (X3[k, 0], X3[k, 1], X3[k, 2], X3[k, 3])
            _store(buf, P0[k], (x3, _d(_get(DY, k), p[1])))


@njit(cache=True, nogil=True)
def reduce_buckets(buf, start, ln, active, pre, nb, block):
    """``msm._reduce_buckets`` on IFMA lanes: every bucket b ≤ nb with ln[b] ≥ 2 is summed into
    buf[start[b]] and ln[b] set to 1 (``pre`` is unused; kept for the same signature)."""
    maxln = 0
    for b in range(1, nb + 1):
        maxln = max(maxln, ln[b])
    cap = (block + maxln) // 2 + 8
    G = cap // 8 + 1
    P0 = np.empty(cap, dtype=np.int64)
    SPEC = np.empty(cap, dtype=np.bool_)
    X3 = np.empty((cap, 4), dtype=np.uint64)
    DX = np.empty((G, 5, 8), dtype=np.uint64)
    DY = np.empty((G, 5, 8), dtype=np.uint64)
    PRE = np.empty((G, 5, 8), dtype=np.uint64)
    LAM = np.empty((G, 5, 8), dtype=np.uint64)
    one = np.empty((4, 5, 8), dtype=np.uint64)
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
        st = np.int64(1)
        while na > 0:
            _round(buf, start, ln, active, na, st, P0, SPEC, X3, DX, DY, PRE, LAM, one)
            na2 = 0
            for a in range(na):
                bk = active[a]
                ln[bk] = (ln[bk] + 1) // 2
                if ln[bk] >= 2:
                    active[na2] = bk
                    na2 += 1
            na = na2
            st *= 2
