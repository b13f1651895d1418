"""The PLONK prover, snarkjs 0.7 protocol (GWC19 §8.3): named steps over one state.

Like halo2's and gnark's provers, a ``Prover`` holds the statement, the
transcript and the polynomials, and ``prove`` runs its steps in order:

    solve              assignment → full witness; refuses a witness that breaks a gate
    commit_wires       a, b, c blinded by (b₁X + b₂)Z_H, … → [a], [b], [c];   β, γ
    compute_z          permutation accumulator z blinded by (b₇X² + b₈X + b₉)Z_H → [z];  α
    compute_quotient   t split into T1, T2, T3 (blinded by b₁₀, b₁₁) → [T1], [T2], [T3];  ζ
    evaluate           ā b̄ c̄ s̄₁ s̄₂ at ζ and z̄ω at ζω;  v
    open               linearisation R and the openings [Wζ], [Wζω]

Each step reads what earlier steps left on the state (named fields, no string
keys) and adds its own.  Challenges come from one ``verifier.transcript
.PlonkTranscript``, the object the verifier replays; R's scalars from
``verifier.linearisation.linearise``, the function the verifier uses.  The
eleven blinding scalars come from ``secrets`` (a CSPRNG), so two proofs of one
statement share no commitment.
"""

import secrets
from dataclasses import dataclass

import numpy as np

from verifier.fields import R_MOD
from verifier.linearisation import linearise
from verifier.proof import Proof
from verifier.transcript import PlonkTranscript

from . import opening, quotient
from .commit import commit
from .kernels import fr
from .kernels.convert import fr_from_ints
from .permutation import grand_product, wire_values
from .polys import ProofPolys, Wires
from .setup import ProvingKey

__all__ = ["prove", "Prover", "Commitments", "STEPS"]

#: The named steps of ``prove``, in order (what ``progress`` receives; ``Prover``'s methods).
STEPS = ("solve", "commit_wires", "compute_z", "compute_quotient", "evaluate", "open")


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


@dataclass
class Commitments:
    """The proof's nine G1 commitments, each set by the step that commits it."""

    A: object = None
    B: object = None
    C: object = None
    Z: object = None
    T1: object = None
    T2: object = None
    T3: object = None
    Wxi: object = None
    Wxiw: object = None


class Prover:
    """One proof in the making: ``pk``, the assignment, and what each step has produced."""

    def __init__(self, pk: ProvingKey, assignment: dict):
        self.pk, self.assignment = pk, assignment
        self.witness = None          #: Montgomery witness, one row per variable (solve)
        self.public = None           #: public input values (solve)
        self.transcript = None       #: PlonkTranscript over (vk, public) (solve)
        self.values = None           #: ``Wires``: a, b, c on H, unblinded (commit_wires)
        self.polys = ProofPolys()    #: the committed polynomials, blinded
        self.commitments = Commitments()
        self.evaluations = None      #: ``verifier.proof.Evaluations`` (evaluate)

    def _commit(self, **named) -> None:
        for name, p in named.items():
            setattr(self.commitments, name, commit(self.pk.srs_g1, p))

    def _blinded(self, values: np.ndarray, k: int) -> np.ndarray:
        """Coefficients of the polynomial through ``values`` on H plus a random degree-(k−1)
        multiple of Z_H."""
        dom = self.pk.domain
        return _blind(dom.to_coefficients(values), dom.n, [_rand() for _ in range(k)])

    def solve(self) -> None:
        """Witness and public inputs; raises ``circuits.UnsatisfiedError`` on a failing gate."""
        pk = self.pk
        limbs = getattr(pk.circuit, "witness_limbs", None)
        if limbs is not None:            # a zkey's circuit: the witness stays in limbs
            self.witness, self.public = limbs(self.assignment)
        else:
            w = pk.circuit.check(self.assignment, pk.cs)
            self.witness, self.public = fr_from_ints(w), pk.circuit.public_values(w)
        self.transcript = PlonkTranscript(pk.vk, self.public)

    def commit_wires(self) -> None:
        cols, n = self.pk.wires, self.pk.domain.n
        v = self.values = Wires(*(wire_values(self.witness, col, n)
                                  for col in (cols.a, cols.b, cols.c)))
        p, cm = self.polys, self.commitments
        p.a, p.b, p.c = (self._blinded(col, 2) for col in (v.a, v.b, v.c))
        self._commit(A=p.a, B=p.b, C=p.c)
        self.transcript.absorb_wires(cm.A, cm.B, cm.C)

    def compute_z(self) -> None:
        pk, t, v, s = self.pk, self.transcript, self.values, self.pk.sigma_h
        zh = grand_product(v.a, v.b, v.c, s.s1, s.s2, s.s3, pk.domain.omegas, t.beta, t.gamma)
        self.polys.z = self._blinded(zh, 3)
        self._commit(Z=self.polys.z)
        t.absorb_z(self.commitments.Z)

    def compute_quotient(self) -> None:
        t, p = self.transcript, self.polys
        tx = quotient.quotient(self.pk, p, self.public, t.beta, t.gamma, t.alpha)
        p.T1, p.T2, p.T3 = quotient.split(tx, self.pk.domain.n, _rand(), _rand())
        self._commit(T1=p.T1, T2=p.T2, T3=p.T3)
        cm = self.commitments
        t.absorb_quotient(cm.T1, cm.T2, cm.T3)

    def evaluate(self) -> None:
        self.evaluations = opening.evaluations(self.pk, self.polys, self.transcript.zeta)
        self.transcript.absorb_evaluations(self.evaluations)

    def open(self) -> None:
        t, ev = self.transcript, self.evaluations
        lin = linearise(self.pk.vk, self.public, ev, t.challenges())
        R = opening.linearisation(self.pk, self.polys, lin)
        w_zeta, w_zeta_omega = opening.open_at(R, self.polys, self.pk, ev, t.zeta, t.v)
        self._commit(Wxi=w_zeta, Wxiw=w_zeta_omega)

    def proof(self) -> Proof:
        return Proof.assemble(self.commitments, self.evaluations)


def prove(pk: ProvingKey, assignment: dict, *, progress=None):
    """Prove that ``assignment`` satisfies ``pk``'s circuit; returns ``(proof, public)``.

    Raises ``circuits.UnsatisfiedError`` naming the first failing gate when it does not.
    ``progress(step, i, n)``, if given, is called before each of the ``STEPS``
    (``i`` from 0; ``n`` = 6), for progress bars over a long proof.
    """
    prover = Prover(pk, assignment)
    for i, step in enumerate(STEPS):
        if progress is not None:
            progress(step, i, len(STEPS))
        getattr(prover, step)()
    return prover.proof(), prover.public
