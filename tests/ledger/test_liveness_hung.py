"""A node stays responsive whatever its peers do: a hung peer (accepts connections, never
answers) never holds the node's lock, ``/status`` answers at once while catch-up waits on it,
proposals ahead of the head (round prevotes, the default path) answer 409 at once, a round
with one hung validator costs one timeout, and peers answering garbage or 5xx are listed in ``bad_peers``."""

import json
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from liveness_net import HungPeer, Served, node_home, shared_chain
from network_nodes import Nodes, http, make_home
from rounds_net import op_sign

from ledger.chain.finality import Quorum
from ledger.chain.store import Store
from ledger.core import keys
from ledger.core.block import block_to_json
from ledger.node.client import NodeClient
from ledger.node.server import main as node_main
from ledger.operator.rounds import run_in_rounds

PEER_TIMEOUT = 2.0


@pytest.fixture
def chain(tmp_path_factory):
    return shared_chain(tmp_path_factory)


@pytest.fixture
def hung():
    peer = HungPeer()
    yield peer
    peer.stop()


@pytest.fixture
def cleanup():
    items = []
    yield items
    for s in items:
        s.stop()


def serve(home, peers=(), cleanup=None):
    s = Served(home, peers)
    s.node.peer_timeout = PEER_TIMEOUT
    if cleanup is not None:
        cleanup.append(s)
    return s


def _sigs(chain, block, names):
    return block.with_signatures([(n, keys.sign(chain["vkeys"][n], block.attestation_bytes()))
                                  for n in names])


def _prevote_body(chain, block, round_=0):
    """The JSON text of the operator's round proposal of ``block`` (POST /round/prevote)."""
    return json.dumps({"block": block_to_json(block), "round": round_,
                       "operator_signature": op_sign(chain, block, round_).hex()})


def timed(fn):
    t = time.monotonic()
    out = fn()
    return out, time.monotonic() - t


def test_proposals_ahead_answer_409_at_once_and_status_stays_prompt(chain, tmp_path, hung,
                                                                     cleanup):
    node = serve(node_home(chain, tmp_path, "v0"), [hung.url], cleanup)
    ahead = _prevote_body(chain, chain["block2"])

    def propose():
        return timed(lambda: http(node.url + "/round/prevote", "POST", ahead, timeout=30))

    with ThreadPoolExecutor(4) as pool:                 # four proposals ahead at once
        answers = list(pool.map(lambda _: propose(), range(4)))
    for (status, body, _), took in answers:
        assert status == 409 and "node is behind: head is 0" in body["error"]
        assert took < 1.0, took
    # the background catch-up is now waiting on the hung peer: /status answers at once
    assert node.node.syncing
    (status, st, _), took = timed(lambda: http(node.url + "/status", timeout=30))
    assert status == 200 and st["head"]["height"] == 0 and took < 1.0, took
    # and the node's lock is free: a proposal at head + 1 is checked and prevoted meanwhile
    (status, vote, _), took = timed(lambda: http(
        node.url + "/round/prevote", "POST", _prevote_body(chain, chain["block1"]), timeout=30))
    assert status == 200 and vote["hash"] == chain["block1"].hash()
    assert took < PEER_TIMEOUT, took


def test_a_finalized_block_ahead_catches_up_past_a_hung_peer_in_one_timeout(chain, tmp_path,
                                                                            hung, cleanup):
    good = serve(node_home(chain, tmp_path, "v1"), (), cleanup)
    b1 = _sigs(chain, chain["block1"], ["v0", "v1", "v2"])
    b2 = _sigs(chain, chain["block2"], ["v0", "v1", "v2"])
    for b in (b1, b2):
        NodeClient(good.url, 60).finalize(b)
    behind = serve(node_home(chain, tmp_path, "v0"), [hung.url, good.url], cleanup)
    done = threading.Event()
    results = {}

    def finalize():
        results["answer"] = timed(lambda: NodeClient(behind.url, 60).finalize(b2))
        done.set()

    threading.Thread(target=finalize, daemon=True).start()
    time.sleep(0.3)
    (status, st, _), took = timed(lambda: http(behind.url + "/status", timeout=30))
    assert status == 200 and took < 1.0, took                  # while it catches up
    assert done.wait(60)
    answer, took = results["answer"]
    assert answer["status"] == "known" and behind.node.store.head() == (2, b2.hash())
    assert took < 2 * PEER_TIMEOUT + 5, took                   # the hung peer: one timeout
    assert hung.url not in behind.node.bad_peers               # silent is skipped, not bad


