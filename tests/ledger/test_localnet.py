"""``darkmatch localnet up|status|down``: a network in one command, a batch, a crash, a stop.

The nodes run as background processes with pid files; the test drives the
same commands a user types (in process, output captured), finalizes a batch
with ``operator batch``, kills a node with SIGKILL, brings it back with
``localnet up`` (its ledger kept), and stops everything.
"""

import json
import os
import random
import signal
import time

import pytest

from ledger.cli.main import main
from ledger.core import keys
from ledger.node import daemon
from ledger.node.client import NodeClient

N_VALIDATORS = 4


def _free_base():
    for _ in range(200):
        base = random.randrange(20000, 60000)
        if all(daemon.port_free("127.0.0.1", base + i) for i in range(N_VALIDATORS)):
            return base
    pytest.skip("no free range of ports")


def _cli(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return rc, out, err


def _alive(pid):
    """Whether ``pid`` runs (a child of ours that exited is reaped, not counted)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0]:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def net(tmp_path):
    d = tmp_path / "ln"
    yield d, _free_base()
    if (d / "localnet.json").exists():
        main(["localnet", "down", "--dir", str(d), "--grace", "2"])


def test_localnet_up_batch_crash_restart_down(net, capsys):
    d, base = net
    rc, out, err = _cli(capsys, "localnet", "up", "--dir", d, "--validators", N_VALIDATORS,
                        "--traders", 2, "--base-port", base, "--wait", 60)
    assert rc == 0, err
    assert out.count(" runs (pid ") == N_VALIDATORS
    doc = json.loads((d / "localnet.json").read_text())
    urls = [n["url"] for n in doc["nodes"]]
    genesis = json.loads((d / "genesis.json").read_text())        # proposals must be signed
    assert genesis["operator"] == keys.public_key_hex(keys.load_private_key(
        d / "keys" / "operator.pem"))
    assert urls == [f"http://127.0.0.1:{base + i}" for i in range(N_VALIDATORS)]
    pids = [int((d / n["home"] / "node.pid").read_text()) for n in doc["nodes"]]
    assert all(_alive(p) for p in pids)

    rc, out, _ = _cli(capsys, "localnet", "status", "--dir", d)
    assert rc == 0 and out.count("height 0") == N_VALIDATORS

    for t, side, price in ((1, "buy", 50100), (2, "sell", 49900)):
        rc, _, err = _cli(capsys, "order", "new", "--account-dir", d / "traders" / f"t{t}",
                          "--market", 1, "--side", side, "--price", price, "--size", 3,
                          "--out", d / "orders", "--genesis", d / "genesis.json")
        assert rc == 0, err
    argv = ["operator", "batch", "--home", d / "operator", "--orders", d / "orders",
            "--timeout", 60]
    for u in urls:
        argv += ["--validator", u]
    rc, out, err = _cli(capsys, *argv)
    assert rc == 0 and "FINAL: block 1" in out, out + err
    assert [NodeClient(u, 10).status()["head"]["height"] for u in urls] == [1] * N_VALIDATORS

    os.kill(pids[1], signal.SIGKILL)                # a crash
    deadline = time.monotonic() + 30
    while _alive(pids[1]):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    rc, out, _ = _cli(capsys, "localnet", "status", "--dir", d)
    assert rc == 1 and "v1" in out and ("stopped" in out or "not answering" in out)

    rc, out, err = _cli(capsys, "localnet", "up", "--dir", d, "--wait", 60)   # restart v1 only
    assert rc == 0, err
    assert out.count("already runs") == N_VALIDATORS - 1 and "v1 runs (pid" in out
    rc, out, _ = _cli(capsys, "localnet", "status", "--dir", d, "--json")
    rows = json.loads(out)["nodes"]
    assert rc == 0 and [r["height"] for r in rows] == [1] * N_VALIDATORS   # its ledger kept
    new_pids = [r["pid"] for r in rows]

    rc, out, _ = _cli(capsys, "localnet", "down", "--dir", d, "--grace", 5)
    assert rc == 0 and out.count("stopped (pid") == N_VALIDATORS
    assert not any(_alive(p) for p in new_pids)
    assert not any((d / n["home"] / "node.pid").exists() for n in doc["nodes"])
    rc, out, _ = _cli(capsys, "localnet", "status", "--dir", d)
    assert rc == 1 and out.count("stopped") == N_VALIDATORS


def test_localnet_up_on_a_taken_port_starts_nothing(net, capsys):
    import socket
    d, base = net
    with socket.socket() as s:
        s.bind(("127.0.0.1", base + 2))
        s.listen()
        rc, out, err = _cli(capsys, "localnet", "up", "--dir", d, "--validators", N_VALIDATORS,
                            "--base-port", base)
    assert rc == 2 and out == "" and err.count("\n") == 1
    assert f"port {base + 2} on 127.0.0.1 is taken" in err
    assert not d.exists()


@pytest.mark.parametrize("argv,needle", [
    (["up", "--validators", "0"], "--validators must be between 1 and 32"),
    (["up", "--traders", "1"], "--traders must be between 2"),
    (["up", "--slots", "0"], "--slots must be between 1"),
    (["up", "--base-port", "80"], "--base-port must be in [1024"),
    (["up", "--wait", "inf"], "--wait"),
    (["down"], "holds no local network"),
    (["status"], "holds no local network"),
])
def test_localnet_bad_input_one_line(net, capsys, argv, needle):
    d, _ = net
    rc, out, err = _cli(capsys, "localnet", *argv, "--dir", d)
    assert rc == 2 and out == "" and err.count("\n") == 1 and needle in err, err
    assert not d.exists()


def test_localnet_up_refuses_a_folder_of_something_else(tmp_path, capsys):
    (tmp_path / "x.txt").write_text("mine")
    rc, _, err = _cli(capsys, "localnet", "up", "--dir", tmp_path, "--base-port", _free_base())
    assert rc == 2 and "is not empty and holds no local network" in err
    assert os.listdir(tmp_path) == ["x.txt"]


@pytest.mark.parametrize("existed", [False, True])
def test_localnet_up_that_fails_midway_leaves_nothing(tmp_path, capsys, monkeypatch, existed):
    import ledger.cli.localnet as localnet
    from ledger.cli.main import UserError
    real, calls = localnet._command, []

    def failing(argv, quiet=True):
        calls.append(argv[:2])
        if argv[:2] == ["operator", "init"]:           # after accounts, keys and the genesis
            raise UserError("simulated failure")
        return real(argv, quiet)
    monkeypatch.setattr(localnet, "_command", failing)
    d = tmp_path / "ln"
    if existed:
        d.mkdir()
    rc, _, err = _cli(capsys, "localnet", "up", "--dir", d, "--traders", 2,
                      "--base-port", _free_base())
    assert rc == 2 and "simulated failure" in err and ["operator", "init"] in calls
    assert (os.listdir(d) == []) if existed else not d.exists()
