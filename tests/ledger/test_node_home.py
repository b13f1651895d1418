"""One process per home folder (``ledger.core.lock``): validator nodes and operator homes.

The lock is an ``flock`` the kernel drops when its holder dies, so a node
killed with SIGKILL leaves nothing to clean up; a second holder is refused
with one line naming the folder and the holder's pid.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from ledger_chain import make_genesis
from network_nodes import make_home
from small_vk import settlement_shaped_vk_json

from ledger.cli.main import main
from ledger.core.lock import LOCK_FILE, HomeInUse, HomeLock, holder_pid, locked_by
from ledger.node.service import Node, URL_FILE
from verifier.errors import BadInput

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _home(tmp_path):
    genesis, _, vkeys = make_genesis(n_accounts=2, n_validators=3)
    return make_home(tmp_path, "v0", genesis, vkeys["v0"], settlement_shaped_vk_json())


def _holder(path):
    """A child process that takes the lock on ``path``, says so, and sleeps."""
    code = textwrap.dedent(f"""
        import sys, time
        from ledger.core.lock import HomeLock
        HomeLock({str(path)!r}).acquire()
        print("held", flush=True)
        time.sleep(600)
    """)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env, cwd=ROOT)
    assert p.stdout.readline().strip() == b"held"
    return p


def test_lock_is_exclusive_and_names_the_holder(tmp_path):
    a = HomeLock(tmp_path, "node home").acquire()
    assert holder_pid(tmp_path) == os.getpid()
    with pytest.raises(HomeInUse) as e:
        HomeLock(tmp_path, "node home").acquire()          # the same process, another open
    msg = str(e.value)
    assert str(tmp_path) in msg and f"process {os.getpid()}" in msg and "\n" not in msg
    a.release()
    a.release()                                             # idempotent
    with HomeLock(tmp_path) as b:
        assert b.held
    assert not b.held


def test_lock_refuses_a_missing_home_or_one_without_its_marker(tmp_path):
    with pytest.raises(BadInput, match="not found"):
        HomeLock(tmp_path / "nope").acquire()
    with pytest.raises(BadInput, match="no operator.json"):
        HomeLock(tmp_path, "operator home", "operator.json").acquire()
    assert os.listdir(tmp_path) == []                       # not even a lock file written


def test_lock_of_a_process_killed_with_sigkill_is_freed(tmp_path):
    child = _holder(tmp_path)
    try:
        with pytest.raises(HomeInUse, match=f"process {child.pid}"):
            HomeLock(tmp_path).acquire()
        assert locked_by(tmp_path) == child.pid
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while locked_by(tmp_path) is not None:          # freed at death, even before reaping
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert holder_pid(tmp_path) == child.pid        # the file still names the dead one
        child.wait(timeout=30)
        with HomeLock(tmp_path) as lock:                    # no stale lock left behind
            assert lock.held and holder_pid(tmp_path) == os.getpid()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()


def test_a_node_holds_its_home_until_closed(tmp_path):
    home = _home(tmp_path)
    node = Node(home, log=lambda m: None)
    try:
        with pytest.raises(HomeInUse) as e:
            Node(home, log=lambda m: None)
        assert str(home) in str(e.value) and f"process {os.getpid()}" in str(e.value)
    finally:
        node.close()
    Node(home, log=lambda m: None).close()                  # free again after close


def test_a_failed_node_start_releases_the_lock(tmp_path):
    home = _home(tmp_path)
    os.chmod(home / "key.pem", 0o644)                       # refused: readable by others
    with pytest.raises(ValueError, match="chmod"):
        Node(home, log=lambda m: None)
    assert HomeLock(home).acquire().held                    # not left locked


def test_validator_run_on_a_home_in_use_is_one_line_and_touches_nothing(tmp_path, capsys):
    home = _home(tmp_path)
    (home / URL_FILE).write_text("http://127.0.0.1:1\n")    # the running node's URL
    capsys.readouterr()
    child = _holder(home)
    try:
        rc = main(["validator", "run", "--home", str(home), "--port", "0"])
        out, err = capsys.readouterr()
        assert rc == 1 and out == "" and err.count("\n") == 1 and "Traceback" not in err
        assert err.startswith("darkmatch: error: validator home ") and str(home) in err
        assert f"process {child.pid}" in err
        assert (home / URL_FILE).read_text() == "http://127.0.0.1:1\n"   # not removed
    finally:
        child.kill()
        child.wait()
        child.stdout.close()


def test_operator_home_lock(tmp_path, capsys):
    """Two ``operator batch`` runs on one home cannot interleave: the second is refused
    before it reads anything (the home here needs no circuit: the lock comes first)."""
    op = tmp_path / "op"
    op.mkdir()
    (op / "operator.json").write_text("{}")
    orders = tmp_path / "orders"
    orders.mkdir()
    child = _holder(op)
    try:
        rc = main(["operator", "batch", "--home", str(op), "--orders", str(orders),
                   "--validator", "http://127.0.0.1:9"])
        out, err = capsys.readouterr()
        assert rc == 1 and err.count("\n") == 1 and "Traceback" not in err
        assert f"operator home {op} is in use by process {child.pid}" in err
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    assert sorted(os.listdir(op)) == [LOCK_FILE, "operator.json"]


# ---------------------------------------------------------------- darkmatch validator show
def _show(capsys, home, *extra):
    rc = main(["validator", "show", "--home", str(home), *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return rc, out, err


def test_validator_show_prints_one_fact_per_line(tmp_path, capsys):
    from ledger.core import keys
    genesis, _, vkeys = make_genesis(n_accounts=2, n_validators=3)
    home = make_home(tmp_path, "v1", genesis, vkeys["v1"], settlement_shaped_vk_json())
    capsys.readouterr()
    rc, out, err = _show(capsys, home)
    assert rc == 0 and err == ""
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert list(lines) == ["validator", "public_key", "chain_id", "genesis_hash", "stake",
                           "slashed", "total_stake", "height", "head", "last_signed",
                           "last_signed_hash", "evidence", "url", "running_pid"]
    assert lines["validator"] == "v1"
    assert lines["public_key"] == keys.public_key_hex(vkeys["v1"])
    assert lines["chain_id"] == "test-chain" and lines["stake"] == "10"
    assert lines["total_stake"] == "30" and lines["slashed"] == "false"
    assert lines["height"] == "0" and lines["last_signed"] == "-" and lines["running_pid"] == "-"


def test_validator_show_follows_the_store_the_sign_log_and_the_running_node(tmp_path, capsys):
    from network_nodes import db_snapshot

    from ledger.chain.signlog import SignLog
    from ledger.chain.store import Store
    home = _home(tmp_path)
    log = SignLog(home / "node.db")
    log.record(1, "ab" * 32)
    log.close()
    with Store.open(home / "node.db") as store:
        store.slash("v0")
    (home / URL_FILE).write_text("http://127.0.0.1:8700\n")
    child = _holder(home)
    try:
        before = db_snapshot(home)
        capsys.readouterr()
        rc, out, _ = _show(capsys, home, "--json")
        assert db_snapshot(home) == before                  # read only
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    facts = json.loads(out)
    assert rc == 0 and out.count("\n") == 1
    assert facts["last_signed"] == 1 and facts["last_signed_hash"] == "ab" * 32
    assert facts["slashed"] is True and facts["stake"] == 0 and facts["total_stake"] == 20
    assert facts["url"] == "http://127.0.0.1:8700" and facts["running_pid"] == child.pid
    rc, out, _ = _show(capsys, home, "--json")               # the holder is gone now
    assert json.loads(out)["running_pid"] is None


@pytest.mark.parametrize("case", ["missing", "empty", "no-db"])
def test_validator_show_bad_home_is_one_line(tmp_path, capsys, case):
    home = tmp_path / "h"
    if case != "missing":
        home.mkdir()
    if case == "no-db":
        home = _home(tmp_path)
        os.unlink(home / "node.db")
    capsys.readouterr()
    listing = sorted(os.listdir(home)) if home.exists() else None
    rc, out, err = _show(capsys, home)
    assert rc == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("darkmatch: error: ") and str(home) in err
    assert (sorted(os.listdir(home)) if home.exists() else None) == listing


def test_a_node_with_an_unreachable_peer_starts_and_answers(tmp_path):
    """A peer nobody listens on is skipped by the start catch-up; the node serves."""
    import socket

    from network_nodes import Nodes
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()
    home = _home(tmp_path)
    nodes = Nodes()
    try:
        node = nodes.start(home, peers=[dead], cli=True)          # waits for /status
        st = node.status()
        assert st["peers"] == [dead] and st["head"]["height"] == 0 and not st["syncing"]
    finally:
        nodes.stop_all()


def _corrupt_genesis(home):
    (home / "genesis.json").write_text("{")


def _corrupt_db(home):
    for suffix in ("", "-wal", "-shm"):
        if (home / f"node.db{suffix}").exists():
            os.unlink(home / f"node.db{suffix}")
    (home / "node.db").write_bytes(b"not a database at all" * 100)


def _key_is_a_directory(home):
    os.unlink(home / "key.pem")
    (home / "key.pem").mkdir()


def _key_readable_by_others(home):
    os.chmod(home / "key.pem", 0o644)


@pytest.mark.parametrize("damage,needle", [
    (_corrupt_genesis, "not valid JSON"),
    (_corrupt_db, "file is not a database"),
    (_key_is_a_directory, "is a directory"),
    (_key_readable_by_others, "chmod"),
])
def test_validator_run_on_a_damaged_home_is_one_line(tmp_path, capsys, damage, needle):
    home = _home(tmp_path)
    damage(home)
    capsys.readouterr()
    rc = main(["validator", "run", "--home", str(home), "--port", "0"])
    out, err = capsys.readouterr()
    assert rc in (1, 2) and out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("darkmatch: error: ") and needle in err, err
    assert locked_by(home) is None and not (home / URL_FILE).exists()
