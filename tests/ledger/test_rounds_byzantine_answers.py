"""The operator's rounds against one byzantine validator's answers over HTTP
(docs/liveness.md §Rounds): a lock from another height, a fake top round, a vote whose
phase is not a string, and an honest validator's vote relayed by a byzantine one (re-spelled
or copied as is).  None of them stops a round that three honest validators of four can
finish, and each bad answer is that validator's refusal or ignored lock claim."""

import pytest
from liveness_net import shared_chain
from network_nodes import http
from review_rounds_net import Fake, Relay, honest_validators
from rounds_net import op_sign

from ledger.chain.votes import PREVOTE, sign_vote, vote_to_json
from ledger.core.block import block_to_json
from ledger.core.limits import ROUND_BOUND
from ledger.node.client import NodeClient
from ledger.operator.rounds import reproposal, run_two_phase


@pytest.fixture
def chain(tmp_path_factory):
    return shared_chain(tmp_path_factory)


@pytest.fixture
def net(chain, tmp_path):
    with honest_validators(chain, tmp_path) as vs:
        yield vs


def test_a_lock_from_another_height_is_ignored_and_named(chain, net):
    served, store = net
    a = chain["block1"]
    pv = [NodeClient(s.url, 60).round_vote("prevote", {
        "block": block_to_json(a), "round": 0,
        "operator_signature": op_sign(chain, a, 0).hex()}) for s in served]
    NodeClient(served[0].url, 60).round_vote("precommit", {
        "block": block_to_json(a), "round": 0, "polka": pv})
    old = http(served[0].url + "/round/lock/1")[1]          # public: anyone reads it
    assert old["lock"] is not None
    for answer in ({"height": 2, "top_round": None, "proposal": None, "lock": old["lock"]},
                   {**old, "lock": None, "top_round": None, "proposal": None},   # height 1
                   {"height": 2, "top_round": 0, "lock": old["lock"]}):
        fake, bad = Fake(answer), {}
        try:
            nxt, pick = reproposal([s.url for s in served[1:]] + [fake.url], 2, store,
                                   timeout=30, bad=bad)
        finally:
            fake.stop()
        # nobody is locked at height 2: a lock on block 1 is not a reason to re-propose
        assert pick is None and nxt == 0, (nxt, pick)
        assert list(bad) == [fake.url], bad
    # the honest lock at height 1 is still found at height 1
    nxt, pick = reproposal([s.url for s in served], 1, store, timeout=30)
    assert pick is not None and pick[1].hash() == a.hash() and nxt == 1


def test_one_validator_cannot_push_the_next_round_to_the_end_of_the_round_space(net):
    served, store = net
    fake = Fake({"height": 1, "top_round": ROUND_BOUND - 2, "lock": None})
    try:
        nxt, pick = reproposal([s.url for s in served] + [fake.url], 1, store, timeout=30)
        # the honest three never voted at height 1: one answer alone sets the round
        assert nxt < 1000, nxt
    finally:
        fake.stop()


@pytest.mark.parametrize("phase", [["prevote"], {"a": 1}])
def test_a_validator_answering_a_vote_with_a_list_phase_does_not_crash_the_operator(
        chain, net, phase):
    served, store = net
    a = chain["block1"]
    good = vote_to_json(sign_vote(chain["vkeys"]["v3"], "v3", PREVOTE, 1, 0, a.hash()))
    fake = Fake({**good, "phase": phase})
    try:
        out = run_two_phase([s.url for s in served] + [fake.url], a, 0, chain["op_key"],
                            store, timeout=30)
        assert out.commit is not None
        assert "\n" not in out.refusals[fake.url] and "phase" in out.refusals[fake.url]
    finally:
        fake.stop()


def _upper(v):
    return {**v, "hash": v["hash"].upper()}


@pytest.mark.parametrize("change,phases", [
    (_upper, ("prevote", "precommit")),               # both votes re-spelled
    (_upper, ("precommit",)),                         # only the precommit re-spelled
    (lambda v: v, ("prevote", "precommit")),          # copied as is
])
def test_a_relayed_honest_vote_cannot_stop_a_round(chain, net, change, phases):
    """A byzantine validator listed before honest v0 answers with v0's own vote: refused
    when re-spelled, the same vote as v0's when copied; either way v0's vote counts once."""
    served, store = net
    relay = Relay(served[0].url, lambda v: change(v) if v.get("phase") in phases else v)
    try:
        out = run_two_phase([relay.url] + [s.url for s in served], chain["block1"], 0,
                            chain["op_key"], store, timeout=30)
        assert out.polka is not None and out.commit is not None, out.refusals
        assert sorted(out.prevoted) == sorted(out.precommitted) == ["v0", "v1", "v2"]
        assert out.evidence == [] and store.pending_evidence() == []
        if change is _upper:                          # the re-spelled vote: refused
            assert out.refusals[relay.url].startswith(phases[0])
            assert "lowercase hex" in out.refusals[relay.url]
        else:
            assert relay.url not in out.refusals
        assert sorted(v.validator for v in out.commit) == ["v0", "v1", "v2"]
    finally:
        relay.stop()
