"""Test helpers for validator nodes as separate processes on loopback (``ledger.node.server``).

``make_home`` lays out a node's home with ``darkmatch validator init`` (in
process); ``NodeProcess`` starts ``python -m ledger.node.server --port 0`` (or the
``darkmatch validator run`` CLI), waits until it has written ``node.url`` and
answers ``GET /status`` with its start catch-up done, and kills it (SIGKILL) on ``kill``/``stop``; the
``Nodes`` registry stops every process it started, for fixtures' teardown.
Nodes run every height in rounds, as in production; ``single_phase=True``
starts them with ``--single-phase`` for the tests of the legacy ``POST
/propose`` path.
Timeouts are generous: the tests must hold on a loaded 2-core machine.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

from ledger.core import keys
from ledger.cli.main import main as cli_main
from ledger.core.genesis import genesis_to_json
from ledger.node.client import NetworkError, NodeClient
from ledger.node.faults import FAULT_ENV, FAULT_MARK
from ledger.node.service import URL_FILE

__all__ = ["make_home", "NodeProcess", "Nodes", "http", "db_snapshot", "wait_for", "READY_S"]

READY_S = 120
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def wait_for(cond, what, limit=READY_S, step=0.05):
    deadline = time.monotonic() + limit
    while True:
        value = cond()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(step)


def make_home(root, name, genesis, key, vk_json):
    """A validator home under ``root`` made by ``darkmatch validator init``; its path."""
    src = root / f"{name}-files"
    src.mkdir()
    (src / "genesis.json").write_text(json.dumps(genesis_to_json(genesis)))
    keys.save_private_key(key, src / "key.pem")
    (src / "vk.json").write_text(json.dumps(vk_json))
    home = root / name
    assert cli_main(["validator", "init", "--home", str(home), "--genesis",
                     str(src / "genesis.json"), "--key", str(src / "key.pem"),
                     "--vk", str(src / "vk.json")]) == 0
    return home


class NodeProcess:
    """One node process over ``home`` (started by ``start``)."""

    def __init__(self, home, peers=(), fault=None, cli=False, single_phase=False):
        self.home, self.peers, self.fault, self.cli = home, list(peers), fault, cli
        self.single_phase = single_phase
        self.proc, self.url, self.log = None, None, None

    def start(self):
        url_file = self.home / URL_FILE
        if url_file.exists():
            url_file.unlink()
        env = dict(os.environ, PYTHONPATH=_ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        env.pop(FAULT_ENV, None)
        if self.fault:
            env[FAULT_ENV] = self.fault
        entry = ["-m", "ledger.cli", "validator", "run"] if self.cli else ["-m", "ledger.node.server"]
        argv = [sys.executable, *entry, "--home", str(self.home), "--port", "0"]
        for p in self.peers:
            argv += ["--peer", p]
        if self.single_phase:
            argv.append("--single-phase")
        self.log = open(self.home / "node.log", "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     cwd=_ROOT)
        return self

    def wait_ready(self):
        def ready():
            assert self.proc.poll() is None, f"node exited ({self.proc.returncode}):\n{self.output()}"
            if not (self.home / URL_FILE).exists():
                return None
            url = (self.home / URL_FILE).read_text().strip()
            try:
                st = NodeClient(url, 10).status()
            except NetworkError:
                return None
            return None if st["syncing"] else url      # ready once its start catch-up is done
        self.url = wait_for(ready, f"node {self.home.name} to answer /status")
        return self

    def status(self):
        return NodeClient(self.url, 30).status()

    def output(self):
        try:
            return (self.home / "node.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def fault_hit(self):
        return (self.home / FAULT_MARK).exists()

    def kill(self):
        """SIGKILL (kill -9) and reap; a no-op once dead."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=30)
        if self.log is not None:
            self.log.close()
            self.log = None

    stop = kill


class Nodes:
    """Every node process a test started; ``stop_all`` kills them (teardown).
    ``single_phase=True``: the nodes also answer the legacy ``POST /propose``."""

    def __init__(self, single_phase=False):
        self.all, self.single_phase = [], single_phase

    def start(self, home, peers=(), fault=None, cli=False, wait=True):
        n = NodeProcess(home, peers, fault, cli, self.single_phase).start()
        self.all.append(n)
        if wait:
            n.wait_ready()
        return n

    def start_many(self, homes, **kw):
        """Start several at once (they import in parallel), then wait for each."""
        started = [self.start(h, wait=False, **kw) for h in homes]
        return [n.wait_ready() for n in started]

    def stop_all(self):
        for n in self.all:
            try:
                n.kill()
            except Exception:          # teardown kills every node it can
                pass


def http(url, method="GET", body=None, timeout=60):
    """(status, parsed JSON or None, raw text) of one raw HTTP request."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method)
    try:
        with _NO_PROXY.open(req, timeout=timeout) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text), text
    except ValueError:
        return status, None, text


def db_snapshot(home):
    """Every table's rows in a node's SQLite file, the sign log included."""
    c = sqlite3.connect(f"file:{home / 'node.db'}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                          "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: c.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}
    finally:
        c.close()
