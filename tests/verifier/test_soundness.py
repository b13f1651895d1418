"""Soundness: every changed proof element, public input or key field is rejected, each on its own."""

import pytest

from circuits import Circuit
from prover import prove
from prover.setup import setup
from verifier import Proof, VerifyingKey, check, verify
from verifier.curve import G1_GEN, G2_GEN, g1_add, g2_add
from verifier.fields import Q_MOD, R_MOD
from verifier.marshal import PROOF_EVALS, PROOF_POINTS


def statement_circuit():
    c = Circuit()
    x, y = c.private("x"), c.private("y")
    out = c.public("out")
    k = c.public("k")
    c.assert_equal(c.add(c.mul(c.mul(x, y), k), x), out)
    return c


@pytest.fixture(scope="module")
def valid(srs):
    pk, vk = setup(statement_circuit(), srs)
    proof, public = prove(pk, {"x": 3, "y": 4, "k": 5, "out": 63})
    assert verify(vk, public, proof)
    return vk, public, proof, pk


@pytest.mark.parametrize("name", PROOF_POINTS)
def test_changed_commitment_is_rejected(valid, name):
    vk, public, proof, _ = valid
    forged = proof.replace(**{name: g1_add(getattr(proof, name), G1_GEN)})
    assert not verify(vk, public, forged)


@pytest.mark.parametrize("name", PROOF_POINTS)
def test_commitment_replaced_by_infinity_is_rejected(valid, name):
    vk, public, proof, _ = valid
    assert not verify(vk, public, proof.replace(**{name: None}))


@pytest.mark.parametrize("name", PROOF_EVALS)
def test_changed_evaluation_is_rejected(valid, name):
    vk, public, proof, _ = valid
    forged = proof.replace(**{name: (getattr(proof, name) + 1) % R_MOD})
    assert not verify(vk, public, forged)


@pytest.mark.parametrize("name", PROOF_EVALS)
def test_evaluation_not_below_r_is_rejected(valid, name):
    vk, public, proof, _ = valid
    d = proof.to_json()
    d[name] = str(getattr(proof, name) + R_MOD)           # same residue, non-canonical
    v = check(vk, public, d)
    assert not v.ok and "out of range" in v.reason and name in v.reason


@pytest.mark.parametrize("index", [0, 1])
def test_changed_public_input_is_rejected(valid, index):
    vk, public, proof, _ = valid
    changed = list(public)
    changed[index] = (changed[index] + 1) % R_MOD
    assert not verify(vk, changed, proof)


def test_public_input_not_below_r_is_rejected(valid):
    vk, public, proof, _ = valid
    v = check(vk, [public[0] + R_MOD, public[1]], proof)
    assert not v.ok and "public[0]" in v.reason


def test_wrong_number_of_public_inputs_is_rejected(valid):
    vk, public, proof, _ = valid
    assert "expected 2" in check(vk, public[:1], proof).reason
    assert "expected 2" in check(vk, public + [0], proof).reason


def test_swapped_public_inputs_are_rejected(valid):
    vk, public, proof, _ = valid
    assert not verify(vk, public[::-1], proof)


@pytest.mark.parametrize("name", ["Qm", "Ql", "Qr", "Qo", "Qc", "S1", "S2", "S3"])
def test_changed_verification_key_point_is_rejected(valid, name):
    vk, public, proof, _ = valid
    bad = VerifyingKey(**{**vk.__dict__, name: g1_add(getattr(vk, name), G1_GEN)})
    assert not verify(bad, public, proof)


def test_changed_X2_is_rejected(valid):
    vk, public, proof, _ = valid
    bad = VerifyingKey(**{**vk.__dict__, "X_2": g2_add(vk.X_2, G2_GEN)})
    assert not verify(bad, public, proof)


