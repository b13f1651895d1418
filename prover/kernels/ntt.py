"""Number-theoretic transform (NTT) over Fr: coefficients ↔ evaluations on 2^k-point domains.

Maths.  For n = 2^k (0 ≤ k ≤ 28) let ω = ``verifier.fields.root_of_unity(k)``, the
primitive n-th root of unity snarkjs's domains use (5^((r−1)/n)).  With natural
order on both sides,

    ntt(a)[i]            = Σ_j a_j ω^(ij)            = p(ω^i)
    intt(e)[j]           = n⁻¹ Σ_i e_i ω^(−ij)        (so intt(ntt(a)) = a)
    coset_ntt(a, g)[i]   = Σ_j (a_j g^j) ω^(ij)      = p(g·ω^i)
    coset_intt(e, g)[j]  = g^(−j) · intt(e)[j]

Algorithm.  Iterative radix-2 Cooley–Tukey, decimation in time: the load step
writes x[bitrev(i)] = a[i] (times g^i for a coset), then stage m = 1, 2, …, n/2
applies the butterflies (u, v) → (u + w·v, u − w·v) with w = ω_{2m}^j.  The
inverse uses DFT_{ω⁻¹}(e)_k = DFT_ω(e')_k with e'_j = e_{(n−j) mod n}, so one
twiddle table serves both directions; the index reversal and the n⁻¹ scaling are
fused into the load.

Twiddles.  ``tw[m + j] = ω_{2m}^j`` for m = 1, 2, …, n/2 and 0 ≤ j < m, so stage m
reads tw[m : 2m] contiguously (n entries in all, tw[0] = 1 unused).  Built once per
size (top stage by ``fr.powers``, each lower stage as every other entry of the
one above) and cached per log n in the module dict ``_TWIDDLES`` (a 2^22
table is 128 MiB; ``clear_twiddle_cache`` frees them).

Parallel schedule (two parallel loops per transform, on ``threads.parallel_for``'s
pool of nogil kernels).  Loop 1: for each of
the n/2^b independent blocks of B = 2^b consecutive positions (b = ``BLOCK_LOG``),
gather the block's inputs (a strided read of a) and run all stages with span
2m ≤ B depth-first, in L2.  Loop 2: for m ≥ B every butterfly pairs indices
of equal residue mod B, so the B columns {c + B·t} are independent transforms;
groups of ``COLUMN_WIDTH`` adjacent columns (n/B rows each) run all remaining
stages depth-first, then (coset inverse only) scale by shift^(−i).  Small transforms
(n ≤ B) run on the calling thread through the same two kernels.

Butterflies use branch-free add/sub (random data defeats branch prediction;
worth ~20 % here).  The butterfly's multiply is the inlined ``fr.mul_i`` (about
15 % less CPU time per transform than a call to ``fr.mul``); the few multiplies
outside the butterfly loops call ``fr.mul``, which keeps the compiled kernels small.
"""

import numpy as np
from numba import njit

from verifier.fields import FR_TWO_ADICITY, R_MOD, root_of_unity

from . import convert
from .backend import switchable
from .fr import ONE0, ONE1, ONE2, ONE3, add, mul, mul_i, powers, sqr, sub
from .threads import num_threads, parallel_for

__all__ = [
    "ntt", "intt", "coset_ntt", "coset_intt", "twiddles", "clear_twiddle_cache",
    "bitrev_permute", "MAX_LOG_N", "BLOCK_LOG", "COLUMN_WIDTH",
]

#: largest supported transform: 2^28 (the 2-adicity of r − 1); tested up to 2^22.
MAX_LOG_N = FR_TWO_ADICITY
#: log2 of the depth-first block size (2^13 elements = 256 KiB plus twiddles: fits L2).
BLOCK_LOG = 13
#: adjacent columns per group in the late stages (16 × 32 B = 512 B contiguous per row).
COLUMN_WIDTH = 16

_TWIDDLES = {}
Z = np.uint64(0)


