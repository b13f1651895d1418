"""Round evidence is chain state (docs/liveness.md §Evidence): a validator's two prevotes or two
precommits in one round, and the operator's two proposals in one round, are gossiped like the
other evidence (GET/POST /evidence), carried by a block, and judged when that block is final —
the validator slashed, the operator's fault recorded — identically on every node, a node that
catches up included.  Forged round evidence is refused and nothing is stored."""

import copy
import json
import time

import pytest
from liveness_net import Served, node_home, shared_chain
from network_nodes import db_snapshot, http
from rounds_net import op_sign, round_network

from ledger.chain.judge import check_evidence
from ledger.chain.rounds import RoundTally, RoundValidator
from ledger.chain.rules import genesis_view, select_evidence
from ledger.chain.store import Store
from ledger.chain.votes import PRECOMMIT, PREVOTE, double_vote, sign_vote, vote_to_json
from ledger.core import keys
from ledger.core.block import block_to_json
from ledger.core.codec import CodecError
from ledger.core.evidence import (DOUBLE_PRECOMMIT, DOUBLE_PREVOTE, OPERATOR_ROUND_EQUIVOCATION,
                                  evidence_from_json, make_evidence)
from ledger.core.round_messages import round_proposal_bytes
from ledger.node.client import NodeClient
from ledger.operator.proposal import gather_evidence
from verifier.errors import Rejected

TIMEOUT = 60


@pytest.fixture
def chain(tmp_path_factory):
    return shared_chain(tmp_path_factory)


def _hashes(chain):
    return chain["block1"].hash(), chain["conflict1"].hash()


def double_prevote(chain, name="v3", round_=0):
    a, b = _hashes(chain)
    k = chain["vkeys"][name]
    return double_vote(sign_vote(k, name, PREVOTE, 1, round_, a),
                       sign_vote(k, name, PREVOTE, 1, round_, b))


def double_precommit(chain, name="v2", round_=2):
    a, b = _hashes(chain)
    k = chain["vkeys"][name]
    return double_vote(sign_vote(k, name, PRECOMMIT, 1, round_, a),
                       sign_vote(k, name, PRECOMMIT, 1, round_, b))


def op_round_equivocation(chain, round_=1, key=None):
    a, b = _hashes(chain)
    key = chain["op_key"] if key is None else key
    return make_evidence(OPERATOR_ROUND_EQUIVOCATION, 1,
                         (a, keys.sign(key, round_proposal_bytes(1, round_, a))),
                         (b, keys.sign(key, round_proposal_bytes(1, round_, b))), round_=round_)


def _forged(chain):
    """Round evidence whose signatures do not prove what it says, each with its label."""
    dp, dc, oe = double_prevote(chain), double_precommit(chain), op_round_equivocation(chain)
    other = copy.deepcopy(dp)
    other["validator"] = "v1"                                    # v3's votes, v1's name
    later = copy.deepcopy(dp)
    later["round"] = 1                                           # signed for round 0
    phase = copy.deepcopy(dp)
    phase["kind"] = DOUBLE_PRECOMMIT                             # prevotes called precommits
    swapped = copy.deepcopy(dc)
    swapped["kind"] = DOUBLE_PREVOTE
    by_validator = op_round_equivocation(chain, key=chain["vkeys"]["v0"])
    op_round = copy.deepcopy(oe)
    op_round["round"] = 2
    return [("another validator's name", other), ("another round", later),
            ("prevotes as precommits", phase), ("precommits as prevotes", swapped),
            ("operator evidence signed by a validator", by_validator),
            ("operator evidence for another round", op_round)]


