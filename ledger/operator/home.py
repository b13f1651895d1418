"""The operator's home folder: its ledger copy, the SRS, and the accounts' private states.

Layout (``init_operator_home`` makes it; ``OperatorHome.open`` reads it)::

    operator.json            {"kind": "darkmatch-operator", "version": 1, "market_id",
                              "n_slots", "k_slots"}
    genesis.json             the ledger's genesis
    srs.ptau                 the SRS: a ceremony's .ptau, or a development one made by init
    verification_key.json    the N×K settlement circuit's key: what validators are given
    node.db                  the operator's copy of the ledger (``ledger.chain.store``)
    states.json              PRIVATE (0600): every account's cash, position and blinding
    pending.json             PRIVATE (0600): the states a proposed block leaves, while it is out
    operator_key.pem         the operator's key, proposal.json: the signed block now out
                             (``ledger.operator.proposal``)

**Why the states must survive a crash.**  The ledger holds only commitments
Poseidon(account, cash, position, blinding); the operator alone can open
them, and it needs the openings to prove the next batch.  A block's new
blindings are fresh, so losing them would freeze those accounts.  Hence:
before a proposal leaves the operator, the states it would leave are
written durably to ``pending.json`` (atomic rename, fsync); ``reconcile``
(run on every open) then picks, for each account, the state — current or
pending — whose commitment equals the commitment *the ledger holds*, writes
``states.json`` and drops ``pending.json`` once its height is final or
passed (while its height is open it stays: the validators may be locked on
its block, ``pending_for``).  A block that finalized while
the operator was down is fetched first (``catch_up``, re-checked like any
node's) and its pending states adopted; a block that never finalized leaves
the current states.  An account whose commitment matches neither is a
one-line error (the operator's files are not this ledger's).

**Accounts whose state is unknown.**  When the validators are locked on a
block whose ``pending.json`` this home lost, that block must still finish
its height (``ledger.cli.operator_send.locked_block`` re-proposes it); the
states it leaves are then known only to their owners, who decrypt them from
the block's encrypted tail.  Before it is re-sent, ``mark_unknown(block)``
records the accounts it touches in ``unknown.json`` (0600: ``{"kind",
"version", "accounts": {id: height}}``); ``reconcile`` keeps such an
account's old state without raising and ``unknown`` lists it, so later
batches leave it out (its orders are refused with one line), until
``recover(states)`` takes back an opening that opens the commitment the
ledger holds (a wrong one is refused with one line, nothing stored).  A mark
whose block did not finalize (the account's state still opens the ledger's
commitment once that height is passed) is dropped by ``reconcile``.

**One process at a time.**  An ``OperatorHome`` holds the exclusive lock on
``LOCK`` in the home (``ledger.core.lock``) from opening to ``close``, so two
``operator batch`` runs on one home never interleave; the second is refused
with one line naming the pid of the first.  The kernel frees the lock when
the holder dies, however it dies.
"""

import json
import os

from circuits.settlement_data import AccountState
from verifier.errors import BadInput, Conflict

from ledger.core.codec import CodecError, check_fields, check_object, get_int, get_list, load_json_file
from ledger.core.genesis import load_genesis, genesis_to_json
from ledger.core.keys import atomic_write
from ledger.core.limits import MARKET_BOUND
from ledger.core.lock import HomeLock
from ledger.node.catchup import fetch_finalized
from ledger.chain.store import Store

__all__ = ["OperatorHome", "init_operator_home", "states_to_json", "states_from_json",
           "catch_up", "CONFIG_FILE", "STATES_FILE", "PENDING_FILE", "UNKNOWN_FILE", "SRS_FILE", "VK_FILE"]

CONFIG_FILE, STATES_FILE, PENDING_FILE = "operator.json", "states.json", "pending.json"
UNKNOWN_FILE, UNKNOWN_KIND = "unknown.json", "darkmatch-operator-unknown"
SRS_FILE, VK_FILE, GENESIS_FILE, STORE_FILE = ("srs.ptau", "verification_key.json",
                                               "genesis.json", "node.db")
CONFIG_KIND, STATES_KIND = "darkmatch-operator", "darkmatch-operator-states"


def _state_json(s) -> dict:
    out = {"account": s.account, "cash": str(s.cash), "position": str(s.position),
           "blinding": str(s.blinding)}
    if s.funding_index:                      # the account's last funding index F_a
        out["funding_index"] = str(s.funding_index)
    return out


def states_to_json(states: dict, **extra) -> dict:
    return {"kind": STATES_KIND, "version": 1, **extra,
            "states": [_state_json(s) for _, s in sorted(states.items())]}


