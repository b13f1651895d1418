"""Validator nodes as background processes with pid files: what ``darkmatch localnet`` runs.

``start(home, port, peers)`` launches ``python -m ledger.node.server --home HOME
--port PORT --peer …`` in a session of its own (it outlives the command that
started it and ignores that terminal's Ctrl-C), its output appended to
``HOME/node.log``, and writes its pid to ``HOME/node.pid``.  ``wait_ready``
waits until the node has written ``node.url`` and answers ``GET /status``, or
fails with the tail of its log.  ``running(home)`` is the pid of the process
that holds the home's lock (``ledger.core.lock.locked_by``: only a node
running on that home does), so a stale pid file, a dead node not yet reaped,
or a pid the system has since given to another program, is never mistaken
for the node.  ``stop(home)`` sends that process SIGTERM,
then SIGKILL after a grace period (the node is safe to kill at any moment: its
store and sign log commit before it answers), and removes ``node.pid``.
"""

import os
import signal
import subprocess
import sys
import time

from verifier.errors import BadInput

from ledger.core.lock import locked_by
from ledger.node.client import NetworkError, NodeClient
from ledger.node.service import URL_FILE

__all__ = ["start", "wait_ready", "running", "stop", "port_free", "PID_FILE", "LOG_FILE"]

PID_FILE, LOG_FILE = "node.pid", "node.log"
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _read_pid(home):
    try:
        with open(os.path.join(home, PID_FILE)) as f:
            text = f.read(32).strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _alive(pid) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:                                    # a child of ours that exited: reap it
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def running(home):
    """The pid of the node running on ``home`` (module doc), or None."""
    holder = locked_by(home)
    if holder is None:
        return None
    pid = _read_pid(home)
    return pid if holder in (pid, -1) and pid is not None else holder


def port_free(host: str, port: int) -> bool:
    import socket
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as the server binds:
        try:                                                      # TIME_WAIT is no obstacle
            s.bind((host, port))
        except OSError:
            return False
    return True


def start(home, port: int, peers=(), host: str = "127.0.0.1") -> int:
    """Launch the node of ``home`` in the background (module doc); its pid."""
    home = os.path.abspath(os.fspath(home))
    pid = running(home)
    if pid is not None:
        raise BadInput(f"a node already runs on {home} (pid {pid})")
    argv = [sys.executable, "-m", "ledger.node.server", "--home", home, "--host", host,
            "--port", str(port)]
    for p in peers:
        argv += ["--peer", p]
    env = dict(os.environ)
    env["PYTHONPATH"] = _ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    with open(os.path.join(home, LOG_FILE), "ab") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=env, cwd=_ROOT,
                                start_new_session=True)
    with open(os.path.join(home, PID_FILE), "w") as f:
        f.write(f"{proc.pid}\n")
    return proc.pid


def log_tail(home, lines: int = 5) -> str:
    try:
        with open(os.path.join(home, LOG_FILE), "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 4096))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def wait_ready(home, pid: int, limit: float = 60.0) -> str:
    """The node's URL once it answers ``/status``; ``BadInput`` (with its log) if it exits
    or does not answer within ``limit`` seconds."""
    home = os.fspath(home)
    deadline = time.monotonic() + limit
    url_file = os.path.join(home, URL_FILE)
    while True:
        if not _alive(pid):
            raise BadInput(f"the node of {home} exited: {log_tail(home) or 'no output'}")
        try:
            with open(url_file) as f:
                url = f.read().strip()
            NodeClient(url, 2.0).status()
            return url
        except (OSError, NetworkError):
            pass
        if time.monotonic() > deadline:
            raise BadInput(f"the node of {home} did not answer within {limit:g} s: "
                           f"{log_tail(home) or 'no output'}")
        time.sleep(0.1)


def stop(home, grace: float = 10.0):
    """Stop the node running on ``home``; its pid, or None if none ran."""
    home = os.fspath(home)
    pid = running(home)
    if pid is not None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + grace
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            while _alive(pid):
                time.sleep(0.05)
    try:
        os.unlink(os.path.join(home, PID_FILE))
    except FileNotFoundError:
        pass
    return pid