# ------------------------------------------------------------------ objects and rules
def test_round_evidence_has_one_spelling():
    a, b = "a" * 64, "b" * 64
    sig = bytes(64)
    ev = make_evidence(DOUBLE_PREVOTE, 3, (b, sig), (a, sig), validator="v1", round_=7)
    assert (ev["first"]["hash"], ev["second"]["hash"], ev["round"]) == (a, b, 7)
    assert evidence_from_json(json.loads(json.dumps(ev))) == ev
    for label, bad in [("no round", {k: v for k, v in ev.items() if k != "round"}),
                       ("round as text", {**ev, "round": "7"}),
                       ("round too large", {**ev, "round": 1 << 31}),
                       ("no validator", {k: v for k, v in ev.items() if k != "validator"}),
                       ("operator kind with a validator",
                        {**ev, "kind": OPERATOR_ROUND_EQUIVOCATION}),
                       ("hashes out of order", {**ev, "first": ev["second"],
                                                "second": ev["first"]})]:
        with pytest.raises(CodecError):
            evidence_from_json(bad, label)


def test_the_rules_judge_each_round_kind_and_refuse_forgeries(chain):
    view = genesis_view(chain["genesis"])
    for ev in (double_prevote(chain), double_precommit(chain), op_round_equivocation(chain)):
        check_evidence(view, ev)
    for label, ev in _forged(chain):
        with pytest.raises(Rejected, match="does not verify"):
            check_evidence(view, ev)
    chosen = select_evidence(view, [double_prevote(chain), double_prevote(chain, round_=3),
                                    double_precommit(chain, "v3"), op_round_equivocation(chain),
                                    op_round_equivocation(chain, round_=4)]
                             + [ev for _, ev in _forged(chain)], max_height=1)
    # one item per validator (v3 once), one operator fault per height, no forgery
    # (which of v3's two faults is kept depends on the evidence hashes, which differ per run)
    got = sorted((e["kind"], e.get("validator")) for e in chosen)
    assert len(got) == 2 and got[1] == (OPERATOR_ROUND_EQUIVOCATION, None)
    assert got[0] in ((DOUBLE_PREVOTE, "v3"), (DOUBLE_PRECOMMIT, "v3"))


def test_double_votes_caught_by_a_tally_or_a_validator_are_kept(chain, tmp_path):
    """The operator's tally keeps a double prevote in its store's pending evidence; a
    validator shown two commits in one round (a byzantine majority's) keeps the double
    precommits it sees in them."""
    vals, tally = round_network(chain, tmp_path)
    a, b = chain["block1"], chain["conflict1"]
    k = chain["vkeys"]
    tally.add(sign_vote(k["v3"], "v3", PREVOTE, 1, 0, a.hash()))
    with pytest.raises(ValueError, match="two prevotes"):
        tally.add(sign_vote(k["v3"], "v3", PREVOTE, 1, 0, b.hash()))
    [(kind, who, h, body)] = tally.store.pending_evidence()
    assert (kind, who, h, body) == (DOUBLE_PREVOTE, "v3", 1, double_prevote(chain))
    assert gather_evidence(tally.store, []) == []            # about height 1: for block 2 on
    caught = []
    v0 = RoundValidator(vals[0].validator, operator_key=chain["genesis"].operator,
                        keep=caught.append)
    polka = [sign_vote(k[n], n, PREVOTE, 1, 0, a.hash()) for n in ("v0", "v1", "v3")]
    v0.prevote(a, 0, op_sign(chain, a, 0))
    v0.precommit(a, 0, polka)
    commit_a = [sign_vote(k[n], n, PRECOMMIT, 1, 0, a.hash()) for n in ("v0", "v1", "v3")]
    v0.attest_commit(a, 0, commit_a)
    commit_b = [sign_vote(k[n], n, PRECOMMIT, 1, 0, b.hash()) for n in ("v1", "v2", "v3")]
    with pytest.raises(ValueError):
        v0.attest_commit(b, 0, commit_b)                     # it attested a: never b
    assert sorted((e["kind"], e["validator"]) for e in caught) == \
        [(DOUBLE_PRECOMMIT, "v1"), (DOUBLE_PRECOMMIT, "v3")]


# ------------------------------------------------------------------ nodes
def _sigs(chain, block, names):
    return block.with_signatures([(n, keys.sign(chain["vkeys"][n], block.attestation_bytes()))
                                  for n in names])


