"""Fused PLONK kernels: permutation fractions, grand product, quotient on the coset, axpy.

All inputs are (n, 4) Fr Montgomery arrays; challenges are (4,) elements.
The row loops are nogil kernels over index ranges, run on all cores by
``threads.parallel_for`` (one compiled function serves every size).

* ``permutation_fractions`` — for each row i (GWC19 round 2):
      numᵢ = (aᵢ + βωⁱ + γ)(bᵢ + βk₁ωⁱ + γ)(cᵢ + βk₂ωⁱ + γ)
      denᵢ = (aᵢ + βσ₁ᵢ + γ)(bᵢ + βσ₂ᵢ + γ)(cᵢ + βσ₃ᵢ + γ)
* ``grand_product`` — z₀ = 1, zᵢ₊₁ = zᵢ·numᵢ·denᵢ⁻¹, and the full product
  (1 exactly when the copy constraints hold).
* ``quotient_part`` — the quotient's numerator on part k (0 ≤ k < 4) of the 4n
  coset: the n points xⱼ = h·ωʲ, h = g·ω₄ₙᵏ (GWC19 round 3), i.e. the coset's
  points 4j + k, whose preprocessed values (4n arrays) are read at row 4j + k:
      N(x) = a b qM + a qL + b qR + c qO + PI + qC
           + α[(a+βx+γ)(b+βk₁x+γ)(c+βk₂x+γ)·z(x) − (a+βσ₁+γ)(b+βσ₂+γ)(c+βσ₃+γ)·z(xω)
               + α(z(x) − 1)L₀(x)]
  a, b, c, z are that part's values (n rows; z(xω) is the next row); βx is stepped
  by one multiplication a row.  PI is either read (a 4n array ``pi``) or, for a few
  public inputs, summed in the row as Σᵢ (−pubᵢ)·L₀ at row 4((j − i) mod n) + k
  (Lᵢ(x) = L₀(ω⁻ⁱx)).  Z_H(x) = hⁿ − 1 is constant on a part, so the division is
  left to the caller (folded into the part's inverse NTT).
* ``combine_parts`` — the four parts' inverse transforms Uₖ = Σₘ (hₖⁿ)ᵐ·Tₘ
  (hₖⁿ = gⁿω₄ᵏ, Tₘ the m-th n coefficients of t) → t: a 4-point inverse DFT per
  index, Tₘ = g^(−nm)·Σₖ ω₄^(−km)·Uₖ (the 1/4 already in Uₖ).
* ``axpy`` — acc[:len(x)] += s·x in place, the building block of the
  linearisation and opening polynomials.
"""

import numpy as np
from numba import njit

from .backend import switchable
from .fr import PARALLEL_MIN, Z, add, add_vec, mul_ti, pow_, sub
from .threads import num_threads, parallel_for

__all__ = ["permutation_fractions", "grand_product", "quotient_part", "combine_parts", "axpy",
           "add_const"]


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _ld(x, i):
    return x[i, 0], x[i, 1], x[i, 2], x[i, 3]


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _ld1(x):
    """One element of shape (4,) as a tuple (a constant index would make Numba compile
    ``_ld`` once more for the literal 0)."""
    return x[0], x[1], x[2], x[3]


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _m(x, y):
    return mul_ti(x, y)


@njit(cache=True, inline="always")
def _mi(x, y):
    """``_m`` inlined (Numba IR inlining) at each call site: in ``_quotient_part``, the hot
    row loop of the proof, about a quarter less CPU time for ~1.5 s more cold compile."""
    return mul_ti(x, y)


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _a(x, y):
    return add(x[0], x[1], x[2], x[3], y[0], y[1], y[2], y[3])


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _s(x, y):
    return sub(x[0], x[1], x[2], x[3], y[0], y[1], y[2], y[3])


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _st(out, i, v):
    out[i, 0], out[i, 1], out[i, 2], out[i, 3] = v[0], v[1], v[2], v[3]


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _lin(w, beta, x, gamma):
    """w + β·x + γ."""
    return _a(_a(w, _m(beta, x)), gamma)


def _rows(kernel, n, *args):
    """kernel(*args, lo, hi) over the n rows: this thread below PARALLEL_MIN, else all threads
    (a few chunks per thread, so a preempted thread delays only its current chunk)."""
    if n < PARALLEL_MIN:
        kernel(*args, 0, n)
    else:
        parallel_for(kernel, n, *args, chunks=4 * num_threads())


@njit(cache=True, nogil=True)
def _fractions(a, b, c, s1, s2, s3, omegas, beta, gamma, k1, k2, num, den, lo, hi):
    be, ga = _ld1(beta), _ld1(gamma)
    bk1, bk2 = _m(be, _ld1(k1)), _m(be, _ld1(k2))
    for i in range(lo, hi):
        ai, bi, ci, w = _ld(a, i), _ld(b, i), _ld(c, i), _ld(omegas, i)
        nu = _m(_m(_lin(ai, be, w, ga), _lin(bi, bk1, w, ga)), _lin(ci, bk2, w, ga))
        de = _m(_m(_lin(ai, be, _ld(s1, i), ga), _lin(bi, be, _ld(s2, i), ga)),
                _lin(ci, be, _ld(s3, i), ga))
        _st(num, i, nu)
        _st(den, i, de)


@switchable
def permutation_fractions(a, b, c, s1, s2, s3, omegas, beta, gamma, k1, k2):
    """(num, den): the per-row numerators and denominators of z's fractions."""
    num = np.empty_like(a)
    den = np.empty_like(a)
    _rows(_fractions, a.shape[0], a, b, c, s1, s2, s3, omegas, beta, gamma, k1, k2, num, den)
    return num, den


