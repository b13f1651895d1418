"""Local powers-of-tau ceremony: the honest path, tampered transcripts and points, the CLI."""

import struct

import numpy as np
import pytest

from conftest import VECTORS, run_snarkjs
from ledger.cli.main import main
from prover import ceremony as C
from prover.ceremony import CeremonyError, Contribution
from prover.kernels import g1
from prover.srs import g2_to_lem, load_ptau, read_section, scan_ptau, write_ptau
from verifier.curve import G1_GEN, G2_GEN, g1_add, g1_mul, g2_mul
from verifier.fields import R_MOD

POWER = 4


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """new → contribute (alice) → contribute (bob); returns the three paths."""
    d = tmp_path_factory.mktemp("ceremony")
    paths = [d / "c0.ptau", d / "c1.ptau", d / "c2.ptau"]
    C.new(POWER, paths[0])
    C.contribute(paths[0], paths[1], name="alice")
    C.contribute(paths[1], paths[2], name="bob", entropy=b"dice rolls")
    return paths


def _rewrite(src, dst, *, records=None, g1_pts=None, g2_tau=None):
    """Copy a ceremony file, replacing its transcript and/or points."""
    lay = scan_ptau(src)
    g1_arr = np.frombuffer(read_section(lay, 2), dtype="<u8").reshape(-1, 2, 4).copy()
    if g1_pts is not None:
        g1_arr = g1_pts
    recs = C.read_transcript(src) if records is None else records
    t2 = load_ptau(src, _allow_trivial=True).g2[1] if g2_tau is None else g2_tau
    write_ptau(dst, lay.power, [(2, np.ascontiguousarray(g1_arr, dtype="<u8")),
                                (3, g2_to_lem(G2_GEN) + g2_to_lem(t2)),
                                (C.SECTION, C._encode(recs))])
    return dst


def test_honest_ceremony_verifies_and_loads(chain, tmp_path):
    infos = C.verify(chain[2])
    assert [(i["index"], i["name"]) for i in infos] == [(1, "alice"), (2, "bob")]
    assert [i["hash"] for i in infos] == [h.hex() for h in C._hash_chain(POWER, C.read_transcript(chain[2]))[1:]]
    srs = load_ptau(chain[2])
    assert srs.power == POWER and srs.g1.shape == (2 * 2 ** POWER - 1, 2, 4)
    assert g1.array_to_points(srs.g1[1:2])[0] != G1_GEN
    one = load_ptau(chain[1])
    assert not np.array_equal(one.g1, srs.g1) and one.g2[1] != srs.g2[1]
    out = tmp_path / "final.ptau"
    back = C.export(chain[2], out)
    assert sorted(scan_ptau(out).sections) == [1, 2, 3, 12, C.SECTION]
    assert np.array_equal(back.g1, srs.g1)
    assert C.verify(out) == infos                        # the export keeps the transcript


def test_new_file_is_rejected_until_someone_contributes(chain):
    with pytest.raises(CeremonyError, match="no contributions yet"):
        C.verify(chain[0])
    with pytest.raises(ValueError, match="tau = 1"):
        load_ptau(chain[0])


def test_contributions_are_fresh(chain, tmp_path):
    again = tmp_path / "again.ptau"
    C.contribute(chain[0], again, name="alice")
    assert load_ptau(again).g2[1] != load_ptau(chain[1]).g2[1]


def test_changed_point_is_rejected(chain, tmp_path):
    pts = load_ptau(chain[2]).g1.copy()
    pts[5] = pts[4]
    bad = _rewrite(chain[2], tmp_path / "bad.ptau", g1_pts=pts)
    with pytest.raises(CeremonyError, match="not successive powers"):
        C.verify(bad)


def test_wrong_proof_of_knowledge_is_rejected(chain, tmp_path):
    recs = C.read_transcript(chain[2])
    r = recs[1]
    recs[1] = Contribution(r.name, r.S, r.R, (r.z + 1) % R_MOD, r.tau_g1, r.tau_g2)
    bad = _rewrite(chain[2], tmp_path / "bad.ptau", records=recs)
    with pytest.raises(CeremonyError, match=r"contribution 2 \('bob'\): the proof of knowledge"):
        C.verify(bad)


def test_renamed_contribution_breaks_its_proof(chain, tmp_path):
    recs = C.read_transcript(chain[2])
    r = recs[0]
    recs[0] = Contribution("mallory", r.S, r.R, r.z, r.tau_g1, r.tau_g2)
    with pytest.raises(CeremonyError, match="contribution 1 .*proof of knowledge"):
        C.verify(_rewrite(chain[2], tmp_path / "bad.ptau", records=recs))


def _forged(prev_hash, name, s, tau_g1, tau_g2):
    """A contribution with a VALID Schnorr proof for s, whatever points it claims."""
    k = 424242
    c = Contribution(name, g1_mul(G1_GEN, s), g1_mul(G1_GEN, k), 0, tau_g1, tau_g2)
    return Contribution(name, c.S, c.R, (k + C._challenge(prev_hash, c) * s) % R_MOD, tau_g1, tau_g2)