# ----------------------------------------------------------------- scalar helpers


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _pow_int(b0, b1, b2, b3, e):
    """b^e for a small non-negative machine-int exponent e (square and multiply)."""
    r0, r1, r2, r3 = ONE0, ONE1, ONE2, ONE3
    while e > 0:
        if e & 1:
            r0, r1, r2, r3 = mul(r0, r1, r2, r3, b0, b1, b2, b3)
        b0, b1, b2, b3 = sqr(b0, b1, b2, b3)
        e >>= 1
    return r0, r1, r2, r3


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _bitrev(i, logn):
    """Reverse the low ``logn`` bits of the index i (logn ≤ 32)."""
    x = i
    x = ((x >> 1) & 0x55555555) | ((x & 0x55555555) << 1)
    x = ((x >> 2) & 0x33333333) | ((x & 0x33333333) << 2)
    x = ((x >> 4) & 0x0F0F0F0F) | ((x & 0x0F0F0F0F) << 4)
    x = ((x >> 8) & 0x00FF00FF) | ((x & 0x00FF00FF) << 8)
    x = ((x >> 16) & 0xFFFF) | ((x & 0xFFFF) << 16)
    return x >> (32 - logn)


# ----------------------------------------------------------------- twiddles


def _build_twiddles(w, logn):
    """tw[m + j] = ω_{2m}^j for every stage m (see module docstring); w = ω_n, shape (4,)."""
    n = 1 << logn
    tw = np.empty((n, 4), dtype=np.uint64)
    tw[0] = _ONE
    half = n >> 1
    if half:
        tw[half:] = powers(w, half)    # top stage: ω_n^j, j < n/2 (once per size: cached)
    m = half >> 1
    while m >= 1:                      # stage m is every other entry of stage 2m
        tw[m:2 * m] = tw[2 * m:4 * m:2]
        m >>= 1
    return tw


def twiddles(logn: int) -> np.ndarray:
    """The cached stage-contiguous twiddle table for n = 2^logn (built on first use)."""
    tw = _TWIDDLES.get(logn)
    if tw is None:
        w = convert.fr_scalar(root_of_unity(logn))
        tw = _build_twiddles(w, logn)
        _TWIDDLES[logn] = tw
    return tw


def clear_twiddle_cache() -> None:
    """Drop every cached twiddle table."""
    _TWIDDLES.clear()


# ----------------------------------------------------------------- bit reversal


@njit(cache=True)
def bitrev_permute(a):
    """Out-of-place bit-reversal permutation of an (n, 4) array, n a power of two."""
    n = a.shape[0]
    logn = 0
    while (1 << logn) < n:
        logn += 1
    out = np.empty_like(a)
    for i in range(n):
        d = _bitrev(i, logn)
        for k in range(4):
            out[d, k] = a[i, k]
    return out


# ----------------------------------------------------------------- the two loops
#
# Each loop body is written out in one kernel (not split into helpers): Numba
# compiles every helper separately and then again inside its caller.


