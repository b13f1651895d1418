"""Two-phase rounds with locks: a validator's prevote and precommit, and a round's tally.

The protocol and its safety and liveness argument are in docs/liveness.md
§Rounds.  In round ``r`` of height ``h``:

* **prevote** (``RoundValidator.prevote(block, r, operator_signature,
  pol_round, polka)``): the validator checks the operator's signature over
  ``votes.round_proposal_bytes`` (when the ledger names an operator), then
  the block itself (``Validator.check``: the chain's rules and the proof);
  only then the round log records the operator's proposal of (h, r) durably
  (a second one with another hash is the operator's equivocation, kept as
  evidence; a refused block leaves nothing stored); then the **lock rule**
  (``prevote_allowed``): unlocked, or locked on this very block, or shown a
  polka for this block at a round ``pol_round`` with ``lock round <
  pol_round < r``; then it records the prevote durably
  (``ledger.chain.roundlog``: one per round, rounds only go up) and signs it.
* **precommit** (``RoundValidator.precommit(block, r, polka)``): only on a
  polka for this block in round r (prevotes from > 2/3 of the stake,
  ``votes.check_certificate``) and a block that passes ``check``; the
  precommit and the new lock (round r, the block, the polka) are recorded in
  one durable write before the signature leaves.
* the block is **final** with precommits from > 2/3 of the stake in one
  round (``RoundTally.commit``); shown that commit, a validator gives
  today's attestation (``attest_commit``), so the stored block carries the
  signatures every existing check reads.

``RoundTally`` is what the collector of a round (the operator, or anyone)
keeps: every vote it accepted, per (phase, h, r); a second vote of one
phase by one validator in one round for another hash is ``double_vote``
evidence (``Misbehaviour``); ``polka`` and ``commit`` answer a certificate
once one exists.  ``choose_reproposal(locks, records)`` is the operator's
rule when it opens a new round: re-propose the locked block with the
highest lock round whose polka verifies (so every validator locked at or
below that round may prevote it), or, with no lock reported, any valid
block.

**Evidence.**  A ``RoundValidator`` catches the operator's second proposal
in one round, and, through ``seen`` (a ``RoundTally`` of the votes in every
certificate it is shown: polkas, commits, proofs of lock), a validator's two
votes of one phase in one round; each goes once to ``keep`` (a node keeps it
durably and serves it, ``GET /evidence``).  A ``RoundTally`` sends the double
votes it catches to ``keep`` (default: its store's pending evidence).  A
block carries them like any other evidence (``ledger.core.evidence``).

A validator node runs these behind ``ledger.node.rounds_api``; the operator
behind ``ledger.operator.rounds``.
"""

import json
import threading

from verifier.errors import Conflict, Misbehaviour, Rejected

from ledger.core import keys
from ledger.core.block import Block, block_from_json, block_to_json
from ledger.core.limits import ROUND_BOUND, check_int
from ledger.chain.roundlog import MemoryRoundLog
from ledger.chain.votes import (PRECOMMIT, PREVOTE, check_certificate, double_vote,
                                operator_round_equivocation, round_proposal_bytes, sign_vote,
                                vote_from_json, vote_list, vote_to_json)

__all__ = ["Locked", "prevote_allowed", "RoundValidator", "RoundTally", "choose_reproposal"]


class Locked(Conflict):
    """The validator is locked on another block and was shown no later polka; one line."""


def prevote_allowed(lock, block_hash: str, round_: int, pol_round) -> bool:
    """The lock rule: may a validator whose lock is ``lock`` (a ``Lock`` or None) prevote
    ``block_hash`` in ``round_``, given a valid polka for it at ``pol_round`` (None: none)?"""
    if lock is None or lock.block_hash == block_hash:
        return True
    return pol_round is not None and lock.round < pol_round < round_


def _records(store) -> dict:
    return {v.name: v for v in store.validators()}


