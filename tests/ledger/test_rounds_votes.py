"""Round votes and their certificates refuse every malformed or insufficient input with one
line (ledger.chain.votes, ledger.chain.roundlog): domain separation, forged, foreign, unknown,
slashed, duplicated or mislabelled votes, too little stake, bad records."""

from dataclasses import replace

import pytest

from verifier.errors import Rejected

from ledger.chain.roundlog import MemoryRoundLog, RoundLogError, RoundPassed, VoteConflict
from ledger.chain.rules import ValidatorRecord
from ledger.chain.votes import (PRECOMMIT, PREVOTE, check_certificate, check_round_evidence,
                                double_vote, round_proposal_bytes, sign_vote, vote_bytes,
                                vote_from_json, vote_to_json)
from ledger.core import keys
from ledger.core.block import attestation_bytes, proposal_bytes

H = "ab" * 32
KEYS = {f"v{i}": keys.generate() for i in range(4)}
RECORDS = {n: ValidatorRecord(n, keys.public_key_hex(k), 10, False, 0) for n, k in KEYS.items()}


def votes(names, phase=PREVOTE, height=3, round_=1, block_hash=H):
    return [sign_vote(KEYS[n], n, phase, height, round_, block_hash) for n in names]


def test_messages_are_domain_separated():
    msgs = {vote_bytes(PREVOTE, 3, 1, H), vote_bytes(PRECOMMIT, 3, 1, H),
            vote_bytes(PREVOTE, 3, 2, H), vote_bytes(PREVOTE, 4, 1, H),
            round_proposal_bytes(3, 1, H), attestation_bytes(3, H), proposal_bytes(3, H)}
    assert len(msgs) == 7
    with pytest.raises(Rejected, match="unknown vote phase"):
        vote_bytes("vote", 3, 1, H)
    for h, r, bh in ((0, 1, H), (3, -1, H), (3, 1 << 31, H), (3, True, H), (3, 1, "ab"),
                     (3, 1, "zz" * 32)):
        with pytest.raises(Rejected):
            vote_bytes(PREVOTE, h, r, bh)


def test_a_certificate_needs_more_than_two_thirds_of_distinct_valid_signers():
    assert check_certificate(votes(["v0", "v1", "v2"]), RECORDS, PREVOTE, 3, 1, H) == \
        ["v0", "v1", "v2"]
    cases = [
        (votes(["v0", "v1"]), "needs > 2/3"),
        (votes(["v0", "v1", "v1", "v1"]), "needs > 2/3"),               # one validator, once
        (votes(["v0", "v1"]) + votes(["v2"], round_=2), "holds a prevote for round 2"),
        (votes(["v0", "v1"]) + votes(["v2"], phase=PRECOMMIT), "holds a precommit"),
        (votes(["v0", "v1"]) + votes(["v2"], block_hash="cd" * 32), "holds a prevote"),
        (votes(["v0", "v1"]) + [sign_vote(KEYS["v3"], "v2", PREVOTE, 3, 1, H)],
         "by 'v2' does not verify"),
        (votes(["v0", "v1"]) + [sign_vote(keys.generate(), "v9", PREVOTE, 3, 1, H)],
         "unknown validator 'v9'"),
        (["not a vote"], "holds votes"),
    ]
    for vs, msg in cases:
        with pytest.raises(Rejected, match=msg):
            check_certificate(vs, RECORDS, PREVOTE, 3, 1, H)
    slashed = {**RECORDS, "v2": replace(RECORDS["v2"], stake=0, slashed=True)}
    with pytest.raises(Rejected, match="slashed validator 'v2'"):
        check_certificate(votes(["v0", "v1", "v2"]), slashed, PREVOTE, 3, 1, H)
    # with v2 slashed, 2 of the remaining 3 are not > 2/3; all 3 are
    with pytest.raises(Rejected, match="20 of 30"):
        check_certificate(votes(["v0", "v1"]), slashed, PREVOTE, 3, 1, H)
    assert check_certificate(votes(["v0", "v1", "v3"]), slashed, PREVOTE, 3, 1, H)


def test_vote_json_round_trips_and_refuses_malformed_votes():
    v = votes(["v0"])[0]
    assert vote_from_json(vote_to_json(v)) == v
    good = vote_to_json(v)
    for bad in ([], {**good, "extra": 1}, {**good, "signature": "zz" * 64},
                {**good, "signature": "00"}, {**good, "phase": "vote"}, {**good, "round": "1"},
                {**good, "height": 0}, {**good, "validator": 3}, {**good, "hash": "ab"}):
        with pytest.raises(Rejected):
            vote_from_json(bad)


def test_round_evidence_is_checked():
    a, b = votes(["v0"])[0], votes(["v0"], block_hash="cd" * 32)[0]
    ev = double_vote(a, b)
    check_round_evidence(ev, RECORDS)
    with pytest.raises(Rejected, match="two different hashes"):
        double_vote(a, a)
    with pytest.raises(Rejected, match="one phase by one validator"):
        double_vote(a, votes(["v1"], block_hash="cd" * 32)[0])
    framed = {**ev, "validator": "v1"}
    with pytest.raises(Rejected, match="does not verify"):
        check_round_evidence(framed, RECORDS)
    with pytest.raises(Rejected, match="does not verify"):               # another round
        check_round_evidence({**ev, "round": 2}, RECORDS)
    with pytest.raises(Rejected, match="increasing order"):
        check_round_evidence({**ev, "first": ev["second"], "second": ev["first"]}, RECORDS)
    with pytest.raises(Rejected, match="unknown round evidence kind"):
        check_round_evidence({**ev, "kind": "double-sign"}, RECORDS)
    with pytest.raises(Rejected, match="names no operator"):
        check_round_evidence({**ev, "kind": "operator-round-equivocation"}, RECORDS)


def test_round_log_refuses_bad_records_and_changes_nothing():
    log = MemoryRoundLog()
    for args, kw in [(("vote", 1, 0, H), {}), (("prevote", 0, 0, H), {}),
                     (("prevote", 1, -1, H), {}), (("prevote", 1, 0, "ab"), {}),
                     (("precommit", 1, 0, H), {}), (("prevote", 1, 0, H), {"lock": ("", "")}),
                     (("precommit", 1, 0, H), {"lock": ("", 3)})]:
        with pytest.raises(RoundLogError):
            log.vote(*args, **kw)
    assert log.voted("prevote", 1, 0) is None and log.lock(1) is None
    log.vote("prevote", 1, 2, H)
    with pytest.raises(VoteConflict):
        log.vote("prevote", 1, 2, "cd" * 32)
    with pytest.raises(RoundPassed):
        log.vote("precommit", 1, 1, H, lock=("", ""))
    assert log.lock(1) is None and log.voted("prevote", 1, 2) == H
    # a precommit only for the validator's own prevote of that round
    with pytest.raises(VoteConflict, match="own prevote"):
        log.vote("precommit", 1, 3, H, lock=("", ""))
    with pytest.raises(VoteConflict, match="own prevote"):
        log.vote("precommit", 1, 2, "cd" * 32, lock=("", ""))
    assert log.lock(1) is None
    log.vote("precommit", 1, 2, H, lock=("b", "p"))
    assert log.lock(1) == (2, H, "b", "p")