@njit(cache=True, nogil=True)
def _blocks(a, x, tw, logn, blog, reverse, mode, c, g, lo, hi):
    """Blocks lo … hi − 1 (2^blog positions each) of the bit-reversed array.

    Gather: x[bitrev(i)] = a[src(i)]·f(i) for the block's sources i = q·S + bitrev_{log S}(b),
    q < 2^blog, S = n / 2^blog; src(i) = i, or (n − i) mod n when ``reverse``; mode 0: f = 1;
    mode 1: f = c; mode 2: f = c·g^i (stepped by g^S along q).  Then every DIT stage
    m = 1 … 2^blog/2 on the block, depth-first (it stays in L2).
    """
    n = 1 << logn
    mask = n - 1
    slog = logn - blog
    stride = 1 << slog
    size = 1 << blog
    for b in range(lo, hi):
        ib = _bitrev(b, slog) if slog > 0 else 0
        f0, f1, f2, f3 = c[0], c[1], c[2], c[3]
        s0, s1, s2, s3 = ONE0, ONE1, ONE2, ONE3
        if mode == 2:
            q0, q1, q2, q3 = _pow_int(g[0], g[1], g[2], g[3], ib)
            f0, f1, f2, f3 = mul(f0, f1, f2, f3, q0, q1, q2, q3)
            s0, s1, s2, s3 = _pow_int(g[0], g[1], g[2], g[3], stride)
        for q in range(size):
            i = q * stride + ib
            src = ((n - i) & mask) if reverse else i
            d = _bitrev(i, logn)
            v0, v1, v2, v3 = a[src, 0], a[src, 1], a[src, 2], a[src, 3]
            if mode != 0:
                v0, v1, v2, v3 = mul(v0, v1, v2, v3, f0, f1, f2, f3)
                if mode == 2:
                    f0, f1, f2, f3 = mul(f0, f1, f2, f3, s0, s1, s2, s3)
            x[d, 0], x[d, 1], x[d, 2], x[d, 3] = v0, v1, v2, v3
        if size < 2:
            continue
        first = b << blog
        # m = 1: twiddle 1, plain add/sub.
        for k in range(first, first + size, 2):
            u0, u1, u2, u3 = x[k, 0], x[k, 1], x[k, 2], x[k, 3]
            v0, v1, v2, v3 = x[k + 1, 0], x[k + 1, 1], x[k + 1, 2], x[k + 1, 3]
            x[k, 0], x[k, 1], x[k, 2], x[k, 3] = add(u0, u1, u2, u3, v0, v1, v2, v3)
            x[k + 1, 0], x[k + 1, 1], x[k + 1, 2], x[k + 1, 3] = sub(u0, u1, u2, u3, v0, v1, v2, v3)
        m = 2
        while m < size:
            for k in range(first, first + size, 2 * m):
                # j = 0: twiddle 1.
                l = k + m
                u0, u1, u2, u3 = x[k, 0], x[k, 1], x[k, 2], x[k, 3]
                v0, v1, v2, v3 = x[l, 0], x[l, 1], x[l, 2], x[l, 3]
                x[k, 0], x[k, 1], x[k, 2], x[k, 3] = add(u0, u1, u2, u3, v0, v1, v2, v3)
                x[l, 0], x[l, 1], x[l, 2], x[l, 3] = sub(u0, u1, u2, u3, v0, v1, v2, v3)
                for j in range(1, m):
                    i = k + j
                    l = i + m
                    t0, t1, t2, t3 = mul_i(x[l, 0], x[l, 1], x[l, 2], x[l, 3],
                                           tw[m + j, 0], tw[m + j, 1], tw[m + j, 2], tw[m + j, 3])
                    u0, u1, u2, u3 = x[i, 0], x[i, 1], x[i, 2], x[i, 3]
                    x[i, 0], x[i, 1], x[i, 2], x[i, 3] = add(u0, u1, u2, u3, t0, t1, t2, t3)
                    x[l, 0], x[l, 1], x[l, 2], x[l, 3] = sub(u0, u1, u2, u3, t0, t1, t2, t3)
            m <<= 1


@njit(cache=True, nogil=True)
def _columns(x, tw, block, width, post, g, lo, hi):
    """The stages m = block … n/2 for the column groups lo … hi − 1, depth-first per group.

    For m ≥ block every butterfly pairs indices with equal residue mod ``block``, so
    the columns {c + block·t} are independent; a group of ``width`` adjacent columns
    (n/block rows each) stays in cache through all the remaining stages.  With
    ``post`` the finished group is also scaled, x[i] ← x[i]·g^i (the coset inverse).
    """
    n = x.shape[0]
    for grp in range(lo, hi):
        c0 = grp * width
        m = block
        while m < n:
            for k in range(0, n, 2 * m):
                for jb in range(0, m, block):
                    for j in range(jb + c0, jb + c0 + width):
                        i = k + j
                        l = i + m
                        t0, t1, t2, t3 = mul_i(x[l, 0], x[l, 1], x[l, 2], x[l, 3],
                                               tw[m + j, 0], tw[m + j, 1], tw[m + j, 2], tw[m + j, 3])
                        u0, u1, u2, u3 = x[i, 0], x[i, 1], x[i, 2], x[i, 3]
                        x[i, 0], x[i, 1], x[i, 2], x[i, 3] = add(u0, u1, u2, u3, t0, t1, t2, t3)
                        x[l, 0], x[l, 1], x[l, 2], x[l, 3] = sub(u0, u1, u2, u3, t0, t1, t2, t3)
            m <<= 1
        if post:
            p0, p1, p2, p3 = _pow_int(g[0], g[1], g[2], g[3], c0)
            s0, s1, s2, s3 = _pow_int(g[0], g[1], g[2], g[3], block)
            for col in range(c0, c0 + width):
                f0, f1, f2, f3 = p0, p1, p2, p3
                for i in range(col, n, block):
                    x[i, 0], x[i, 1], x[i, 2], x[i, 3] = mul(
                        x[i, 0], x[i, 1], x[i, 2], x[i, 3], f0, f1, f2, f3)
                    f0, f1, f2, f3 = mul(f0, f1, f2, f3, s0, s1, s2, s3)
                p0, p1, p2, p3 = mul(p0, p1, p2, p3, g[0], g[1], g[2], g[3])


