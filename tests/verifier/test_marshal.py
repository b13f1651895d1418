"""One encoding per proof: snarkjs's canonical JSON parses, every other spelling is refused.

The fixtures in tests/vectors/snarkjs are snarkjs 0.7.6's own files (make.sh).
"""

import copy
import json

import pytest
from hypothesis import given, settings, strategies as st

from conftest import VECTORS
from verifier import FormatError, Proof, VerifyingKey, canonical_json, check
from verifier.fields import Q_MOD, R_MOD
from verifier.marshal import (PROOF_EVALS, PROOF_POINTS, parse_proof, parse_public,
                              parse_verifying_key, proof_to_json, public_to_json,
                              verifying_key_to_json)

FIXTURES = ["tiny", "multi"]


def _text(name, f):
    return (VECTORS / "snarkjs" / name / f).read_text()


def _load(name):
    return tuple(json.loads(_text(name, f)) for f in ("vk.json", "public.json", "proof.json"))


VK, PUBLIC, PROOF = _load("multi")


@pytest.mark.parametrize("name", FIXTURES)
def test_snarkjs_files_parse_strictly_and_write_back_byte_identical(name):
    vk, public, proof = _load(name)
    p, k, x = parse_proof(proof), parse_verifying_key(vk), parse_public(public, len(public))
    assert proof_to_json(p) == proof and verifying_key_to_json(k) == vk and public_to_json(x) == public
    assert json.dumps(proof_to_json(p), indent=1) == _text(name, "proof.json")
    assert json.dumps(verifying_key_to_json(k), indent=1) == _text(name, "vk.json")
    assert json.dumps(public_to_json(x), indent=1) == _text(name, "public.json")


@pytest.mark.parametrize("name", FIXTURES)
def test_canonical_json_is_the_files_values_sorted_and_compact(name):
    vk, public, proof = _load(name)
    for obj, doc in ((parse_proof(proof), proof), (parse_verifying_key(vk), vk),
                     (parse_public(public), public)):
        b = canonical_json(obj)
        assert isinstance(b, bytes) and json.loads(b) == doc
        assert b == json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("ascii")
        assert b" " not in b and b"\n" not in b


def test_canonical_json_of_a_non_proof_is_refused():
    for bad in (None, {"A": 1}, "proof", 5):
        with pytest.raises(FormatError, match="canonical_json"):
            canonical_json(bad)


def test_canonical_json_checks_a_hand_built_proof_first():
    p = parse_proof(PROOF)
    with pytest.raises(FormatError, match="proof.eval_a"):
        canonical_json(p.replace(eval_a=p.eval_a + R_MOD))
    with pytest.raises(FormatError, match="proof.A"):
        canonical_json(p.replace(A=(1, 3)))


def _set(doc, path, value):
    d = copy.deepcopy(doc)
    target = d
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value
    return d


S = PROOF["eval_a"]
X = PROOF["A"][0]

#: (description, path in proof.json, the re-spelled value, the field the error names)
RESPELLED_PROOFS = [
    ("hex", ("eval_a",), hex(int(S)), "proof.eval_a"),
    ("hex upper", ("eval_a",), "0X" + format(int(S), "X"), "proof.eval_a"),
    ("leading zero", ("eval_a",), "0" + S, "proof.eval_a"),
    ("many leading zeros", ("eval_a",), "000000" + S, "proof.eval_a"),
    ("zero padded to 78 digits", ("eval_a",), S.zfill(78), "proof.eval_a"),
    ("plus sign", ("eval_a",), "+" + S, "proof.eval_a"),
    ("minus zero", ("eval_a",), "-0", "proof.eval_a"),
    ("underscore", ("eval_a",), S[:3] + "_" + S[3:], "proof.eval_a"),
    ("leading space", ("eval_a",), " " + S, "proof.eval_a"),
    ("trailing space", ("eval_a",), S + " ", "proof.eval_a"),
    ("trailing newline", ("eval_a",), S + "\n", "proof.eval_a"),
    ("tab", ("eval_a",), "\t" + S, "proof.eval_a"),
    ("arabic-indic digits", ("eval_a",), S.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
     "proof.eval_a"),
    ("fullwidth digits", ("eval_a",), S.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
     "proof.eval_a"),
    ("empty string", ("eval_a",), "", "proof.eval_a"),
    ("JSON number", ("eval_a",), int(S), "proof.eval_a"),
    ("JSON float", ("eval_a",), float(S), "proof.eval_a"),
    ("JSON bool", ("eval_a",), True, "proof.eval_a"),
    ("JSON null", ("eval_a",), None, "proof.eval_a"),
    ("list", ("eval_a",), [S], "proof.eval_a"),
    ("scalar plus r", ("eval_zw",), str(int(PROOF["eval_zw"]) + R_MOD), "proof.eval_zw"),
    ("coordinate plus q", ("A", 0), str(int(X) + Q_MOD), "proof.A.x"),
    ("coordinate leading zero", ("A", 1), "0" + PROOF["A"][1], "proof.A.y"),
    ("coordinate hex", ("A", 0), hex(int(X)), "proof.A.x"),
    ("coordinate as number", ("A", 0), int(X), "proof.A.x"),
    ("[x, y] point", ("A",), PROOF["A"][:2], "proof.A"),
    ("[x, y, z, w] point", ("A",), PROOF["A"] + ["1"], "proof.A"),
    ("z spelled 01", ("A", 2), "01", "proof.A"),
    ("z as number", ("A", 2), 1, "proof.A.z"),
    ("point as object", ("A",), {"x": X, "y": PROOF["A"][1]}, "proof.A"),
    ("point as string", ("A",), X, "proof.A"),
    ("infinity as zeros", ("A",), ["0", "0", "0"], "proof.A"),
    ("infinity as [0, 1, 0] numbers", ("A",), [0, 1, 0], "proof.A"),
    ("protocol upper case", ("protocol",), "PLONK", "proof"),
    ("curve alias bn254", ("curve",), "bn254", "proof"),
    ("curve alias alt_bn128", ("curve",), "alt_bn128", "proof"),
]


