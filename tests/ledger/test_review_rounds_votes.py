"""Adversarial review of the round votes, certificates and round evidence (pure functions:
ledger.chain.votes, ledger.chain.roundlog, ledger.chain.judge, ledger.core.evidence):
precommits without the validator's own prevote (on disk, across a reopen), votes replayed
at another height, round, phase or hash, certificates padded with one validator's votes,
evidence replayed at another height or carried twice."""

from dataclasses import replace

import pytest

from verifier.errors import Rejected

from ledger.chain.judge import apply_evidence, check_evidence, select_evidence
from ledger.chain.roundlog import RoundLog, RoundPassed, VoteConflict
from ledger.chain.rules import LedgerView, ValidatorRecord
from ledger.chain.votes import (PRECOMMIT, PREVOTE, check_certificate, double_vote,
                                sign_vote, vote_from_json, vote_to_json)
from ledger.core import keys
from ledger.core.block import attestation_bytes
from ledger.core.codec import CodecError
from ledger.core.evidence import DOUBLE_SIGN, evidence_from_json, make_evidence

H, G = "ab" * 32, "cd" * 32
KEYS = {f"v{i}": keys.generate() for i in range(4)}


def records(stakes=(10, 10, 10, 10)):
    return {n: ValidatorRecord(n, keys.public_key_hex(k), s, False, 0)
            for (n, k), s in zip(KEYS.items(), stakes)}


def view(recs=None):
    return LedgerView(height=5, head_hash="00" * 32, accounts={}, markets={}, nullifiers={},
                      validators=records() if recs is None else recs)


def vote(name, phase=PREVOTE, height=3, round_=1, block_hash=H):
    return sign_vote(KEYS[name], name, phase, height, round_, block_hash)


def test_a_precommit_needs_the_own_prevote_on_disk_and_after_a_reopen(tmp_path):
    path = tmp_path / "node.db"
    log = RoundLog(path)
    with pytest.raises(VoteConflict, match="own prevote"):
        log.vote(PRECOMMIT, 3, 0, H, lock=("b", "p"))
    log.vote(PREVOTE, 3, 1, H)
    log.close()
    log = RoundLog(path)                                     # a restart
    for r, bh, err, msg in ((1, G, VoteConflict, "own prevote"),      # another hash
                            (2, H, VoteConflict, "own prevote"),      # no prevote in round 2
                            (0, H, RoundPassed, "round 0 is over")):  # an earlier round
        with pytest.raises(err, match=msg):
            log.vote(PRECOMMIT, 3, r, bh, lock=("b", "p"))
    assert log.lock(3) is None and log.voted(PRECOMMIT, 3, 1) is None
    with pytest.raises(VoteConflict, match="another block"):
        log.vote(PREVOTE, 3, 1, G)
    log.vote(PRECOMMIT, 3, 1, H, lock=("b", "p"))
    assert log.lock(3) == (1, H, "b", "p")
    log.close()


@pytest.mark.parametrize("field, value", [("height", 4), ("round", 2), ("block_hash", G),
                                          ("phase", PRECOMMIT)])
def test_a_vote_relabelled_for_another_height_round_hash_or_phase_does_not_count(field, value):
    base = {"phase": PREVOTE, "height": 3, "round": 1, "block_hash": H}
    want = {**base, field: value}
    good = [vote(n, want["phase"], want["height"], want["round"], want["block_hash"])
            for n in ("v0", "v1")]
    replayed = vote("v2")._replace(**{field: value})         # v2's signature, new label
    with pytest.raises(Rejected, match="'v2' does not verify"):
        check_certificate(good + [replayed], records(), want["phase"], want["height"],
                          want["round"], want["block_hash"])


def test_padding_a_certificate_with_one_validators_votes_counts_its_stake_once():
    recs = records((50, 15, 15, 20))                 # total 100: > 2/3 needs 67
    with pytest.raises(Rejected, match="65 of 100"):
        check_certificate([vote("v0")] * 50 + [vote("v1")] * 50, recs, PREVOTE, 3, 1, H)
    assert check_certificate([vote("v0"), vote("v1"), vote("v0")] + [vote("v2")],
                             recs, PREVOTE, 3, 1, H) == ["v0", "v1", "v2"]
    # one good vote of v2 and one forged copy under its name: the forgery is refused
    forged = vote("v2")._replace(signature=bytes(64))
    with pytest.raises(Rejected, match="'v2' does not verify"):
        check_certificate([vote("v0"), vote("v2"), forged], recs, PREVOTE, 3, 1, H)


def test_a_slashed_validators_vote_is_refused_and_its_stake_leaves_the_total():
    recs = records()
    recs["v3"] = replace(recs["v3"], stake=0, slashed=True, slashed_stake=10)
    with pytest.raises(Rejected, match="slashed validator 'v3'"):
        check_certificate([vote("v0"), vote("v1"), vote("v2"), vote("v3")], recs,
                          PREVOTE, 3, 1, H)
    assert check_certificate([vote("v0"), vote("v1"), vote("v2")], recs, PREVOTE, 3, 1, H)


def test_vote_json_refuses_wrong_types():
    good = vote_to_json(vote("v0"))
    for bad in ({**good, "height": 3.0}, {**good, "round": True}, {**good, "height": "3"},
                {**good, "hash": H + "00"}, {**good, "signature": None}):
        with pytest.raises(Rejected):
            vote_from_json(bad)


def _double_prevote(name="v1", height=3, round_=1):
    return double_vote(vote(name, height=height, round_=round_),
                       vote(name, height=height, round_=round_, block_hash=G))


def test_round_evidence_replayed_at_another_height_does_not_verify():
    ev = _double_prevote()
    check_evidence(view(), ev)
    for h in (2, 4):
        with pytest.raises(Rejected, match="does not verify"):
            check_evidence(view(), {**ev, "height": h})


def test_one_evidence_carried_twice_slashes_once():
    ev = _double_prevote()
    v = view()
    validators, _ = apply_evidence(v, [ev])
    after = replace(v, validators=validators)
    assert after.validators["v1"].slashed and after.validators["v1"].slashed_stake == 10
    with pytest.raises(Rejected, match="already slashed"):
        check_evidence(after, ev)
    # a second kind of evidence against the slashed validator is refused too
    with pytest.raises(Rejected, match="already slashed"):
        check_evidence(after, _double_prevote(round_=2))
    chosen = select_evidence(v, [ev, dict(ev), _double_prevote(round_=2)], max_height=5)
    assert len(chosen) == 1 and chosen[0]["validator"] == "v1"       # slashed once


def test_a_vote_is_not_evidence_of_a_double_sign():
    """A validator's prevote and its attestation are different messages: a prevote's
    signature put into double-sign evidence does not verify."""
    a = vote("v1", height=3, round_=0)
    att = keys.sign(KEYS["v1"], attestation_bytes(3, G))
    ev = make_evidence(DOUBLE_SIGN, 3, (a.block_hash, a.signature), (G, att), validator="v1")
    with pytest.raises(Rejected, match="does not verify"):
        check_evidence(view(), ev)


def test_evidence_has_one_spelling_uppercase_or_float_refused():
    ev = _double_prevote()
    for bad in ({**ev, "first": {**ev["first"], "hash": ev["first"]["hash"].upper()}},
                {**ev, "round": 1.0}, {**ev, "height": True},
                {**ev, "second": {**ev["second"], "signature": ev["second"]["signature"].upper()}},
                {**ev, "extra": 1}):
        with pytest.raises(CodecError):
            evidence_from_json(bad)
