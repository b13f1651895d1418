"""`darkmatch demo` and `darkmatch verify`: a small demo ledger, its block files, bad input.

The demo runs once per module at a small size (4 traders, 4 validators, 2
batches: the 4×4 circuit); the tests check what it wrote — blocks that replay
from the genesis, the last proof in snarkjs's formats — and that every altered
or malformed file is refused with one line.
"""

import json
import subprocess
import sys

import pytest
from conftest import run_snarkjs

from ledger.cli.main import main
from verifier.fields import R_MOD

BATCHES = 2


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out), "--traders", "4", "--batches", str(BATCHES)]) == 0
    return out


def _blocks(d):
    return sorted(str(p) for p in (d / "blocks").glob("block-*.json"))


def _verify_blocks(d, blocks, genesis=True):
    args = ["verify", "--vk", str(d / "verification_key.json"), "--block", *blocks]
    return main(args + (["--genesis", str(d / "genesis.json")] if genesis else []))


def _one_line(text):
    text = text.strip()
    assert text and "\n" not in text and "Traceback" not in text, text
    return text


def test_demo_summary_and_files(demo_dir):
    assert [p.rsplit("/", 1)[1] for p in _blocks(demo_dir)] == [
        f"block-{h:06d}.json" for h in range(1, BATCHES + 1)]
    for name in ("genesis.json", "verification_key.json", "proof.json", "public.json",
                 "operator/node.db", "validators/v0/node.db", "validators/v3/node.db"):
        assert (demo_dir / name).is_file(), name
    for path in _blocks(demo_dir):
        block = json.loads(open(path).read())
        assert len(block["signatures"]) == 4            # every validator signed
        assert sum(o is not None for o in block["orders"]) >= 2


def test_demo_prints_one_row_per_batch(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--traders", "2", "--validators", "1",
                 "--batches", "1"]) == 0
    out = capsys.readouterr().out
    assert "finalized batches" in out and "1/1" in out and "finality" in out
    # a second run refuses to overwrite the ledger without --fresh, then replaces it with it
    assert main(["demo", "--out", str(tmp_path), "--traders", "2", "--batches", "1"]) == 2
    assert "--fresh" in _one_line(capsys.readouterr().err)


def test_blocks_replay_from_genesis(demo_dir, capsys):
    assert _verify_blocks(demo_dir, _blocks(demo_dir)[::-1]) == 0       # any order: sorted
    assert _one_line(capsys.readouterr().out).startswith(f"OK: blocks 1-{BATCHES} replay")
    assert _verify_blocks(demo_dir, _blocks(demo_dir)[-1:], genesis=False) == 0
    assert "every proof verifies" in _one_line(capsys.readouterr().out)


def test_rules_replay_the_demo_chain_in_memory_to_every_node_state(demo_dir):
    """The pure rules, from the genesis, with the real verifier and no database, reach the
    state every node's SQLite store holds; an altered block stops the replay."""
    from ledger.chain.rules import BlockRejected, check_proof, genesis_view, replay_block
    from ledger.chain.store import Store
    from ledger.core.block import block_from_json
    from ledger.core.genesis import load_genesis
    from verifier import VerifyingKey, check
    from verifier.errors import Rejected

    vk = VerifyingKey.from_json(json.loads((demo_dir / "verification_key.json").read_text()))
    verdict = lambda b: (lambda v: (v.ok, v.reason))(  # noqa: E731
        check(vk, list(b.public_inputs), b.proof))
    blocks = [block_from_json(json.loads(open(p).read())) for p in _blocks(demo_dir)]
    view = genesis_view(load_genesis(demo_dir / "genesis.json"))
    for b in blocks:
        view = replay_block(view, b, verdict)
    for node in ("operator", "validators/v0", "validators/v3"):
        with Store.open(demo_dir / node / "node.db") as store:
            stored = store.view()
            assert (view.height, view.head_hash) == store.head() == (BATCHES, blocks[-1].hash())
            assert view.state_root() == store.state_root()
            assert dict(view.accounts) == dict(stored.accounts)
            assert dict(view.markets) == dict(stored.markets)
            assert dict(view.nullifiers) == dict(stored.nullifiers)
    first = genesis_view(load_genesis(demo_dir / "genesis.json"))
    pi = list(blocks[0].public_inputs)
    pi[4] += 1                                           # the volume: the proof must fail
    altered = type(blocks[0])(**{**{f: getattr(blocks[0], f) for f in (
        "height", "parent_hash", "n_orders", "n_accounts", "proof", "state_root", "orders",
        "signatures")}, "public_inputs": pi})
    with pytest.raises(Rejected, match="attestation signature by 'v0' does not verify"):
        replay_block(first, altered, verdict)            # signed over the old hash
    with pytest.raises(BlockRejected, match="block 1: proof rejected"):
        check_proof(altered, verdict)


def test_last_proof_verifies_with_our_cli(demo_dir, capsys):
    assert main(["verify", "--vk", str(demo_dir / "verification_key.json"),
                 "--proof", str(demo_dir / "proof.json"),
                 "--public", str(demo_dir / "public.json")]) == 0
    assert _one_line(capsys.readouterr().out) == "OK: proof verifies"


