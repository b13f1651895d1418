"""``operator batch`` checks, before proving, that the validators it was given can finalize.

The four validators run as processes (plus one node of another ledger).
By default a batch given too few of them warns in one line on stderr and
goes on (the rounds and the sticky proposal make proposing safe, and later
batches re-send the block); with ``--require-quorum`` it stops with one line
naming who is down, before any proving, and leaves the operator's home as it
was.  A node of another ledger never counts as one of them.
"""

import json
import os
import signal
import socket
import time

import pytest
from ledger_chain import make_genesis
from network_nodes import Nodes, db_snapshot, make_home

from ledger.cli.main import main
from ledger.core.genesis import genesis_to_json


def _dead_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                                   # nobody listens there now
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    root = tmp_path_factory.mktemp("reach")
    genesis, _, vkeys = make_genesis(n_accounts=2, n_validators=4, chain_id="reach")
    (root / "genesis.json").write_text(json.dumps(genesis_to_json(genesis)))
    assert main(["operator", "init", "--home", str(root / "op"), "--genesis",
                 str(root / "genesis.json"), "--slots", "1"]) == 0
    vk_json = json.loads((root / "op" / "verification_key.json").read_text())
    other, _, okeys = make_genesis(n_accounts=2, n_validators=1, chain_id="elsewhere")
    (root / "orders").mkdir()
    nodes = Nodes()
    try:
        homes = [make_home(root, f"v{i}", genesis, vkeys[f"v{i}"], vk_json) for i in range(4)]
        homes.append(make_home(root, "x0", other, okeys["v0"], vk_json))
        procs = nodes.start_many(homes)
        urls = [n.url for n in procs]
        yield {"root": root, "ours": urls[:3], "v3": procs[3], "theirs": urls[4]}
    finally:
        nodes.stop_all()


def _state(net):
    op = net["root"] / "op"
    return (db_snapshot(op), (op / "states.json").read_bytes(), (op / "pending.json").exists())


def _batch(net, capsys, urls, timeout="5", extra=()):
    argv = ["operator", "batch", "--home", str(net["root"] / "op"), "--orders",
            str(net["root"] / "orders"), "--timeout", timeout, *extra]
    for u in urls:
        argv += ["--validator", u]
    rc = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return rc, out, err


def test_two_of_four_up_stops_before_proving_with_require_quorum(net, capsys):
    before = _state(net)
    dead = _dead_url()
    rc, out, err = _batch(net, capsys, net["ours"][:2] + [dead], extra=["--require-quorum"])
    assert rc == 1 and err.count("\n") == 1, err
    assert err.startswith("darkmatch: error: no quorum reachable: validators that answer "
                          "hold 20 of 40 stake (needs > 2/3); not reached: v2, v3; down: "
                          f"{dead} (")
    assert "unreachable" in err and "proving" not in out
    assert _state(net) == before


def test_a_node_of_another_ledger_does_not_count(net, capsys):
    before = _state(net)
    rc, out, err = _batch(net, capsys, net["ours"][:2] + [net["theirs"]],
                          extra=["--require-quorum"])
    assert rc == 1 and err.count("\n") == 1, err
    assert "hold 20 of 40 stake" in err
    assert f"{net['theirs']} (serves another ledger (chain 'elsewhere'" in err
    assert _state(net) == before


def test_one_validator_named_twice_counts_once(net, capsys):
    alias = net["ours"][1].replace("127.0.0.1", "localhost")      # another URL, same node
    rc, _, err = _batch(net, capsys, net["ours"][:2] + [alias], extra=["--require-quorum"])
    assert rc == 1 and "hold 20 of 40 stake" in err


def test_three_of_four_up_passes_the_check(net, capsys):
    """With > 2/3 reachable the batch goes on (here to its next check: no orders), and the
    validator that is down is still named."""
    before = _state(net)
    dead = _dead_url()
    rc, out, err = _batch(net, capsys, net["ours"] + [dead])
    assert rc == 2 and "no order to batch" in err and err.count("\n") == 1, err
    assert f"validator {dead} is down: " in out
    assert _state(net) == before


def test_a_stopped_validator_costs_one_status_timeout(net, capsys):
    """v3 is stopped (SIGSTOP: it accepts connections and never answers).  The operator asks
    every /status once, within --timeout, and catches up only from those that answered: the
    batch reaches its next check (no orders) instead of waiting on v3 for each catch-up
    request (30 s each)."""
    v3 = net["v3"]
    os.kill(v3.proc.pid, signal.SIGSTOP)
    try:
        t = time.monotonic()
        rc, out, err = _batch(net, capsys, net["ours"] + [v3.url], timeout="2")
        elapsed = time.monotonic() - t
    finally:
        os.kill(v3.proc.pid, signal.SIGCONT)
    assert rc == 2 and "no order to batch" in err, err
    assert f"validator {v3.url} is down: " in out
    assert elapsed < 25, elapsed


WARNING = ("darkmatch operator: warning: the validators that answer hold 20 of 40 stake (a "
           "quorum needs > 2/3): block 1 is proven and proposed anyway, and re-sent by each "
           "later operator batch until final (--require-quorum stops here instead)")


@pytest.mark.parametrize("extra", [[], ["--propose-anyway"]])
def test_without_a_quorum_up_it_warns_in_one_line_and_goes_on(net, capsys, extra):
    """By default (and with the older --propose-anyway) the operator proves and proposes
    without a quorum up: one warning line on stderr, then the batch goes on to its next check
    (here: no orders), and nothing of the home changed."""
    before = _state(net)
    dead = _dead_url()
    rc, out, err = _batch(net, capsys, net["ours"][:2] + [dead], extra=extra)
    assert rc == 2 and err.splitlines()[0] == WARNING, err
    assert "no order to batch" in err.splitlines()[1] and len(err.splitlines()) == 2
    assert f"validator {dead} is down: " in out
    assert _state(net) == before
