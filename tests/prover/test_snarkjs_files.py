"""Malformed or mismatched .zkey / .wtns / .r1cs / .ptau: one line naming the fault, never a proof.

Built without node from the repository's tiny circuit (out <== x·x + 5, wires 1, out, x) and
the known-τ .ptau: our setup writes the zkey, ``write_wtns`` the witness.  Each fault is its
own test; a few also go through the CLI in a subprocess (one stderr line, exit 2, no
traceback, no output file).
"""

import os
import struct
import subprocess
import sys

import pytest

from conftest import VECTORS
from prover.snarkjs import (FormatError, plonk_setup, prove_zkey, read_wtns, read_zkey,
                            vk_json_text, write_wtns)
from prover.snarkjs.binfile import BinFile
from prover.srs import PtauError
from verifier import verify
from verifier.errors import BadInput
from verifier.fields import R_MOD

R1CS = VECTORS / "ptau" / "circuit.r1cs"
PTAU = VECTORS / "ptau" / "knowntau_pot5.ptau"
ROOT = VECTORS.parent.parent


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny")
    plonk_setup(R1CS, PTAU, d / "c.zkey")
    write_wtns(d / "w.wtns", [1, 30, 5])
    return d


def _patched(good, tmp_path, name, edit):
    data = bytearray((good / name).read_bytes())
    data = edit(data) or data
    out = tmp_path / name
    out.write_bytes(bytes(data))
    return out


def _section(path, sid):
    return BinFile(path, path.read_bytes()[:4], 2, "file").sections[sid][0]


def test_good_files_prove_and_verify(good):
    zk = read_zkey(good / "c.zkey")
    proof, public = prove_zkey(zk, read_wtns(good / "w.wtns"))
    assert public == [30] and verify(zk.vk, public, proof)


# ------------------------------------------------------------------ zkey

def _bad_zkey(good, tmp_path, edit, match):
    with pytest.raises(FormatError, match=match):
        read_zkey(_patched(good, tmp_path, "c.zkey", edit))


def test_zkey_wrong_magic(good, tmp_path):
    _bad_zkey(good, tmp_path, lambda d: d.__setitem__(slice(0, 4), b"zkex"), "wrong magic")


def test_zkey_wrong_version(good, tmp_path):
    _bad_zkey(good, tmp_path, lambda d: d.__setitem__(slice(4, 8), struct.pack("<I", 3)),
              "unsupported version 3")


