"""Interop with snarkjs 0.7.6 both ways: it verifies our proofs, we verify its proofs; its
files are the one canonical encoding (they parse strictly and write back byte for byte)."""

import json
import warnings

import pytest

from circuits import Circuit
from conftest import VECTORS, run_snarkjs
from prover import prove
from prover.setup import setup
from verifier import Proof, VerifyingKey, canonical_json, check, verify
from verifier.marshal import parse_proof, parse_public, parse_verifying_key
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


def test_snarkjs_verifies_our_canonical_json(snarkjs, srs, tmp_path):
    """The bytes the ledger hashes (sorted keys, no whitespace) are files snarkjs reads."""
    pk, vk = setup(_interop_circuit(), srs)
    proof, public = prove(pk, _interop_assignment())
    files = []
    for fname, obj in (("vk.json", vk), ("public.json", public), ("proof.json", proof)):
        (tmp_path / fname).write_bytes(canonical_json(obj))
        files.append(tmp_path / fname)
    rc, out = run_snarkjs(snarkjs, "plonk", "verify", *files)
    assert rc == 0 and "OK!" in out, out


def test_fresh_snarkjs_output_is_canonical(snarkjs, tmp_path):
    """circom2 + snarkjs make a new (randomised) proof now: its proof.json, public.json and
    verification_key.json parse with the strict parsers, write back byte-identical, verify."""
    from prover.srs import dev_srs, export_ptau
    circom = snarkjs.parent / "circom2"
    assert circom.exists(), "circom2 is pinned next to snarkjs in tests/package.json"
    src = VECTORS / "snarkjs" / "tiny" / "circuit.circom"
    (tmp_path / "circuit.circom").write_text(src.read_text())
    rc, out = run_snarkjs(circom, "circuit.circom", "--r1cs", "--wasm", "-o", ".", cwd=tmp_path)
    assert rc == 0, out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_ptau(dev_srs(4), tmp_path / "pot.ptau")
    (tmp_path / "in.json").write_text('{"x": 7}')
    for cmd in (("plonk", "setup", "circuit.r1cs", "pot.ptau", "c.zkey"),
                ("wtns", "calculate", "circuit_js/circuit.wasm", "in.json", "w.wtns"),
                ("plonk", "prove", "c.zkey", "w.wtns", "proof.json", "public.json"),
                ("zkey", "export", "verificationkey", "c.zkey", "vk.json")):
        rc, out = run_snarkjs(snarkjs, *cmd, cwd=tmp_path)
        assert rc == 0, (cmd, out)
    text = {f: (tmp_path / f).read_text() for f in ("vk.json", "public.json", "proof.json")}
    vk = parse_verifying_key(json.loads(text["vk.json"]))
    public = parse_public(json.loads(text["public.json"]), vk.n_public)
    proof = parse_proof(json.loads(text["proof.json"]))
    assert public == [7 * 7 + 5]
    assert json.dumps(vk.to_json(), indent=1) == text["vk.json"]
    assert json.dumps(proof.to_json(), indent=1) == text["proof.json"]
    assert json.dumps([str(x) for x in public], indent=1) == text["public.json"]
    assert json.loads(canonical_json(proof)) == json.loads(text["proof.json"])
    assert check(vk, public, proof).ok
