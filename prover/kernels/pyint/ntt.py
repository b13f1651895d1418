"""The NTT on Python ints: ``ntt._transform`` (every NTT variant goes through it).

Same contract as the kernel (see ``ntt.py``): x[bitrev(i)] = a[src(i)]·f(i) with
src(i) = i, or (n − i) mod n for the inverse, f = 1, c or c·gⁱ by ``mode``, then
the radix-2 decimation-in-time stages with ω = ``root_of_unity(log n)``, then
(the coset inverse) x[i] ← x[i]·postⁱ.

A stage of span 2m pairs (k + j, k + j + m).  It runs as list comprehensions
over slices: for the early stages (m small) one strided slice per twiddle index
j, x[j::2m] and x[j+m::2m], all multiplied by the same ω_{2m}^j; for the late
stages one contiguous slice per block k, multiplied elementwise by the stage's
twiddle list.  Either way a stage costs at most √(n/2) interpreted loop turns;
the n/2 multiplications run inside the comprehensions.
"""

from verifier.fields import R_MOD, root_of_unity

from ..backend import implements
from .field import FR

__all__ = ["dft", "bit_reversal"]

_PERM = {}
_STAGES = {}


def bit_reversal(logn: int) -> list:
    """The permutation i ↦ bitrev(i) on log n bits (cached per size)."""
    perm = _PERM.get(logn)
    if perm is None:
        perm = [0]
        for _ in range(logn):
            perm = [2 * i for i in perm] + [2 * i + 1 for i in perm]
        _PERM[logn] = perm
    return perm


def _stage_twiddles(logn: int) -> list:
    """For each stage m = 1, 2, …, n/2: [ω_{2m}^j for j < m] (cached per size)."""
    stages = _STAGES.get(logn)
    if stages is None:
        stages, m = [], 1
        while m < (1 << logn):
            w = root_of_unity(m.bit_length())          # ω_{2m}
            tw, cur = [], 1
            for _ in range(m):
                tw.append(cur)
                cur = cur * w % R_MOD
            stages.append(tw)
            m *= 2
        _STAGES[logn] = stages
    return stages


def dft(vals: list, logn: int) -> list:
    """[Σ_j vals_j·ω^(ij)] for n = 2^logn values mod r, ω = root_of_unity(logn).

    Sums and differences are left unreduced until the end: a stage adds at most a
    reduced product or doubles a value, so after all stages |x| < 2^logn·r, and the
    products' remainders stay cheap; twiddle 1 (j = 0) is not multiplied at all."""
    r = R_MOD
    x = [vals[i] for i in bit_reversal(logn)]
    n = 1 << logn
    for tw in _stage_twiddles(logn):
        m = len(tw)
        step = 2 * m
        if m * m <= n:
            for j in range(m):
                t = tw[j]
                u = x[j::step]
                v = x[j + m::step] if j == 0 else [h * t % r for h in x[j + m::step]]
                x[j::step] = [p + q for p, q in zip(u, v)]
                x[j + m::step] = [p - q for p, q in zip(u, v)]
        else:
            for k in range(0, n, step):
                u = x[k:k + m]
                v = [h * t % r for h, t in zip(x[k + m:k + step], tw)]
                x[k:k + m] = [p + q for p, q in zip(u, v)]
                x[k + m:k + step] = [p - q for p, q in zip(u, v)]
    return [v % r for v in x]


def _geometric(vals: list, g: int) -> list:
    """[vals_i·gⁱ]."""
    out, cur = [], 1
    for x in vals:
        out.append(x * cur % R_MOD)
        cur = cur * g % R_MOD
    return out


@implements("ntt._transform")
def transform(a, reverse, mode, c, g, post=None):
    logn = a.shape[0].bit_length() - 1
    vals = FR.values(a)
    if reverse:
        vals = vals[:1] + vals[:0:-1]
    if mode == 2:
        vals = _geometric(vals, FR.one_value(g))
    x = dft(vals, logn)
    if post is not None:
        x = _geometric(x, FR.one_value(post))
    return FR.montgomery(x, FR.one_value(c) if mode else 1)
