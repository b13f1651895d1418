"""The objects of the proof system: ``VerifyingKey``, ``Proof``, its ``Evaluations``, and their checks.

A proof is nine G1 commitments and six evaluations (GWC19 §8.3, snarkjs's
names): [a] [b] [c] (``A B C``), [z] (``Z``), the quotient split [T1] [T2]
[T3], the openings [Wζ] [Wζω] (``Wxi Wxiw``), and ā b̄ c̄ s̄₁ s̄₂ at ζ and z̄ω
at ζω (``eval_a`` … ``eval_zw``).  The six evaluations are also a type of
their own, ``Evaluations``: what the prover's ``evaluate`` step produces, what
the transcript absorbs before v, and what the linearisation's r₀ reads.

In Python a G1 point is a tuple ``(x, y)`` of ints in [0, q) on y² = x³ + 3, the
point at infinity is ``None``; a G2 point is ``((x0, x1), (y0, y1))`` on the
twist and in the order-r subgroup; a scalar is an int in [0, r).

``check_proof``, ``check_verifying_key`` and ``check_public`` hold these
invariants for objects built by hand (``verifier.check`` calls them on
whatever it is given): every wrong type, off-curve or off-twist point, point
outside the subgroup, scalar ≥ r or wrong length raises ``FormatError`` (a
``BadInput``) with one line naming the field.  The JSON forms are in
``verifier.marshal``.
"""

from dataclasses import asdict, dataclass, fields as dc_fields
from functools import lru_cache

from .curve import CurveError, g1_validate, g2_validate
from .errors import BadInput
from .fields import FR_TWO_ADICITY, R_MOD, root_of_unity

__all__ = ["FormatError", "Evaluations", "Proof", "VerifyingKey", "PROOF_POINTS", "PROOF_EVALS",
           "VK_POINTS", "check_scalar", "check_g1", "check_g2", "check_proof",
           "check_verifying_key", "check_public"]

PROOF_POINTS = ("A", "B", "C", "Z", "T1", "T2", "T3", "Wxi", "Wxiw")
PROOF_EVALS = ("eval_a", "eval_b", "eval_c", "eval_s1", "eval_s2", "eval_zw")
VK_POINTS = ("Qm", "Ql", "Qr", "Qo", "Qc", "S1", "S2", "S3")


class FormatError(BadInput):
    """Malformed or out-of-range proof, key or public input (one-line message)."""


@dataclass(frozen=True)
class Evaluations:
    """ā, b̄, c̄, s̄₁, s̄₂ at ζ and z̄ω at ζω, in the transcript's order."""

    eval_a: int
    eval_b: int
    eval_c: int
    eval_s1: int
    eval_s2: int
    eval_zw: int

    def values(self) -> tuple:
        return tuple(getattr(self, k) for k in PROOF_EVALS)


@dataclass(frozen=True)
class VerifyingKey:
    """PLONK verification key: circuit shape plus commitments to selectors and σ."""

    n_public: int
    power: int          #: log₂ n, the domain size
    k1: int             #: coset constant of column b (2 in snarkjs)
    k2: int             #: coset constant of column c (3 in snarkjs)
    Qm: object          #: [qM(τ)]₁ … the five selector commitments
    Ql: object
    Qr: object
    Qo: object
    Qc: object
    S1: object          #: [σ₁(τ)]₁ … permutation commitments
    S2: object
    S3: object
    X_2: object         #: [τ]₂

    @property
    def n(self) -> int:
        return 1 << self.power

    @property
    def omega(self) -> int:
        """ω, generator of the evaluation domain H (snarkjs's ``w``)."""
        return root_of_unity(self.power)

    def to_json(self) -> dict:
        """snarkjs's verification_key.json object (``verifier.marshal``)."""
        from .marshal import verifying_key_to_json
        return verifying_key_to_json(self)

    @classmethod
    def from_json(cls, d) -> "VerifyingKey":
        """The strict parser ``verifier.marshal.parse_verifying_key``."""
        from .marshal import parse_verifying_key
        return parse_verifying_key(d)


