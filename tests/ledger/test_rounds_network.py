"""The two-phase rounds over HTTP (ledger.node.rounds_api, ledger.operator.rounds): an
equivocating operator splits round 0 between four served nodes, is caught, and round 1
finalizes with one node down; a proposal lost after two precommits is re-proposed from the
validators' locks; malformed round requests are refused with one line."""

import json

import pytest
from liveness_net import Served, node_home, shared_chain
from network_nodes import http
from rounds_net import op_sign

from ledger.chain.store import Store
from ledger.core import keys
from ledger.core.block import block_to_json
from ledger.core.limits import ROUND_BOUND
from ledger.core.round_messages import round_proposal_bytes
from ledger.chain.votes import sign_vote
from ledger.node.client import NodeClient
from ledger.operator.rounds import reproposal, run_in_rounds, run_two_phase

TIMEOUT = 60


@pytest.fixture
def chain(tmp_path_factory):
    return shared_chain(tmp_path_factory)


@pytest.fixture
def net(chain, tmp_path):
    homes = [node_home(chain, tmp_path, f"v{i}") for i in range(4)]
    served = [Served(h, single_phase=True) for h in homes]    # one test asks /propose too
    store = Store.open(tmp_path / "op.db")
    store.init_genesis(chain["genesis"])
    yield served, store
    for s in served:
        s.stop()


def prevote(url, chain, block, r):
    return NodeClient(url, TIMEOUT).round_vote("prevote", {
        "block": block_to_json(block), "round": r,
        "operator_signature": op_sign(chain, block, r).hex()})


def test_equivocating_operator_over_http_recovers_in_round_one(chain, net):
    served, store = net
    urls = [s.url for s in served]
    a, b = chain["block1"], chain["conflict1"]
    for url, block in zip(urls, (a, a, b, b)):          # round 0 split 2/2: no polka
        prevote(url, chain, block, 0)
    with pytest.raises(ValueError, match="HTTP 403: the operator proposed two blocks"):
        prevote(urls[0], chain, b, 0)                   # relayed: caught
    assert len(served[0].node.rounds.evidence) == 1
    # a node that votes in rounds at a height gives no direct attestation there
    with pytest.raises(ValueError, match="HTTP 409: height 1 runs in rounds"):
        NodeClient(urls[0], TIMEOUT).propose(a.with_operator_signature(
            keys.sign(chain["op_key"], a.proposal_bytes())))
    served[3].stop()                                    # > 2/3 up
    r = run_two_phase(urls, a, 1, chain["op_key"], store, timeout=TIMEOUT)
    assert r.block is not None and len(r.commit) == 3
    for s in served[:3]:
        assert s.node.store.head() == (1, a.hash())
    served[3].stop = lambda: None                       # already stopped


def test_lost_proposal_over_http_is_re_proposed_from_the_locks(chain, net):
    served, store = net
    urls = [s.url for s in served]
    a, b = chain["block1"], chain["conflict1"]
    votes = [prevote(u, chain, a, 0) for u in urls]
    for u in urls[:2]:                                   # 2 of 4 precommit, the operator dies
        NodeClient(u, TIMEOUT).round_vote("precommit", {"block": block_to_json(a),
                                                         "round": 0, "polka": votes})
    # the new operator's fresh block is refused by the locked two: no polka, nothing final
    r = run_two_phase(urls, b, 1, chain["op_key"], store, timeout=TIMEOUT)
    assert r.block is None and r.polka is None
    assert sum("locked on block 1" in e for e in r.refusals.values()) == 2
    # an operator that lost the locked block's states does not send its new block
    r = run_in_rounds(urls, b, chain["op_key"], store, None, timeout=TIMEOUT)
    assert r.block is None and r.polka is None and "locked on another block 1" in \
        r.refusals["the lock query"]
    assert {NodeClient(u, TIMEOUT).round_lock(1)["top_round"] for u in urls} == {0, 1}
    nxt, (pol_round, block, polka) = reproposal(urls, 1, store, timeout=TIMEOUT)
    assert (nxt, pol_round, block.hash()) == (2, 0, a.hash())
    r = run_two_phase(urls, block, nxt, chain["op_key"], store, pol_round=pol_round,
                      polka=polka, timeout=TIMEOUT)
    assert r.block is not None and r.block.hash() == a.hash()
    assert all(s.node.store.head() == (1, a.hash()) for s in served)


