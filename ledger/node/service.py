"""A validator node: its home folder, its answers to proposals and finalized blocks, catch-up.

``ledger.node.server`` puts this behind HTTP; everything here is plain Python so it
can be tested and reasoned about without a socket.

**Home folder**: ``ledger.node.home`` (layout, ``init_home``; re-exported here).

**Rounds** (``ledger.node.rounds_api``): every height runs in the two-phase
rounds of docs/liveness.md §Rounds — prevote, precommit and the attestation
on a commit — through ``rounds`` (a ``RoundValidator`` whose round log is in
``node.db``).  Round evidence the node catches (the operator's two proposals
in one round, a validator's two votes of one phase in one round seen in the
certificates it is shown) is kept (``proposals``, the store's pending
evidence), served (``GET /evidence``) and passed to the peers
(``ledger.node.gossip``).

**Single-phase proposal** (``propose``, ``POST /propose``): refused (409,
``SinglePhaseOff``) unless the node runs with ``single_phase=True``
(``validator run --single-phase``, a legacy mode: a height run that way
stops for good if its proposal is lost, docs/liveness.md).  In that mode a
block above head + 1 first triggers a catch-up; then ``Validator.attest``
runs the checks of docs/design.md §Block checks in order and, if they pass,
records the height and hash in the sign log *durably* and only then signs;
a block at a height the node signed before (even before a restart) with
another hash is refused, and so is a height it voted in rounds (409: an
attestation without a commit there would be a lock no polka releases).
When the genesis names an operator, a proposal must carry its signature
(else 403, ``rules.check_proposer``); the node records the first signed
proposal per height (``ledger.chain.proposals``) and a second, different
one is the operator's equivocation: 403, and the pair is kept as evidence.

**Finalized block** (``finalize``): a block with its signatures, stored by
``Quorum.finalize_signed`` (``ledger.chain.finality``: every signature verifies,
> 2/3 of the unslashed stake, the store's checks, the proof, one transaction;
double-signs and signatures on failing proofs are evidence and slash).  The
node keeps one ``Quorum`` for its life, so evidence across requests is seen.

**Parameter change** (``param_change``): a change with its quorum's
signatures, applied at this head by ``ledger.chain.params.apply_approved`` (each
signature re-checked, > 2/3 of the stake); one approved for a later head
triggers a catch-up first, one for another head is a 409.

**Observation** (``observation``): this validator's signed price for an oracle
market's next block (``ledger.node.observer``; source in ``HOME/price_source``).
``status`` carries the markets' public risk figures (``market_figures``).

**Catch-up** (``catch_up``): on start and whenever a proposal, a finalized
block or a parameter change is ahead of the head, the node asks every peer's
``/status`` at once (one per-peer timeout in all, however many peers hang),
then, from the peers that answered, highest head first
(``ledger.node.catchup.fetch_finalized``), the parameter changes at its head
and ``GET /blocks/<head + 1>`` until the peer has no more, and stores each
block only through ``finalize_signed`` — the same checks as a ``POST
/finalize`` (signatures and quorum against *its own* validator set, the
store's checks, the proof).  A peer that answers garbage, a 5xx, an
oversized body, or serves a malformed, mislabelled or failing block is
complained about (stderr, and ``bad_peers`` in ``status``) and left for the
next peer; an unreachable or silent peer is skipped.

**Responsiveness.**  The node's write lock is held only to check and store
(never while a peer is being asked: ``fetch_finalized`` takes it per block),
and one catch-up runs at a time.  A *proposal* ahead of head + 1 answers 409
at once and starts a catch-up in the background; a finalized block or a
parameter change ahead of the head catches up first (it carries a quorum's
word that the blocks exist), unless a catch-up is already running, in which
case it too answers 409 at once.  ``/status`` takes no lock, so it answers
whatever the peers do.  Every request to a peer has ``peer_timeout`` seconds.

**Errors** are the kinds of ``verifier.errors`` (``BadInput`` 400 malformed,
``Conflict`` 409 with the node's state: a height already final or signed, a
node behind; ``Rejected`` 422 a well-formed block or change that fails a
check) or ``NotFound`` (404 a height the node does not have), one line each;
the server answers each with its ``http_status``.
Nothing is stored on an error, except evidence (which is the point of it).

**Test-only faulty nodes** are ``ledger.node.faults.FaultyNode``, a subclass
the server runs only when ``DARKMATCH_NODE_FAULT`` is set; this class has no
fault branch.
"""

import os
import sys
import threading

from verifier.errors import BadInput, Conflict, DarkmatchError, Misbehaviour, Rejected