@njit(cache=True)
def _grand_product(num, den_inv, one):
    n = num.shape[0]
    z = np.empty_like(num)
    acc = _ld1(one)
    for i in range(n):
        _st(z, i, acc)
        acc = _m(acc, _m(_ld(num, i), _ld(den_inv, i)))
    total = np.empty(4, dtype=np.uint64)
    total[0], total[1], total[2], total[3] = acc
    return z, total


@switchable
def grand_product(num, den_inv, one):
    """z values on H and the product of all n fractions."""
    return _grand_product(num, den_inv, one)


@njit(cache=True, nogil=True)
def _quotient_part(a, b, c, z, qm, ql, qr, qo, qc, s1, s2, s3, l0, pub, pi, k, h, w,
                   beta, gamma, alpha, k1, k2, one, t, lo, hi):
    """Rows j = lo … hi − 1 of part k: the numerator at xⱼ = h·wʲ (module docstring)."""
    n = a.shape[0]
    be, ga, al = _ld1(beta), _ld1(gamma), _ld1(alpha)
    k1v, k2v = _ld1(k1), _ld1(k2)
    o = _ld1(one)
    wv = _ld1(w)
    npub = pub.shape[0]
    full_pi = pi.shape[0] > 0
    bx = _m(be, _m(_ld1(h), pow_(w[0], w[1], w[2], w[3], np.uint64(lo), Z, Z, Z)))   # β·x_lo
    for j in range(lo, hi):
        r = 4 * j + k
        ai, bi, ci, zi = _ld(a, j), _ld(b, j), _ld(c, j), _ld(z, j)
        zw = _ld(z, j + 1 if j + 1 < n else 0)
        if full_pi:
            p = _ld(pi, r)
        else:
            p = (Z, Z, Z, Z)
            for i in range(npub):                 # Lᵢ(xⱼ) = L₀ at row 4((j − i) mod n) + k
                p = _a(p, _m(_ld(pub, i), _ld(l0, 4 * ((j - i + n) % n) + k)))
        gate = _a(_a(_a(_mi(_mi(ai, bi), _ld(qm, r)), _mi(ai, _ld(ql, r))),
                     _a(_mi(bi, _ld(qr, r)), _mi(ci, _ld(qo, r)))),
                  _a(p, _ld(qc, r)))
        p1 = _mi(_mi(_mi(_a(_a(ai, bx), ga), _a(_a(bi, _mi(k1v, bx)), ga)),
                   _a(_a(ci, _mi(k2v, bx)), ga)), zi)
        p2 = _mi(_mi(_mi(_a(_a(ai, _mi(be, _ld(s1, r))), ga), _a(_a(bi, _mi(be, _ld(s2, r))), ga)),
                     _a(_a(ci, _mi(be, _ld(s3, r))), ga)), zw)
        l0t = _mi(_s(zi, o), _ld(l0, r))
        _st(t, j, _a(gate, _mi(al, _a(_s(p1, p2), _mi(al, l0t)))))
        bx = _mi(bx, wv)


@switchable
def quotient_part(a, b, c, z, qm, ql, qr, qo, qc, s1, s2, s3, l0, pub, pi, k, h, w,
                  beta, gamma, alpha, k1, k2, one):
    """The quotient's numerator on part k of the 4n coset (module docstring), one row per point."""
    t = np.empty_like(a)
    _rows(_quotient_part, a.shape[0], a, b, c, z, qm, ql, qr, qo, qc, s1, s2, s3, l0, pub, pi,
          k, h, w, beta, gamma, alpha, k1, k2, one, t)
    return t


@njit(cache=True, nogil=True)
def _combine(u0, u1, u2, u3, w4inv, gs, t, lo, hi):
    n = u0.shape[0]
    wi = _ld1(w4inv)
    g1, g2, g3 = _ld(gs, 1), _ld(gs, 2), _ld(gs, 3)
    for j in range(lo, hi):
        x0, x1, x2, x3 = _ld(u0, j), _ld(u1, j), _ld(u2, j), _ld(u3, j)
        e, f = _a(x0, x2), _s(x0, x2)
        g, d = _a(x1, x3), _m(wi, _s(x1, x3))
        _st(t, j, _a(e, g))
        _st(t, n + j, _m(g1, _a(f, d)))
        _st(t, 2 * n + j, _m(g2, _s(e, g)))
        _st(t, 3 * n + j, _m(g3, _s(f, d)))


@switchable
def combine_parts(u0, u1, u2, u3, w4inv, gs):
    """t (4n coefficients) from the four parts' Uₖ: t[m·n + j] = gsₘ·Σₖ ω₄^(−km)·Uₖ[j]
    (``w4inv`` = ω₄⁻¹, ``gs``: (4, 4) with gsₘ = g^(−nm) for m = 1, 2, 3)."""
    n = u0.shape[0]
    t = np.empty((4 * n, 4), dtype=np.uint64)
    _rows(_combine, n, u0, u1, u2, u3, w4inv, gs, t)
    return t


@njit(cache=True, nogil=True)
def _axpy(acc, x, s, lo, hi):
    sv = _ld1(s)
    for i in range(lo, hi):
        _st(acc, i, _a(_ld(acc, i), _m(sv, _ld(x, i))))


@switchable
def axpy(acc, x, s):
    """acc[i] += s·x[i] for i < len(x), in place."""
    _rows(_axpy, x.shape[0], acc, x, s)


def add_const(acc, k):
    """acc[0] += k (a constant term), in place."""
    acc[:1] = add_vec(acc[:1], np.ascontiguousarray(k, dtype=np.uint64).reshape(1, 4))
