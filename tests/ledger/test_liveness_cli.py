"""`darkmatch operator batch` with a genesis that names the operator, against validator
processes: a batch with only 2 of 4 validators up is not final, and the retry once all 4 are up
re-sends the same stored block and finalizes it (docs/liveness.md)."""

import json
import socket

import pytest
from network_nodes import Nodes, make_home

from ledger.cli.main import main
from ledger.core import keys
from ledger.core.block import block_from_json
from ledger.core.genesis import load_genesis
from ledger.node.client import NodeClient


def _cli(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _dead_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def net(tmp_path, capsys):
    root = tmp_path
    for a in (1, 2):
        assert main(["account", "new", "--out", str(root / f"t{a}"), "--id", str(a)]) == 0
    assert main(["account", "new", "--out", str(root / "op-account"), "--id", "99"]) == 0
    vkeys = {f"v{i}": keys.generate() for i in range(4)}
    argv = ["genesis", "new", "--chain-id", "live-cli", "--market", "0,1000,500,10,500,100",
            "--operator", str(root / "op-account"), "--out", str(root / "genesis.json")]
    for n, k in vkeys.items():
        argv += ["--validator", f"{n},{keys.public_key_hex(k)},10"]
    for a in (1, 2):
        argv += ["--account", f"{root / f't{a}'},1000000"]
    assert main(argv) == 0
    genesis = load_genesis(root / "genesis.json")
    capsys.readouterr()
    nodes = Nodes()
    yield {"root": root, "genesis": genesis, "vkeys": vkeys, "nodes": nodes}
    nodes.stop_all()


def _operator_and_homes(net, capsys):
    """`operator init` (2 slots, the genesis operator key) in ROOT/op; the validators' homes."""
    root = net["root"]
    rc, out, err = _cli(capsys, "operator", "init", "--home", root / "op", "--genesis",
                        root / "genesis.json", "--slots", 2, "--key", root / "op-account")
    assert rc == 0, out + err
    vk_json = json.loads((root / "op" / "verification_key.json").read_text())
    return [make_home(root, n, net["genesis"], k, vk_json) for n, k in net["vkeys"].items()]


def _orders(root, name, specs):
    for a, side, price, size in specs:
        assert main(["order", "new", "--account-dir", str(root / f"t{a}"), "--market", "0",
                     "--side", side, "--price", str(price), "--size", str(size),
                     "--out", str(root / name), "--genesis", str(root / "genesis.json")]) == 0
    return root / name


def test_operator_init_needs_the_genesis_operator_key(net, capsys):
    root = net["root"]
    rc, _, err = _cli(capsys, "operator", "init", "--home", root / "op", "--genesis",
                      root / "genesis.json", "--slots", 2)
    assert rc == 2 and "give its key with --key" in err and err.count("\n") == 1
    rc, _, err = _cli(capsys, "operator", "init", "--home", root / "op", "--genesis",
                      root / "genesis.json", "--slots", 2, "--key", root / "t1")
    assert rc == 2 and "not the genesis operator's key" in err and err.count("\n") == 1
    assert not (root / "op").exists()


def test_retry_after_two_of_four_down_resends_the_stored_block_and_finalizes(net, capsys):
    root, nodes = net["root"], net["nodes"]
    homes = _operator_and_homes(net, capsys)
    up = [n.url for n in nodes.start_many(homes[:2])]
    orders = _orders(root, "orders1", [(1, "buy", 100, 4), (2, "sell", 100, 4)])

    def batch(urls, folder):
        argv = ["operator", "batch", "--home", root / "op", "--orders", folder,
                "--timeout", 60]                 # no quorum up: it warns and proposes all the same
        for u in urls:
            argv += ["--validator", u]
        return _cli(capsys, *argv)

    rc, out, err = batch(up + [_dead_url(), _dead_url()], orders)
    assert rc == 1 and "NOT FINAL: block 1: round 0: prevotes hold 20 of 40 stake, " \
        "precommits 0, attestations 0 (each needs > 2/3)" in out, out + err
    assert "warning: the validators that answer hold 20 of 40 stake" in err
    stored = json.loads((root / "op" / "proposal.json").read_text())
    assert "operator_signature" in stored
    signed = {u: NodeClient(u, 30).status()["head"]["height"] for u in up}
    assert signed == {u: 0 for u in up}
    # all four up: the retry re-sends the stored block (the new order files wait)
    later = _orders(root, "orders2", [(1, "sell", 100, 1), (2, "buy", 100, 1)])
    urls = up + [n.url for n in nodes.start_many(homes[2:])]
    rc, out, err = batch(urls, later)
    assert rc == 0, out + err
    assert "re-sending the stored proposal for block 1" in out and "FINAL: block 1" in out
    heads = {NodeClient(u, 30).status()["head"]["hash"] for u in urls}
    assert heads == {block_from_json(stored).hash()}                  # the first attempt's
    final = NodeClient(up[0], 30).block(1)
    assert final["operator_signature"] == stored["operator_signature"]
    assert {s["validator"] for s in final["signatures"]} == {"v0", "v1", "v2", "v3"}
    assert not (root / "op" / "proposal.json").exists()
    assert not (root / "op" / "pending.json").exists()
    # the next batch proves block 2 from the waiting orders
    rc, out, err = batch(urls, later)
    assert rc == 0 and "FINAL: block 2" in out, out + err
    assert {NodeClient(u, 30).status()["head"]["height"] for u in urls} == {2}
