"""The self-custody path on the command line, as the README runs it: ``account new`` makes the
encryption keys, ``genesis new --account DIR,CASH`` registers them, ``operator init`` picks the
encrypted circuit, ``operator batch`` finalizes an encrypted block on a node process, and each
trader reads its exact state back with ``account state --node`` from a copy of its key folder,
without the operator's files."""

import json
import shutil

import pytest
from ledger_chain import PARAMS
from network_nodes import Nodes, make_home

from circuits.settlement_data import n_public_inputs
from ledger.cli.main import main
from ledger.core import keys
from ledger.core.genesis import load_genesis


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    root = tmp_path_factory.mktemp("custody-cli")
    for a in (1, 2):
        assert main(["account", "new", "--out", str(root / f"t{a}"), "--id", str(a)]) == 0
    vkey = keys.generate()
    m = PARAMS
    assert main(["genesis", "new", "--chain-id", "custody-cli", "--out", str(root / "genesis.json"),
                 "--market", f"{m.market_id},{m.im_bps},{m.mm_bps},{m.fee_bps},{m.band_bps},100",
                 "--validator", f"v0,{keys.public_key_hex(vkey)},10",
                 "--account", f"{root / 't1'},1000000", "--account", f"{root / 't2'},1000000"]) == 0
    genesis = load_genesis(root / "genesis.json")
    assert all(a.encryption_key is not None for a in genesis.accounts)
    assert main(["operator", "init", "--home", str(root / "op"), "--genesis",
                 str(root / "genesis.json"), "--slots", "2"]) == 0
    vk_json = json.loads((root / "op" / "verification_key.json").read_text())
    nodes = Nodes()
    try:
        url = nodes.start_many([make_home(root, "v0", genesis, vkey, vk_json)])[0].url
        yield {"root": root, "url": url, "vk": vk_json}
    finally:
        nodes.stop_all()


def test_encrypted_block_via_the_cli_and_each_trader_reads_its_state(net, capsys):
    root = net["root"]
    assert int(net["vk"]["nPublic"]) == n_public_inputs(2, 2) + 2 + 6 * 2   # encrypted circuit
    for a, side, price in ((1, "buy", 101), (2, "sell", 99)):
        assert main(["order", "new", "--account-dir", str(root / f"t{a}"), "--market",
                     str(PARAMS.market_id), "--side", side, "--price", str(price), "--size", "10",
                     "--out", str(root / "orders"), "--genesis", str(root / "genesis.json")]) == 0
    capsys.readouterr()
    rc = main(["operator", "batch", "--home", str(root / "op"), "--orders", str(root / "orders"),
               "--validator", net["url"]])
    out, err = capsys.readouterr()
    assert rc == 0 and "FINAL: block 1" in out, out + err
    states = {s["account"]: s for s in
              json.loads((root / "op" / "states.json").read_text())["states"]}
    elsewhere = root / "another-machine"
    for a in (1, 2):
        shutil.copytree(root / f"t{a}", elsewhere / f"t{a}")
        rc = main(["account", "state", "--account-dir", str(elsewhere / f"t{a}"),
                   "--node", net["url"]])
        out, err = capsys.readouterr()
        assert rc == 0, err
        s = states[a]
        assert f"account {a} at block 1" in out
        assert f"cash {int(s['cash'])}  position {int(s['position'])}  funding index 0" in out
