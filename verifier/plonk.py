"""PLONK verifier, snarkjs 0.7 flavour (GWC19 §8.3, with snarkjs's linearisation).

A chain of pure functions named after the paper's steps:

 1–3  validate the proof's points, evaluations and public inputs: JSON through
      the strict parsers of ``marshal``, objects through ``proof.check_*``
      (types, on the curve / twist and in the subgroup, < r, counts);
 4    ``compute_challenges``: β γ α ζ v u, the proof replayed through the one
      ``transcript.PlonkTranscript`` the prover also writes;
 5–8  Z_H(ζ), L_i(ζ), PI(ζ), r₀ and the linearisation's scalars:
      ``linearisation.linearise``, shared with the prover;
 9    ``partial_commitment`` [D]₁ (linearisation commitment, with the u·[z] term
      of the batched opening folded in);
10    ``full_commitment`` [F]₁ = [D]₁ + v[a] + v²[b] + v³[c] + v⁴[σ₁] + v⁵[σ₂];
11    ``batch_evaluation`` [E]₁ = (−r₀ + vā + v²b̄ + v³c̄ + v⁴s̄₁ + v⁵s̄₂ + u·z̄ω)·[1]₁;
12    ``pairing_check``: e(−([Wζ] + u[Wζω]), [τ]₂) · e(ζ[Wζ] + uζω[Wζω] + [F] − [E], [1]₂) = 1.

``check`` returns a ``Verdict`` (``ok`` and a one-line ``reason``); ``verify``
returns a plain bool.  Neither raises on bad input: whatever the types of its
arguments, a malformed field is a rejection with its reason.
"""

from dataclasses import dataclass

from .curve import G1_GEN, G2_GEN, g1_add, g1_lincomb, g1_neg, pairing_check as _pairing
from .fields import R_MOD
from .linearisation import Linearisation, linearise, vanishing_eval
from .marshal import parse_proof, parse_public, parse_verifying_key
from .proof import FormatError, Proof, VerifyingKey, check_proof, check_public, check_verifying_key
from .transcript import Challenges, PlonkTranscript

__all__ = ["Verdict", "verify", "check", "compute_challenges", "partial_commitment",
           "full_commitment", "batch_evaluation"]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = "ok"

    def __bool__(self):
        return self.ok


def compute_challenges(vk: VerifyingKey, public, proof: Proof) -> Challenges:
    """Step 4: replay the transcript schedule the prover followed."""
    t = PlonkTranscript(vk, public)
    t.absorb_wires(proof.A, proof.B, proof.C)
    t.absorb_z(proof.Z)
    t.absorb_quotient(proof.T1, proof.T2, proof.T3)
    t.absorb_evaluations(proof.evaluations)
    t.absorb_openings(proof.Wxi, proof.Wxiw)
    return t.challenges()


def partial_commitment(vk: VerifyingKey, proof: Proof, ch: Challenges, lin: Linearisation):
    """Step 9: [D]₁, the linearisation's commitment plus u·[z]₁."""
    points = [vk.Qm, vk.Ql, vk.Qr, vk.Qo, vk.Qc, proof.Z, vk.S3, proof.T1, proof.T2, proof.T3]
    scalars = [lin.qm, lin.ql, lin.qr, lin.qo, lin.qc, (lin.z + ch.u) % R_MOD, lin.s3,
               lin.T1, lin.T2, lin.T3]
    return g1_lincomb(points, scalars)


def full_commitment(vk: VerifyingKey, proof: Proof, ch: Challenges, D):
    """Step 10: [F]₁ = [D]₁ + v[a]₁ + v²[b]₁ + v³[c]₁ + v⁴[σ₁]₁ + v⁵[σ₂]₁."""
    vs = [pow(ch.v, k, R_MOD) for k in range(1, 6)]
    return g1_add(D, g1_lincomb([proof.A, proof.B, proof.C, vk.S1, vk.S2], vs))


def batch_evaluation(proof: Proof, ch: Challenges, r_0: int):
    """Step 11: [E]₁ = (−r₀ + Σ vᵏ·evalₖ + u·z̄ω)·[1]₁."""
    vs = [pow(ch.v, k, R_MOD) for k in range(1, 6)]
    evals = proof.evaluations.values()[:5]
    e = (-r_0 + sum(v * x for v, x in zip(vs, evals)) + ch.u * proof.eval_zw) % R_MOD
    return g1_lincomb([G1_GEN], [e])


def _opening_pairing(vk, proof, ch, F, E) -> bool:
    """Step 12: e(−A₁, [τ]₂)·e(B₁, [1]₂) = 1 with A₁ = [Wζ]+u[Wζω], B₁ = ζ[Wζ]+uζω[Wζω]+[F]−[E]."""
    zeta_omega = ch.zeta * vk.omega % R_MOD
    A1 = g1_lincomb([proof.Wxi, proof.Wxiw], [1, ch.u])
    B1 = g1_add(g1_lincomb([proof.Wxi, proof.Wxiw], [ch.zeta, ch.u * zeta_omega % R_MOD]),
                g1_add(F, g1_neg(E)))
    return _pairing([(g1_neg(A1), vk.X_2), (B1, G2_GEN)])


def _inputs(vk, public, proof):
    """Steps 1–3: JSON objects parsed strictly, objects checked field by field."""
    vk = parse_verifying_key(vk) if isinstance(vk, dict) else check_verifying_key(vk)
    proof = parse_proof(proof) if isinstance(proof, dict) else check_proof(proof)
    if isinstance(public, list) and any(isinstance(x, str) for x in public):
        public = parse_public(public, vk.n_public)       # public.json: decimal strings
    else:
        public = check_public(public, vk.n_public)
    return vk, public, proof


def check(vk, public, proof) -> Verdict:
    """Verify, returning why a proof was rejected; never raises on bad input."""
    try:
        vk, public, proof = _inputs(vk, public, proof)
    except FormatError as e:
        return Verdict(False, " ".join(str(e).split()))
    ch = compute_challenges(vk, public, proof)
    if vanishing_eval(ch.zeta, vk.n) == 0:
        return Verdict(False, "challenge ζ lies in the evaluation domain")
    lin = linearise(vk, public, proof.evaluations, ch)
    D = partial_commitment(vk, proof, ch, lin)
    F = full_commitment(vk, proof, ch, D)
    E = batch_evaluation(proof, ch, lin.r0)
    if not _opening_pairing(vk, proof, ch, F, E):
        return Verdict(False, "pairing check failed: the proof does not verify")
    return Verdict(True)


def verify(vk, public, proof) -> bool:
    """True iff ``proof`` proves ``public`` for the circuit of ``vk``; never raises."""
    return check(vk, public, proof).ok