# ----------------------------------------------------------------- public API


def _check(a: np.ndarray) -> int:
    if not isinstance(a, np.ndarray) or a.dtype != np.uint64 or a.ndim != 2 or a.shape[1] != 4:
        raise ValueError("NTT input must be an (n, 4) uint64 Montgomery array")
    n = a.shape[0]
    if n == 0 or n & (n - 1):
        raise ValueError(f"NTT size must be a power of two, got {n}")
    logn = n.bit_length() - 1
    if logn > MAX_LOG_N:
        raise ValueError(f"NTT size 2^{logn} exceeds Fr's 2-adicity 2^{MAX_LOG_N}")
    return logn


def _elem(s) -> np.ndarray:
    s = np.ascontiguousarray(s, dtype=np.uint64).reshape(-1)
    if s.shape != (4,):
        raise ValueError("shift must be one Fr element: a (4,) uint64 Montgomery array")
    return s


@switchable
def _transform(a, reverse, mode, c, g, post=None):
    logn = _check(a)
    a = np.ascontiguousarray(a)
    n = a.shape[0]
    tw = twiddles(logn)
    x = np.empty_like(a)
    gp = _ONE if post is None else post
    if logn <= BLOCK_LOG:
        # Small: one block and one column group, on this thread.
        _blocks(a, x, tw, logn, logn, reverse, mode, c, g, 0, 1)
        _columns(x, tw, n, n, post is not None, gp, 0, 1)
        return x
    # Dynamic scheduling (one block, a few column groups a task): on a shared machine a
    # preempted thread then delays only its current item, not half of the loop.
    nb = 1 << (logn - BLOCK_LOG)
    parallel_for(_blocks, nb, a, x, tw, logn, BLOCK_LOG, reverse, mode, c, g, chunks=nb)
    groups = (1 << BLOCK_LOG) // COLUMN_WIDTH
    parallel_for(_columns, groups, x, tw, 1 << BLOCK_LOG, COLUMN_WIDTH, post is not None, gp,
                 chunks=min(groups, 8 * num_threads()))
    return x


_ONE = np.array([ONE0, ONE1, ONE2, ONE3], dtype=np.uint64)


def _inv_n(n: int) -> np.ndarray:
    return convert.fr_scalar(pow(n, -1, R_MOD))


def ntt(a: np.ndarray) -> np.ndarray:
    """Coefficients (n, 4) → evaluations at ω^0 … ω^(n−1) (new array; input untouched)."""
    return _transform(a, False, 0, _ONE, _ONE)


def intt(a: np.ndarray) -> np.ndarray:
    """Evaluations at ω^0 … ω^(n−1) → coefficients, including the 1/n scaling."""
    _check(a)
    return _transform(a, True, 1, _inv_n(a.shape[0]), _ONE)


def coset_ntt(a: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Coefficients → evaluations at shift·ω^i (coefficient j is scaled by shift^j first)."""
    return _transform(a, False, 2, _ONE, _elem(shift))


def coset_intt(a: np.ndarray, shift: np.ndarray, scale: int = 1) -> np.ndarray:
    """Evaluations at shift·ω^i → coefficients (shift must be non-zero), each times the
    integer ``scale`` (folded into the 1/n factor: free)."""
    _check(a)
    s = _elem(shift)
    if not s.any():
        raise ValueError("coset shift must be non-zero")
    sinv = convert.fr_scalar(pow(convert.fr_to_ints(s)[0], -1, R_MOD))
    c = convert.fr_scalar(pow(a.shape[0], -1, R_MOD) * scale % R_MOD)
    return _transform(a, True, 1, c, _ONE, post=sinv)
