"""`darkmatch evm verifier`'s stand-alone Verifier.sol, and the cross-check with snarkjs's own.

For a key snarkjs made (circom2 → r1cs, ``snarkjs plonk setup``), snarkjs's
exported verifier (``zkey export solidityverifier``), our generated one and the
deployable PlonkKeyVerifier give the same verdict on snarkjs's proofs and on
the same tamper set.  snarkjs's ``zkey export soliditycalldata`` fixes the
proof word order we claim.  Needs node (solcjs, circom2, snarkjs) and anvil.
"""

import json
import re
import subprocess

import pytest

from conftest import TESTS, run_snarkjs
from evm_fixtures import anvil, solc  # noqa: F401 (fixtures)
from ledger.ethereum.deploy import deploy_verifier
from ledger.ethereum.generate import CONTRACT_NAME, verifier_source
from ledger.ethereum.words import proof_words
from prover import prove
from prover.setup import setup
from verifier import VerifyingKey, verify
from verifier.fields import Q_MOD, R_MOD

from test_verifier_contract import statement_circuit


def _deploy_source(w3, compile_sources, source: str, name: str):
    art = compile_sources({"Verifier.sol": source})[name]
    factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    h = factory.constructor().transact({"from": w3.eth.accounts[0]})
    return w3.eth.contract(address=w3.eth.wait_for_transaction_receipt(h).contractAddress, abi=art["abi"])


def _verdict(contract, words, public):
    return contract.functions.verifyProof([int(w) for w in words], [int(x) for x in public]).call()


def _tampers(words, public):
    """(label, words, public) for every proof word + 1, evaluation + r, public + 1 and + r."""
    for i in range(24):
        w = list(words)
        w[i] += 1
        yield f"word{i}+1", w, public
    for i in range(18, 24):
        w = list(words)
        w[i] += R_MOD
        yield f"word{i}+r", w, public
    for i in range(0, 18, 2):
        w = list(words)
        w[i] += Q_MOD
        yield f"word{i}+q", w, public
    for i in range(len(public)):
        for label, delta in (("+1", 1), ("+r", R_MOD)):
            p = list(public)
            p[i] += delta
            yield f"public{i}{label}", words, p


@pytest.fixture(scope="module")
def ours(srs):
    pk, vk = setup(statement_circuit(), srs)
    proof, public = prove(pk, {"x": 3, "y": 4, "k": 5, "out": 63})
    return vk, [int(x) for x in public], proof


def test_generated_source_has_snarkjs_interface(ours):
    src = verifier_source(ours[0])
    assert f"contract {CONTRACT_NAME} is PlonkMath" in src
    assert "function verifyProof(uint256[24] calldata _proof, uint256[2] calldata _pubSignals)" in src
    assert "uint256 private constant K25 = 2;" in src and "private immutable" not in src


def test_generated_verifier_agrees_with_the_deployable_one(anvil, solc, ours):
    vk, public, proof = ours
    generated = _deploy_source(anvil, solc, verifier_source(vk), CONTRACT_NAME)
    keyed = deploy_verifier(anvil, vk)
    words = proof_words(proof)
    assert _verdict(generated, words, public) and _verdict(keyed, words, public)
    for label, w, p in _tampers(words, public):
        assert not _verdict(generated, w, p), label
        assert not keyed.functions.verifyProof(w, p).call(), label


def _circom(tmp_path):
    exe = TESTS / "node_modules" / ".bin" / "circom2"
    src = TESTS / "vectors" / "snarkjs" / "multi" / "circuit2.circom"
    p = subprocess.run([str(exe), str(src), "--r1cs", "--wasm", "-o", str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    return tmp_path / "circuit2.r1cs", tmp_path / "circuit2_js" / "circuit2.wasm"


@pytest.fixture(scope="module")
def snarkjs_made(snarkjs, tmp_path_factory):
    """snarkjs's key, two proofs and its exported Solidity verifier for circuit2 (3 public inputs)."""
    d = tmp_path_factory.mktemp("snarkjs_evm")
    r1cs, wasm = _circom(d)
    ptau = TESTS / "vectors" / "ptau" / "snarkjs_pot5.ptau"
    run = lambda *a: run_snarkjs(snarkjs, *a, cwd=d)   # noqa: E731
    rc, out = run("plonk", "setup", r1cs, ptau, d / "c.zkey")
    assert rc == 0, out
    proofs = []
    for i, inputs in enumerate(({"a": "2", "b": "3", "c": "4"}, {"a": "9", "b": "1", "c": "6"})):
        (d / f"in{i}.json").write_text(json.dumps(inputs))
        assert run("wtns", "calculate", wasm, d / f"in{i}.json", d / f"w{i}.wtns")[0] == 0
        rc, out = run("plonk", "prove", d / "c.zkey", d / f"w{i}.wtns", d / f"p{i}.json", d / f"pub{i}.json")
        assert rc == 0, out
        rc, calldata = run("zkey", "export", "soliditycalldata", d / f"pub{i}.json", d / f"p{i}.json")
        assert rc == 0, calldata
        proofs.append((json.loads((d / f"p{i}.json").read_text()),
                       [int(x) for x in json.loads((d / f"pub{i}.json").read_text())], calldata))
    assert run("zkey", "export", "verificationkey", d / "c.zkey", d / "vk.json")[0] == 0
    assert run("zkey", "export", "solidityverifier", d / "c.zkey", d / "sj.sol")[0] == 0
    return json.loads((d / "vk.json").read_text()), proofs, (d / "sj.sol").read_text()


def test_proof_words_follow_snarkjs_calldata(snarkjs_made):
    _, proofs, _ = snarkjs_made
    for proof, public, calldata in proofs:
        nums = [int(x, 16) for x in re.findall(r"0x[0-9a-fA-F]+", calldata)]
        assert nums == proof_words(proof) + public


def test_snarkjs_key_same_verdicts_as_snarkjs_verifier(anvil, solc, snarkjs_made):
    vk, proofs, sj_source = snarkjs_made
    theirs = _deploy_source(anvil, solc, sj_source, "PlonkVerifier")
    generated = _deploy_source(anvil, solc, verifier_source(vk), CONTRACT_NAME)
    keyed = deploy_verifier(anvil, vk)
    for proof, public, _ in proofs:
        assert verify(VerifyingKey.from_json(vk), public, proof)
        words = proof_words(proof)
        assert _verdict(theirs, words, public)
        assert _verdict(generated, words, public)
        assert keyed.functions.verifyProof(words, public).call()
        for label, w, p in _tampers(words, public):
            want = _verdict(theirs, w, p)
            assert want is False, label
            assert _verdict(generated, w, p) is want, label
            assert keyed.functions.verifyProof(w, p).call() is want, label
    # a proof for the other public inputs: rejected by all three
    (p0, pub0, _), (p1, pub1, _) = proofs
    assert not _verdict(theirs, proof_words(p0), pub1)
    assert not _verdict(generated, proof_words(p0), pub1)