def test_zkey_truncated(good, tmp_path):
    _bad_zkey(good, tmp_path, lambda d: d[: len(d) // 2], "truncated")


def test_zkey_shorter_than_preamble(good, tmp_path):
    _bad_zkey(good, tmp_path, lambda d: d[:7], "truncated")


def test_zkey_trailing_bytes(good, tmp_path):
    _bad_zkey(good, tmp_path, lambda d: d + b"\0" * 5, "5 trailing bytes")


def test_zkey_groth16_protocol(good, tmp_path):
    off, _ = _section(good / "c.zkey", 1)
    _bad_zkey(good, tmp_path, lambda d: d.__setitem__(slice(off, off + 4), struct.pack("<I", 1)),
              r"not a PLONK key: protocol 1 \(Groth16\)")


def test_zkey_wrong_curve(good, tmp_path):
    off, _ = _section(good / "c.zkey", 2)
    _bad_zkey(good, tmp_path, lambda d: d.__setitem__(off + 4, d[off + 4] ^ 1), "wrong curve")


def test_zkey_section_size_disagrees_with_header(good, tmp_path):
    off, _ = _section(good / "c.zkey", 2)
    # nConstraints (the gate count) + 1: the A/B/C maps are now one entry short
    pos = off + 72 + 16
    _bad_zkey(good, tmp_path, lambda d: d.__setitem__(
        slice(pos, pos + 4), struct.pack("<I", struct.unpack_from("<I", d, pos)[0] + 1)),
        r"section 4 .* has \d+ bytes, expected")


def test_zkey_missing_section(good, tmp_path):
    off, _ = _section(good / "c.zkey", 14)
    _bad_zkey(good, tmp_path, lambda d: d.__setitem__(slice(off - 12, off - 8),
                                                      struct.pack("<I", 15)), "missing section 14")


def test_zkey_wire_map_out_of_range(good, tmp_path):
    off, _ = _section(good / "c.zkey", 5)
    _bad_zkey(good, tmp_path, lambda d: d.__setitem__(slice(off, off + 4),
                                                      struct.pack("<I", 99)), "names variable 99")


def test_zkey_commitment_not_on_curve(good, tmp_path):
    off, _ = _section(good / "c.zkey", 2)
    qm_y = off + 156 + 32
    _bad_zkey(good, tmp_path, lambda d: d.__setitem__(qm_y, d[qm_y] ^ 1), "Qm is not a valid G1")


# ------------------------------------------------------------------ wtns

def _bad_wtns(good, tmp_path, edit, match, cls=FormatError):
    path = _patched(good, tmp_path, "w.wtns", edit)
    with pytest.raises(cls, match=match):
        prove_zkey(read_zkey(good / "c.zkey"), read_wtns(path))


def test_wtns_wrong_curve(good, tmp_path):
    off, _ = _section(good / "w.wtns", 1)
    _bad_wtns(good, tmp_path, lambda d: d.__setitem__(off + 4, d[off + 4] ^ 1), "wrong curve")


def test_wtns_of_another_circuit(good, tmp_path):
    write_wtns(tmp_path / "w.wtns", [1, 30, 5, 7])
    with pytest.raises(FormatError, match="has 4 values but the key's circuit has 3"):
        prove_zkey(read_zkey(good / "c.zkey"), read_wtns(tmp_path / "w.wtns"))


def test_wtns_value_not_below_r(good, tmp_path):
    off, _ = _section(good / "w.wtns", 2)
    _bad_wtns(good, tmp_path, lambda d: d.__setitem__(slice(off + 64, off + 96),
                                                      R_MOD.to_bytes(32, "little")),
              "witness value 2 is not below r")


def test_wtns_truncated(good, tmp_path):
    _bad_wtns(good, tmp_path, lambda d: d[:-10], "truncated")


def test_wtns_wrong_magic_zkey_given(good, tmp_path):
    with pytest.raises(FormatError, match="not a wtns file"):
        read_wtns(good / "c.zkey")


def test_wtns_unsatisfying_is_rejected_not_bad_input(good, tmp_path):
    from circuits.builder import UnsatisfiedError
    write_wtns(tmp_path / "w.wtns", [1, 31, 5])
    with pytest.raises(UnsatisfiedError, match="gate 1"):
        prove_zkey(read_zkey(good / "c.zkey"), read_wtns(tmp_path / "w.wtns"))


# ------------------------------------------------------------------ r1cs / ptau (setup)

def _bad_setup(tmp_path, r1cs, ptau, match, cls=BadInput):
    with pytest.raises(cls, match=match):
        plonk_setup(r1cs, ptau, tmp_path / "out.zkey")
    assert not os.path.exists(tmp_path / "out.zkey")


def test_r1cs_wrong_curve(tmp_path):
    data = bytearray(R1CS.read_bytes())
    off, _ = _section(R1CS, 1)
    data[off + 4] ^= 1
    (tmp_path / "c.r1cs").write_bytes(bytes(data))
    _bad_setup(tmp_path, tmp_path / "c.r1cs", PTAU, "wrong curve")


def test_r1cs_truncated(tmp_path):
    (tmp_path / "c.r1cs").write_bytes(R1CS.read_bytes()[:-40])
    _bad_setup(tmp_path, tmp_path / "c.r1cs", PTAU, "truncated")


def test_r1cs_wire_out_of_range(tmp_path):
    data = bytearray(R1CS.read_bytes())
    off, _ = _section(R1CS, 2)
    data[off + 4: off + 8] = struct.pack("<I", 77)            # first term's wire of A
    (tmp_path / "c.r1cs").write_bytes(bytes(data))
    _bad_setup(tmp_path, tmp_path / "c.r1cs", PTAU, "uses wire 77")


def test_ptau_too_small_for_circuit(tmp_path):
    from prover.snarkjs import R1CS as System, write_r1cs
    cons = [({1: 1}, {1: 1}, {2: 1})] * 40                   # 40 rows > 2^5
    write_r1cs(tmp_path / "big.r1cs", System(3, 1, 0, 1, 3, cons))
    _bad_setup(tmp_path, tmp_path / "big.r1cs", PTAU, "circuit too big", PtauError)


def test_ptau_not_prepared_for_phase2(tmp_path):
    data = bytearray(PTAU.read_bytes())
    off, _ = _section(PTAU, 12)
    data[off - 12: off - 8] = struct.pack("<I", 99)
    (tmp_path / "p.ptau").write_bytes(bytes(data))
    _bad_setup(tmp_path, R1CS, tmp_path / "p.ptau", "not prepared for phase 2", PtauError)


def test_ptau_given_an_r1cs(tmp_path):
    _bad_setup(tmp_path, R1CS, R1CS, "not a .ptau file", PtauError)


# ------------------------------------------------------------------ through the CLI

def _cli(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "ledger.cli", *map(str, args)], env=env,
                       capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def _one_line(rc, err, expect):
    assert rc == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("darkmatch: error: ") and expect in err, err


def test_cli_prove_truncated_zkey(good, tmp_path):
    bad = _patched(good, tmp_path, "c.zkey", lambda d: d[:1000])
    rc, _, err = _cli("plonk", "prove", bad, good / "w.wtns", tmp_path / "p.json",
                      tmp_path / "pub.json")
    _one_line(rc, err, "truncated")
    assert not (tmp_path / "p.json").exists()


def test_cli_prove_wtns_wrong_curve(good, tmp_path):
    off, _ = _section(good / "w.wtns", 1)
    bad = _patched(good, tmp_path, "w.wtns", lambda d: d.__setitem__(off + 4, d[off + 4] ^ 1))
    rc, _, err = _cli("plonk", "prove", good / "c.zkey", bad, tmp_path / "p.json",
                      tmp_path / "pub.json")
    _one_line(rc, err, "wrong curve")
    assert not (tmp_path / "pub.json").exists()


def test_cli_setup_ptau_too_small(tmp_path):
    from prover.snarkjs import R1CS as System, write_r1cs
    write_r1cs(tmp_path / "big.r1cs", System(3, 1, 0, 1, 3, [({1: 1}, {1: 1}, {2: 1})] * 40))
    rc, _, err = _cli("plonk", "setup", tmp_path / "big.r1cs", PTAU, tmp_path / "o.zkey")
    _one_line(rc, err, "circuit too big")
    assert not (tmp_path / "o.zkey").exists()


def test_cli_setup_missing_r1cs(tmp_path):
    rc, _, err = _cli("plonk", "setup", tmp_path / "nope.r1cs", PTAU, tmp_path / "o.zkey")
    _one_line(rc, err, "cannot open")


def test_cli_export_vk_of_a_wtns(good, tmp_path):
    rc, _, err = _cli("zkey", "export", "verificationkey", good / "w.wtns", tmp_path / "vk.json")
    _one_line(rc, err, "not a zkey file")
    assert not (tmp_path / "vk.json").exists()


def test_cli_verify_malformed_proof_json(good, tmp_path):
    (tmp_path / "vk.json").write_text(vk_json_text(read_zkey(good / "c.zkey").vk))
    (tmp_path / "public.json").write_text('["30"]')
    (tmp_path / "proof.json").write_text('{"A": [1, 2')
    rc, _, err = _cli("plonk", "verify", tmp_path / "vk.json", tmp_path / "public.json",
                      tmp_path / "proof.json")
    _one_line(rc, err, "not JSON")