def test_update_that_is_not_a_multiple_of_the_previous_is_rejected(chain, tmp_path):
    """Bob replaces the SRS by one with his own τ' (consistent powers, valid proof for some s)."""
    recs = C.read_transcript(chain[1])
    tau_new, s = 987654321, 5555
    pts = g1.points_to_array([g1_mul(G1_GEN, pow(tau_new, i, R_MOD)) for i in range(2 * 2 ** POWER - 1)])
    t2 = g2_mul(G2_GEN, tau_new)
    prev = C._hash_chain(POWER, recs)[-1]
    forged = _forged(prev, "bob", s, g1.array_to_points(pts[1:2])[0], t2)
    bad = _rewrite(chain[1], tmp_path / "bad.ptau", records=recs + [forged], g1_pts=pts, g2_tau=t2)
    assert load_ptau(bad).power == POWER                  # as an SRS the file is fine …
    with pytest.raises(CeremonyError, match=r"\[tau\]_2 is not the previous \[tau\]_2 times"):
        C.verify(bad)                                     # … but it does not extend alice's


def test_file_points_must_be_the_last_records(chain, tmp_path):
    recs = C.read_transcript(chain[2])
    r = recs[1]
    recs[1] = Contribution(r.name, r.S, r.R, r.z, g1_add(r.tau_g1, G1_GEN), r.tau_g2)
    with pytest.raises(CeremonyError, match="not those of its last contribution"):
        C.verify(_rewrite(chain[2], tmp_path / "bad.ptau", records=recs))


def test_record_whose_g1_and_g2_disagree_is_rejected(chain):
    recs = C.read_transcript(chain[2])
    prev = C._hash_chain(POWER, recs[:1])[-1]
    forged = _forged(prev, "bob", 77, g1_add(recs[1].tau_g1, G1_GEN), g2_mul(recs[0].tau_g2, 77))
    with pytest.raises(CeremonyError, match=r"contribution 2 \('bob'\): its \[tau\]_1 and \[tau\]_2 do not match"):
        C._check_record(2, forged, prev, recs[0].tau_g2)
    honest = _forged(prev, "bob", 77, g1_mul(recs[0].tau_g1, 77), g2_mul(recs[0].tau_g2, 77))
    C._check_record(2, honest, prev, recs[0].tau_g2)     # the same record, consistent: accepted


def test_replayed_contribution_is_rejected(chain, tmp_path):
    recs = C.read_transcript(chain[2])
    bad = _rewrite(chain[2], tmp_path / "bad.ptau", records=[recs[0], recs[0]],
                   g2_tau=recs[0].tau_g2,
                   g1_pts=load_ptau(chain[1]).g1)
    with pytest.raises(CeremonyError, match="contribution 2 .*proof of knowledge"):
        C.verify(bad)


def test_malformed_transcript_is_rejected(chain, tmp_path):
    lay = scan_ptau(chain[2])
    raw = read_section(lay, C.SECTION)
    for body, pattern in ((raw[:-10], "truncated"), (struct.pack("<II", 2, 0), "version 2"),
                          (raw + b"x", "trailing bytes")):
        p = tmp_path / "m.ptau"
        write_ptau(p, POWER, [(2, read_section(lay, 2)), (3, read_section(lay, 3)), (C.SECTION, body)])
        with pytest.raises(CeremonyError, match=pattern):
            C.verify(p)
    with pytest.raises(CeremonyError, match="not a darkmatch ceremony file"):
        C.verify(VECTORS / "ptau" / "snarkjs_pot5.ptau")


# ----------------------------------------------------------------- CLI

def test_cli_round_trip(tmp_path, capsys):
    f0, f1, f2 = (str(tmp_path / n) for n in ("a.ptau", "b.ptau", "c.ptau"))
    assert main(["ceremony", "new", "--power", "3", "--out", f0]) == 0
    assert main(["ceremony", "contribute", "--in", f0, "--out", f1, "--name", "carol"]) == 0
    assert "contribution #1 'carol'" in capsys.readouterr().out
    assert main(["ceremony", "verify", f1]) == 0
    assert "OK: 1 contribution(s) verified" in capsys.readouterr().out
    assert main(["ceremony", "export", "--in", f1, "--out", f2]) == 0
    assert sorted(load_ptau(f2).lagrange) == [0, 1, 2, 3]


@pytest.mark.parametrize("argv, message", [
    (["ceremony", "verify", "/nonexistent/x.ptau"], "no such file"),
    (["ceremony", "new", "--power", "0", "--out", "x"], "--power must be in 1..28"),
    (["ceremony", "verify", str(VECTORS / "ptau" / "circuit.r1cs")], "wrong magic"),
    (["ceremony", "contribute", "--in", str(VECTORS / "ptau" / "snarkjs_pot5.ptau"), "--out", "x"],
     "not a darkmatch ceremony file"),
    (["ceremony", "new", "--out", "x"], "--power"),
])
def test_cli_bad_input_is_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_snarkjs_accepts_the_exported_ceremony(chain, tmp_path, snarkjs):
    out = tmp_path / "final.ptau"
    C.export(chain[2], out)
    zkey = tmp_path / "c.zkey"
    rc, log = run_snarkjs(snarkjs, "plonk", "setup", VECTORS / "ptau" / "circuit.r1cs", out, zkey)
    assert rc == 0 and zkey.stat().st_size > 0, log