def test_snarkjs_verifies_the_demo_block(demo_dir, snarkjs):
    rc, out = run_snarkjs(snarkjs, "plonk", "verify", str(demo_dir / "verification_key.json"),
                          str(demo_dir / "public.json"), str(demo_dir / "proof.json"))
    assert rc == 0 and "OK!" in out, out


def _altered(demo_dir, tmp_path, height, change):
    block = json.loads(open(_blocks(demo_dir)[height - 1]).read())
    change(block)
    path = tmp_path / f"block-{height}.json"
    path.write_text(json.dumps(block))
    return str(path)


def _bump_eval(b):
    b["proof"]["eval_a"] = str((int(b["proof"]["eval_a"]) + 1) % R_MOD)


def _bump_volume(b):
    b["public_inputs"][4] = str(int(b["public_inputs"][4]) + 1)


def _two_signatures(b):
    b["signatures"] = b["signatures"][:2]


def _forged_signature(b):
    b["signatures"][0]["signature"] = b["signatures"][1]["signature"]


def _moved_observation(b):
    b["observations"][0]["price"] += 1


def _dropped_observations(b):
    b["observations"] = b["observations"][:2]


@pytest.mark.parametrize("change,needle", [
    (_moved_observation, "signature by 'v0' does not verify"),      # the hash covers them
    (_dropped_observations, "signature by 'v0' does not verify"),
    (_bump_eval, "proof rejected"),
    (_bump_volume, "proof rejected"),
    (_two_signatures, "not final: 200 of 400 stake"),
    (_forged_signature, "signature by 'v0' does not verify"),
])
def test_altered_block_is_invalid(demo_dir, tmp_path, capsys, change, needle):
    blocks = _blocks(demo_dir)
    blocks[0] = _altered(demo_dir, tmp_path, 1, change)
    assert _verify_blocks(demo_dir, blocks) == 1
    out = _one_line(capsys.readouterr().out)
    assert out.startswith("INVALID: block 1") and needle in out, out


def test_gap_and_replayed_block_are_invalid(demo_dir, capsys):
    assert _verify_blocks(demo_dir, _blocks(demo_dir)[1:]) == 1
    assert "does not follow block 0" in _one_line(capsys.readouterr().out)
    assert _verify_blocks(demo_dir, [_blocks(demo_dir)[0]] * 2) == 1
    assert "does not follow block 1" in _one_line(capsys.readouterr().out)


@pytest.mark.parametrize("content,needle", [(None, "not found"), ("{", "not valid JSON"),
                                            ('{"kind": "darkmatch-order"}', "kind")])
def test_bad_block_file_one_line_exit_2(demo_dir, tmp_path, capsys, content, needle):
    path = tmp_path / "block.json"
    if content is not None:
        path.write_text(content)
    assert _verify_blocks(demo_dir, [str(path)]) == 2
    assert needle in _one_line(capsys.readouterr().err)


@pytest.mark.parametrize("content,needle", [
    (None, "not found"), ("{", "not valid JSON"), ("[NaN]", "NaN is not allowed"),
    ("[" * 200_000 + "]" * 200_000, "nested deeper than 64"),     # would overflow the C stack
])
def test_verify_bad_vk_one_line_exit_2(demo_dir, tmp_path, capsys, content, needle):
    path = tmp_path / "vk.json"
    if content is not None:
        path.write_text(content)
    assert main(["verify", "--vk", str(path), "--proof", str(demo_dir / "proof.json"),
                 "--public", str(demo_dir / "public.json")]) == 2
    assert needle in _one_line(capsys.readouterr().err)


def test_verify_rejects_a_changed_public_input(demo_dir, tmp_path, capsys):
    public = json.loads((demo_dir / "public.json").read_text())
    public[2] = str(int(public[2]) + 1)                     # the clearing price
    bad = tmp_path / "public.json"
    bad.write_text(json.dumps(public))
    assert main(["verify", "--vk", str(demo_dir / "verification_key.json"),
                 "--proof", str(demo_dir / "proof.json"), "--public", str(bad)]) == 1
    assert _one_line(capsys.readouterr().out).startswith("INVALID:")


@pytest.mark.parametrize("args,needle", [
    (["demo", "--traders", "1"], "--traders"),
    (["demo", "--batches", "0"], "--batches"),
    (["demo", "--validators", "0"], "--validators"),
    (["demo", "--traders", "x"], "invalid int value"),
    (["verify", "--genesis", "g.json"], "not found"),
])
def test_bad_arguments_one_line_exit_2(args, needle, capsys):
    assert main(args) == 2
    assert needle in _one_line(capsys.readouterr().err)


def test_demo_out_is_a_file(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["demo", "--out", str(f)]) == 2
    assert "not a directory" in _one_line(capsys.readouterr().err)


def test_no_traceback_from_the_module_entry_point(tmp_path):
    p = subprocess.run([sys.executable, "-m", "ledger.cli", "verify", "--vk", str(tmp_path / "x.json")],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "Traceback" not in p.stderr and p.stderr.count("\n") == 1
