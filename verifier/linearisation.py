"""The linearisation polynomial's scalars: one function for the prover and the verifier.

snarkjs's linearisation keeps the constant r₀ inside, so R(ζ) = 0 (GWC19 §8.3
with snarkjs's arrangement):

  R(X) = āb̄·qM + ā·qL + b̄·qR + c̄·qO + 1·qC
       + [α(ā+βζ+γ)(b̄+βk₁ζ+γ)(c̄+βk₂ζ+γ) + α²L₀(ζ)]·z
       − αβz̄ω(ā+βs̄₁+γ)(b̄+βs̄₂+γ)·σ₃
       − Z_H(ζ)·T1 − Z_H(ζ)ζⁿ·T2 − Z_H(ζ)ζ²ⁿ·T3
       + r₀,          r₀ = PI(ζ) − α²L₀(ζ) − α(ā+βs̄₁+γ)(b̄+βs̄₂+γ)(c̄+γ)z̄ω

with Z_H(ζ) = ζⁿ − 1, L_i(ζ) = ωⁱ·Z_H(ζ)/(n(ζ − ωⁱ)) and PI(ζ) = −Σ pubᵢ·L_i(ζ)
(public inputs sit in column a of rows 0…ℓ−1).

``linearise`` returns the scalar of each term and r₀ as a ``Linearisation``.
The prover combines the scalars with the polynomials' coefficients to build
R(X); the verifier combines the same scalars with the commitments to get
[D]₁ and uses r₀ in [E]₁.  Neither side writes the formula again.
"""

from dataclasses import dataclass

from .fields import R_MOD
from .proof import Evaluations
from .transcript import Challenges

__all__ = ["Linearisation", "linearise", "vanishing_eval", "lagrange_evals",
           "public_input_eval", "r0"]


def vanishing_eval(zeta: int, n: int) -> int:
    """Z_H(ζ) = ζⁿ − 1."""
    return (pow(zeta, n, R_MOD) - 1) % R_MOD


def lagrange_evals(zeta: int, zh: int, n: int, omega: int, count: int) -> list:
    """L_i(ζ) = ωⁱ·Z_H(ζ)/(n(ζ − ωⁱ)) for i < count (at least L₀); ζ must not lie in H."""
    out, w = [], 1
    for _ in range(max(1, count)):
        out.append(w * zh * pow(n * (zeta - w), -1, R_MOD) % R_MOD)
        w = w * omega % R_MOD
    return out


def public_input_eval(public, lagrange) -> int:
    """PI(ζ) = −Σ pubᵢ·L_i(ζ)."""
    return -sum(x * l for x, l in zip(public, lagrange)) % R_MOD


def r0(ev: Evaluations, ch: Challenges, pi: int, l0: int) -> int:
    """The constant term of R(X)."""
    b, g, a = ch.beta, ch.gamma, ch.alpha
    perm = (ev.eval_a + b * ev.eval_s1 + g) * (ev.eval_b + b * ev.eval_s2 + g)
    return (pi - l0 * a * a - a * perm % R_MOD * (ev.eval_c + g) * ev.eval_zw) % R_MOD


@dataclass(frozen=True)
class Linearisation:
    """R(X) = Σ (scalar · term) + r₀ over the terms named as in the proving key and proof."""

    qm: int
    ql: int
    qr: int
    qo: int
    qc: int
    z: int
    s3: int
    T1: int
    T2: int
    T3: int
    r0: int


def linearise(vk, public, ev: Evaluations, ch: Challenges) -> Linearisation:
    """The scalars of R(X) for the statement (``vk``, ``public``); ζ must not lie in H."""
    n = vk.n
    a_, b_, c_ = ev.eval_a, ev.eval_b, ev.eval_c
    beta, gamma, alpha, zeta = ch.beta, ch.gamma, ch.alpha, ch.zeta
    zh = vanishing_eval(zeta, n)
    lag = lagrange_evals(zeta, zh, n, vk.omega, vk.n_public)
    z = (alpha * (a_ + beta * zeta + gamma) * (b_ + beta * vk.k1 * zeta + gamma)
         * (c_ + beta * vk.k2 * zeta + gamma) + alpha * alpha * lag[0])
    s3 = -(alpha * beta * ev.eval_zw * (a_ + beta * ev.eval_s1 + gamma)
           * (b_ + beta * ev.eval_s2 + gamma))
    zeta_n = (zh + 1) % R_MOD
    t1 = -zh
    t2 = t1 * zeta_n
    return Linearisation(
        qm=a_ * b_ % R_MOD, ql=a_, qr=b_, qo=c_, qc=1, z=z % R_MOD, s3=s3 % R_MOD,
        T1=t1 % R_MOD, T2=t2 % R_MOD, T3=t2 * zeta_n % R_MOD,
        r0=r0(ev, ch, public_input_eval(public, lag), lag[0]))
