"""Test helpers for the liveness tests: a small proven chain whose genesis names an operator,
and validator nodes served in this process (``ledger.node.Node`` behind werkzeug's threaded
server) so that a test can start, stop and hang them cheaply.

``proven_chain()`` builds, on the 2×2 settlement circuit with a development SRS: block 1
(accounts 1 and 2 trade), a conflicting block 1' (accounts 3 and 4 trade instead) and block 2
on block 1, none of them signed.  ``HungPeer`` is a socket that accepts connections and never
answers (a stopped process as its peers see it).
"""

import json
import socket
import threading
import warnings

from ledger_chain import PARAMS
from werkzeug.serving import make_server

from circuits.settlement import settlement_circuit
from ledger.chain.store import Store
from ledger.core import keys
from ledger.core.genesis import (Genesis, GenesisAccount, GenesisMarket, GenesisValidator,
                                 genesis_to_json)
from ledger.core.orders import new_order
from ledger.node.server import create_app
from ledger.node.service import Node, init_home
from ledger.operator.engine import Operator
from prover import dev_srs, setup

__all__ = ["proven_chain", "shared_chain", "node_home", "Served", "HungPeer", "sign_proposal"]

N = K = 2


def proven_chain(root):
    """The chain described in the module docstring, as a dict."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        srs = dev_srs(14)
    pk, vk = setup(settlement_circuit(N, K), srs)
    akeys = {a: keys.generate() for a in range(1, 5)}
    vkeys = {f"v{i}": keys.generate() for i in range(4)}
    op_key = keys.generate()
    genesis = Genesis("live-chain", [GenesisMarket(PARAMS, 100)],
                      [GenesisValidator(n, 10, keys.public_key_hex(k)) for n, k in vkeys.items()],
                      [GenesisAccount(a, keys.public_key_hex(k), 1_000_000)
                       for a, k in akeys.items()], keys.public_key_hex(op_key))
    states = {a.account_id: a.initial_state() for a in genesis.accounts}

    def operator(name):
        store = Store.open(root / f"{name}.db")
        store.init_genesis(genesis)
        return store, Operator(store, pk, vk, N, K)

    store, op = operator("op")
    for a, side in ((1, "buy"), (2, "sell")):
        op.submit(*new_order(akeys[a], a, PARAMS.market_id, side, 100, 3, 50))
    p1 = op.propose(1, 100, PARAMS, states)
    _, other = operator("op-other")
    for a, side in ((3, "buy"), (4, "sell")):
        other.submit(*new_order(akeys[a], a, PARAMS.market_id, side, 100, 2, 50))
    conflict = other.propose(1, 100, PARAMS, states).block
    # block 2 needs block 1 in the operator's store: apply it unsigned (the store checks state)
    store.apply_block(p1.block, expected_parent=store.head()[1])
    op.settled(p1.block)
    for a, side in ((1, "sell"), (2, "buy")):
        op.submit(*new_order(akeys[a], a, PARAMS.market_id, side, 100, 1, 50))
    p2 = op.propose(2, 100, PARAMS, {**states, **p1.new_states})
    return {"genesis": genesis, "vk": vk, "vkeys": vkeys, "op_key": op_key, "akeys": akeys,
            "block1": p1.block, "conflict1": conflict, "block2": p2.block,
            "states1": dict(p1.new_states)}


_SHARED = {}


def shared_chain(tmp_path_factory):
    """``proven_chain`` built once per test session (the liveness modules share it)."""
    if "chain" not in _SHARED:
        _SHARED["chain"] = proven_chain(tmp_path_factory.mktemp("live-chain"))
    return _SHARED["chain"]


def sign_proposal(chain, block, key=None):
    """``block`` with the operator's (or ``key``'s) proposal signature."""
    key = chain["op_key"] if key is None else key
    return block.with_operator_signature(keys.sign(key, block.proposal_bytes()))


def node_home(chain, root, name):
    """A validator home for validator ``name`` (``init_home``); its path."""
    src = root / f"{name}-files"
    src.mkdir()
    (src / "genesis.json").write_text(json.dumps(genesis_to_json(chain["genesis"])))
    keys.save_private_key(chain["vkeys"][name], src / "key.pem")
    (src / "vk.json").write_text(json.dumps(chain["vk"].to_json()))
    init_home(root / name, src / "genesis.json", src / "key.pem", src / "vk.json")
    return root / name


class Served:
    """A ``Node`` over ``home`` answering HTTP on a loopback port from a thread
    (``single_phase=True``: it also answers the legacy ``POST /propose``)."""

    def __init__(self, home, peers=(), single_phase=False):
        self.node = Node(home, peers, log=lambda m: None, single_phase=single_phase)
        self.server = make_server("127.0.0.1", 0, create_app(self.node), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.node.url = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.node.close()


class HungPeer:
    """Accepts TCP connections on loopback and never answers (a SIGSTOPped node)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.held, self._stop = [], threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.held.append(conn)              # kept open, never read, never answered

    def stop(self):
        self._stop.set()
        self.thread.join(timeout=5)
        for c in self.held:
            c.close()
        self.sock.close()
