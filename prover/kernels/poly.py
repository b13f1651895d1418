"""Polynomial helpers for the PLONK prover over Fr coefficient arrays.

A polynomial p(X) = Σ_i c_i X^i is an (n, 4) uint64 Montgomery array with row i
holding c_i (index = degree; trailing zero rows are allowed and harmless); a
field element z is a (4,) Montgomery array.

- ``evaluate(c, z)``: Horner, p(z) = c_0 + z(c_1 + z(c_2 + …)).  Long inputs are
  split into equal chunks of ``_CHUNK`` coefficients, each chunk evaluated by
  Horner on its own core, and the chunk values H_k combined as Σ_k H_k·(z^C)^k.
- ``div_by_linear(c, z)``: synthetic division p(X) = q(X)(X − z) + ρ, with
  q_{n−2} = c_{n−1}, q_{i−1} = c_i + z·q_i and ρ = c_0 + z·q_0 = p(z).  Returns
  (q, ρ) so a caller dividing p − p(z) can check ρ = 0.  Serial (a linear
  recurrence; on two cores a chunked scan would cost as much as it saves).
- ``mul_ntt(a, b)``: product through NTTs of size 2^k ≥ len(a) + len(b) − 1
  (pointwise product of the evaluations, then the inverse NTT).
- ``add``, ``sub`` (lengths may differ: the shorter is zero-extended), ``scale``.
- ``eval_vanishing(n, z)`` = z^n − 1 = Z_H(z) for the n-point domain H.
- ``divide_by_vanishing_on_coset(e, n, g)``: given e_i = f(g·ω_N^i) on a coset
  of the N-point domain (n | N), returns f/Z_H at the same points.  There
  Z_H(g·ω_N^i) = g^n·ω_k^i − 1 with ω_k = ω_N^n a primitive k = N/n-th root,
  so only k distinct denominators exist: k inversions, then one multiply each.
"""

import numpy as np
from numba import njit

from verifier.fields import R_MOD, root_of_unity

from . import convert, fr
from . import ntt as _ntt
from .backend import switchable
from .fr import ONE0, ONE1, ONE2, ONE3, add as _fadd, mul, pow_, sub as _fsub
from .threads import parallel_for

__all__ = [
    "evaluate", "div_by_linear", "mul_ntt", "add", "sub", "scale",
    "eval_vanishing", "divide_by_vanishing_on_coset",
]

Z = np.uint64(0)
_CHUNK = 8192          # elements per parallel chunk; up to 2 chunks run on the calling thread


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _horner(c, z, lo, hi):
    """Σ_{lo ≤ i < hi} c_i z^(i − lo)."""
    r0, r1, r2, r3 = Z, Z, Z, Z
    for i in range(hi - 1, lo - 1, -1):
        r0, r1, r2, r3 = mul(r0, r1, r2, r3, z[0], z[1], z[2], z[3])
        r0, r1, r2, r3 = _fadd(r0, r1, r2, r3, c[i, 0], c[i, 1], c[i, 2], c[i, 3])
    return r0, r1, r2, r3


@njit(cache=True, nogil=True)
def _horner_parts(c, z, parts, lo, hi):
    """parts[k] = Σ_{i in chunk k} c_i z^(i − k·_CHUNK) for chunks lo ≤ k < hi."""
    n = c.shape[0]
    for k in range(lo, hi):
        parts[k, 0], parts[k, 1], parts[k, 2], parts[k, 3] = _horner(
            c, z, k * _CHUNK, min(n, (k + 1) * _CHUNK))