def _judged(node):
    """What the chain judged, as a node stores it."""
    s = node.store
    return ({v.name: (v.stake, v.slashed, v.slashed_stake) for v in s.validators()},
            [(v, k, h) for _, v, k, h, _ in s.evidence()],
            [(h, b) for h, b, _ in s.operator_faults()], s.head())


def test_round_evidence_carried_by_a_block_judges_alike_on_every_node(chain, tmp_path):
    homes = [node_home(chain, tmp_path, f"v{i}") for i in range(4)]
    served = [Served(h) for h in homes[:3]]
    late = None
    try:
        urls = [s.url for s in served]
        b1 = _sigs(chain, chain["block1"], ["v0", "v1", "v2", "v3"])
        for u in urls:
            assert NodeClient(u, TIMEOUT).finalize(b1)["status"] == "stored"
        items = [double_prevote(chain), double_precommit(chain), op_round_equivocation(chain)]
        doc = {"kind": "darkmatch-evidence", "version": 1, "evidence": items}
        status, body, _ = http(urls[0] + "/evidence", "POST", json.dumps(doc))   # node 0 only
        assert status == 200 and (body["added"], body["known"]) == (3, 0), body
        held = NodeClient(urls[0], TIMEOUT).evidence()
        assert sorted(e["kind"] for e in held) == sorted(e["kind"] for e in items)
        op_store = Store.open(tmp_path / "op.db")
        op_store.init_genesis(chain["genesis"])
        op_store.apply_block(b1, expected_parent=op_store.head()[1])
        evs = gather_evidence(op_store, urls)                   # what the operator carries
        assert sorted(e["kind"] for e in evs) == sorted(e["kind"] for e in items)
        b2 = chain["block2"].with_evidence(evs)
        votes = [NodeClient(u, TIMEOUT).round_vote("prevote", {    # each checks the evidence
            "block": block_to_json(b2), "round": 0,
            "operator_signature": op_sign(chain, b2, 0).hex()}) for u in urls]
        assert {v["hash"] for v in votes} == {b2.hash()}
        final = _sigs(chain, b2, ["v0", "v1", "v2", "v3"])     # v2, v3 still count at 2
        for u in urls:
            assert NodeClient(u, TIMEOUT).finalize(final)["status"] == "stored"
        want = _judged(served[0].node)
        assert want[0] == {"v0": (10, False, 0), "v1": (10, False, 0), "v2": (0, True, 10),
                           "v3": (0, True, 10)}
        assert sorted(want[1]) == [("v2", DOUBLE_PRECOMMIT, 1), ("v3", DOUBLE_PREVOTE, 1)]
        assert want[2] == [(1, 2)]                              # height 1, judged by block 2
        assert all(_judged(s.node) == want for s in served)
        assert all(NodeClient(u, TIMEOUT).evidence() == [] for u in urls)
        # a node that was down catches up both blocks and judges alike
        late = Served(homes[3], peers=urls)
        late.node.catch_up("test")
        assert _judged(late.node) == want
        # judged evidence sent again is known, not kept
        status, body, _ = http(urls[1] + "/evidence", "POST", json.dumps(doc))
        assert status == 200 and (body["added"], body["known"]) == (0, 3)
        op_store.close()
    finally:
        for s in served + ([late] if late else []):
            s.stop()


def test_forged_round_evidence_is_refused_and_nothing_is_stored(chain, tmp_path):
    home = node_home(chain, tmp_path, "v0")
    s = Served(home)
    try:
        b1 = _sigs(chain, chain["block1"], ["v0", "v1", "v2", "v3"])
        NodeClient(s.url, TIMEOUT).finalize(b1)
        before = db_snapshot(home)
        for label, ev in _forged(chain):
            doc = {"kind": "darkmatch-evidence", "version": 1,
                   "evidence": [double_prevote(chain), ev]}     # one forgery refuses it all
            status, body, _ = http(s.url + "/evidence", "POST", json.dumps(doc))
            assert status == 422 and "does not verify" in body["error"], (label, body)
            assert len(body["error"].splitlines()) == 1
            # a block carrying it is refused before any vote
            b2 = chain["block2"].with_evidence([ev])
            status, body, _ = http(s.url + "/round/prevote", "POST", json.dumps({
                "block": block_to_json(b2), "round": 0,
                "operator_signature": op_sign(chain, b2, 0).hex()}))
            assert status == 422 and "does not verify" in body["error"], (label, body)
        assert db_snapshot(home) == before
        assert NodeClient(s.url, TIMEOUT).evidence() == []
    finally:
        s.stop()


