"""Round votes: what a validator signs in a round, certificates of > 2/3, and double votes.

A height runs in numbered rounds (docs/liveness.md §Rounds).  In round ``r``
of height ``h`` the operator signs its proposal for a block with hash ``H``
over ``round_proposal_bytes(h, r, H)``; a validator signs two kinds of vote,
each under its own domain tag (``ledger.core.domains``) so that neither is an
attestation, the other kind of vote or a proposal::

    vote_bytes(phase, h, r, H) = tag(phase) ‖ h (8 bytes, big-endian) ‖ r (4 bytes) ‖ H (32 bytes)

with ``phase`` ``"prevote"`` or ``"precommit"``.  A ``Vote`` is that message
with the validator's name and signature.

A **certificate** is a list of votes of one phase for one (h, r, H) whose
distinct, registered, unslashed signers hold more than 2/3 of the unslashed
stake (``rules.is_quorum``): a *polka* (prevotes: a validator may lock on the
block and precommit it) or a *commit* (precommits: the block is final).
``check_certificate`` refuses anything else with a one-line ``Rejected``:
a vote for another phase, height, round or hash, an unknown or slashed
signer, a signature that does not verify, too little stake.  A validator
named twice counts once.

**Double votes** are evidence: two votes by one validator of one phase at one
(h, r) for two hashes (``double_vote``), and two operator signatures on two
proposals at one (h, r) (``operator_round_equivocation``).  Each is a dict
with its two (hash, signature) pairs in increasing hash order, so one pair
has one spelling (``ledger.core.evidence``: ``double-prevote``,
``double-precommit``, ``operator-round-equivocation``); a block carries it
like any other evidence and the chain's rules judge it
(``ledger.chain.judge``); ``check_round_evidence`` verifies one against a
validator set's records or the operator's key.
"""

from typing import NamedTuple

from verifier.errors import Rejected

from ledger.core import keys
from ledger.core.codec import CodecError, check_fields, get_hex, get_int
from ledger.core.limits import HEIGHT_BOUND, ROUND_BOUND
from ledger.core.evidence import OPERATOR_ROUND_EQUIVOCATION, make_evidence
from ledger.core.round_messages import (PHASES, PRECOMMIT, PREVOTE, round_proposal_bytes,
                                        vote_bytes)
from ledger.chain.rules import is_quorum

__all__ = ["PREVOTE", "PRECOMMIT", "PHASES", "Vote", "vote_bytes", "round_proposal_bytes",
           "sign_vote", "check_certificate", "double_vote", "operator_round_equivocation",
           "check_round_evidence", "vote_to_json", "vote_from_json", "vote_list"]


class Vote(NamedTuple):
    """One validator's signed vote."""

    phase: str
    validator: str
    height: int
    round: int
    block_hash: str
    signature: bytes

    def message(self) -> bytes:
        return vote_bytes(self.phase, self.height, self.round, self.block_hash)


def sign_vote(key, validator: str, phase: str, height: int, round_: int,
              block_hash: str) -> Vote:
    """The ``Vote`` that ``key`` (validator ``validator``) signs."""
    return Vote(phase, validator, height, round_, block_hash,
                keys.sign(key, vote_bytes(phase, height, round_, block_hash)))


def vote_to_json(v: Vote) -> dict:
    return {"phase": v.phase, "validator": v.validator, "height": v.height, "round": v.round,
            "hash": v.block_hash, "signature": v.signature.hex()}


_VOTE_FIELDS = ("phase", "validator", "height", "round", "hash", "signature")


def vote_from_json(obj) -> Vote:
    """A ``Vote`` from its JSON object in its one spelling (``vote_to_json``'s: exactly these
    fields, integers as JSON numbers, hash and signature in lowercase hex); ``Rejected`` (one
    line) otherwise, so one signed vote has one JSON form and a re-spelled copy is refused."""
    what = "a vote"
    try:
        check_fields(obj, what, _VOTE_FIELDS)
        get_hex(obj, "hash", what, 32)
        sig = get_hex(obj, "signature", what, keys.SIGNATURE_BYTES)
        get_int(obj, "height", what, 1, HEIGHT_BOUND)
        get_int(obj, "round", what, 0, ROUND_BOUND)
    except CodecError as e:
        raise Rejected(str(e)) from None
    if not isinstance(obj["validator"], str):
        raise Rejected("a vote's validator must be a name")
    if not isinstance(obj["phase"], str) or obj["phase"] not in PHASES:
        raise Rejected(f"a vote's phase must be one of {', '.join(PHASES)}")
    v = Vote(obj["phase"], obj["validator"], obj["height"], obj["round"], obj["hash"], sig)
    v.message()                                     # checks phase, height, round, hash
    return v


def vote_list(votes, what: str = "a certificate") -> list:
    """``votes`` as a list if it is a list or tuple of ``Vote``s; ``Rejected`` (one line)."""
    if not isinstance(votes, (list, tuple)):
        raise Rejected(f"{what} is a list of votes, not {type(votes).__name__}")
    if not all(isinstance(v, Vote) for v in votes):
        raise Rejected(f"{what} holds votes only")
    return list(votes)


