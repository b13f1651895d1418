"""``VerifyingKey`` and ``Proof`` with snarkjs's JSON shapes (verification_key.json, proof.json).

JSON layout (snarkjs 0.7 ``plonk``): G1 points as ``["x", "y", "1"]`` decimal
strings (affine; infinity ``["0", "1", "0"]``), G2 as
``[["x0", "x1"], ["y0", "y1"], ["1", "0"]]``, scalars as decimal strings.
Key order follows snarkjs so our files are byte-comparable with its output
(``json.dumps(d, indent=1)``).

Parsing never trusts its input: every scalar must be an integer below r, every
coordinate below q, G1 points on the curve, G2 points on the twist and in the
r-order subgroup, lengths and types exact.  Anything else raises
``FormatError`` with one line naming the field.  snarkjs itself accepts
non-canonical evaluations (e + r) and Jacobian z ≠ 1; we reject both, so one
proof has exactly one encoding.
"""

from dataclasses import dataclass, fields as dc_fields

from .errors import BadInput
from .curve import CurveError, g1_validate, g2_validate
from .fields import FR_TWO_ADICITY, Q_MOD, R_MOD, root_of_unity

__all__ = ["FormatError", "VerifyingKey", "Proof", "parse_public", "public_to_json",
           "PROOF_POINTS", "PROOF_EVALS"]

PROOF_POINTS = ("A", "B", "C", "Z", "T1", "T2", "T3", "Wxi", "Wxiw")
PROOF_EVALS = ("eval_a", "eval_b", "eval_c", "eval_s1", "eval_s2", "eval_zw")
VK_POINTS = ("Qm", "Ql", "Qr", "Qo", "Qc", "S1", "S2", "S3")
_CURVES = {"bn128", "bn254", "altbn128"}


class FormatError(BadInput):
    """Malformed or out-of-range proof, key or public input (one-line message)."""


