"""JSON forms of proofs, verification keys and public inputs: one spelling each, as snarkjs writes it.

One encoding per proof.  A proof is parsed at the boundary, re-serialized
canonically, and only the canonical form is hashed: if the parser accepted two
spellings of one number (hex, padding, ``+``, ``_``, Unicode digits, a JSON
number, an ``[x, y]`` point, an extra field), anyone relaying a block could
make honest validators sign different hashes of one block.  So there is one
parser, and it is strict: it accepts exactly snarkjs 0.7's canonical JSON and
refuses everything else with ``FormatError`` (a ``BadInput``) naming the field.

* a scalar or coordinate is a JSON string of ASCII decimal digits, ``"0"`` or
  without a leading zero, no sign, space or underscore, below r (scalars) or
  q (coordinates);
* a G1 point is ``["x", "y", "1"]`` (affine), the point at infinity
  ``["0", "1", "0"]``; a G2 point ``[["x0", "x1"], ["y0", "y1"], ["1", "0"]]``;
  points on the curve (G2: on the twist and in the order-r subgroup);
* proof.json has exactly the fields A B C Z T1 T2 T3 Wxi Wxiw eval_a eval_b
  eval_c eval_s1 eval_s2 eval_zw ``"protocol": "plonk"`` ``"curve": "bn128"``;
* verification_key.json exactly protocol, curve, ``nPublic`` and ``power`` (JSON
  integers), k1 k2, Qm Ql Qr Qo Qc S1 S2 S3, X_2 and ``w`` (= ω of ``power``);
* public.json a list of ``nPublic`` scalars.

There is no lenient reader: ``Proof.from_json``, ``VerifyingKey.from_json``
and ``verifier.check`` on JSON objects all use these parsers, the ledger at
its boundary as much as ``darkmatch verify`` on files.  snarkjs writes exactly
this form (its proof.json, verification_key.json and public.json parse and
re-serialize to the same values), so nothing a circom user has is refused; a
hand-edited file in another spelling is refused with the field's name rather
than silently meaning a second encoding of the same proof.

``proof_to_json`` / ``verifying_key_to_json`` / ``public_to_json`` write
snarkjs's objects in its key order (``json.dumps(d, indent=1)`` matches its
files); ``canonical_json`` is the byte form to hash: sorted keys, no
whitespace, ASCII — the convention of the ledger's own documents.
"""

import json
import re

from .curve import CurveError, g1_validate
from .fields import FR_TWO_ADICITY, Q_MOD, R_MOD, root_of_unity
from .proof import (PROOF_EVALS, PROOF_POINTS, VK_POINTS, FormatError, Proof, VerifyingKey,
                    check_g2, check_proof, check_public, check_verifying_key)

__all__ = ["FormatError", "VerifyingKey", "Proof", "PROOF_POINTS", "PROOF_EVALS",
           "parse_proof", "parse_verifying_key", "parse_public", "proof_to_json",
           "verifying_key_to_json", "public_to_json", "canonical_json"]

#: canonical decimal: "0" or ASCII digits without a leading zero; q and r have 77 digits
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,76}")
_PROOF_FIELDS = (*PROOF_POINTS, *PROOF_EVALS, "protocol", "curve")
_VK_FIELDS = ("protocol", "curve", "nPublic", "power", "k1", "k2", *VK_POINTS, "X_2", "w")
_INFINITY = ["0", "1", "0"]


def _json_type(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "a list"
    return "an object" if isinstance(v, dict) else f"a Python {type(v).__name__}"


def _decimal(v, what: str, bound: int) -> int:
    if not isinstance(v, str):
        raise FormatError(f"{what}: expected a decimal string, got {_json_type(v)}")
    if not _DECIMAL.fullmatch(v):
        raise FormatError(f"{what}: not an integer in canonical decimal form (ASCII digits, "
                          f"no sign, space, underscore or leading zero): {v[:40]!r}")
    x = int(v)
    if x >= bound:
        raise FormatError(f"{what}: out of range (must be 0 <= x < {'r' if bound == R_MOD else 'q'})")
    return x


def _object(d, what: str, expected) -> dict:
    if not isinstance(d, dict):
        raise FormatError(f"{what}: expected a JSON object, got {_json_type(d)}")
    for k in expected:
        if k not in d:
            raise FormatError(f"{what}: missing field {k!r}")
    extra = sorted(str(k) for k in d if k not in expected)
    if extra:
        raise FormatError(f"{what}: unknown field {extra[0][:40]!r}")
    return d


def _exact(d, key: str, value, what: str) -> None:
    if not (isinstance(d[key], str) and d[key] == value):
        problem = "protocol is not" if key == "protocol" else "unsupported curve, expected"
        raise FormatError(f"{what}: {problem} {value!r}: {str(d[key])[:40]!r}")


def _g1(v, what: str):
    if not isinstance(v, list) or len(v) != 3:
        raise FormatError(f'{what}: expected a G1 point ["x", "y", "1"]')
    if v == _INFINITY:
        return None
    x, y = _decimal(v[0], f"{what}.x", Q_MOD), _decimal(v[1], f"{what}.y", Q_MOD)
    if v[2] != "1":
        _decimal(v[2], f"{what}.z", Q_MOD)
        raise FormatError(f'{what}: only affine points ["x", "y", "1"] and the point at '
                          f'infinity ["0", "1", "0"] are accepted')
    try:
        return g1_validate(x, y, name=what)
    except CurveError as e:
        raise FormatError(str(e)) from None


def _g2(v, what: str):
    shape = (isinstance(v, list) and len(v) == 3
             and all(isinstance(c, list) and len(c) == 2 for c in v))
    if not shape:
        raise FormatError(f'{what}: expected a G2 point [["x0", "x1"], ["y0", "y1"], ["1", "0"]]')
    x0, x1, y0, y1 = (_decimal(v[i][j], f"{what}[{i}][{j}]", Q_MOD) for i in (0, 1) for j in (0, 1))
    if v[2] != ["1", "0"]:
        raise FormatError(f'{what}: only affine G2 points (z = ["1", "0"]) are accepted')
    return check_g2(((x0, x1), (y0, y1)), what)


def _small_int(d, key: str, what: str, low: int, high: int) -> int:
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, int):
        raise FormatError(f"{what}.{key}: expected a JSON integer, got {_json_type(v)}")
    if not low <= v <= high:
        raise FormatError(f"{what}.{key}: must be an integer in [{low}, {high}], got {v}")
    return v