from ledger.core.block import block_from_json, block_to_json
from ledger.core.observation import observation_to_json
from ledger.chain.finality import Quorum
from ledger.core.genesis import load_genesis
from ledger.core.lock import HomeLock
from ledger.core.keys import load_private_key
from ledger.node import gossip
from ledger.node.catchup import from_peers
from ledger.node.client import NodeClient, attestation_to_json
from ledger.node.home import (GENESIS_FILE, KEY_FILE, STORE_FILE, URL_FILE, VK_FILE, init_home,
                              load_verifying_key)
from ledger.node.observer import NotObserved, load_observer, market_figures
from ledger.node.ethereum import NodeEthereum
from ledger.chain.params import apply_approved, approval_from_json, approval_to_json
from ledger.chain.proposals import ProposalLog
from ledger.chain.roundlog import RoundLog
from ledger.chain.rounds import RoundValidator
from ledger.chain.rules import check_proposer, select_evidence
from ledger.core.evidence import EVIDENCE_KINDS, VALIDATOR_KINDS
from ledger.core.limits import HEIGHT_BOUND
from ledger.chain.signlog import SignLog
from ledger.chain.store import Store
from ledger.chain.validator import Validator

__all__ = ["Node", "NotFound", "SinglePhaseOff", "init_home", "load_verifying_key", "GENESIS_FILE", "KEY_FILE",
           "VK_FILE", "STORE_FILE", "URL_FILE", "PEER_TIMEOUT"]

PEER_TIMEOUT = 10.0


def _signed_by_operator(operator_key, block) -> bool:
    """True iff ``block`` carries a valid proposal signature by ``operator_key``."""
    try:
        check_proposer(operator_key, block)
    except ValueError:
        return False
    return True


class NotFound(DarkmatchError, ValueError):
    """A height or block this node does not have (HTTP 404)."""

    http_status = 404
    exit_code = 1


class SinglePhaseOff(Conflict):
    """A single-phase proposal to a node that runs heights in rounds only (HTTP 409)."""