def test_malformed_round_requests_are_refused_with_one_line(chain, net):
    served, _ = net
    url = served[0].url
    a = block_to_json(chain["block1"])
    cases = [("/round/prevote", {"round": 0}, 400),
             ("/round/prevote", {"block": a, "round": -1}, 400),
             ("/round/prevote", {"block": a, "round": 0, "polka": "x"}, 400),
             ("/round/prevote", {"block": a, "round": 0, "operator_signature": "00"}, 400),
             ("/round/prevote", {"block": a, "round": 0}, 422),        # no operator signature
             ("/round/precommit", {"block": a, "round": 0, "polka": []}, 422),
             ("/round/attest", {"block": a, "round": 0, "commit": [{"x": 1}]}, 400),
             ("/round/vote", {"block": a, "round": 0}, 404)]
    for path, body, status in cases:
        code, obj, _ = http(url + path, "POST", json.dumps(body))
        assert code == status and set(obj) == {"error"} and "\n" not in obj["error"], \
            (path, body, code, obj)
    assert served[0].node.rounds.log.voted("prevote", 1, 0) is None
    code, obj, _ = http(url + "/round/lock/1")
    assert code == 200 and obj == {"height": 1, "top_round": None, "proposal": None,
                                   "lock": None}


def _lie(served, chain, how):
    """Make ``served``'s node answer the lock query with an unbacked claim (``how``)."""
    log, rounds, huge = served.node.rounds.log, served.node.rounds, ROUND_BOUND - 2
    if how == "huge round":
        log.top_round = lambda h: huge
        log.proposal = lambda h, r: None
    elif how == "huge round, its own signature":
        log.top_round = lambda h: huge
        log.proposal = lambda h, r: (chain["block1"].hash(), keys.sign(
            chain["vkeys"]["v3"], round_proposal_bytes(h, r, chain["block1"].hash())))
    elif how == "huge round, the operator's round-0 signature":
        log.top_round = lambda h: huge
        log.proposal = lambda h, r: (chain["block1"].hash(), op_sign(chain, chain["block1"], 0))
    else:                                   # a forged lock on another block at round 7
        b = chain["conflict1"]
        fake = [sign_vote(chain["vkeys"]["v3"], "v3", "prevote", 1, 7, b.hash())]
        rounds.lock_info = lambda h: (7, b, fake)


@pytest.mark.parametrize("how", ["huge round", "huge round, its own signature",
                                 "huge round, the operator's round-0 signature",
                                 "forged lock"])
def test_one_lying_validator_cannot_make_the_operator_skip_rounds(chain, net, how):
    """One validator of four answers the lock query with a round near the limit (without the
    operator's signed proposal of it, or with a signature that is not the operator's or not
    for that round) or a forged lock: its claim is ignored and listed, the height finalizes
    in round 0 with the honest three, and no round counter jumps."""
    served, store = net
    urls = [s.url for s in served]
    _lie(served[3], chain, how)
    r = run_in_rounds(urls, chain["block1"], chain["op_key"], store, None, timeout=TIMEOUT)
    assert r.block is not None and r.round == 0, (r.refusals, r.bad)
    assert set(r.bad) == {urls[3]} and "ignored" in r.bad[urls[3]]
    assert all(s.node.store.head() == (1, chain["block1"].hash()) for s in served[:3])
    assert [s.node.rounds.log.top_round(1) for s in served[:3]] == [0, 0, 0]


def test_an_honest_lock_answer_is_backed_by_the_operators_proposal(chain, net):
    """An honest validator's lock answer carries the operator's signed proposal of its top
    round, which the operator's own key verifies: that round counts."""
    served, store = net
    urls = [s.url for s in served]
    prevote(urls[0], chain, chain["block1"], 2)
    ans = NodeClient(urls[0], TIMEOUT).round_lock(1)
    assert ans["top_round"] == 2 and ans["proposal"] == {
        "round": 2, "hash": chain["block1"].hash(),
        "signature": op_sign(chain, chain["block1"], 2).hex()}
    bad = {}
    assert reproposal(urls, 1, store, timeout=TIMEOUT, bad=bad) == (3, None) and bad == {}