@pytest.mark.parametrize("field,value", [("k1", 5), ("k2", 7), ("power", 4)])
def test_changed_verification_key_scalar_is_rejected(valid, field, value):
    vk, public, proof, _ = valid
    bad = VerifyingKey(**{**vk.__dict__, field: value})
    assert not verify(bad, public, proof)


def test_key_of_another_circuit_is_rejected(valid, srs):
    vk, public, proof, _ = valid
    other = Circuit()
    x, y = other.private("x"), other.private("y")
    out, k = other.public("out"), other.public("k")
    other.assert_equal(other.add(other.mul(other.mul(x, y), k), y), out)   # + y where ours has + x
    _, vk_other = setup(other, srs)
    assert vk_other != vk
    assert not verify(vk_other, public, proof)


def test_proof_of_another_statement_is_rejected(valid):
    vk, public, proof, pk = valid
    proof2, public2 = prove(pk, {"x": 2, "y": 2, "k": 1, "out": 6})
    assert verify(vk, public2, proof2)
    assert not verify(vk, public, proof2)
    assert not verify(vk, public2, proof)


def test_mixing_two_valid_proofs_is_rejected(valid):
    vk, public, proof, pk = valid
    other, _ = prove(pk, {"x": 3, "y": 4, "k": 5, "out": 63})
    for name in PROOF_POINTS + PROOF_EVALS:
        assert not verify(vk, public, proof.replace(**{name: getattr(other, name)})), name


@pytest.mark.parametrize("name", PROOF_POINTS)
def test_point_off_the_curve_is_rejected(valid, name):
    vk, public, proof, _ = valid
    d = proof.to_json()
    d[name] = [d[name][0], str((int(d[name][1]) + 1) % Q_MOD), "1"]
    v = check(vk, public, d)
    assert not v.ok and name in v.reason and "curve" in v.reason


@pytest.mark.parametrize("mutate,needle", [
    (lambda d: d.pop("Wxi"), "missing field 'Wxi'"),
    (lambda d: d.__setitem__("A", ["1", "2"]), None),
    (lambda d: d.__setitem__("A", [str(Q_MOD), "2", "1"]), "out of range"),
    (lambda d: d.__setitem__("A", ["1", "2", "2"]), "affine"),
    (lambda d: d.__setitem__("A", "garbage"), "G1 point"),
    (lambda d: d.__setitem__("eval_a", "12abc"), "not an integer"),
    (lambda d: d.__setitem__("eval_a", 1.5), "decimal string"),
    (lambda d: d.__setitem__("protocol", "groth16"), "protocol"),
])
def test_malformed_proof_json_is_rejected_with_a_reason(valid, mutate, needle):
    vk, public, proof, _ = valid
    d = proof.to_json()
    mutate(d)
    v = check(vk, public, d)
    assert not v.ok
    if needle:
        assert needle in v.reason


@pytest.mark.parametrize("mutate,needle", [
    (lambda d: d.__setitem__("curve", "bls12381"), "unsupported curve"),
    (lambda d: d.__setitem__("nPublic", -1), "nPublic"),
    (lambda d: d.__setitem__("power", 40), "power"),
    (lambda d: d.__setitem__("X_2", [["1", "2"], ["3", "4"], ["1", "0"]]), "X_2"),
    (lambda d: d.pop("Qm"), "missing field 'Qm'"),
    (lambda d: d.__setitem__("k1", str(R_MOD)), "k1"),
])
def test_malformed_verification_key_is_rejected_with_a_reason(valid, mutate, needle):
    vk, public, proof, _ = valid
    d = vk.to_json()
    mutate(d)
    v = check(d, public, proof)
    assert not v.ok and needle in v.reason


def test_non_list_inputs_never_raise(valid):
    vk, public, proof, _ = valid
    for bad in (None, 5, "x", {"a": 1}):
        assert not check(vk, bad, proof).ok
        assert not check(bad, public, proof).ok
        assert not check(vk, public, bad).ok
    assert isinstance(Proof.from_json(proof.to_json()), Proof)