def test_an_operator_round_equivocation_caught_by_a_node_is_served_and_gossiped(chain,
                                                                              tmp_path):
    homes = [node_home(chain, tmp_path, f"v{i}") for i in range(2)]
    served = [Served(h) for h in homes]
    try:
        urls = [s.url for s in served]
        served[0].node.peers = [urls[1]]
        a, b = chain["block1"], chain["conflict1"]
        client = NodeClient(urls[0], TIMEOUT)
        for block in (a, b):
            try:
                client.round_vote("prevote", {"block": block_to_json(block), "round": 1,
                                              "operator_signature": op_sign(chain, block,
                                                                            1).hex()})
            except ValueError as e:
                assert "HTTP 403: the operator proposed two blocks in round 1" in str(e)
        [ev] = client.evidence()
        assert ev == op_round_equivocation(chain)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and NodeClient(urls[1], TIMEOUT).evidence() != [ev]:
            time.sleep(0.1)
        assert NodeClient(urls[1], TIMEOUT).evidence() == [ev]
    finally:
        for s in served:
            s.stop()


def test_a_tally_is_not_fooled_by_a_forged_vote(chain, tmp_path):
    store = Store.open(tmp_path / "t.db")
    store.init_genesis(chain["genesis"])
    tally = RoundTally(store)
    a, b = _hashes(chain)
    tally.add(sign_vote(chain["vkeys"]["v3"], "v3", PREVOTE, 1, 0, a))
    forged = sign_vote(chain["vkeys"]["v2"], "v3", PREVOTE, 1, 0, b)   # v2's key, v3's name
    with pytest.raises(ValueError, match="does not verify"):
        tally.add(forged)
    assert store.pending_evidence() == [] and tally.evidence == []
    store.close()


def test_double_precommits_a_node_sees_in_two_commits_are_served_over_http(chain, tmp_path):
    """A node shown, over HTTP, a commit for block 1 and then one for block 1' in the same
    round (a byzantine majority's) keeps the double precommits of the validators in both,
    serves them (GET /evidence) and still attests only block 1."""
    s = Served(node_home(chain, tmp_path, "v0"))
    try:
        a, b = chain["block1"], chain["conflict1"]
        k = chain["vkeys"]
        client = NodeClient(s.url, TIMEOUT)
        ja = block_to_json(a)
        client.round_vote("prevote", {"block": ja, "round": 0,
                                      "operator_signature": op_sign(chain, a, 0).hex()})

        def votes(phase, block, names):
            return [vote_to_json(sign_vote(k[n], n, phase, 1, 0, block.hash())) for n in names]
        client.round_vote("precommit", {"block": ja, "round": 0,
                                        "polka": votes(PREVOTE, a, ("v0", "v1", "v3"))})
        att = client.round_vote("attest", {"block": ja, "round": 0,
                                           "commit": votes(PRECOMMIT, a, ("v0", "v1", "v3"))})
        assert att["hash"] == a.hash()
        status, body, _ = http(s.url + "/round/attest", "POST", json.dumps({
            "block": block_to_json(b), "round": 0,
            "commit": votes(PRECOMMIT, b, ("v1", "v2", "v3"))}))
        assert status == 409 and "already signed" in body["error"], body
        held = client.evidence()
        assert sorted((e["kind"], e["validator"], e["round"]) for e in held) == \
            [(DOUBLE_PRECOMMIT, "v1", 0), (DOUBLE_PRECOMMIT, "v3", 0)]
        assert s.node.signlog.get(1) == a.hash()
    finally:
        s.stop()