@pytest.mark.parametrize("what,path,value,field", RESPELLED_PROOFS, ids=[r[0] for r in RESPELLED_PROOFS])
def test_respelled_proof_is_refused_naming_the_field(what, path, value, field):
    doc = _set(PROOF, path, value)
    with pytest.raises(FormatError) as e:
        parse_proof(doc)
    assert field in str(e.value) and "\n" not in str(e.value)
    v = check(VK, PUBLIC, doc)                 # the same answer through the API, no exception
    assert not v.ok and field in v.reason


def test_extra_and_missing_proof_fields_are_refused():
    with pytest.raises(FormatError, match="unknown field 'note'"):
        parse_proof({**PROOF, "note": "hi"})
    with pytest.raises(FormatError, match="unknown field 'publicSignals'"):
        parse_proof({**PROOF, "publicSignals": PUBLIC})
    for k in PROOF:
        with pytest.raises(FormatError, match=f"missing field '{k}'"):
            parse_proof({j: v for j, v in PROOF.items() if j != k})


RESPELLED_VKS = [
    ("nPublic as string", "nPublic", "3", "vk.nPublic"),
    ("nPublic as float", "nPublic", 3.0, "vk.nPublic"),
    ("nPublic as bool", "nPublic", True, "vk.nPublic"),
    ("power as string", "power", str(VK["power"]), "vk.power"),
    ("power as float", "power", float(VK["power"]), "vk.power"),
    ("k1 with leading zero", "k1", "02", "vk.k1"),
    ("k2 as number", "k2", 3, "vk.k2"),
    ("w of another power", "w", str(pow(int(VK["w"]), 2, R_MOD)), "vk.w"),
    ("w plus r", "w", str(int(VK["w"]) + R_MOD), "vk.w"),
    ("X_2 without z", "X_2", VK["X_2"][:2], "vk.X_2"),
    ("X_2 z as numbers", "X_2", VK["X_2"][:2] + [[1, 0]], "vk.X_2"),
    ("X_2 coordinate hex", "X_2", [[hex(int(VK["X_2"][0][0])), VK["X_2"][0][1]]] + VK["X_2"][1:],
     "vk.X_2[0][0]"),
    ("Qm as [x, y]", "Qm", VK["Qm"][:2], "vk.Qm"),
    ("curve alias", "curve", "BN128", "verification key"),
]


@pytest.mark.parametrize("what,key,value,field", RESPELLED_VKS, ids=[r[0] for r in RESPELLED_VKS])
def test_respelled_verification_key_is_refused_naming_the_field(what, key, value, field):
    doc = {**VK, key: value}
    with pytest.raises(FormatError) as e:
        parse_verifying_key(doc)
    assert field in str(e.value)
    assert not check(doc, PUBLIC, PROOF).ok


def test_extra_and_missing_verification_key_fields_are_refused():
    with pytest.raises(FormatError, match="unknown field 'vk_alpha_1'"):
        parse_verifying_key({**VK, "vk_alpha_1": VK["Qm"]})
    with pytest.raises(FormatError, match="missing field 'w'"):
        parse_verifying_key({k: v for k, v in VK.items() if k != "w"})


