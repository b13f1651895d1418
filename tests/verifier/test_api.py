"""The Python API never raises on bad input: ``check`` on hand-built objects returns a reason.

Each wrong type, off-curve or off-twist point, point outside the subgroup, scalar ≥ r
and wrong length is its own case, on snarkjs's own proof of the ``multi`` fixture.
"""

import json
from dataclasses import replace

import pytest
from hypothesis import given, settings, strategies as st
from test_curve import twist_point_outside_g2

from conftest import VECTORS
from verifier import Proof, Verdict, VerifyingKey, check, parse_proof, parse_public, verify
from verifier.curve import G1_GEN, G2_GEN, g2_is_on_curve
from verifier.fields import Q_MOD, R_MOD
from verifier.marshal import PROOF_EVALS, PROOF_POINTS, parse_verifying_key
from verifier.proof import VK_POINTS


def _load(name):
    d = VECTORS / "snarkjs" / name
    vk, public, proof = (json.loads((d / f).read_text()) for f in ("vk.json", "public.json",
                                                                    "proof.json"))
    return parse_verifying_key(vk), parse_public(public), parse_proof(proof)


VK, PUBLIC, PROOF = _load("multi")
OFF_CURVE = (1, 3)                                  # 3² ≠ 1 + 3
OFF_TWIST = ((1, 2), (3, 4))
OUTSIDE_G2 = twist_point_outside_g2()


def _rejected(v: Verdict, *needles) -> None:
    assert isinstance(v, Verdict) and not v.ok and not v
    assert v.reason and "\n" not in v.reason
    for n in needles:
        assert n in v.reason, (n, v.reason)


def test_the_fixture_verifies_as_objects():
    assert check(VK, PUBLIC, PROOF) == Verdict(True)
    assert check(VK, tuple(PUBLIC), PROOF).ok


WRONG_POINTS = [
    ("str", "1"),
    ("float", 1.0),
    ("bool", True),
    ("int", 5),
    ("list", list(G1_GEN)),
    ("three coordinates", (1, 2, 1)),
    ("str coordinates", ("1", "2")),
    ("bool coordinates", (True, 2)),
    ("float coordinates", (1.0, 2.0)),
    ("off the curve", OFF_CURVE),
    ("coordinate = q", (Q_MOD, 2)),
    ("negative coordinate", (-1, 2)),
    ("(0, 0)", (0, 0)),
]


@pytest.mark.parametrize("name", PROOF_POINTS)
@pytest.mark.parametrize("what,value", WRONG_POINTS, ids=[w for w, _ in WRONG_POINTS])
def test_bad_proof_point_is_a_reason(name, what, value):
    _rejected(check(VK, PUBLIC, PROOF.replace(**{name: value})), f"proof.{name}")


WRONG_SCALARS = [
    ("str", "5"),
    ("float", 5.0),
    ("None", None),
    ("bool", True),
    ("list", [5]),
    ("tuple", (5,)),
    ("r", R_MOD),
    ("r plus one", R_MOD + 1),
    ("negative", -1),
]


@pytest.mark.parametrize("name", PROOF_EVALS)
@pytest.mark.parametrize("what,value", WRONG_SCALARS, ids=[w for w, _ in WRONG_SCALARS])
def test_bad_proof_evaluation_is_a_reason(name, what, value):
    _rejected(check(VK, PUBLIC, PROOF.replace(**{name: value})), f"proof.{name}")


def test_evaluation_plus_r_is_a_reason_not_the_same_proof():
    _rejected(check(VK, PUBLIC, PROOF.replace(eval_a=PROOF.eval_a + R_MOD)), "proof.eval_a",
              "out of range")


@pytest.mark.parametrize("name", VK_POINTS)
@pytest.mark.parametrize("what,value", WRONG_POINTS, ids=[w for w, _ in WRONG_POINTS])
def test_bad_verification_key_point_is_a_reason(name, what, value):
    _rejected(check(replace(VK, **{name: value}), PUBLIC, PROOF), f"vk.{name}")


WRONG_X2 = [
    ("None (infinity)", None),
    ("str", "X_2"),
    ("a G1 point", G1_GEN),
    ("list", [list(G2_GEN[0]), list(G2_GEN[1])]),
    ("float coordinates", ((1.0, 2.0), (3.0, 4.0))),
    ("coordinate = q", ((Q_MOD, 0), G2_GEN[1])),
    ("off the twist", OFF_TWIST),
    ("on the twist, outside the subgroup", OUTSIDE_G2),
]


@pytest.mark.parametrize("what,value", WRONG_X2, ids=[w for w, _ in WRONG_X2])
def test_bad_X2_is_a_reason(what, value):
    _rejected(check(replace(VK, X_2=value), PUBLIC, PROOF), "vk.X_2")


