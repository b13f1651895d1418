"""PLONK verifier, snarkjs 0.7 flavour (GWC19 §8.3, with snarkjs's linearisation).

A chain of pure functions named after the paper's steps:

 1–3  validate the proof's points, evaluations and public inputs (done by
      ``marshal``: on-curve, < r, counts) — here we only re-check lengths;
 4    ``compute_challenges``: β γ α ζ v u from the shared transcript schedule;
 5    ``vanishing_eval``: Z_H(ζ) = ζⁿ − 1;
 6    ``lagrange_evals``: L_i(ζ) = ωⁱ·Z_H(ζ) / (n·(ζ − ωⁱ));
 7    ``public_input_eval``: PI(ζ) = −Σ pubᵢ·L_i(ζ);
 8    ``r0``: the constant term of the linearisation,
        r₀ = PI(ζ) − α²L₀(ζ) − α(ā+βs̄₁+γ)(b̄+βs̄₂+γ)(c̄+γ)z̄ω;
 9    ``partial_commitment`` [D]₁ (linearisation commitment, with the u·[z] term
      of the batched opening folded in);
10    ``full_commitment`` [F]₁ = [D]₁ + v[a] + v²[b] + v³[c] + v⁴[σ₁] + v⁵[σ₂];
11    ``batch_evaluation`` [E]₁ = (−r₀ + vā + v²b̄ + v³c̄ + v⁴s̄₁ + v⁵s̄₂ + u·z̄ω)·[1]₁;
12    ``pairing_check``: e(−([Wζ] + u[Wζω]), [τ]₂) · e(ζ[Wζ] + uζω[Wζω] + [F] − [E], [1]₂) = 1.

``check`` returns a ``Verdict`` (``ok`` and a one-line ``reason``); ``verify``
returns a plain bool.  Neither raises on bad input: JSON dicts are parsed here
and any malformed field is a rejection with its reason.
"""

from dataclasses import dataclass

from . import transcript as ts
from .curve import G1_GEN, G2_GEN, g1_add, g1_lincomb, g1_neg, pairing_check as _pairing
from .fields import R_MOD
from .marshal import FormatError, Proof, VerifyingKey, parse_public

__all__ = [
    "Verdict", "Challenges", "verify", "check", "compute_challenges", "vanishing_eval",
    "lagrange_evals", "public_input_eval", "r0", "partial_commitment", "full_commitment",
    "batch_evaluation",
]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = "ok"

    def __bool__(self):
        return self.ok


@dataclass(frozen=True)
class Challenges:
    beta: int
    gamma: int
    alpha: int
    zeta: int
    v: int
    u: int


def compute_challenges(vk: VerifyingKey, public, proof: Proof) -> Challenges:
    """Step 4: replay the transcript schedule the prover followed."""
    beta = ts.beta_challenge(vk, public, proof.A, proof.B, proof.C)
    gamma = ts.gamma_challenge(beta)
    alpha = ts.alpha_challenge(beta, gamma, proof.Z)
    zeta = ts.zeta_challenge(alpha, proof.T1, proof.T2, proof.T3)
    v = ts.v_challenge(zeta, (proof.eval_a, proof.eval_b, proof.eval_c,
                              proof.eval_s1, proof.eval_s2, proof.eval_zw))
    u = ts.u_challenge(proof.Wxi, proof.Wxiw)
    return Challenges(beta, gamma, alpha, zeta, v, u)


def vanishing_eval(zeta: int, n: int) -> int:
    """Step 5: Z_H(ζ) = ζⁿ − 1."""
    return (pow(zeta, n, R_MOD) - 1) % R_MOD


def lagrange_evals(zeta: int, zh: int, n: int, omega: int, count: int) -> list:
    """Step 6: L_i(ζ) = ωⁱ·Z_H(ζ)/(n(ζ − ωⁱ)) for i < count (at least L₀)."""
    out, w = [], 1
    for _ in range(max(1, count)):
        out.append(w * zh * pow(n * (zeta - w), -1, R_MOD) % R_MOD)
        w = w * omega % R_MOD
    return out


def public_input_eval(public, lagrange) -> int:
    """Step 7: PI(ζ) = −Σ pubᵢ·L_i(ζ) (public inputs sit in column a of rows 0…ℓ−1)."""
    return -sum(x * l for x, l in zip(public, lagrange)) % R_MOD


def r0(proof: Proof, ch: Challenges, pi: int, l0: int) -> int:
    """Step 8: constant term of the linearisation polynomial."""
    b, g, a = ch.beta, ch.gamma, ch.alpha
    perm = (proof.eval_a + b * proof.eval_s1 + g) * (proof.eval_b + b * proof.eval_s2 + g)
    return (pi - l0 * a * a - a * perm % R_MOD * (proof.eval_c + g) * proof.eval_zw) % R_MOD


