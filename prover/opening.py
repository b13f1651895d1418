"""Rounds 4 and 5: evaluations at ζ, the linearisation polynomial and the KZG openings.

snarkjs's linearisation keeps the constant r₀ inside, so R(ζ) = 0:

  R(X) = āb̄·qM + ā·qL + b̄·qR + c̄·qO + qC
       + [α(ā+βζ+γ)(b̄+βk₁ζ+γ)(c̄+βk₂ζ+γ) + α²L₀(ζ)]·z
       − αβz̄ω(ā+βs̄₁+γ)(b̄+βs̄₂+γ)·σ₃
       − Z_H(ζ)·(T1 + ζⁿ·T2 + ζ²ⁿ·T3) + r₀

  Wζ  = [R + v(a − ā) + v²(b − b̄) + v³(c − c̄) + v⁴(σ₁ − s̄₁) + v⁵(σ₂ − s̄₂)] / (X − ζ)
  Wζω = (z − z̄ω) / (X − ζω)

r₀, L₀(ζ) and PI(ζ) come from the verifier's own functions, so both sides use
one formula.
"""

import numpy as np

from verifier.fields import R_MOD
from verifier.verify import Challenges, lagrange_evals, public_input_eval, r0

from .kernels import plonk, poly
from .kernels.convert import fr_scalar, fr_to_ints

__all__ = ["evaluate", "linearisation", "open_at", "check_exact"]


def evaluate(coeffs: np.ndarray, x: int) -> int:
    return fr_to_ints(poly.evaluate(coeffs, fr_scalar(x)))[0]


def _combine(length: int, terms) -> np.ndarray:
    acc = np.zeros((length, 4), dtype=np.uint64)
    for s, p in terms:
        plonk.axpy(acc, p, fr_scalar(s % R_MOD))
    return acc


def linearisation(pk, polys, public, ev, ch: Challenges) -> np.ndarray:
    """Coefficients of R(X) (length n + 6)."""
    n, dom = pk.domain.n, pk.domain
    zeta, beta, gamma, alpha = ch.zeta, ch.beta, ch.gamma, ch.alpha
    zh = (pow(zeta, n, R_MOD) - 1) % R_MOD
    lag = lagrange_evals(zeta, zh, n, dom.omega, pk.vk.n_public)
    pi = public_input_eval(public, lag)
    k1, k2 = pk.vk.k1, pk.vk.k2
    a_, b_, c_ = ev.eval_a, ev.eval_b, ev.eval_c
    z_coef = (alpha * (a_ + beta * zeta + gamma) * (b_ + beta * k1 * zeta + gamma)
              * (c_ + beta * k2 * zeta + gamma) + alpha * alpha * lag[0])
    s3_coef = -(alpha * beta * ev.eval_zw * (a_ + beta * ev.eval_s1 + gamma)
                * (b_ + beta * ev.eval_s2 + gamma))
    zn = pow(zeta, n, R_MOD)
    R = _combine(n + 6, [
        (a_ * b_, pk.coeffs["qm"]), (a_, pk.coeffs["ql"]), (b_, pk.coeffs["qr"]),
        (c_, pk.coeffs["qo"]), (1, pk.coeffs["qc"]), (z_coef, polys["z"]),
        (s3_coef, pk.coeffs["s3"]), (-zh, polys["T1"]), (-zh * zn, polys["T2"]),
        (-zh * zn * zn, polys["T3"])])
    plonk.add_const(R, fr_scalar(r0(ev, ch, pi, lag[0])))
    return R


def open_at(R, polys, pk, ev, ch: Challenges):
    """(Wζ, Wζω) coefficient arrays; asserts both divisions are exact."""
    n = pk.domain.n
    v = ch.v
    vs = [pow(v, k, R_MOD) for k in range(1, 6)]
    num = _combine(n + 6, [(1, R)] + list(zip(vs, (polys["a"], polys["b"], polys["c"],
                                                     pk.coeffs["s1"], pk.coeffs["s2"]))))
    const = -sum(x * e for x, e in zip(vs, (ev.eval_a, ev.eval_b, ev.eval_c, ev.eval_s1, ev.eval_s2)))
    plonk.add_const(num, fr_scalar(const % R_MOD))
    w_zeta, rem = poly.div_by_linear(num, fr_scalar(ch.zeta))
    zw = np.array(polys["z"], copy=True)
    plonk.add_const(zw, fr_scalar(-ev.eval_zw % R_MOD))
    w_zeta_omega, rem2 = poly.div_by_linear(zw, fr_scalar(ch.zeta * pk.domain.omega % R_MOD))
    check_exact(rem, rem2)
    return w_zeta, w_zeta_omega


def check_exact(*remainders) -> None:
    """Both openings divide exactly (R(ζ) = 0 and the claimed evaluations are the real ones)."""
    if any(np.asarray(r).any() for r in remainders):
        raise ValueError("opening division is not exact: inconsistent evaluations")
