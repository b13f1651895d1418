"""Fused PLONK kernels: permutation fractions, grand product, quotient on the coset, axpy.

All inputs are (n, 4) Fr Montgomery arrays; challenges are (4,) elements.
The row loops are nogil kernels over index ranges, run on all cores by
``threads.parallel_for`` (one compiled function serves every size).

* ``permutation_fractions`` — for each row i (GWC19 round 2):
      numᵢ = (aᵢ + βωⁱ + γ)(bᵢ + βk₁ωⁱ + γ)(cᵢ + βk₂ωⁱ + γ)
      denᵢ = (aᵢ + βσ₁ᵢ + γ)(bᵢ + βσ₂ᵢ + γ)(cᵢ + βσ₃ᵢ + γ)
* ``grand_product`` — z₀ = 1, zᵢ₊₁ = zᵢ·numᵢ·denᵢ⁻¹, and the full product
  (1 exactly when the copy constraints hold).
* ``quotient_evals`` — on the coset points xᵢ = g·ω₄ₙⁱ (GWC19 round 3; xᵢ is
  stepped in the kernel, one multiplication a row, instead of read from a 4n array):
      t(x) = [ a b qM + a qL + b qR + c qO + PI + qC
             + α((a+βx+γ)(b+βk₁x+γ)(c+βk₂x+γ)·z(x) − (a+βσ₁+γ)(b+βσ₂+γ)(c+βσ₃+γ)·z(xω))
             + α²(z(x) − 1)L₀(x) ] / Z_H(x)
  where z(xω) is z's evaluation four slots later (ωₙ = ω₄ₙ⁴) and Z_H(x) = gⁿω₄ⁱ − 1
  takes four values, passed inverted.
* ``axpy`` — acc[:len(x)] += s·x in place, the building block of the
  linearisation and opening polynomials.
"""

import numpy as np
from numba import njit

from .backend import switchable
from .fr import PARALLEL_MIN, Z, add, add_vec, mul_ti, pow_, sub
from .threads import num_threads, parallel_for

__all__ = ["permutation_fractions", "grand_product", "quotient_evals", "axpy", "add_const"]


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
def _quotient(a, b, c, z, qm, ql, qr, qo, qc, s1, s2, s3, pi, l0, g, w, zh_inv,
              beta, gamma, alpha, k1, k2, one, t, lo, hi):
    N = a.shape[0]
    be, ga, al = _ld1(beta), _ld1(gamma), _ld1(alpha)
    bk1, bk2 = _m(be, _ld1(k1)), _m(be, _ld1(k2))
    al2 = _m(al, al)
    o = _ld1(one)
    wv = _ld1(w)
    xi = _m(_ld1(g), pow_(w[0], w[1], w[2], w[3], np.uint64(lo), Z, Z, Z))     # g·ω^lo
    for i in range(lo, hi):
        ai, bi, ci, zi = _ld(a, i), _ld(b, i), _ld(c, i), _ld(z, i)
        zw = _ld(z, (i + 4) % N)
        gate = _a(_a(_a(_m(_m(ai, bi), _ld(qm, i)), _m(ai, _ld(ql, i))),
                     _a(_m(bi, _ld(qr, i)), _m(ci, _ld(qo, i)))),
                  _a(_ld(pi, i), _ld(qc, i)))
        p1 = _m(_m(_m(_lin(ai, be, xi, ga), _lin(bi, bk1, xi, ga)), _lin(ci, bk2, xi, ga)), zi)
        p2 = _m(_m(_m(_lin(ai, be, _ld(s1, i), ga), _lin(bi, be, _ld(s2, i), ga)),
                   _lin(ci, be, _ld(s3, i), ga)), zw)
        l0t = _m(_s(zi, o), _ld(l0, i))
        num = _a(_a(gate, _m(al, _s(p1, p2))), _m(al2, l0t))
        _st(t, i, _m(num, _ld(zh_inv, i % 4)))
        xi = _m(xi, wv)


@switchable
def quotient_evals(a, b, c, z, qm, ql, qr, qo, qc, s1, s2, s3, pi, l0, g, w, zh_inv,
                   beta, gamma, alpha, k1, k2, one):
    """t(x) on the 4n coset xᵢ = g·wⁱ (w = ω₄ₙ; see the module docstring), one row per point."""
    t = np.empty_like(a)
    _rows(_quotient, a.shape[0], a, b, c, z, qm, ql, qr, qo, qc, s1, s2, s3, pi, l0, g, w, zh_inv,
          beta, gamma, alpha, k1, k2, one, t)
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