def _int(v, what: str, bound: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise FormatError(f"{what}: expected a decimal string, got {type(v).__name__}")
    if isinstance(v, str):
        s = v.strip()
        try:
            x = int(s, 16) if s.lower().startswith("0x") else int(s, 10)
        except ValueError:
            raise FormatError(f"{what}: not an integer: {v[:40]!r}") from None
    else:
        x = v
    if not 0 <= x < bound:
        raise FormatError(f"{what}: out of range (must be 0 <= x < {'r' if bound == R_MOD else 'q'})")
    return x


def _scalar(v, what):
    return _int(v, what, R_MOD)


def _g1(v, what):
    if not isinstance(v, (list, tuple)) or len(v) not in (2, 3):
        raise FormatError(f"{what}: expected a G1 point [x, y, z]")
    x, y = _int(v[0], f"{what}.x", Q_MOD), _int(v[1], f"{what}.y", Q_MOD)
    z = _int(v[2], f"{what}.z", Q_MOD) if len(v) == 3 else 1
    if z == 0:
        if x == 0 and y == 1:
            return None
        raise FormatError(f"{what}: point at infinity must be encoded [0, 1, 0]")
    if z != 1:
        raise FormatError(f"{what}: only affine points (z = 1) are accepted")
    try:
        return g1_validate(x, y)
    except CurveError as e:
        raise FormatError(f"{what}: {e}") from None


def _g1_json(p):
    return ["0", "1", "0"] if p is None else [str(p[0]), str(p[1]), "1"]


def _g2(v, what):
    try:
        (x0, x1), (y0, y1), (z0, z1) = v
    except (TypeError, ValueError):
        raise FormatError(f"{what}: expected a G2 point [[x0, x1], [y0, y1], [z0, z1]]") from None
    xs = [_int(t, what, Q_MOD) for t in (x0, x1, y0, y1, z0, z1)]
    if xs[4:] != [1, 0]:
        raise FormatError(f"{what}: only affine G2 points (z = [1, 0]) are accepted")
    try:
        return g2_validate((xs[0], xs[1]), (xs[2], xs[3]))
    except CurveError as e:
        raise FormatError(f"{what}: {e}") from None


def _g2_json(p):
    (x0, x1), (y0, y1) = p
    return [[str(x0), str(x1)], [str(y0), str(y1)], ["1", "0"]]


def _need(d, key, what):
    if not isinstance(d, dict):
        raise FormatError(f"{what}: expected a JSON object")
    if key not in d:
        raise FormatError(f"{what}: missing field {key!r}")
    return d[key]


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
        d = {"protocol": "plonk", "curve": "bn128", "nPublic": self.n_public, "power": self.power,
             "k1": str(self.k1), "k2": str(self.k2)}
        for k in VK_POINTS:
            d[k] = _g1_json(getattr(self, k))
        d["X_2"] = _g2_json(self.X_2)
        d["w"] = str(self.omega)
        return d

    @classmethod
    def from_json(cls, d) -> "VerifyingKey":
        if _need(d, "protocol", "verification key") != "plonk":
            raise FormatError("verification key: protocol is not 'plonk'")
        curve = str(_need(d, "curve", "verification key")).lower().replace("_", "").replace("-", "")
        if curve not in _CURVES:
            raise FormatError(f"verification key: unsupported curve {d['curve']!r}")
        n_public, power = _need(d, "nPublic", "vk"), _need(d, "power", "vk")
        if isinstance(n_public, bool) or not isinstance(n_public, int) or n_public < 0:
            raise FormatError("verification key: nPublic must be a non-negative integer")
        if isinstance(power, bool) or not isinstance(power, int) or not 0 <= power <= FR_TWO_ADICITY:
            raise FormatError(f"verification key: power must be an integer in [0, {FR_TWO_ADICITY}]")
        if n_public > (1 << power):
            raise FormatError("verification key: more public inputs than rows")
        kw = {k: _g1(_need(d, k, "verification key"), f"vk.{k}") for k in VK_POINTS}
        k1 = _scalar(_need(d, "k1", "vk"), "vk.k1")
        k2 = _scalar(_need(d, "k2", "vk"), "vk.k2")
        X_2 = _g2(_need(d, "X_2", "vk"), "vk.X_2")
        if X_2 is None:
            raise FormatError("vk.X_2: point at infinity")
        return cls(n_public=n_public, power=power, k1=k1, k2=k2, X_2=X_2, **kw)


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

    def to_json(self) -> dict:
        d = {k: _g1_json(getattr(self, k)) for k in PROOF_POINTS}
        d.update({k: str(getattr(self, k)) for k in PROOF_EVALS})
        d["protocol"] = "plonk"
        d["curve"] = "bn128"
        return d

    @classmethod
    def from_json(cls, d) -> "Proof":
        if not isinstance(d, dict):
            raise FormatError("proof: expected a JSON object")
        if d.get("protocol", "plonk") != "plonk":
            raise FormatError("proof: protocol is not 'plonk'")
        kw = {k: _g1(_need(d, k, "proof"), f"proof.{k}") for k in PROOF_POINTS}
        kw.update({k: _scalar(_need(d, k, "proof"), f"proof.{k}") for k in PROOF_EVALS})
        return cls(**kw)

    def replace(self, **changes) -> "Proof":
        vals = {f.name: getattr(self, f.name) for f in dc_fields(self)}
        vals.update(changes)
        return Proof(**vals)


def parse_public(values, n_public=None) -> list:
    """public.json (a list of decimal strings) → ints, each < r."""
    if not isinstance(values, (list, tuple)):
        raise FormatError("public inputs: expected a JSON list")
    if n_public is not None and len(values) != n_public:
        raise FormatError(f"public inputs: expected {n_public}, got {len(values)}")
    return [_scalar(v, f"public[{i}]") for i, v in enumerate(values)]


def public_to_json(values) -> list:
    return [str(int(v) % R_MOD) for v in values]