class RoundValidator:
    """One validator's side of the rounds: a ``ledger.chain.validator.Validator`` (its key,
    store and block checks) and its round log (``ledger.chain.roundlog``)."""

    def __init__(self, validator, log=None, operator_key=None, keep=None):
        self.validator, self.name = validator, validator.name
        self.log = MemoryRoundLog() if log is None else log
        self.operator_key = operator_key
        self.evidence = []                               # round evidence caught here
        self._keep = keep                                # where it goes (a node's logs)
        self.seen = RoundTally(validator.store, keep=self._caught)   # votes in certificates
        self._mutex = threading.Lock()

    def _caught(self, ev) -> None:
        if ev not in self.evidence:
            self.evidence.append(ev)
            if self._keep is not None:
                self._keep(ev)

    def _witness(self, votes) -> None:
        """Show the votes of a certificate this validator was given to ``seen``: a
        validator's second vote of one phase in one round for another hash is evidence."""
        for v in votes:
            try:
                self.seen.add(v)
            except Misbehaviour:
                pass                                     # kept by ``_caught``

    def _check_block(self, block, round_):
        check_int(round_, "round", 0, ROUND_BOUND, error=Rejected)
        ok, reason = self.validator.check(block)
        if not ok:
            raise Rejected(f"validator {self.name} will not vote: {reason}")

    def _check_operator(self, block, round_, signature):
        """The operator's signature on this round's proposal (cheap: before the proof)."""
        if not isinstance(block, Block):
            raise Rejected("a round proposal is a block")
        if self.operator_key is None:
            return
        if not isinstance(signature, bytes) or not keys.verify(
                self.operator_key, round_proposal_bytes(block.height, round_, block.hash()),
                signature):
            raise Rejected(f"round {round_} proposal of block {block.height} is not signed "
                           "by the operator")

    def _record_proposal(self, block, round_, signature):
        """Record the operator's proposal of (height, round) durably — only once the block
        passed its checks, so a refused block leaves nothing stored — and catch a second one
        with another hash (the operator's equivocation: ``Misbehaviour``, evidence kept)."""
        if self.operator_key is None:
            return
        bh = block.hash()
        prior = self.log.see(block.height, round_, bh, signature)
        if prior is not None:
            self._caught(operator_round_equivocation(block.height, round_, prior,
                                                     (bh, signature)))
            raise Misbehaviour(f"the operator proposed two blocks in round {round_} of "
                               f"height {block.height}: evidence kept")

    def prevote(self, block, round_: int, operator_signature=None, pol_round=None,
                polka=()):
        """This validator's prevote for ``block`` in ``round_`` (module docstring)."""
        check_int(round_, "round", 0, ROUND_BOUND, error=Rejected)
        polka = vote_list(polka, "a polka")
        self._check_operator(block, round_, operator_signature)     # cheap, before the proof
        self._check_block(block, round_)
        self._record_proposal(block, round_, operator_signature)
        h, bh = block.height, block.hash()
        with self._mutex:
            lock = self.log.lock(h)
            if lock is not None and lock.block_hash != bh:
                if pol_round is not None:
                    check_int(pol_round, "polka round", 0, ROUND_BOUND, error=Rejected)
                    check_certificate(polka, _records(self.validator.store), PREVOTE, h,
                                      pol_round, bh)
                    self._witness(polka)
                if not prevote_allowed(lock, bh, round_, pol_round):
                    raise Locked(f"validator {self.name} is locked on block {h} "
                                 f"({lock.block_hash[:16]}…) since round {lock.round}")
            self.log.vote(PREVOTE, h, round_, bh)            # durable before signing
            return sign_vote(self.validator.key, self.name, PREVOTE, h, round_, bh)

    def precommit(self, block, round_: int, polka):
        """This validator's precommit for ``block`` in ``round_`` on a polka (module doc)."""
        polka = vote_list(polka, "a polka")
        self._check_block(block, round_)
        h, bh = block.height, block.hash()
        check_certificate(polka, _records(self.validator.store), PREVOTE, h, round_, bh)
        self._witness(polka)
        lock = (json.dumps(block_to_json(block)), json.dumps([vote_to_json(v) for v in polka]))
        with self._mutex:
            self.log.vote(PRECOMMIT, h, round_, bh, lock=lock)   # vote + lock, durable
            return sign_vote(self.validator.key, self.name, PRECOMMIT, h, round_, bh)

    def attest_commit(self, block, round_: int, precommits):
        """Today's attestation of ``block`` (``Validator.attest``: one hash per height, in the
        sign log), given only on a commit for it: > 2/3 precommits in ``round_``.  At most one
        hash per height has a commit, so the sign log's rule still holds, and the block's
        signatures are the ones every existing check reads (docs/liveness.md §Rounds)."""
        check_int(round_, "round", 0, ROUND_BOUND, error=Rejected)
        precommits = vote_list(precommits, "a commit")
        check_certificate(precommits, _records(self.validator.store), PRECOMMIT,
                          block.height, round_, block.hash())
        self.seen.forget(block.height)
        self._witness(precommits)
        return self.validator.attest(block)

    def lock_info(self, height: int):
        """(lock round, block, polka votes) this validator is locked on at ``height``, or None
        (what it reports when the operator opens a new round)."""
        lock = self.log.lock(height)
        if lock is None:
            return None
        return (lock.round, block_from_json(json.loads(lock.block), "locked block"),
                [vote_from_json(v) for v in json.loads(lock.polka)])


