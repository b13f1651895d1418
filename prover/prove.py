"""The PLONK prover, snarkjs 0.7 protocol (GWC19 §8.3), as a list of named steps.

    solve             assignment → full witness; refuses a witness that breaks a gate
    round_1 commit_wires   a, b, c blinded by (b₁X + b₂)Z_H, … → [a], [b], [c];   β, γ
    round_2 compute_z      permutation accumulator z blinded by (b₇X² + b₈X + b₉)Z_H → [z];  α
    round_3 compute_quotient  t split into T1, T2, T3 (blinded by b₁₀, b₁₁) → [T1], [T2], [T3];  ζ
    round_4 evaluate       ā b̄ c̄ s̄₁ s̄₂ at ζ and z̄ω at ζω;  v
    round_5 open           linearisation R and the openings [Wζ], [Wζω]

Challenges come from ``verifier.transcript``'s schedule, the same functions the
verifier replays.  The eleven blinding scalars come from ``secrets`` (a CSPRNG),
so two proofs of one statement share no commitment.
"""

import secrets
from dataclasses import dataclass

import numpy as np

from verifier import transcript as ts
from verifier.fields import R_MOD
from verifier.marshal import Proof
from verifier.verify import Challenges

from . import opening, quotient
from .commit import commit
from .kernels import fr
from .kernels.convert import fr_from_ints
from .permutation import grand_product, wire_values
from .setup import ProvingKey

__all__ = ["prove", "STEPS", "solve", "round_1", "round_2", "round_3", "round_4", "round_5",
           "Round1", "Round2", "Round3", "Evaluations", "Round5"]


@dataclass
class Round1:
    a: np.ndarray        #: blinded wire polynomials (coefficients, n + 2)
    b: np.ndarray
    c: np.ndarray
    A: object            #: [a(τ)]₁
    B: object
    C: object
    beta: int
    gamma: int
    values: tuple        #: a, b, c on H (unblinded), reused by round 2


@dataclass
class Round2:
    z: np.ndarray        #: blinded permutation accumulator (n + 3)
    Z: object            #: [z(τ)]₁
    alpha: int


@dataclass
class Round3:
    T1: np.ndarray
    T2: np.ndarray
    T3: np.ndarray
    commitments: tuple   #: ([T1]₁, [T2]₁, [T3]₁)
    zeta: int


@dataclass
class Evaluations:
    eval_a: int
    eval_b: int
    eval_c: int
    eval_s1: int
    eval_s2: int
    eval_zw: int
    v: int


@dataclass
class Round5:
    Wxi: object          #: [Wζ(τ)]₁
    Wxiw: object         #: [Wζω(τ)]₁


def _rand() -> int:
    return secrets.randbelow(R_MOD)


def _blind(values_coeffs: np.ndarray, n: int, blinders) -> np.ndarray:
    """p(X) + (Σₖ bₖXᵏ)·Z_H(X), blinders listed from X⁰ up."""
    out = np.zeros((n + len(blinders), 4), dtype=np.uint64)
    out[:n] = values_coeffs
    bl = fr_from_ints(blinders)
    out[: len(blinders)] = fr.sub_vec(out[: len(blinders)], bl)
    out[n:] = fr.add_vec(out[n:], bl)
    return out


def solve(pk: ProvingKey, assignment: dict):
    """Witness (Montgomery, one row per variable) and public inputs; raises on a failing gate."""
    w = pk.circuit.check(assignment, pk.cs)
    return fr_from_ints(w), pk.circuit.public_values(w)


def round_1(pk, witness_m, public) -> Round1:
    n, dom = pk.domain.n, pk.domain
    values = tuple(wire_values(witness_m, vars_, n) for vars_ in pk.wires)
    polys = []
    for v, (b_hi, b_lo) in zip(values, [(_rand(), _rand()) for _ in range(3)]):
        polys.append(_blind(dom.to_coefficients(v), n, [b_lo, b_hi]))
    A, B, C = (commit(pk.srs_g1, p) for p in polys)
    beta = ts.beta_challenge(pk.vk, public, A, B, C)
    return Round1(*polys, A, B, C, beta, ts.gamma_challenge(beta), values)