def states_from_json(obj, what: str) -> dict:
    """account id → AccountState from a states file; one-line ``ValueError`` when malformed."""
    check_object(obj, what, STATES_KIND, 1, ("states",), ("height", "hash"))
    out = {}
    for i, s in enumerate(get_list(obj, "states", what)):
        w = f"{what}: states[{i}]"
        check_fields(s, w, ("account", "cash", "position", "blinding"), ("funding_index",))
        try:
            st = AccountState(s["account"], int(s["cash"]), int(s["position"]), int(s["blinding"]),
                              int(s.get("funding_index", 0)))
        except (TypeError, ValueError) as e:
            raise CodecError(f"{w}: {e}") from None
        out[st.account] = st
    return out


def _write_private(path, obj) -> None:
    atomic_write(path, (json.dumps(obj, indent=1) + "\n").encode(), mode=0o600, overwrite=True)


def init_operator_home(home, genesis_path, n_slots, k_slots, srs, pk_vk, market_id=None):
    """Lay out ``home`` (module docstring) from a checked genesis, an SRS and the circuit's keys.

    ``srs``: a ``prover.SRS`` to write as ``srs.ptau`` (or None when the caller
    already copied a .ptau there); ``pk_vk``: ``setup``'s (pk, vk) for the N×K circuit.
    """
    from prover import export_ptau
    genesis = load_genesis(genesis_path)
    markets = [m.params.market_id for m in genesis.markets]
    if market_id is None:
        if len(markets) != 1:
            raise BadInput("the genesis has several markets: choose one with --market")
        market_id = markets[0]
    if market_id not in markets:
        raise BadInput(f"unknown market {market_id} (the genesis has "
                         f"{', '.join(map(str, markets))})")
    if os.path.exists(os.path.join(home, CONFIG_FILE)):
        raise BadInput(f"{home} already holds an operator (operator.json)")
    os.makedirs(home, mode=0o700, exist_ok=True)
    if srs is not None:
        export_ptau(srs, os.path.join(home, SRS_FILE))
    config = {"kind": CONFIG_KIND, "version": 1, "market_id": market_id, "n_slots": n_slots,
              "k_slots": k_slots}
    for name, obj in ((GENESIS_FILE, genesis_to_json(genesis)),
                      (VK_FILE, pk_vk[1].to_json())):
        atomic_write(os.path.join(home, name), (json.dumps(obj, indent=1) + "\n").encode(),
                     mode=0o644, overwrite=True)
    with Store.open(os.path.join(home, STORE_FILE)) as store:
        store.init_genesis(genesis)
    _write_private(os.path.join(home, STATES_FILE), states_to_json(
        {a.account_id: a.initial_state() for a in genesis.accounts
         if a.market_id == market_id}, height=0))
    atomic_write(os.path.join(home, CONFIG_FILE), (json.dumps(config, indent=1) + "\n").encode(),
                 mode=0o644)          # last: its presence marks a complete home
    return config


def catch_up(store, quorum, urls, log=print) -> int:
    """Fetch, from the validators at ``urls``, the finalized blocks past the store's head,
    each re-checked as a node re-checks it (``ledger.node.catchup.fetch_finalized``); the head."""
    for url in urls:
        fetch_finalized(store, quorum, url,
                        on_skip=lambda m, u=url: log(f"validator {u} skipped: {m}"),
                        on_bad=lambda m, u=url: log(f"validator {u} served a bad {m}"))
    return store.head()[0]