def partial_commitment(vk: VerifyingKey, proof: Proof, ch: Challenges, zh: int, l0: int):
    """Step 9: [D]₁, the linearisation's commitment plus u·[z]₁."""
    a_, b_, c_ = proof.eval_a, proof.eval_b, proof.eval_c
    beta, gamma, alpha, zeta = ch.beta, ch.gamma, ch.alpha, ch.zeta
    z_coef = (alpha * (a_ + beta * zeta + gamma) * (b_ + beta * vk.k1 * zeta + gamma)
              * (c_ + beta * vk.k2 * zeta + gamma) + alpha * alpha * l0 + ch.u)
    s3_coef = -((a_ + beta * proof.eval_s1 + gamma) * (b_ + beta * proof.eval_s2 + gamma)
                * alpha * beta * proof.eval_zw)
    zeta_n = (zh + 1) % R_MOD
    points = [vk.Qm, vk.Ql, vk.Qr, vk.Qo, vk.Qc, proof.Z, vk.S3, proof.T1, proof.T2, proof.T3]
    scalars = [a_ * b_, a_, b_, c_, 1, z_coef, s3_coef,
               -zh, -zh * zeta_n, -zh * zeta_n * zeta_n]
    return g1_lincomb(points, [s % R_MOD for s in scalars])


def full_commitment(vk: VerifyingKey, proof: Proof, ch: Challenges, D):
    """Step 10: [F]₁ = [D]₁ + v[a]₁ + v²[b]₁ + v³[c]₁ + v⁴[σ₁]₁ + v⁵[σ₂]₁."""
    vs = [pow(ch.v, k, R_MOD) for k in range(1, 6)]
    return g1_add(D, g1_lincomb([proof.A, proof.B, proof.C, vk.S1, vk.S2], vs))


def batch_evaluation(proof: Proof, ch: Challenges, r_0: int):
    """Step 11: [E]₁ = (−r₀ + Σ vᵏ·evalₖ + u·z̄ω)·[1]₁."""
    vs = [pow(ch.v, k, R_MOD) for k in range(1, 6)]
    evals = [proof.eval_a, proof.eval_b, proof.eval_c, proof.eval_s1, proof.eval_s2]
    e = (-r_0 + sum(v * x for v, x in zip(vs, evals)) + ch.u * proof.eval_zw) % R_MOD
    return g1_lincomb([G1_GEN], [e])


def _opening_pairing(vk, proof, ch, F, E) -> bool:
    """Step 12: e(−A₁, [τ]₂)·e(B₁, [1]₂) = 1 with A₁ = [Wζ]+u[Wζω], B₁ = ζ[Wζ]+uζω[Wζω]+[F]−[E]."""
    zeta_omega = ch.zeta * vk.omega % R_MOD
    A1 = g1_lincomb([proof.Wxi, proof.Wxiw], [1, ch.u])
    B1 = g1_add(g1_lincomb([proof.Wxi, proof.Wxiw], [ch.zeta, ch.u * zeta_omega % R_MOD]),
                g1_add(F, g1_neg(E)))
    return _pairing([(g1_neg(A1), vk.X_2), (B1, G2_GEN)])


def _parse(vk, public, proof):
    if isinstance(vk, dict):
        vk = VerifyingKey.from_json(vk)
    if isinstance(proof, dict):
        proof = Proof.from_json(proof)
    if not isinstance(vk, VerifyingKey):
        raise FormatError("verification key: wrong type")
    if not isinstance(proof, Proof):
        raise FormatError("proof: wrong type")
    public = parse_public(list(public) if isinstance(public, tuple) else public, vk.n_public)
    for k in ("eval_a", "eval_b", "eval_c", "eval_s1", "eval_s2", "eval_zw"):
        x = getattr(proof, k)
        if isinstance(x, bool) or not isinstance(x, int) or not 0 <= x < R_MOD:
            raise FormatError(f"proof.{k}: out of range")
    return vk, public, proof


def check(vk, public, proof) -> Verdict:
    """Verify, returning why a proof was rejected."""
    try:
        vk, public, proof = _parse(vk, public, proof)
    except FormatError as e:
        return Verdict(False, str(e))
    ch = compute_challenges(vk, public, proof)
    n = vk.n
    zh = vanishing_eval(ch.zeta, n)
    if zh == 0:
        return Verdict(False, "challenge ζ lies in the evaluation domain")
    lag = lagrange_evals(ch.zeta, zh, n, vk.omega, vk.n_public)
    pi = public_input_eval(public, lag)
    r_0 = r0(proof, ch, pi, lag[0])
    D = partial_commitment(vk, proof, ch, zh, lag[0])
    F = full_commitment(vk, proof, ch, D)
    E = batch_evaluation(proof, ch, r_0)
    if not _opening_pairing(vk, proof, ch, F, E):
        return Verdict(False, "pairing check failed: the proof does not verify")
    return Verdict(True)


def verify(vk, public, proof) -> bool:
    """True iff ``proof`` proves ``public`` for the circuit of ``vk``; never raises."""
    return check(vk, public, proof).ok