@pytest.mark.parametrize("value,needle", [
    ([int(x) for x in PUBLIC], "public[0]: expected a decimal string"),
    (["0" + PUBLIC[0]] + PUBLIC[1:], "public[0]"),
    (PUBLIC[:2] + [" 2"], "public[2]"),
    (PUBLIC[:2] + [str(int(PUBLIC[2]) + R_MOD)], "public[2]: out of range"),
    (PUBLIC[:2], "expected 3, got 2"),
    ({"0": PUBLIC[0]}, "expected a JSON list"),
])
def test_respelled_public_inputs_are_refused(value, needle):
    with pytest.raises(FormatError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        parse_public(value, 3)


def test_objects_from_json_are_the_strict_parsers():
    assert Proof.from_json(PROOF) == parse_proof(PROOF)
    assert VerifyingKey.from_json(VK) == parse_verifying_key(VK)
    with pytest.raises(FormatError):
        Proof.from_json(_set(PROOF, ("eval_a",), "0x1"))
    with pytest.raises(FormatError):
        VerifyingKey.from_json({**VK, "nPublic": "3"})


# ----------------------------------------------------------------- property tests

_DIGITS = ["0123456789", "٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９", "߀߁߂߃߄߅߆߇߈߉", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗"]


@st.composite
def respelled_number(draw, s: str, bound: int):
    """Another spelling of the decimal string ``s`` (or of the same residue), JSON-typed."""
    x = int(s)
    kind = draw(st.sampled_from(["same", "zeros", "sign", "underscore", "space", "hex", "digits",
                                 "number", "float", "plus_bound"]))
    if kind == "same":
        return s
    if kind == "zeros":
        return "0" * draw(st.integers(1, 5)) + s
    if kind == "sign":
        return draw(st.sampled_from("+-")) + s
    if kind == "underscore":
        i = draw(st.integers(1, max(1, len(s) - 1)))
        return s[:i] + "_" + s[i:]
    if kind == "space":
        pad = draw(st.sampled_from([" ", "\t", "\n", "\u00a0", "\u2003"]))
        return draw(st.sampled_from([pad + s, s + pad, pad + s + pad]))
    if kind == "hex":
        return draw(st.sampled_from([hex(x), format(x, "#X"), format(x, "x")]))
    if kind == "digits":
        table = draw(st.sampled_from(_DIGITS[1:]))
        i = draw(st.integers(0, len(s) - 1))     # at least one non-ASCII digit
        return s[:i] + s[i:].translate(str.maketrans("0123456789", table))
    if kind == "number":
        return x
    if kind == "float":
        return float(x)
    return str(x + bound * draw(st.integers(1, 3)))


@st.composite
def respelled_proof(draw):
    doc = copy.deepcopy(PROOF)
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from(PROOF_POINTS + PROOF_EVALS + ("protocol", "curve", "extra")))
        if field in PROOF_EVALS:
            doc[field] = draw(respelled_number(PROOF[field], R_MOD))
        elif field in PROOF_POINTS:
            shape = draw(st.sampled_from(["coordinate", "xy", "z", "same"]))
            if shape == "coordinate":
                i = draw(st.integers(0, 1))
                doc[field][i] = draw(respelled_number(PROOF[field][i], Q_MOD))
            elif shape == "xy":
                doc[field] = doc[field][:2]
            elif shape == "z" and len(doc[field]) == 3:
                doc[field][2] = draw(respelled_number(PROOF[field][2], Q_MOD))
        elif field == "extra":
            doc[draw(st.sampled_from(["extra", "publicSignals", "A "]))] = "1"
        else:
            doc[field] = draw(st.sampled_from([PROOF[field], PROOF[field].upper(), "bn254"]))
    return doc


@settings(max_examples=300, deadline=None)
@given(respelled_proof())
def test_every_respelling_is_refused_or_has_the_identical_canonical_form(doc):
    original = canonical_json(parse_proof(PROOF))
    try:
        p = parse_proof(doc)
    except FormatError as e:
        assert "\n" not in str(e)
        return
    assert canonical_json(p) == original
    assert doc == PROOF                     # only the snarkjs spelling itself is accepted


@settings(max_examples=100, deadline=None)
@given(st.randoms(use_true_random=False), st.sampled_from([None, 0, 1, 2, "\t"]),
       st.booleans())
def test_json_text_layout_never_changes_the_canonical_form(rnd, indent, escape):
    """Whitespace, key order and \\u escapes in the file are JSON syntax, not the value:
    the parsed document is snarkjs's, so it parses to the identical canonical form."""
    items = list(PROOF.items())
    rnd.shuffle(items)
    text = json.dumps(dict(items), indent=indent)
    if escape:                              # spell some digits inside strings as \u0030…
        text = "".join(f"\\u{ord(ch):04x}" if ch.isdigit() and rnd.random() < 0.2 else ch
                       for ch in text)             # every digit of proof.json is in a string
    assert canonical_json(parse_proof(json.loads(text))) == canonical_json(parse_proof(PROOF))


@pytest.mark.parametrize("parse, what", [(parse_proof, "proof"), (parse_verifying_key, "verification key")])
def test_another_protocol_is_named_before_missing_fields(parse, what):
    """A Groth16 file lacks PLONK's fields; the reason names its protocol, not a missing field."""
    with pytest.raises(FormatError, match=f"^{what}: protocol is not 'plonk': 'groth16'$"):
        parse({"protocol": "groth16"})