@switchable
def evaluate(coeffs: np.ndarray, z: np.ndarray) -> np.ndarray:
    """p(z) as a (4,) Montgomery array (0 for the empty polynomial).

    Horner per chunk of ``_CHUNK`` coefficients (all threads beyond two chunks), then
    p(z) = Σₖ partₖ·(z^CHUNK)ᵏ over the few chunk values with Python ints."""
    coeffs = np.ascontiguousarray(coeffs, dtype=np.uint64).reshape(-1, 4)
    z = np.ascontiguousarray(z, dtype=np.uint64).reshape(4)
    nchunks = max(1, -(-coeffs.shape[0] // _CHUNK))
    parts = np.zeros((nchunks, 4), dtype=np.uint64)
    if nchunks <= 2:
        _horner_parts(coeffs, z, parts, 0, nchunks)
    else:
        parallel_for(_horner_parts, nchunks, coeffs, z, parts)
    if nchunks == 1:
        return parts[0]
    zc = pow(convert.fr_to_ints(z)[0], _CHUNK, R_MOD)
    acc = 0
    for part in reversed(convert.fr_to_ints(parts)):
        acc = (acc * zc + part) % R_MOD
    return convert.fr_scalar(acc)


@njit(cache=True)
def _div_by_linear(c, z):
    n = c.shape[0]
    q = np.empty((max(n - 1, 0), 4), dtype=np.uint64)
    s0, s1, s2, s3 = Z, Z, Z, Z          # running s_i = c_i + z·s_{i+1}
    for i in range(n - 1, 0, -1):
        s0, s1, s2, s3 = mul(s0, s1, s2, s3, z[0], z[1], z[2], z[3])
        s0, s1, s2, s3 = _fadd(s0, s1, s2, s3, c[i, 0], c[i, 1], c[i, 2], c[i, 3])
        q[i - 1, 0], q[i - 1, 1], q[i - 1, 2], q[i - 1, 3] = s0, s1, s2, s3
    rem = np.zeros(4, dtype=np.uint64)
    if n > 0:
        s0, s1, s2, s3 = mul(s0, s1, s2, s3, z[0], z[1], z[2], z[3])
        rem[0], rem[1], rem[2], rem[3] = _fadd(s0, s1, s2, s3, c[0, 0], c[0, 1], c[0, 2], c[0, 3])
    return q, rem


@switchable
def div_by_linear(coeffs: np.ndarray, z: np.ndarray):
    """(q, ρ) with p(X) = q(X)·(X − z) + ρ; q has n − 1 rows, ρ = p(z) is (4,)."""
    coeffs = np.ascontiguousarray(coeffs, dtype=np.uint64).reshape(-1, 4)
    z = np.ascontiguousarray(z, dtype=np.uint64).reshape(4)
    return _div_by_linear(coeffs, z)


@njit(cache=True, nogil=True)
def _add_sub_range(a, b, out, negate_b, lo, hi):
    """out[i] = a[i] ± b[i] for lo ≤ i < hi, the shorter operand zero-extended."""
    na, nb = a.shape[0], b.shape[0]
    for i in range(lo, hi):
        u0, u1, u2, u3 = Z, Z, Z, Z
        v0, v1, v2, v3 = Z, Z, Z, Z
        if i < na:
            u0, u1, u2, u3 = a[i, 0], a[i, 1], a[i, 2], a[i, 3]
        if i < nb:
            v0, v1, v2, v3 = b[i, 0], b[i, 1], b[i, 2], b[i, 3]
        if negate_b:
            out[i, 0], out[i, 1], out[i, 2], out[i, 3] = _fsub(u0, u1, u2, u3, v0, v1, v2, v3)
        else:
            out[i, 0], out[i, 1], out[i, 2], out[i, 3] = _fadd(u0, u1, u2, u3, v0, v1, v2, v3)


def _add_sub(a, b, negate_b):
    out = np.empty((max(a.shape[0], b.shape[0]), 4), dtype=np.uint64)
    if out.shape[0] <= 2 * _CHUNK:
        _add_sub_range(a, b, out, negate_b, 0, out.shape[0])
    else:
        parallel_for(_add_sub_range, out.shape[0], a, b, out, negate_b,
                     chunks=-(-out.shape[0] // _CHUNK))
    return out


def _poly(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.uint64).reshape(-1, 4)


def add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a(X) + b(X); the result has max(len a, len b) coefficients."""
    return _add_sub(_poly(a), _poly(b), False)


def sub(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a(X) − b(X); the result has max(len a, len b) coefficients."""
    return _add_sub(_poly(a), _poly(b), True)


def scale(a: np.ndarray, s: np.ndarray) -> np.ndarray:
    """s·a(X) for one element s, shape (4,)."""
    return fr.scale_vec(_poly(a), np.ascontiguousarray(s, dtype=np.uint64).reshape(4))


def mul_ntt(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a(X)·b(X) with len(a) + len(b) − 1 coefficients (empty if either is empty)."""
    a, b = _poly(a), _poly(b)
    if a.shape[0] == 0 or b.shape[0] == 0:
        return np.zeros((0, 4), dtype=np.uint64)
    m = a.shape[0] + b.shape[0] - 1
    size = 1 << (m - 1).bit_length()
    pa = np.zeros((size, 4), dtype=np.uint64)
    pb = np.zeros((size, 4), dtype=np.uint64)
    pa[:a.shape[0]] = a
    pb[:b.shape[0]] = b
    return _ntt.intt(fr.mul_vec(_ntt.ntt(pa), _ntt.ntt(pb)))[:m].copy()


@njit(cache=True)
def _vanishing(n, z):
    out = np.empty(4, dtype=np.uint64)
    p0, p1, p2, p3 = pow_(z[0], z[1], z[2], z[3], np.uint64(n), Z, Z, Z)
    out[0], out[1], out[2], out[3] = _fsub(p0, p1, p2, p3, ONE0, ONE1, ONE2, ONE3)
    return out


def eval_vanishing(n: int, z: np.ndarray) -> np.ndarray:
    """Z_H(z) = z^n − 1 for the n-point domain H (n < 2^64)."""
    if not 0 <= n < 1 << 64:
        raise ValueError("domain size must be in [0, 2^64)")
    return _vanishing(n, np.ascontiguousarray(z, dtype=np.uint64).reshape(4))


@njit(cache=True, nogil=True)
def _mul_cyclic_range(e, dinv, out, lo, hi):
    """out[i] = e[i]·dinv[i mod k] for lo ≤ i < hi, k = len(dinv) a power of two."""
    mask = dinv.shape[0] - 1
    for i in range(lo, hi):
        j = i & mask
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = mul(
            e[i, 0], e[i, 1], e[i, 2], e[i, 3], dinv[j, 0], dinv[j, 1], dinv[j, 2], dinv[j, 3])


def _mul_cyclic(e, dinv):
    out = np.empty_like(e)
    if e.shape[0] <= 2 * _CHUNK:
        _mul_cyclic_range(e, dinv, out, 0, e.shape[0])
    else:
        parallel_for(_mul_cyclic_range, e.shape[0], e, dinv, out, chunks=-(-e.shape[0] // _CHUNK))
    return out


def divide_by_vanishing_on_coset(evals: np.ndarray, n: int, shift: np.ndarray) -> np.ndarray:
    """e_i / Z_H(shift·ω_N^i) for evaluations on the coset shift·{ω_N^i}, N = len(evals).

    N and n must be powers of two with n ≤ N; raises ``ValueError`` if some
    denominator is zero (the coset meets H).
    """
    e = _poly(evals)
    big = e.shape[0]
    if big == 0 or big & (big - 1) or n <= 0 or n & (n - 1) or n > big:
        raise ValueError("need powers of two n ≤ N = len(evals)")
    k = big // n
    s = np.ascontiguousarray(shift, dtype=np.uint64).reshape(4)
    gn = fr.pow1(s, np.array([n, 0, 0, 0], dtype=np.uint64))                  # shift^n
    wk = convert.fr_scalar(root_of_unity(k.bit_length() - 1))                 # ω_N^n
    den = fr.sub_vec(fr.scale_vec(fr.powers(wk, k), gn), np.tile(fr.ONE_LIMBS, (k, 1)))
    if not den.any(axis=1).all():
        raise ValueError("the coset meets the domain: Z_H vanishes there")
    return _mul_cyclic(e, fr.inv_vec(den))
