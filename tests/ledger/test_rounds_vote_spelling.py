"""One vote, one spelling (docs/liveness.md §Rounds): a round vote's JSON is refused unless
it is exactly ``vote_to_json``'s (lowercase hex hash and signature, a string phase), over
the Python API and over HTTP (a one-line 400, nothing stored); a copy of a vote is the same
vote, never a double vote; and the Python API refuses a malformed certificate or round
evidence with the project's one-line error, never a TypeError or KeyError."""

import pytest
from rounds_net import op_sign, round_network
from test_review_rounds_http import body, chain, node, refused, votes  # noqa: F401
from test_review_rounds_votes import KEYS, records, vote

from verifier.errors import DarkmatchError, Rejected

from ledger.chain.rounds import RoundTally
from ledger.chain.votes import (PRECOMMIT, PREVOTE, check_certificate, check_round_evidence,
                                double_vote, vote_from_json, vote_to_json)
from ledger.core.block import block_to_json


def test_vote_json_phase_wrong_type_is_rejected_not_typeerror():
    good = vote_to_json(vote("v0"))
    for bad in ({**good, "phase": ["prevote"]}, {**good, "phase": {"a": 1}}):
        with pytest.raises(Rejected, match="phase"):
            vote_from_json(bad)


def test_vote_json_has_one_spelling():
    """The hash and signature in lowercase hex only; integers as JSON numbers."""
    good = vote_to_json(vote("v0"))
    assert vote_from_json(good) == vote("v0")
    for bad in ({**good, "hash": good["hash"].upper()},
                {**good, "signature": good["signature"].upper()},
                {**good, "hash": good["hash"][:-1] + "F"},
                {**good, "height": True}, {**good, "round": 1.0}):
        with pytest.raises(Rejected) as e:
            vote_from_json(bad)
        assert "\n" not in str(e.value)


def test_check_round_evidence_on_malformed_input_is_one_line():
    good = double_vote(vote("v0"), vote("v0", block_hash="cd" * 32))
    check_round_evidence(good, records())
    upper = {**good, "first": {**good["first"], "hash": good["first"]["hash"].upper()}}
    for bad in ({}, [], 5, {"kind": "double-prevote"},
                {"kind": "double-prevote", "first": 1, "second": 2},
                {**good, "round": "1"}, {**good, "validator": ["v0"]}, upper,
                {**good, "extra": 1}):
        with pytest.raises(Rejected) as e:
            check_round_evidence(bad, records())
        assert "\n" not in str(e.value)


def test_a_malformed_certificate_is_one_line_not_a_typeerror():
    for bad in (5, None, "abc", [vote_to_json(vote("v0"))]):
        with pytest.raises(Rejected) as e:
            check_certificate(bad, records(), PREVOTE, 3, 1, "ab" * 32)
        assert "\n" not in str(e.value)
    assert check_certificate([vote(n) for n in ("v0", "v1", "v2")], records(), PREVOTE, 3,
                             1, "ab" * 32) == ["v0", "v1", "v2"]


def test_a_validator_given_a_polka_that_is_not_a_list_refuses_it_and_stores_nothing(
        chain, tmp_path):
    vals, _ = round_network(chain, tmp_path)
    v, a = vals[0], chain["block1"]
    for call in (lambda: v.prevote(a, 0, op_sign(chain, a, 0), 0, 5),
                 lambda: v.precommit(a, 0, 5), lambda: v.precommit(a, 0, None),
                 lambda: v.attest_commit(a, 0, 5)):
        with pytest.raises(DarkmatchError) as e:
            call()
        assert "\n" not in str(e.value)
    assert v.log.top_round(1) is None and v.log.lock(1) is None


def test_a_copy_of_a_vote_is_the_same_vote_not_a_double_vote():
    from test_review_rounds_votes import view
    kept = []
    tally = RoundTally(_Store(view().validators), keep=kept.append)
    names = ("v0", "v1", "v2")
    for n in names:
        tally.add(vote(n))
        tally.add(vote_from_json(vote_to_json(vote(n))))          # relayed by someone else
    assert kept == [] and tally.evidence == []
    got = tally.polka(3, 1)
    assert got is not None and sorted(v.validator for v in got[1]) == list(names)
    with pytest.raises(Rejected):                                  # re-spelled: refused
        tally.add(vote_from_json({**vote_to_json(vote("v3")),
                                  "hash": vote_to_json(vote("v3"))["hash"].upper()}))


class _Store:
    """The store a ``RoundTally`` reads: the validator set."""

    def __init__(self, recs):
        self.recs = recs

    def validators(self):
        return list(self.recs.values())


@pytest.mark.parametrize("phase", [["prevote"], {"a": 1}])
def test_http_polka_vote_with_a_list_phase_is_400(chain, node, phase):
    a = chain["block1"]
    polka = votes(chain, PREVOTE, a, 0)
    polka[0] = {**polka[0], "phase": phase}
    for route, key in (("/round/precommit", "polka"), ("/round/attest", "commit")):
        refused(node, route, {"block": block_to_json(a), "round": 0, key: polka}, 400)
    refused(node, "/round/prevote", {**body(chain, a, 0), "pol_round": 0, "polka": polka},
            400)


def test_http_certificate_vote_with_uppercase_hash_is_400_non_canonical(chain, node):
    a = chain["block1"]
    polka = votes(chain, PREVOTE, a, 0)
    polka[0] = {**polka[0], "hash": polka[0]["hash"].upper()}
    err = refused(node, "/round/precommit",
                  {"block": block_to_json(a), "round": 0, "polka": polka}, 400)
    assert "lowercase hex" in err
    commit = votes(chain, PRECOMMIT, a, 0)
    commit[1] = {**commit[1], "signature": commit[1]["signature"].upper()}
    assert "lowercase hex" in refused(node, "/round/attest",
                                      {"block": block_to_json(a), "round": 0,
                                       "commit": commit}, 400)
