"""`darkmatch evm …` and `darkmatch chain …` end to end on anvil, and their one-line refusals."""

import json
import os

import pytest

from evm_fixtures import anvil  # noqa: F401 (fixture)
from ledger.cli import main
from ledger.ethereum.deploy import at
from ledger.ethereum.generate import verifier_source
from ledger.ethereum.settlement import block_hash, certificate, load_key_file, settle
from settlement_fixtures import GENESIS_HASH, LAYOUT, LEDGER_ID, World
from ledger.ethereum.config import layout_to_json


@pytest.fixture(scope="module")
def setup_files(anvil, srs, tmp_path_factory):
    d = tmp_path_factory.mktemp("chain_cli")
    world = World(anvil, srs)
    assert main(["evm", "key", "--out", str(d / "alice.ethkey")]) == 0
    alice = load_key_file(d / "alice.ethkey")
    anvil.eth.send_transaction({"from": anvil.eth.accounts[0], "to": alice.address, "value": 10**18})
    (d / "vk.json").write_text(json.dumps(world.vk.to_json()))
    (d / "layout.json").write_text(json.dumps(layout_to_json(LAYOUT)))
    (d / "genesis.json").write_text(json.dumps({
        "ledger_id": "0x" + LEDGER_ID.hex(), "block_hash": "0x" + GENESIS_HASH.hex(), "height": 0,
        "members": [a.address for a in world.committee], "stakes": [1, 1, 1, 1], "cap_bps": 10**6,
        "accounts": [1, 2], "commitments": [str(world.genesis_commitments[i]) for i in (1, 2)],
        "owners": [alice.address, anvil.eth.accounts[2]]}))
    return d, world, alice


def rpc(anvil):
    return ["--rpc", anvil.provider.endpoint_uri]


def test_key_file_is_private_and_not_overwritten(setup_files, capsys):
    d, _, _ = setup_files
    assert os.stat(d / "alice.ethkey").st_mode & 0o777 == 0o600
    assert main(["evm", "key", "--out", str(d / "alice.ethkey")]) == 2
    assert "not overwriting" in capsys.readouterr().err


def test_evm_verifier_writes_the_generated_source(setup_files):
    d, world, _ = setup_files
    assert main(["evm", "verifier", "--vk", str(d / "vk.json"), "--out", str(d / "Verifier.sol")]) == 0
    assert (d / "Verifier.sol").read_text() == verifier_source(world.vk)


def test_evm_verifier_bad_key_is_one_line(setup_files, capsys):
    d, _, _ = setup_files
    (d / "bad_vk.json").write_text('{"protocol": "groth16"}')
    assert main(["evm", "verifier", "--vk", str(d / "bad_vk.json"), "--out", str(d / "x.sol")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "protocol" in err and not (d / "x.sol").exists()


def test_deploy_deposit_settle_status_claim(anvil, setup_files, capsys):
    d, world, alice = setup_files
    dep = str(d / "deployment.json")
    assert main(["chain", "deploy", *rpc(anvil), "--vk", str(d / "vk.json"), "--layout", str(d / "layout.json"),
                 "--genesis", str(d / "genesis.json"), "--out", dep]) == 0
    assert main(["chain", "deposit", *rpc(anvil), "--deployment", dep, "--account", "1", "--amount", "300",
                 "--mint", "--key", str(d / "alice.ethkey")]) == 0
    assert "deposit #0: 300 to account 1" in capsys.readouterr().out
    record = json.loads(open(dep).read())
    settlement = at(anvil, "Settlement", record["settlement"])
    public, proof = world.block(1, [{"id": 1, "old": world.genesis_commitments[1], "new": 8, "deposit": 300,
                                     "withdraw": 100}])
    sigs = certificate(world.committee[:3], block_hash(LEDGER_ID, 1, GENESIS_HASH, public, proof))
    settle(anvil, settlement, 1, GENESIS_HASH, public, proof, sigs, anvil.eth.accounts[0])
    assert main(["chain", "status", *rpc(anvil), "--deployment", dep]) == 0
    out = capsys.readouterr().out
    assert "height 1" in out and "vault collateral 300" in out and "owed 100" in out
    # someone else cannot claim; the owner can, once
    assert main(["chain", "claim", *rpc(anvil), "--deployment", dep, "--account", "1"]) == 1
    assert "NotOwner" in capsys.readouterr().err
    assert main(["chain", "claim", *rpc(anvil), "--deployment", dep, "--account", "1",
                 "--key", str(d / "alice.ethkey")]) == 0
    assert "claimed 100 for account 1" in capsys.readouterr().out
    assert main(["chain", "claim", *rpc(anvil), "--deployment", dep, "--account", "1",
                 "--key", str(d / "alice.ethkey")]) == 1
    err = capsys.readouterr().err
    assert "NothingToClaim" in err and err.count("\n") == 1


def test_bad_inputs_are_one_line(anvil, setup_files, capsys, tmp_path):
    d, _, _ = setup_files
    (tmp_path / "layout.json").write_text('{"n_globals": 2}')
    assert main(["chain", "deploy", *rpc(anvil), "--vk", str(d / "vk.json"), "--layout",
                 str(tmp_path / "layout.json"), "--genesis", str(d / "genesis.json")]) == 2
    assert "missing field 'height_index'" in capsys.readouterr().err
    key = tmp_path / "open.ethkey"
    key.write_text((d / "alice.ethkey").read_text())
    key.chmod(0o644)
    assert main(["chain", "status", *rpc(anvil), "--deployment", str(d / "deployment.json"),
                 "--key", str(key)]) == 0          # status sends nothing
    assert main(["chain", "claim", *rpc(anvil), "--deployment", str(d / "deployment.json"), "--account", "1",
                 "--key", str(key)]) == 2
    assert "too open" in capsys.readouterr().err
    assert main(["chain", "status", "--rpc", "http://127.0.0.1:9", "--deployment", "x.json"]) == 2
    assert "no Ethereum node answers" in capsys.readouterr().err


def test_chain_up_serves_until_interrupted(tmp_path):
    import signal
    import subprocess
    import sys
    from ledger.ethereum.chain import anvil_path, connect, free_port
    from evm_fixtures import need
    need(anvil_path() is not None, "anvil")
    port = free_port()
    p = subprocess.Popen([sys.executable, "-m", "ledger.cli", "chain", "up", "--port", str(port)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        line = p.stdout.readline()
        assert f"anvil on http://127.0.0.1:{port}" in line, line + p.stderr.read()
        assert connect(f"http://127.0.0.1:{port}").eth.chain_id == 31337
    finally:
        p.send_signal(signal.SIGINT)
        rc = p.wait(timeout=30)
    assert rc == 0
    with pytest.raises(Exception):
        connect(f"http://127.0.0.1:{port}", timeout=2)