def check_certificate(votes, records: dict, phase: str, height: int, round_: int,
                      block_hash: str) -> list:
    """The names of the signers of a valid certificate (module docstring), or ``Rejected``.

    ``records``: validator name → ``rules.ValidatorRecord`` of the height's validator set."""
    message = vote_bytes(phase, height, round_, block_hash)
    votes = vote_list(votes, f"a {phase} certificate")
    total = sum(r.stake for r in records.values() if not r.slashed)
    signers = {}
    for v in votes:
        if (v.phase, v.height, v.round, v.block_hash) != (phase, height, round_, block_hash):
            raise Rejected(f"a {phase} certificate for round {round_} of block {height} holds "
                           f"a {v.phase} for round {v.round} of block {v.height} "
                           f"({str(v.block_hash)[:16]}…)")
        rec = records.get(v.validator)
        if rec is None:
            raise Rejected(f"{phase} by unknown validator {v.validator!r}")
        if rec.slashed:
            raise Rejected(f"{phase} by slashed validator {v.validator!r}")
        if not keys.verify(rec.public_key, message, v.signature):
            raise Rejected(f"{phase} by {v.validator!r} does not verify")
        signers[v.validator] = rec.stake
    if not is_quorum(sum(signers.values()), total):
        raise Rejected(f"{phase}s for round {round_} of block {height} hold "
                       f"{sum(signers.values())} of {total} stake (needs > 2/3)")
    return sorted(signers)


def _pair(kind, height, round_, one, two, validator=None) -> dict:
    if one[0] == two[0]:
        raise Rejected("a double vote needs two different hashes")
    return make_evidence(kind, height, one, two, validator=validator, round_=round_)


def double_vote(first: Vote, second: Vote) -> dict:
    """Evidence: one validator's two votes of one phase at one (height, round)."""
    if (first.phase, first.validator, first.height, first.round) != \
            (second.phase, second.validator, second.height, second.round):
        raise Rejected("a double vote is two votes of one phase by one validator in one round")
    return _pair(f"double-{first.phase}", first.height, first.round,
                 (first.block_hash, first.signature), (second.block_hash, second.signature),
                 validator=first.validator)


def operator_round_equivocation(height: int, round_: int, one: tuple, two: tuple) -> dict:
    """Evidence: the operator's signatures on two proposals ((hash, signature) each) at one
    (height, round)."""
    return _pair(OPERATOR_ROUND_EQUIVOCATION, height, round_, one, two)


_ROUND_KINDS = ("double-prevote", "double-precommit", OPERATOR_ROUND_EQUIVOCATION)


def _evidence_pairs(ev: dict, kind: str) -> list:
    """The two (hash hex, signature bytes) pairs of round evidence ``ev`` in its one spelling;
    ``Rejected`` (one line) for any other shape."""
    what = f"{kind} evidence"
    names = ("kind", "height", "round", "first", "second")
    try:
        check_fields(ev, what, names + (("validator",) if kind != OPERATOR_ROUND_EQUIVOCATION
                                       else ()))
        get_int(ev, "height", what, 1, HEIGHT_BOUND)
        get_int(ev, "round", what, 0, ROUND_BOUND)
        pairs = []
        for side in ("first", "second"):
            check_fields(ev[side], f"{what}: {side}", ("hash", "signature"))
            get_hex(ev[side], "hash", f"{what}: {side}", 32)
            pairs.append((ev[side]["hash"],
                          get_hex(ev[side], "signature", f"{what}: {side}",
                                  keys.SIGNATURE_BYTES)))
    except CodecError as e:
        raise Rejected(str(e)) from None
    return pairs


def check_round_evidence(ev: dict, records: dict, operator_key=None) -> None:
    """``Rejected`` unless both signatures of ``ev`` verify under the accused's key (and
    ``ev`` is round evidence in its one spelling)."""
    if not isinstance(ev, dict):
        raise Rejected(f"round evidence is an object, not {type(ev).__name__}")
    kind = ev.get("kind")
    if not isinstance(kind, str) or kind not in _ROUND_KINDS:
        raise Rejected(f"unknown round evidence kind {kind!r}")
    if kind == OPERATOR_ROUND_EQUIVOCATION and operator_key is None:
        raise Rejected("this ledger names no operator")
    pairs = _evidence_pairs(ev, kind)
    h, r = ev["height"], ev["round"]
    if pairs[0][0] >= pairs[1][0]:
        raise Rejected("evidence hashes must differ and be in increasing order")
    if kind == OPERATOR_ROUND_EQUIVOCATION:
        key, msg = operator_key, (lambda bh: round_proposal_bytes(h, r, bh))
    else:
        rec = records.get(ev["validator"]) if isinstance(ev["validator"], str) else None
        if rec is None:
            raise Rejected(f"evidence names unknown validator {ev['validator']!r}")
        key, msg = rec.public_key, (lambda bh: vote_bytes(kind[len("double-"):], h, r, bh))
    for bh, sig in pairs:
        if not keys.verify(key, msg(bh), sig):
            raise Rejected(f"{kind} evidence at height {h} round {r}: a signature does "
                           "not verify")