def _protocol_first(d, what: str) -> None:
    """Another protocol's file (a Groth16 key, say) is named as such before its fields are."""
    if isinstance(d, dict) and "protocol" in d:
        _exact(d, "protocol", "plonk", what)


def parse_proof(d) -> Proof:
    """snarkjs's proof.json object → ``Proof``; anything not canonical raises ``FormatError``."""
    _protocol_first(d, "proof")
    _object(d, "proof", _PROOF_FIELDS)
    _exact(d, "protocol", "plonk", "proof")
    _exact(d, "curve", "bn128", "proof")
    kw = {k: _g1(d[k], f"proof.{k}") for k in PROOF_POINTS}
    kw.update({k: _decimal(d[k], f"proof.{k}", R_MOD) for k in PROOF_EVALS})
    return Proof(**kw)


def parse_verifying_key(d) -> VerifyingKey:
    """snarkjs's verification_key.json object → ``VerifyingKey``; strict, as ``parse_proof``."""
    _protocol_first(d, "verification key")
    _object(d, "verification key", _VK_FIELDS)
    _exact(d, "protocol", "plonk", "verification key")
    _exact(d, "curve", "bn128", "verification key")
    n_public = _small_int(d, "nPublic", "vk", 0, 1 << FR_TWO_ADICITY)
    power = _small_int(d, "power", "vk", 0, FR_TWO_ADICITY)
    if n_public > (1 << power):
        raise FormatError("vk.nPublic: more public inputs than rows")
    kw = {k: _g1(d[k], f"vk.{k}") for k in VK_POINTS}
    k1, k2 = _decimal(d["k1"], "vk.k1", R_MOD), _decimal(d["k2"], "vk.k2", R_MOD)
    X_2 = _g2(d["X_2"], "vk.X_2")
    if _decimal(d["w"], "vk.w", R_MOD) != root_of_unity(power):
        raise FormatError(f"vk.w: not the 2^{power}-th root of unity of the domain")
    return VerifyingKey(n_public=n_public, power=power, k1=k1, k2=k2, X_2=X_2, **kw)


def parse_public(values, n_public=None) -> list:
    """public.json (a list of canonical decimal strings, ``n_public`` of them if given) → ints."""
    if not isinstance(values, list):
        raise FormatError(f"public inputs: expected a JSON list, got {_json_type(values)}")
    if n_public is not None and len(values) != n_public:
        raise FormatError(f"public inputs: expected {n_public}, got {len(values)}")
    return [_decimal(v, f"public[{i}]", R_MOD) for i, v in enumerate(values)]


def _g1_json(p) -> list:
    return list(_INFINITY) if p is None else [str(p[0]), str(p[1]), "1"]


def proof_to_json(proof: Proof) -> dict:
    """The proof.json object, snarkjs's key order; the proof is checked first."""
    check_proof(proof)
    d = {k: _g1_json(getattr(proof, k)) for k in PROOF_POINTS}
    d.update({k: str(getattr(proof, k)) for k in PROOF_EVALS})
    d["protocol"] = "plonk"
    d["curve"] = "bn128"
    return d


def verifying_key_to_json(vk: VerifyingKey) -> dict:
    """The verification_key.json object, snarkjs's key order; the key is checked first."""
    check_verifying_key(vk)
    d = {"protocol": "plonk", "curve": "bn128", "nPublic": vk.n_public, "power": vk.power,
         "k1": str(vk.k1), "k2": str(vk.k2)}
    for k in VK_POINTS:
        d[k] = _g1_json(getattr(vk, k))
    (x0, x1), (y0, y1) = vk.X_2
    d["X_2"] = [[str(x0), str(x1)], [str(y0), str(y1)], ["1", "0"]]
    d["w"] = str(vk.omega)
    return d


def public_to_json(values) -> list:
    """public.json: each value reduced mod r, as a decimal string."""
    return [str(int(v) % R_MOD) for v in values]


def canonical_json(obj) -> bytes:
    """The bytes to hash: a ``Proof``, ``VerifyingKey`` or a list of public inputs (ints),
    as its JSON object with sorted keys, no whitespace, ASCII only."""
    if isinstance(obj, Proof):
        obj = proof_to_json(obj)
    elif isinstance(obj, VerifyingKey):
        obj = verifying_key_to_json(obj)
    elif isinstance(obj, (list, tuple)):
        obj = public_to_json(check_public(obj, len(obj)))
    else:
        raise FormatError(f"canonical_json: expected a Proof, VerifyingKey or public inputs, "
                          f"got {_json_type(obj)}")
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")