def choose_reproposal(locks, records: dict):
    """(pol_round, block, polka) of the highest reported lock whose polka verifies, or None
    (propose any valid block).  ``locks``: ``lock_info`` answers (None for unlocked)."""
    best = None
    for info in locks:
        if info is None:
            continue
        r, block, polka = info
        try:
            check_certificate(polka, records, PREVOTE, block.height, r, block.hash())
        except ValueError:
            continue                                     # a lie about a lock: ignored
        if best is None or r > best[0]:
            best = (r, block, polka)
    return best


class RoundTally:
    """The votes a round's collector accepted (module docstring); ``keep(evidence)`` (default:
    the store's pending evidence) receives each double vote caught."""

    def __init__(self, store, keep=None):
        self.store = store
        self.votes = {}                 # (phase, h, r) → {validator: Vote}
        self.evidence = []
        self._keep = keep or (lambda ev: store.add_pending_evidence(
            ev["kind"], ev["validator"], ev["height"], ev))

    def forget(self, below: int) -> None:
        """Drop the votes of heights below ``below`` (final heights)."""
        for k in [k for k in self.votes if k[1] < below]:
            del self.votes[k]

    def add(self, vote) -> None:
        """Accept one vote (its signature checked); ``Misbehaviour`` for a double vote."""
        records = _records(self.store)
        _check_one(vote, records)
        at = self.votes.setdefault((vote.phase, vote.height, vote.round), {})
        prior = at.get(vote.validator)
        if prior is not None and prior.block_hash != vote.block_hash:
            ev = double_vote(prior, vote)
            if ev not in self.evidence:
                self.evidence.append(ev)
                self._keep(ev)
            raise Misbehaviour(f"validator {vote.validator!r} sent two {vote.phase}s in round "
                               f"{vote.round} of height {vote.height}: evidence kept")
        at.setdefault(vote.validator, vote)

    def _certificate(self, phase, height, round_):
        records = _records(self.store)
        by_hash = {}
        for v in self.votes.get((phase, height, round_), {}).values():
            by_hash.setdefault(v.block_hash, []).append(v)
        for bh, votes in sorted(by_hash.items()):
            try:
                check_certificate(votes, records, phase, height, round_, bh)
            except ValueError:
                continue
            return bh, sorted(votes)
        return None

    def polka(self, height: int, round_: int):
        """(hash, prevotes) once > 2/3 prevoted one block in this round, else None."""
        return self._certificate(PREVOTE, height, round_)

    def commit(self, height: int, round_: int):
        """(hash, precommits) once > 2/3 precommitted one block in this round, else None."""
        return self._certificate(PRECOMMIT, height, round_)


def _check_one(vote, records) -> None:
    """``Rejected`` unless ``vote``'s signer is registered, unslashed and its signature
    verifies (a certificate of one, without the stake test)."""
    rec = records.get(getattr(vote, "validator", None))
    if rec is None or rec.slashed:
        raise Rejected(f"vote by unknown or slashed validator {getattr(vote, 'validator', None)!r}")
    if not keys.verify(rec.public_key, vote.message(), vote.signature):
        raise Rejected(f"{vote.phase} by {vote.validator!r} does not verify")