def round_2(pk, r1: Round1) -> Round2:
    n, dom = pk.domain.n, pk.domain
    a, b, c = r1.values
    zh = grand_product(a, b, c, pk.sigma_h["s1"], pk.sigma_h["s2"], pk.sigma_h["s3"],
                       dom.omegas, r1.beta, r1.gamma)
    z = _blind(dom.to_coefficients(zh), n, [_rand(), _rand(), _rand()])
    Z = commit(pk.srs_g1, z)
    return Round2(z, Z, ts.alpha_challenge(r1.beta, r1.gamma, Z))


def round_3(pk, public, r1: Round1, r2: Round2) -> Round3:
    n = pk.domain.n
    t = quotient.quotient(pk, r1.a, r1.b, r1.c, r2.z, public, r1.beta, r1.gamma, r2.alpha)
    T1, T2, T3 = quotient.split(t, n, _rand(), _rand())
    cm = tuple(commit(pk.srs_g1, p) for p in (T1, T2, T3))
    return Round3(T1, T2, T3, cm, ts.zeta_challenge(r2.alpha, *cm))


def round_4(pk, r1: Round1, r2: Round2, r3: Round3) -> Evaluations:
    zeta = r3.zeta
    ev = [opening.evaluate(p, zeta) for p in (r1.a, r1.b, r1.c, pk.coeffs["s1"], pk.coeffs["s2"])]
    ev.append(opening.evaluate(r2.z, zeta * pk.domain.omega % R_MOD))
    return Evaluations(*ev, v=ts.v_challenge(zeta, ev))


def round_5(pk, public, r1, r2, r3, ev: Evaluations) -> Round5:
    polys = {"a": r1.a, "b": r1.b, "c": r1.c, "z": r2.z, "T1": r3.T1, "T2": r3.T2, "T3": r3.T3}
    ch = Challenges(r1.beta, r1.gamma, r2.alpha, r3.zeta, ev.v, u=0)
    R = opening.linearisation(pk, polys, public, ev, ch)
    w_zeta, w_zeta_omega = opening.open_at(R, polys, pk, ev, ch)
    return Round5(commit(pk.srs_g1, w_zeta), commit(pk.srs_g1, w_zeta_omega))


#: The named steps of ``prove``, in order (what ``progress`` receives).
STEPS = ("solve", "commit_wires", "compute_z", "compute_quotient", "evaluate", "open")


def prove(pk: ProvingKey, assignment: dict, *, progress=None):
    """Prove that ``assignment`` satisfies ``pk``'s circuit; returns ``(proof, public)``.

    Raises ``circuits.UnsatisfiedError`` naming the first failing gate when it does not.
    ``progress(step, i, n)``, if given, is called before each of the ``STEPS``
    (``i`` from 0; ``n`` = 6), for progress bars over a long proof.
    """
    say = progress or (lambda step, i, n: None)
    say(STEPS[0], 0, len(STEPS))
    witness_m, public = solve(pk, assignment)
    say(STEPS[1], 1, len(STEPS))
    r1 = round_1(pk, witness_m, public)
    say(STEPS[2], 2, len(STEPS))
    r2 = round_2(pk, r1)
    say(STEPS[3], 3, len(STEPS))
    r3 = round_3(pk, public, r1, r2)
    say(STEPS[4], 4, len(STEPS))
    ev = round_4(pk, r1, r2, r3)
    say(STEPS[5], 5, len(STEPS))
    r5 = round_5(pk, public, r1, r2, r3, ev)
    T1, T2, T3 = r3.commitments
    proof = Proof(A=r1.A, B=r1.B, C=r1.C, Z=r2.Z, T1=T1, T2=T2, T3=T3, Wxi=r5.Wxi, Wxiw=r5.Wxiw,
                  eval_a=ev.eval_a, eval_b=ev.eval_b, eval_c=ev.eval_c, eval_s1=ev.eval_s1,
                  eval_s2=ev.eval_s2, eval_zw=ev.eval_zw)
    return proof, public
