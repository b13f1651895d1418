"""`darkmatch operator init|batch` against four validator nodes as processes on loopback.

Traders make their accounts and orders with the CLI; the operator batches the
order files, proves, proposes to the nodes and finalizes.  Also: an operator
that crashed after its block went out resumes (catches up, adopts the
pending states), and bad input is one line with nothing stored.
"""

import json
import os
import stat

import pytest
from ledger_chain import PARAMS
from network_nodes import Nodes, db_snapshot, make_home

from ledger.core import keys
from ledger.cli.main import main
from ledger.core.genesis import Genesis, GenesisAccount, GenesisMarket, GenesisValidator, genesis_to_json
from ledger.node.client import NodeClient

N_TRADERS = 4


def _cli(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _one_line(err):
    assert err.startswith("darkmatch: error: ") and err.count("\n") == 1, err
    return err


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    root = tmp_path_factory.mktemp("operator-cli")
    accounts = []
    for a in range(1, N_TRADERS + 1):
        assert main(["account", "new", "--out", str(root / f"t{a}"), "--id", str(a)]) == 0
        pub = json.loads((root / f"t{a}" / "account.json").read_text())["public_key"]
        accounts.append(GenesisAccount(a, pub, 1_000_000))
    vkeys = {f"v{i}": keys.generate() for i in range(4)}
    genesis = Genesis("operator-cli", [GenesisMarket(PARAMS, 100)],
                      [GenesisValidator(n, 10, keys.public_key_hex(k)) for n, k in vkeys.items()],
                      accounts)
    (root / "genesis.json").write_text(json.dumps(genesis_to_json(genesis)))
    assert main(["operator", "init", "--home", str(root / "op"), "--genesis",
                 str(root / "genesis.json"), "--slots", "4"]) == 0
    vk_json = json.loads((root / "op" / "verification_key.json").read_text())
    nodes = Nodes()
    try:
        homes = [make_home(root, n, genesis, k, vk_json) for n, k in vkeys.items()]
        urls = [n.url for n in nodes.start_many(homes)]
        yield {"root": root, "urls": urls, "nodes": nodes}
    finally:
        nodes.stop_all()


def _orders(net, name, specs):
    """Order files made with `darkmatch order new` for specs [(account, side, price, size)]."""
    out = net["root"] / name
    for a, side, price, size in specs:
        assert main(["order", "new", "--account-dir", str(net["root"] / f"t{a}"), "--market",
                     str(PARAMS.market_id), "--side", side, "--price", str(price), "--size",
                     str(size), "--out", str(out), "--genesis",
                     str(net["root"] / "genesis.json")]) == 0
    return out


def _batch(net, orders, *extra):
    argv = ["operator", "batch", "--home", net["root"] / "op", "--orders", orders]
    for u in net["urls"]:
        argv += ["--validator", u]
    return argv + list(extra)


def _heads(net):
    return [NodeClient(u, 30).status()["head"]["height"] for u in net["urls"]]


def _states(net):
    doc = json.loads((net["root"] / "op" / "states.json").read_text())
    return {s["account"]: (int(s["cash"]), int(s["position"])) for s in doc["states"]}


def test_batch_of_order_files_finalizes_on_every_node(net, capsys):
    orders = _orders(net, "orders1", [(1, "buy", 101, 10), (2, "sell", 99, 10),
                                      (3, "buy", 100, 5), (4, "sell", 100, 5)])
    rc, out, err = _cli(capsys, *_batch(net, orders))
    assert rc == 0, out + err
    assert "FINAL: block 1" in out and "volume 15" in out and "4/4 validators" in out
    assert _heads(net) == [1, 1, 1, 1]
    assert {a: p for a, (_, p) in _states(net).items()} == {1: 10, 2: -10, 3: 5, 4: -5}
    home = net["root"] / "op"
    assert not (home / "pending.json").exists()
    assert stat.S_IMODE(os.stat(home / "states.json").st_mode) == 0o600
    # the same files again: every order is spent, nothing to batch, nothing stored
    rc, out, err = _cli(capsys, *_batch(net, orders))
    assert rc == 2 and "no order to batch" in _one_line(err)
    assert out.count("already spent in block 1") == 4
    assert _heads(net) == [1, 1, 1, 1]


def test_operator_resumes_after_crash_once_its_block_went_out(net, capsys, monkeypatch):
    """Killed after the validators finalized block h but before it stored it: the next run
    fetches block h (re-checked), adopts the pending states and batches block h + 1."""
    import ledger.operator.rounds as network
    real = network.run_two_phase
    start = _heads(net)[0]

    def crash_after_broadcast(*a, **kw):
        real(*a, **{**kw, "apply": False})
        raise KeyboardInterrupt                     # as if killed before storing it
    monkeypatch.setattr(network, "run_two_phase", crash_after_broadcast)
    orders = _orders(net, "orders2", [(1, "sell", 100, 3), (2, "buy", 100, 3)])
    rc, _, _ = _cli(capsys, *_batch(net, orders))
    assert rc == 130
    home = net["root"] / "op"
    assert (home / "pending.json").exists()
    assert _heads(net) == [start + 1] * 4
    monkeypatch.setattr(network, "run_two_phase", real)
    orders = _orders(net, "orders3", [(3, "sell", 100, 2), (4, "buy", 100, 2)])
    rc, out, err = _cli(capsys, *_batch(net, orders))
    assert rc == 0, out + err
    assert "adopted the states" in out and f"FINAL: block {start + 2}" in out
    assert _heads(net) == [start + 2] * 4
    assert not (home / "pending.json").exists()


def test_bad_input_one_line_nothing_stored(net, capsys, tmp_path):
    home = net["root"] / "op"
    before = ((home / "states.json").read_bytes(), db_snapshot(home))
    cases = [
        (["operator", "batch", "--home", home, "--orders", tmp_path / "none",
          "--validator", net["urls"][0]], "--orders is not a directory"),
        (["operator", "batch", "--home", home, "--orders", tmp_path], "--validator"),
        (["operator", "batch", "--home", tmp_path, "--orders", tmp_path,
          "--validator", net["urls"][0]], "not an operator home"),
        (["operator", "init", "--home", home, "--genesis", net["root"] / "genesis.json",
          "--slots", 4], "already holds an operator"),
        (["operator", "init", "--home", tmp_path / "op2", "--genesis", tmp_path / "g.json",
          "--slots", 4], "genesis file not found"),
        (["operator", "init", "--home", tmp_path / "op3", "--genesis",
          net["root"] / "genesis.json", "--slots", 0], "--slots must be between 1 and 64"),
    ]
    for argv, needle in cases:
        rc, _, err = _cli(capsys, *argv)
        assert rc == 2 and needle in _one_line(err), (argv, err)
    assert not (tmp_path / "op2").exists() and not (tmp_path / "op3").exists()
    # a forged order file: skipped with its reason, the others are not batched without it
    forged = _orders(net, "forged", [(1, "buy", 100, 1)])
    f = next(p for p in forged.iterdir() if not p.name.endswith(".opening.json"))
    doc = json.loads(f.read_text())
    doc["signature"] = "00" * 64
    f.write_text(json.dumps(doc))
    rc, out, err = _cli(capsys, *_batch(net, forged))
    assert rc == 2 and "no order to batch" in _one_line(err)
    assert "signature does not verify" in out
    assert ((home / "states.json").read_bytes(), db_snapshot(home)) == before
