"""Adversarial review of the operator's side of the rounds (ledger.operator.rounds) against a
byzantine fourth validator served over HTTP: it relays an honest validator's votes as its
own answer, answers garbage, or reports a lock whose polka does not verify.  With the three
honest validators up the round still reaches a commit, and a false lock is not re-proposed."""

import pytest
from liveness_net import shared_chain
from review_rounds_net import Fake, Relay, honest_validators

from ledger.chain.votes import PREVOTE, sign_vote, vote_to_json
from ledger.core.block import block_to_json
from ledger.operator.rounds import reproposal, run_two_phase


@pytest.fixture
def chain(tmp_path_factory):
    return shared_chain(tmp_path_factory)


@pytest.fixture
def honest(chain, tmp_path):
    with honest_validators(chain, tmp_path) as vs:
        yield vs


def _round(chain, store, urls):
    return run_two_phase(urls, chain["block1"], 0, chain["op_key"], store, timeout=30)


def test_a_validator_relaying_an_honest_validators_votes_changes_nothing(chain, honest):
    served, store = honest
    relay = Relay(served[0].url)
    try:
        out = _round(chain, store, [relay.url] + [s.url for s in served])
    finally:
        relay.stop()
    assert out.commit is not None and len(out.commit) == 3
    assert sorted(v.validator for v in out.commit) == ["v0", "v1", "v2"]
    assert out.evidence == []                                 # nobody framed


@pytest.mark.parametrize("answer", [None, [], "x", {"phase": "prevote"}, 5,
                                    {"error": "no"}])
def test_a_validator_answering_garbage_is_a_refusal_and_the_round_goes_on(chain, honest,
                                                                          answer):
    served, store = honest
    fake = Fake(answer)
    try:
        out = _round(chain, store, [fake.url] + [s.url for s in served])
    finally:
        fake.stop()
    assert fake.url in out.refusals and out.commit is not None


def test_a_lock_whose_polka_does_not_verify_is_not_re_proposed(chain, honest):
    served, store = honest
    a, b = chain["block1"], chain["conflict1"]
    k = chain["vkeys"]
    forged = [vote_to_json(sign_vote(k["v3"], n, PREVOTE, 1, 4, b.hash()))
              for n in ("v1", "v2", "v3")]                     # v3's key under three names
    short = [vote_to_json(sign_vote(k["v3"], "v3", PREVOTE, 1, 4, b.hash()))]
    for polka in (forged, short):
        fake = Fake({"height": 1, "top_round": 4,
                     "lock": {"round": 4, "block": block_to_json(b), "polka": polka}})
        try:
            nxt, pick = reproposal([fake.url] + [s.url for s in served], 1, store, timeout=30)
        finally:
            fake.stop()
        assert pick is None and nxt == 0     # nor does its unbacked round 4 move the round
    assert a.hash() != b.hash()