def test_X2_outside_the_subgroup_is_named_so():
    assert g2_is_on_curve(OUTSIDE_G2)
    _rejected(check(replace(VK, X_2=OUTSIDE_G2), PUBLIC, PROOF), "vk.X_2", "subgroup")


@pytest.mark.parametrize("field,value,needle", [
    ("n_public", "3", "vk.nPublic"),
    ("n_public", 3.0, "vk.nPublic"),
    ("n_public", None, "vk.nPublic"),
    ("n_public", True, "vk.nPublic"),
    ("n_public", -1, "vk.nPublic"),
    ("n_public", 33, "vk.nPublic"),                 # more than the 2^5 rows
    ("power", "3", "vk.power"),
    ("power", 3.0, "vk.power"),
    ("power", None, "vk.power"),
    ("power", False, "vk.power"),
    ("power", 29, "vk.power"),
    ("power", -1, "vk.power"),
    ("k1", "2", "vk.k1"),
    ("k1", 2.0, "vk.k1"),
    ("k1", None, "vk.k1"),
    ("k1", R_MOD + 2, "vk.k1"),
    ("k2", [3], "vk.k2"),
    ("k2", -3, "vk.k2"),
])
def test_bad_verification_key_field_is_a_reason(field, value, needle):
    _rejected(check(replace(VK, **{field: value}), PUBLIC, PROOF), needle)


@pytest.mark.parametrize("public,needle", [
    (PUBLIC[:2], "expected 3, got 2"),
    (PUBLIC + [0], "expected 3, got 4"),
    ([], "expected 3, got 0"),
    ([PUBLIC[0], PUBLIC[1], R_MOD], "public[2]"),
    ([PUBLIC[0], PUBLIC[1], -2], "public[2]"),
    ([PUBLIC[0], 38.0, 2], "public[1]"),
    ([None, 38, 2], "public[0]"),
    ([PUBLIC[0], True, 2], "public[1]"),
    ([PUBLIC[0], [38], 2], "public[1]"),
    ([str(PUBLIC[0]), "38", "02"], "public[2]"),     # strings: canonical decimal only
    ([str(PUBLIC[0]), "38", 2], "public[2]"),        # strings and ints mixed
    (None, "public inputs"),
    (5, "public inputs"),
    ("38", "public inputs"),
    ({"0": 1}, "public inputs"),
])
def test_bad_public_inputs_are_a_reason(public, needle):
    _rejected(check(VK, public, PROOF), needle)


def test_public_inputs_count_is_the_keys():
    """A key that promises fewer public inputs than the proof's statement rejects it by count."""
    _rejected(check(replace(VK, n_public=2), PUBLIC, PROOF), "expected 2, got 3")


@pytest.mark.parametrize("bad", [None, 5, "proof", 1.5, True, [], (), PROOF.to_json()["A"]])
def test_proof_and_key_of_the_wrong_type_are_a_reason(bad):
    _rejected(check(VK, PUBLIC, bad), "proof")
    _rejected(check(bad, PUBLIC, PROOF), "verification key")
    assert verify(VK, PUBLIC, bad) is False and verify(bad, PUBLIC, PROOF) is False


def test_proof_and_key_swapped_are_a_reason():
    _rejected(check(PROOF, PUBLIC, VK), "verification key")


def test_valid_objects_still_verify_after_the_checks():
    assert isinstance(PROOF, Proof) and isinstance(VK, VerifyingKey)
    assert verify(VK, PUBLIC, PROOF)
    assert not verify(VK, [PUBLIC[0], PUBLIC[1], PUBLIC[2] + 1], PROOF)


_JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | st.integers(R_MOD - 2, Q_MOD + 2)
    | st.floats(allow_nan=True) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=2), inner, max_size=2), max_leaves=6)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(PROOF_POINTS + PROOF_EVALS + VK_POINTS + ("X_2", "n_public", "power",
                                                                  "k1", "k2", "public")), _JUNK)
def test_check_never_raises_on_junk_in_any_field(field, junk):
    """Whatever is put in one field, check answers with a Verdict; it accepts only the truth."""
    vk, public, proof = VK, PUBLIC, PROOF
    if field == "public":
        public, truth = junk, PUBLIC
    elif field in PROOF_POINTS + PROOF_EVALS:
        proof, truth = PROOF.replace(**{field: junk}), getattr(PROOF, field)
    else:
        vk, truth = replace(VK, **{field: junk}), getattr(VK, field)
    v = check(vk, public, proof)
    assert isinstance(v, Verdict) and "\n" not in v.reason
    assert not v.ok or (junk == truth and type(junk) is type(truth))   # e.g. k1 = 2 drawn