@dataclass(frozen=True)
class Proof:
    """A PLONK proof: nine G1 commitments and six evaluations at ζ (and ζω)."""

    A: object           #: [a(τ)]₁ wire commitments
    B: object
    C: object
    Z: object           #: [z(τ)]₁ permutation accumulator
    T1: object          #: [T1(τ)]₁ … quotient split in three
    T2: object
    T3: object
    Wxi: object         #: [W_ζ(τ)]₁ opening at ζ
    Wxiw: object        #: [W_ζω(τ)]₁ opening at ζω
    eval_a: int         #: a(ζ)
    eval_b: int
    eval_c: int
    eval_s1: int        #: σ₁(ζ)
    eval_s2: int
    eval_zw: int        #: z(ζω)

    @property
    def evaluations(self) -> Evaluations:
        return Evaluations(*(getattr(self, k) for k in PROOF_EVALS))

    @classmethod
    def assemble(cls, commitments, evaluations: Evaluations) -> "Proof":
        """A proof from an object carrying the nine commitments by name, and ``Evaluations``."""
        return cls(**{k: getattr(commitments, k) for k in PROOF_POINTS}, **asdict(evaluations))

    def to_json(self) -> dict:
        """snarkjs's proof.json object (``verifier.marshal``)."""
        from .marshal import proof_to_json
        return proof_to_json(self)

    @classmethod
    def from_json(cls, d) -> "Proof":
        """The strict parser ``verifier.marshal.parse_proof``."""
        from .marshal import parse_proof
        return parse_proof(d)

    def replace(self, **changes) -> "Proof":
        vals = {f.name: getattr(self, f.name) for f in dc_fields(self)}
        vals.update(changes)
        return Proof(**vals)


def _type(v) -> str:
    return "None" if v is None else type(v).__name__


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check_scalar(v, what: str) -> int:
    """``v`` if it is an int in [0, r)."""
    if not _is_int(v):
        raise FormatError(f"{what}: expected an integer below r, got {_type(v)}")
    if not 0 <= v < R_MOD:
        raise FormatError(f"{what}: out of range (must be 0 <= x < r)")
    return v


def check_g1(p, what: str):
    """``p`` if it is ``None`` (infinity) or a tuple (x, y) on the curve."""
    if p is None:
        return None
    if not isinstance(p, tuple) or len(p) != 2 or not all(map(_is_int, p)):
        raise FormatError(f"{what}: expected a G1 point (x, y) of two ints or None, got {_type(p)}")
    try:
        return g1_validate(*p, name=what)
    except CurveError as e:
        raise FormatError(str(e)) from None


@lru_cache(maxsize=64)
def _g2_valid(p) -> str:
    """'' when the (typed) G2 point is on the twist and in the subgroup, else why not."""
    try:
        g2_validate(*p, name="X_2")
        return ""
    except CurveError as e:
        return str(e).split(": ", 1)[-1]


def check_g2(p, what: str):
    """``p`` if it is a G2 point ((x0, x1), (y0, y1)) on the twist and in the subgroup."""
    ok = (isinstance(p, tuple) and len(p) == 2
          and all(isinstance(c, tuple) and len(c) == 2 and all(map(_is_int, c)) for c in p))
    if not ok:
        raise FormatError(f"{what}: expected a G2 point ((x0, x1), (y0, y1)) of ints, got {_type(p)}")
    why = _g2_valid(p)
    if why:
        raise FormatError(f"{what}: {why}")
    return p


def check_proof(proof) -> Proof:
    """``proof`` if it is a ``Proof`` whose every field holds (module docstring)."""
    if not isinstance(proof, Proof):
        raise FormatError(f"proof: expected a Proof, got {_type(proof)}")
    for k in PROOF_POINTS:
        check_g1(getattr(proof, k), f"proof.{k}")
    for k in PROOF_EVALS:
        check_scalar(getattr(proof, k), f"proof.{k}")
    return proof


def check_verifying_key(vk) -> VerifyingKey:
    """``vk`` if it is a ``VerifyingKey`` whose every field holds (module docstring)."""
    if not isinstance(vk, VerifyingKey):
        raise FormatError(f"verification key: expected a VerifyingKey, got {_type(vk)}")
    if not _is_int(vk.n_public) or vk.n_public < 0:
        raise FormatError(f"vk.nPublic: must be a non-negative integer, got {_type(vk.n_public)}")
    if not _is_int(vk.power) or not 0 <= vk.power <= FR_TWO_ADICITY:
        raise FormatError(f"vk.power: must be an integer in [0, {FR_TWO_ADICITY}]")
    if vk.n_public > vk.n:
        raise FormatError("vk.nPublic: more public inputs than rows")
    check_scalar(vk.k1, "vk.k1")
    check_scalar(vk.k2, "vk.k2")
    for k in VK_POINTS:
        check_g1(getattr(vk, k), f"vk.{k}")
    check_g2(vk.X_2, "vk.X_2")
    return vk


def check_public(values, n_public: int) -> list:
    """Public inputs as given to ``verifier.check``: a list of ``n_public`` ints in [0, r)."""
    if not isinstance(values, (list, tuple)):
        raise FormatError(f"public inputs: expected a list, got {_type(values)}")
    if len(values) != n_public:
        raise FormatError(f"public inputs: expected {n_public}, got {len(values)}")
    return [check_scalar(v, f"public[{i}]") for i, v in enumerate(values)]
