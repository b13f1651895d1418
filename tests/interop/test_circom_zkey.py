"""``darkmatch plonk`` as a drop-in for ``snarkjs plonk`` on circuits compiled by circom2.

For a Poseidon hash, a depth-4 Poseidon Merkle path and a 32-bit range check
(circomlib templates): our setup writes snarkjs's zkey byte for byte, snarkjs
verifies the proofs we make from its zkey and circom's witness, we verify its
proofs, the exported verification keys are identical, and a wrong witness is
refused with the failing gate named.
"""

import json

import numpy as np
import pytest

from circom_builds import circom2, circom_build, darkmatch, session_ptau  # noqa: F401 (fixtures)
from conftest import VECTORS, run_snarkjs
from verifier.fields import R_MOD

NAMES = ["poseidon", "merkle", "range"]
PROOF_FIELDS = ["A", "B", "C", "Z", "T1", "T2", "T3", "Wxi", "Wxiw",
                "eval_a", "eval_b", "eval_c", "eval_s1", "eval_s2", "eval_zw"]


def _one_line_error(rc, out, err, code=None):
    assert rc != 0 and (code is None or rc == code), (rc, out, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("darkmatch: error: ")


@pytest.mark.parametrize("name", NAMES)
def test_setup_writes_snarkjs_zkey_byte_for_byte(circom_build, session_ptau, tmp_path, name):
    b = circom_build(name)
    rc, out, err = darkmatch("plonk", "setup", b.r1cs, session_ptau, tmp_path / "ours.zkey")
    assert rc == 0, err
    assert (tmp_path / "ours.zkey").read_bytes() == b.zkey.read_bytes()


def test_circuits_exercise_additions_and_public_inputs(circom_build):
    from prover.snarkjs import read_zkey
    keys = {name: read_zkey(circom_build(name).zkey) for name in NAMES}
    assert all(zk.n_additions > 0 and zk.n_public >= 1 for zk in keys.values())
    assert keys["merkle"].power == 12 and keys["poseidon"].power == 10


def test_setup_matches_snarkjs_on_a_snarkjs_ceremony_ptau(snarkjs, tmp_path):
    r1cs, ptau = VECTORS / "ptau" / "circuit.r1cs", VECTORS / "ptau" / "snarkjs_pot5.ptau"
    rc, out = run_snarkjs(snarkjs, "plonk", "setup", r1cs, ptau, tmp_path / "theirs.zkey")
    assert rc == 0, out
    rc, _, err = darkmatch("plonk", "setup", r1cs, ptau, tmp_path / "ours.zkey")
    assert rc == 0, err
    assert (tmp_path / "ours.zkey").read_bytes() == (tmp_path / "theirs.zkey").read_bytes()


@pytest.mark.parametrize("name", NAMES)
def test_exported_verification_key_is_snarkjs_s(circom_build, tmp_path, name):
    b = circom_build(name)
    rc, _, err = darkmatch("zkey", "export", "verificationkey", b.zkey, tmp_path / "vk.json")
    assert rc == 0, err
    assert (tmp_path / "vk.json").read_bytes() == b.vk.read_bytes()


@pytest.mark.parametrize("name", NAMES)
def test_snarkjs_verifies_our_proof_from_its_zkey(circom_build, snarkjs, tmp_path, name):
    b = circom_build(name)
    proof, public = tmp_path / "proof.json", tmp_path / "public.json"
    rc, _, err = darkmatch("plonk", "prove", b.zkey, b.wtns, proof, public)
    assert rc == 0, err
    rc, out = run_snarkjs(snarkjs, "plonk", "verify", b.vk, public, proof)
    assert rc == 0 and "OK!" in out, out
    rc, out, _ = darkmatch("plonk", "verify", b.vk, public, proof)
    assert rc == 0 and out.strip() == "OK!"


@pytest.mark.parametrize("name", NAMES)
def test_we_verify_snarkjs_proof_and_agree_on_public_signals(circom_build, snarkjs, tmp_path,
                                                             name):
    b = circom_build(name)
    rc, out = run_snarkjs(snarkjs, "plonk", "prove", b.zkey, b.wtns, tmp_path / "p.json",
                          tmp_path / "pub.json")
    assert rc == 0, out
    rc, out, err = darkmatch("plonk", "verify", b.vk, tmp_path / "pub.json", tmp_path / "p.json")
    assert rc == 0 and out.strip() == "OK!", (out, err)
    rc, _, err = darkmatch("plonk", "prove", b.zkey, b.wtns, tmp_path / "ours.json",
                           tmp_path / "ours_pub.json")
    assert rc == 0, err
    assert json.loads((tmp_path / "ours_pub.json").read_text()) == \
        json.loads((tmp_path / "pub.json").read_text())


def _corrupt_witness(src, dst, index):
    from prover.snarkjs import read_wtns, write_wtns
    from prover.kernels.convert import limbs_to_ints
    w = limbs_to_ints(read_wtns(src))
    w[index] = (w[index] + 1) % R_MOD
    write_wtns(dst, w)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("which", ["public", "internal"])
def test_wrong_witness_cannot_be_proven(circom_build, tmp_path, name, which):
    from circuits.builder import UnsatisfiedError
    from prover.snarkjs import prove_zkey, read_wtns, read_zkey
    b = circom_build(name)
    zk = read_zkey(b.zkey)
    bad = tmp_path / "bad.wtns"
    _corrupt_witness(b.wtns, bad, 1 if which == "public" else zk.n_witness - 1)
    with pytest.raises(UnsatisfiedError, match=r"gate \d+ \(.*row: qM·a·b .* ≠ 0 with a = "):
        prove_zkey(zk, read_wtns(bad))
    rc, out, err = darkmatch("plonk", "prove", b.zkey, bad, tmp_path / "p.json",
                             tmp_path / "pub.json")
    _one_line_error(rc, out, err, code=1)
    assert "does not satisfy the circuit: gate" in err
    assert not (tmp_path / "p.json").exists() and not (tmp_path / "pub.json").exists()


def test_witness_of_another_circuit_is_refused(circom_build, tmp_path):
    a, b = circom_build("poseidon"), circom_build("range")
    rc, out, err = darkmatch("plonk", "prove", a.zkey, b.wtns, tmp_path / "p.json",
                             tmp_path / "pub.json")
    _one_line_error(rc, out, err, code=2)
    assert "another circuit" in err


@pytest.fixture(scope="module")
def poseidon_proof(circom_build, tmp_path_factory):
    b = circom_build("poseidon")
    d = tmp_path_factory.mktemp("poseidon-proof")
    rc, _, err = darkmatch("plonk", "prove", b.zkey, b.wtns, d / "proof.json", d / "public.json")
    assert rc == 0, err
    return (b, json.loads((d / "proof.json").read_text()),
            json.loads((d / "public.json").read_text()))


@pytest.mark.parametrize("field", PROOF_FIELDS)
def test_changed_proof_element_is_rejected(poseidon_proof, tmp_path, field):
    b, proof, public = poseidon_proof
    proof = dict(proof)
    if field.startswith("eval"):
        proof[field] = str((int(proof[field]) + 1) % R_MOD)
    else:
        assert proof[field] != ["1", "2", "1"]
        proof[field] = ["1", "2", "1"]                      # the generator, a valid other point
    (tmp_path / "proof.json").write_text(json.dumps(proof))
    (tmp_path / "public.json").write_text(json.dumps(public))
    rc, out, err = darkmatch("plonk", "verify", b.vk, tmp_path / "public.json",
                             tmp_path / "proof.json")
    assert rc == 1 and out.startswith("Invalid proof"), (rc, out, err)


def test_changed_public_signal_is_rejected(poseidon_proof, tmp_path):
    b, proof, public = poseidon_proof
    for i in range(len(public)):
        changed = list(public)
        changed[i] = str((int(changed[i]) + 1) % R_MOD)
        (tmp_path / "public.json").write_text(json.dumps(changed))
        (tmp_path / "proof.json").write_text(json.dumps(proof))
        rc, out, _ = darkmatch("plonk", "verify", b.vk, tmp_path / "public.json",
                               tmp_path / "proof.json")
        assert rc == 1 and out.startswith("Invalid proof"), (i, out)


def test_changed_verification_key_is_rejected(poseidon_proof, tmp_path):
    b, proof, public = poseidon_proof
    vk = json.loads(b.vk.read_text())
    vk["Qc"] = ["1", "2", "1"]
    (tmp_path / "vk.json").write_text(json.dumps(vk))
    (tmp_path / "public.json").write_text(json.dumps(public))
    (tmp_path / "proof.json").write_text(json.dumps(proof))
    rc, out, _ = darkmatch("plonk", "verify", tmp_path / "vk.json", tmp_path / "public.json",
                           tmp_path / "proof.json")
    assert rc == 1 and out.startswith("Invalid proof")



@pytest.mark.parametrize("name", NAMES)
def test_witness_in_limbs_equals_the_int_path_and_proofs_are_byte_identical(circom_build,
                                                                               monkeypatch, name):
    """The Montgomery-limb witness (additions by kernels.witness) equals the Python-int one, and
    with the same blinding scalars both give the same proof, byte for byte."""
    import itertools

    from prover import steps
    from prover.kernels.convert import fr_from_ints
    from prover.snarkjs import proving_key, read_wtns, read_zkey
    from prover.snarkjs.prove import full_witness
    b = circom_build(name)
    zk, w = read_zkey(b.zkey), read_wtns(b.wtns)
    pk = proving_key(zk)
    wm, public = pk.circuit.witness_limbs(w)
    ints = full_witness(zk, w)
    assert np.array_equal(wm, fr_from_ints(ints)) and public == ints[1: 1 + zk.n_public]
    proofs = []
    for limbs in (True, False):
        seq = itertools.count(12345)
        monkeypatch.setattr(steps, "_rand", lambda: next(seq) ** 5 % R_MOD)
        if not limbs:
            monkeypatch.setattr(pk.circuit, "witness_limbs", None, raising=False)
        proof, pub = steps.prove(pk, w)
        proofs.append((json.dumps(proof.to_json()), pub))
    assert proofs[0] == proofs[1]