class Node:
    """One validator node over its home folder; ``peers`` are other nodes' URLs."""

    fault = None        #: the test fault of a ``ledger.node.faults.FaultyNode``

    def __init__(self, home, peers=(), *, log=None, rpc=None, deployment=None,
                 peer_timeout: float = PEER_TIMEOUT, single_phase: bool = False):
        home = os.fspath(home)
        if not os.path.isdir(home):
            raise BadInput(f"validator home not found: {home} (run: darkmatch validator init)")
        self.home = home
        self.peers = [NodeClient(p, peer_timeout).url for p in dict.fromkeys(peers)]
        self.peer_timeout, self.single_phase = peer_timeout, single_phase
        self.url, self.bad_peers, self.syncing = None, {}, False
        self._print = log or (lambda m: print(m, file=sys.stderr, flush=True))
        self.home_lock = HomeLock(home, "validator home", GENESIS_FILE).acquire()  # HomeInUse
        try:
            genesis = load_genesis(os.path.join(home, GENESIS_FILE))
            key = load_private_key(os.path.join(home, KEY_FILE))
            self.vk = load_verifying_key(os.path.join(home, VK_FILE))
            db = os.path.join(home, STORE_FILE)
            self.store = Store.open(db)
        except BaseException:
            self.home_lock.release()
            raise
        try:
            self.genesis_hash = self.store.init_genesis(genesis)
            self.signlog = SignLog(db)
            self.proposals = ProposalLog(db)
            self.quorum = Quorum(self.store, self.vk)
            self.validator = Validator(key, self.store, self.vk, self.signlog,
                                       proof_verdict=self.quorum.proof_verdict)
            self.rounds = RoundValidator(self.validator, RoundLog(db), genesis.operator,
                                         keep=self._keep_round_evidence)
            self.observer = load_observer(home, key, self.validator.name, self.store)
            self.eth = NodeEthereum(home, self.store, rpc=rpc, deployment=deployment)
        except BaseException:
            self.store.close()
            self.home_lock.release()
            raise
        self.chain_id, self.name = genesis.chain_id, self.validator.name
        self.operator = genesis.operator
        self._lock = threading.RLock()          # checks and writes only, never peers
        self._sync_lock = threading.Lock()      # one catch-up at a time

    def log(self, msg: str) -> None:
        self._print(f"[validator {self.name}] {msg}")

    def _keep_round_evidence(self, ev) -> None:
        """Keep round evidence this node caught (``RoundValidator``) and pass it on."""
        if ev["kind"] in VALIDATOR_KINDS:
            self.store.add_pending_evidence(ev["kind"], ev["validator"], ev["height"], ev)
        else:
            self.proposals.keep(ev)
        self.log(f"evidence: {ev['kind']} at height {ev['height']} round {ev['round']}")
        gossip.spread(self)

    def close(self) -> None:
        self.rounds.log.close()
        self.proposals.close()
        self.signlog.close()
        self.store.close()
        self.home_lock.release()

    # ------------------------------------------------------------ reading
    def status(self) -> dict:
        height, head = self.store.head()
        out = {"kind": "darkmatch-node-status", "version": 1, "chain_id": self.chain_id,
               "genesis_hash": self.genesis_hash, "validator": self.name,
               "public_key": self.validator.public_key,
               "head": {"height": height, "hash": head}, "state_root": self.store.state_root(),
               "peers": list(self.peers), "bad_peers": dict(self.bad_peers),
               "syncing": self.syncing, "markets": market_figures(self.store),
               "ethereum": self.eth.status()}
        return out

    def observation(self, market_id: int, height: int) -> dict:
        """This validator's signed observation for ``market_id`` at ``height`` (JSON)."""
        if self.observer is None:
            raise NotObserved(f"validator {self.name} has no price source")
        return observation_to_json(self.observer.observe(market_id, height))

    def anchor(self, height: int) -> dict:
        """This validator's Ethereum signature of final block ``height`` (``ledger.node.ethereum``)."""
        return self.eth.anchor(height)

    def block(self, height: int) -> dict:
        """The finalized block at ``height`` as JSON; ``NotFound`` past the head."""
        head = self.store.head()[0]
        if not 1 <= height <= head:
            raise NotFound(f"no finalized block at height {height} (head is {head})")
        return block_to_json(self.store.get_block(height))

    def evidence(self) -> dict:
        """The evidence this node holds that no block carried yet (``ledger.core.evidence``
        objects a block at this head could carry: ``rules.select_evidence``)."""
        pending = [b for k, _, _, b in self.store.pending_evidence() if k in EVIDENCE_KINDS]
        items = select_evidence(self.store.view(), pending + self.proposals.evidence(),
                                limit=HEIGHT_BOUND, max_height=HEIGHT_BOUND)
        return {"kind": "darkmatch-evidence", "version": 1, "evidence": items}

    def accept_evidence(self, obj) -> dict:
        """Keep the evidence a peer sends (``ledger.node.gossip.accept``)."""
        with self._lock:
            return gossip.accept(self.store, self.proposals, obj)

    # ------------------------------------------------------------ writing
    def _reach(self, height: int, *, wait: bool) -> int:
        """The head, once ``height`` is at most head + 1; else a catch-up (``wait``: now,
        unless one is running; else in the background) and 409 if still behind."""
        head = self.store.head()[0]
        if height <= head + 1:
            return head
        why = f"block {height} is ahead of head {head}"
        if wait:
            self._catch_up(why, blocking=False)
        else:
            self.start_catch_up(why)
        head = self.store.head()[0]
        if height > head + 1:
            raise Conflict(f"node is behind: head is {head}, block {height} needs blocks "
                           f"{head + 1}..{height - 1} first (catching up from peers)")
        return head

    def propose(self, obj) -> dict:
        """Check a proposed block and answer this validator's attestation (module doc)."""
        block = block_from_json(obj, "proposal")              # BadInput if malformed
        if block.signatures:
            raise BadInput("a proposal carries no signatures (they go to /finalize)")
        if not self.single_phase:
            raise SinglePhaseOff(
                f"validator {self.name} runs every height in two-phase rounds "
                "(POST /round/prevote); it answers no single-phase proposal (a node started "
                "with --single-phase does)")
        check_proposer(self.operator, block)                   # 403 unless the operator's
        if self.operator is not None:
            ev = self.proposals.see(block.height, block.hash(), block.operator_signature)
            if ev is not None:
                self.log(f"evidence: the operator signed two blocks at height {block.height}")
                gossip.spread(self)
                raise Misbehaviour(f"the operator signed two different blocks at height "
                                   f"{block.height} ({ev['first']['hash'][:16]}… and "
                                   f"{ev['second']['hash'][:16]}…): evidence kept")
        self._reach(block.height, wait=False)                  # 409 at once if ahead
        if self.rounds.log.top_round(block.height) is not None:
            raise Conflict(f"height {block.height} runs in rounds here (POST /round/prevote): "
                           "no attestation without a commit")
        with self._lock:
            att = self._attest(block)
        self.log(f"signed block {block.height} ({block.hash()[:16]}…)")
        return attestation_to_json(att)

    def _attest(self, block):
        """This validator's attestation of ``block`` at this head (held lock)."""
        head = self.store.head()[0]
        if block.height > head + 1:
            raise Conflict(f"node is behind: head is {head}, block {block.height} needs "
                           f"blocks {head + 1}..{block.height - 1} first")
        if block.height <= head:
            raise Conflict(f"block {block.height} is not above the head ({head}): "
                           "that height is final")
        try:
            return self.validator.attest(block)
        except Conflict:
            raise                                   # AlreadySigned: 409
        except ValueError as e:
            raise Rejected(str(e)) from None

    def param_change(self, obj) -> dict:
        """Apply a parameter change its quorum approved (``ledger.chain.params``) at this head."""
        change, height, sigs = approval_from_json(obj)           # BadInput if malformed
        if height > self.store.head()[0]:
            self._reach(height + 1, wait=True)
        with self._lock:
            head = self.store.head()[0]
            if height != head:
                raise Conflict(f"parameter change approved at height {height}, the head "
                                     f"is {head}")
            if any(c == change for c, _ in self.store.param_approvals(height)):
                return {"status": "known", "height": height}
            try:
                pid = apply_approved(self.store, change, height, sigs)
            except ValueError as e:
                raise Rejected(str(e)) from None
        self.log(f"applied parameter change {pid} at height {height} ({change.get('kind')})")
        return {"status": "applied", "height": height, "id": pid}

    def param_changes(self, height: int) -> dict:
        """The parameter changes recorded at ``height`` with their approvals; 404 past the head."""
        head = self.store.head()[0]
        if not 0 <= height <= head:
            raise NotFound(f"no height {height} yet (head is {head})")
        return {"kind": "darkmatch-param-changes", "version": 1, "height": height,
                "changes": [approval_to_json(c, height, sigs)
                            for c, sigs in self.store.param_approvals(height)]}

    def finalize(self, obj) -> dict:
        """Store a finalized block with its signatures (module doc)."""
        block = block_from_json(obj, "finalized block")       # BadInput if malformed
        self._reach(block.height, wait=True)
        with self._lock:
            head = self.store.head()[0]
            known = block.height <= head
            try:
                bh = self.quorum.finalize_signed(block)
            except Misbehaviour as e:
                self.log(f"evidence: {e}")
                gossip.spread(self)
                raise Rejected(str(e)) from None
            except ValueError as e:
                raise Rejected(str(e)) from None
            self.quorum.forget(self.store.head()[0] + 1)
            self.rounds.seen.forget(self.store.head()[0] + 1)
        if self.operator is not None and block.operator_signature is not None and \
                _signed_by_operator(self.operator, block):
            # a final block is a proposal the operator signed too: a different signed
            # proposal at its height, before or after, is its equivocation
            if self.proposals.see(block.height, bh, block.operator_signature) is not None:
                self.log(f"evidence: the operator signed two blocks at height {block.height}")
                gossip.spread(self)
        if not known:
            self.log(f"finalized block {block.height} ({bh[:16]}…)")
        return {"status": "known" if known else "stored", "height": block.height, "hash": bh}

    # ------------------------------------------------------------ catch-up
    def catch_up(self, reason: str = "start") -> int:
        """Fetch, re-check and store the finalized blocks peers have past the head; the head."""
        return self._catch_up(reason, blocking=True)

    def start_catch_up(self, reason: str = "start"):
        """``catch_up`` in a background thread unless one is running (the server answers
        meanwhile); the thread, or None."""
        if self._sync_lock.locked():
            return None
        self.syncing = True
        t = threading.Thread(target=self._background_catch_up, args=(reason,),
                             name="darkmatch-catch-up", daemon=True)
        t.start()
        return t

    def _background_catch_up(self, reason):
        try:
            self._catch_up(reason, blocking=True)
        except Exception as e:                      # pragma: no cover - logged, node keeps serving
            self.log(f"catch-up failed: {type(e).__name__}: {e}")
        finally:
            self.syncing = self._sync_lock.locked()

    def _complain(self, peer, msg):
        self.bad_peers[peer] = msg
        self.log(f"bad peer {peer}: {msg}")

    def _catch_up(self, reason: str, *, blocking: bool) -> int:
        """One catch-up (module docstring); with ``blocking=False`` none if one is running."""
        if not self._sync_lock.acquire(blocking=blocking):
            return self.store.head()[0]
        self.syncing = True
        try:
            start = self.store.head()[0]
            from_peers(self.store, self.quorum, [p for p in self.peers if p != self.url],
                       timeout=self.peer_timeout, lock=self._lock, log=self.log,
                       complain=self._complain, is_bad=lambda u: u in self.bad_peers)
            head = self.store.head()[0]
            if head > start:
                self.log(f"caught up from {start} to {head} ({reason})")
            return head
        finally:
            self._sync_lock.release()
            self.syncing = False