class OperatorHome:
    """An opened operator home: config, genesis, store and the reconciled private states."""

    def __init__(self, home):
        self.home = os.fspath(home)
        self.home_lock = HomeLock(self.home, "operator home", CONFIG_FILE).acquire()
        try:
            self._open()
        except BaseException:
            self.home_lock.release()
            raise

    def _open(self):
        home = self.home
        try:
            cfg = check_object(load_json_file(self.path(CONFIG_FILE), "operator config"),
                               f"{self.path(CONFIG_FILE)}", CONFIG_KIND, 1,
                               ("market_id", "n_slots", "k_slots"))
            self.market_id = get_int(cfg, "market_id", "operator config", 0, MARKET_BOUND)
            self.n_slots = get_int(cfg, "n_slots", "operator config", 1, 1 << 12)
            self.k_slots = get_int(cfg, "k_slots", "operator config", 1, 1 << 12)
        except CodecError as e:
            raise BadInput(f"{home} is not an operator home: {e}") from None
        self.genesis = load_genesis(self.path(GENESIS_FILE))
        self.store = Store.open(self.path(STORE_FILE))
        try:
            self.store.init_genesis(self.genesis)
            self.states = self._read_states(STATES_FILE)
        except BaseException:
            self.store.close()
            raise

    def path(self, name) -> str:
        return os.path.join(self.home, name)

    def _read_states(self, name):
        try:
            return states_from_json(load_json_file(self.path(name), name), self.path(name))
        except CodecError as e:
            raise BadInput(str(e)) from None

    def close(self) -> None:
        self.store.close()
        self.home_lock.release()

    def write_pending(self, block, new_states) -> None:
        """Durably record the states ``block`` would leave, before it is sent anywhere."""
        _write_private(self.path(PENDING_FILE), states_to_json(
            new_states, height=block.height, hash=block.hash()))

    def pending_for(self, block):
        """The states ``pending.json`` holds for exactly ``block`` (its height and hash), or
        None: what lets the operator re-propose a block the validators are locked on after
        losing ``proposal.json`` (docs/liveness.md)."""
        if not os.path.exists(self.path(PENDING_FILE)):
            return None
        doc = load_json_file(self.path(PENDING_FILE), PENDING_FILE)
        if not isinstance(doc, dict) or (doc.get("height"), doc.get("hash")) != \
                (block.height, block.hash()):
            return None
        return self._read_states(PENDING_FILE)

    def _marks(self) -> dict:
        """account → height of the block whose lost states made it unknown."""
        path = self.path(UNKNOWN_FILE)
        if not os.path.exists(path):
            return {}
        try:
            obj = check_object(load_json_file(path, UNKNOWN_FILE), path, UNKNOWN_KIND, 1,
                               ("accounts",))
            items = obj["accounts"]
            if not isinstance(items, dict):
                raise CodecError(f"{path}: accounts must be an object")
            return {int(a): int(h) for a, h in items.items()}
        except (CodecError, TypeError, ValueError) as e:
            raise BadInput(f"{path}: {e}") from None

    def _write_marks(self, marks: dict) -> None:
        if not marks:
            if os.path.exists(self.path(UNKNOWN_FILE)):
                os.unlink(self.path(UNKNOWN_FILE))
            return
        _write_private(self.path(UNKNOWN_FILE), {"kind": UNKNOWN_KIND, "version": 1,
                                                 "accounts": {str(a): h for a, h in
                                                              sorted(marks.items())}})

    @property
    def unknown(self) -> dict:
        """account → the height whose block left it in a state this home does not hold."""
        return self._marks()

    def known_states(self) -> dict:
        """The states a batch may use: every account but the unknown ones."""
        marks = self._marks()
        return {a: s for a, s in self.states.items() if a not in marks}

    def mark_unknown(self, block) -> list:
        """Durably mark the accounts ``block`` touches as unknown (module docstring), before
        it is re-sent without its private states; their ids."""
        marks = self._marks()
        touched = sorted({s.account for s in block.account_slots if s.active})
        for a in touched:
            marks[a] = block.height
        self._write_marks(marks)
        return touched

    def recover(self, states: dict) -> list:
        """Take back the openings ``states`` (account → ``AccountState``) of unknown accounts;
        ``BadInput`` (one line, nothing stored) unless every one is unknown here and opens the
        commitment the ledger holds now.  The accounts recovered."""
        marks = self._marks()
        for a, st in sorted(states.items()):
            if a not in marks:
                raise BadInput(f"account {a}: its state is not unknown here (nothing to "
                               "recover)")
            if a not in self.states:
                raise BadInput(f"account {a} is not in this operator's market")
            on_ledger = self.store.account_commitment(a)
            if st.commitment() != on_ledger:
                raise BadInput(f"account {a}: the state given does not open the commitment "
                               f"the ledger holds ({on_ledger:#x}) at block "
                               f"{self.store.head()[0]}")
        self.states = {**self.states, **states}
        _write_private(self.path(STATES_FILE), states_to_json(self.states,
                                                              height=self.store.head()[0]))
        self._write_marks({a: h for a, h in marks.items() if a not in states})
        return sorted(states)

    def reconcile(self) -> int:
        """Adopt, per account, the current or pending state the ledger's commitment opens to.

        Returns how many accounts took their pending state; ``ValueError`` if one
        matches neither.
        """
        pending, live = {}, False
        if os.path.exists(self.path(PENDING_FILE)):
            pending = self._read_states(PENDING_FILE)
            # a proposal still out (``ledger.operator.proposal``) keeps its pending states
            height = load_json_file(self.path(PENDING_FILE), PENDING_FILE).get("height")
            # (or whose block the validators may be locked on: kept while its height is open)
            live = isinstance(height, int) and height > self.store.head()[0]
        adopted, states, marks = 0, {}, self._marks()
        head = self.store.head()[0]
        for a, cur in self.states.items():
            on_ledger = self.store.account_commitment(a)
            if cur.commitment() == on_ledger:
                states[a] = cur
                if a in marks and marks[a] <= head:
                    del marks[a]                 # its block did not finalize: known again
            elif a in pending and pending[a].commitment() == on_ledger:
                states[a], adopted = pending[a], adopted + 1
                marks.pop(a, None)
            elif a in marks:
                states[a] = cur                  # unknown until its owner hands it back
            else:
                raise Conflict(f"account {a}: neither the operator's state nor its pending "
                                 "state opens the ledger's commitment (wrong home or ledger?)")
        _write_private(self.path(STATES_FILE), states_to_json(states,
                                                              height=self.store.head()[0]))
        if pending and not live:
            os.unlink(self.path(PENDING_FILE))
        self._write_marks(marks)
        self.states = states
        return adopted
