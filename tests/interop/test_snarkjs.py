"""Interop with snarkjs 0.7.6 both ways: it verifies our proofs, we verify its proofs."""

import json

import pytest

from circuits import Circuit
from conftest import VECTORS, run_snarkjs
from prover import prove
from prover.setup import setup
from verifier import Proof, VerifyingKey, check, verify
from verifier.curve import G1_GEN, g1_add

FIXTURES = ["tiny", "multi"]


def _load(name):
    d = VECTORS / "snarkjs" / name
    return tuple(json.loads((d / f).read_text()) for f in ("vk.json", "public.json", "proof.json"))


@pytest.mark.parametrize("name", FIXTURES)
def test_we_verify_snarkjs_proofs(name):
    vk, public, proof = _load(name)
    verdict = check(vk, public, proof)
    assert verdict.ok, verdict.reason


@pytest.mark.parametrize("name", FIXTURES)
def test_our_json_round_trip_is_byte_identical_to_snarkjs(name):
    vk, _, proof = _load(name)
    assert VerifyingKey.from_json(vk).to_json() == vk
    assert Proof.from_json(proof).to_json() == proof


@pytest.mark.parametrize("name", FIXTURES)
def test_tampered_snarkjs_proof_is_rejected(name):
    vk, public, proof = _load(name)
    p = Proof.from_json(proof)
    assert not verify(vk, public, p.replace(Wxi=g1_add(p.Wxi, G1_GEN)))
    assert not verify(vk, [str(int(public[0]) + 1)] + public[1:], proof)


def _write(tmp_path, vk, public, proof):
    files = []
    for fname, obj in (("vk.json", vk), ("public.json", public), ("proof.json", proof)):
        path = tmp_path / fname
        path.write_text(json.dumps(obj, indent=1))
        files.append(path)
    return files


def _interop_circuit():
    c = Circuit()
    a, b = c.public("a"), c.private("b")
    acc = c.mul(a, b)
    for i in range(20):
        acc = c.add(c.mul(acc, acc), c.lincomb([(a, i), (b, 2)], const=i))
    c.assert_equal(acc, c.public("out"))
    return c


def _interop_assignment():
    from verifier.fields import R_MOD
    a, b = 3, 5
    acc = a * b
    for i in range(20):
        acc = (acc * acc + a * i + 2 * b + i) % R_MOD
    return {"a": a, "b": b, "out": acc}


def test_snarkjs_verifies_our_proof(snarkjs, srs, tmp_path):
    pk, vk = setup(_interop_circuit(), srs)
    proof, public = prove(pk, _interop_assignment())
    vk_f, pub_f, proof_f = _write(tmp_path, vk.to_json(), [str(x) for x in public], proof.to_json())
    rc, out = run_snarkjs(snarkjs, "plonk", "verify", vk_f, pub_f, proof_f)
    assert rc == 0 and "OK!" in out, out


def test_snarkjs_rejects_our_tampered_proof(snarkjs, srs, tmp_path):
    pk, vk = setup(_interop_circuit(), srs)
    proof, public = prove(pk, _interop_assignment())
    bad = proof.replace(eval_b=(proof.eval_b + 1))
    vk_f, pub_f, proof_f = _write(tmp_path, vk.to_json(), [str(x) for x in public], bad.to_json())
    rc, out = run_snarkjs(snarkjs, "plonk", "verify", vk_f, pub_f, proof_f)
    assert rc != 0 and "OK!" not in out, out