class _Garbage:
    """A loopback HTTP peer that answers every request with ``status`` and ``body``."""

    def __init__(self, status, body):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.reply = (f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                conn.settimeout(2)
                conn.recv(65536)
                conn.sendall(self.reply)
            except OSError:
                pass
            finally:
                conn.close()

    def stop(self):
        self.sock.close()


@pytest.mark.parametrize("status,body", [(200, b"not json at all"), (500, b'{"error": "x"}'),
                                         (200, b'{"head": "nope"}')],
                         ids=["garbage", "5xx", "status without a head"])
def test_peers_answering_garbage_are_listed_as_bad(chain, tmp_path, cleanup, status, body):
    peer = _Garbage(status, body)
    cleanup.append(peer)
    node = serve(node_home(chain, tmp_path, "v0"), [peer.url], cleanup)
    node.node.catch_up("test")
    assert peer.url in node.node.bad_peers
    assert NodeClient(node.url, 10).status()["bad_peers"][peer.url]


def test_a_round_with_one_hung_validator_costs_one_timeout(chain, tmp_path, hung, cleanup):
    urls = [serve(node_home(chain, tmp_path, f"v{i}"), (), cleanup).url for i in range(3)]
    store = Store.open(tmp_path / "op.db")
    store.init_genesis(chain["genesis"])
    timeout = 6.0
    block = chain["block1"]
    r, took = timed(lambda: run_in_rounds(urls + [hung.url], block, chain["op_key"], store,
                                          Quorum(store, chain["vk"]), timeout=timeout))
    assert r.block is not None and len(r.attestations) == 3            # 30 of 40
    assert hung.url in r.refusals and "not sent" in r.finalize_errors[hung.url]
    assert set(r.finalized) == set(urls)
    # the hung validator costs the lock query its timeout; it is then left out of the
    # prevote, precommit, attestation and finalize requests, so the round does not wait a
    # second timeout (that would be >= 2 timeouts)
    assert timeout <= took < 2 * timeout - 1, took
    store.close()


def test_processes_a_stopped_peer_neither_holds_proposals_nor_status(chain, tmp_path):
    """The issue's case with real node processes (waitress, 4 threads): a peer stopped with
    SIGSTOP, four proposals ahead of the head at once: each answers 409 at once, and /status
    answers within a second meanwhile."""
    nodes = Nodes()
    stopped = None
    try:
        homes = [make_home(tmp_path, n, chain["genesis"], chain["vkeys"][n],
                           chain["vk"].to_json()) for n in ("v0", "v1")]
        peer = nodes.start(homes[1])
        os.kill(peer.proc.pid, signal.SIGSTOP)
        stopped = peer
        node = nodes.start(homes[0], peers=[peer.url])     # ready after one peer timeout
        ahead = _prevote_body(chain, chain["block2"])
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: timed(lambda: http(
                node.url + "/round/prevote", "POST", ahead, timeout=60)), range(4)))
        for (status, body, _), took in answers:
            assert status == 409 and "node is behind" in body["error"] and took < 1.0, took
        for _ in range(3):
            (status, st, _), took = timed(lambda: http(node.url + "/status", timeout=60))
            assert status == 200 and took < 1.0, took
            time.sleep(0.2)
    finally:
        if stopped is not None:
            os.kill(stopped.proc.pid, signal.SIGCONT)
        nodes.stop_all()


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "3601"])
def test_a_bad_peer_timeout_is_one_line(chain, tmp_path, capsys, value):
    home = node_home(chain, tmp_path, "v0")
    assert node_main(["--home", str(home), "--peer-timeout", value]) == 2
    err = capsys.readouterr().err
    assert "--peer-timeout" in err and err.count("\n") == 1 and "Traceback" not in err
