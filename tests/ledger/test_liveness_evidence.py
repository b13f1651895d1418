"""Evidence as chain state: a double sign (or the operator's equivocation) slashes when a block
carrying it is final, at the same height on every node; a node that alone saw the evidence still
accepts the block the others finalized, and a node catching up ends with the same stake."""

import json
import time

import pytest
from ledger_chain import build_block, make_genesis, make_orders
from liveness_net import Served, node_home, shared_chain, sign_proposal
from network_nodes import http
from rounds_net import op_sign

from ledger.chain.rules import apply_block, check_block, genesis_view, select_evidence
from ledger.chain.store import Store
from ledger.core import keys
from ledger.core.block import (BlockError, attestation_bytes, block_from_json, block_to_json,
                               proposal_bytes)
from ledger.core.evidence import DOUBLE_SIGN, OPERATOR_EQUIVOCATION, make_evidence
from ledger.core.genesis import Genesis
from ledger.node.client import NodeClient
from ledger.operator.proposal import gather_evidence
from verifier.errors import Rejected


# ------------------------------------------------------------------ the rules, in memory
@pytest.fixture
def ledger(tmp_path):
    g, akeys, vkeys = make_genesis(n_validators=4)
    op = keys.generate()
    g = Genesis(g.chain_id, g.markets, g.validators, g.accounts, keys.public_key_hex(op))
    store = Store.open(tmp_path / "s.db")
    store.init_genesis(g)
    b1 = build_block(store, make_orders(akeys, [(1, "buy", 100, 1)]))
    store.apply_block(b1, expected_parent=store.head()[1])
    yield store, akeys, vkeys, op
    store.close()


def double_sign(vkeys, name, height, h1="a" * 64, h2="b" * 64, key=None):
    k = key or vkeys[name]
    return make_evidence(DOUBLE_SIGN, height, (h1, keys.sign(k, attestation_bytes(height, h1))),
                         (h2, keys.sign(k, attestation_bytes(height, h2))), validator=name)


def equivocation(op, height, h1="a" * 64, h2="b" * 64):
    return make_evidence(OPERATOR_EQUIVOCATION, height,
                         (h1, keys.sign(op, proposal_bytes(height, h1))),
                         (h2, keys.sign(op, proposal_bytes(height, h2))))


def test_a_block_carrying_a_double_sign_slashes_at_its_height(ledger):
    store, akeys, vkeys, op = ledger
    ev = double_sign(vkeys, "v2", 1)
    plain = build_block(store, [], accounts=[2])
    carrying = plain.with_evidence([ev])
    assert carrying.hash() != plain.hash()                   # the hash covers the evidence
    view = store.view()
    assert apply_block(view, plain).validators["v2"].stake == 10
    after = apply_block(view, carrying)
    assert after.validators["v2"].slashed and after.total_stake() == 30
    store.apply_block(carrying, expected_parent=view.head_hash)   # the store saves the same
    assert store.validator("v2").slashed and store.total_stake() == 30
    assert [(v, k, h) for _, v, k, h, _ in store.evidence()] == [("v2", "double-sign", 1)]
    assert store.view().validators == after.validators
    again = build_block(store, [], accounts=[3]).with_evidence([double_sign(vkeys, "v2", 2)])
    with pytest.raises(Rejected, match="evidence\\[0\\]: validator 'v2' is already slashed"):
        check_block(store.view(), again)


def test_a_block_carrying_the_operators_equivocation_records_it(ledger):
    store, akeys, vkeys, op = ledger
    ev = equivocation(op, 1)
    b = build_block(store, [], accounts=[2]).with_evidence([ev])
    store.apply_block(b, expected_parent=store.head()[1])
    assert [(h, blk) for h, blk, _ in store.operator_faults()] == [(1, 2)]
    assert store.view().operator_faults == {1}
    with pytest.raises(Rejected, match="already judged"):
        check_block(store.view(), build_block(store, [], accounts=[3]).with_evidence([ev]))


@pytest.mark.parametrize("case", ["forged signature", "unknown validator", "another key",
                                  "operator evidence signed by a validator"])
def test_false_evidence_refuses_the_block(ledger, case):
    store, akeys, vkeys, op = ledger
    if case == "forged signature":
        ev = double_sign(vkeys, "v1", 1)
        ev["second"]["signature"] = ev["first"]["signature"]
        evs, why = [ev], "does not verify"
    elif case == "unknown validator":
        evs, why = [double_sign(vkeys, "v9", 1, key=vkeys["v1"])], "unknown validator 'v9'"
    elif case == "another key":
        evs, why = [double_sign(vkeys, "v1", 1, key=vkeys["v2"])], "does not verify"
    else:
        evs, why = [equivocation(vkeys["v0"], 1)], "does not verify"
    b = build_block(store, [], accounts=[2]).with_evidence(evs)
    before = store.head()
    with pytest.raises(Rejected, match=why):
        check_block(store.view(), b)
    with pytest.raises(Rejected):
        store.apply_block(b, expected_parent=before[1])
    assert store.head() == before and store.total_stake() == 40
    assert select_evidence(store.view(), evs) == []          # the operator never carries it


def test_one_validator_is_slashed_once(ledger):
    store, akeys, vkeys, op = ledger
    ev, other = double_sign(vkeys, "v1", 1), double_sign(vkeys, "v1", 1, "c" * 64, "d" * 64)
    with pytest.raises(BlockError, match="strictly increasing"):
        build_block(store, [], accounts=[2]).with_evidence([ev, other])
    chosen = select_evidence(store.view(), [ev, other, ev, double_sign(vkeys, "v2", 1)])
    assert [(e["validator"], e["height"]) for e in chosen] == [("v1", 1), ("v2", 1)]
    apply_block(store.view(), build_block(store, [], accounts=[2]).with_evidence(chosen))


def test_evidence_has_one_spelling_in_a_block(ledger):
    store, akeys, vkeys, op = ledger
    ev1, ev2 = double_sign(vkeys, "v1", 1), double_sign(vkeys, "v2", 1)
    b = build_block(store, [], accounts=[2]).with_evidence([ev2, ev1])     # sorted on the way
    obj = block_to_json(b)
    assert [e["validator"] for e in obj["evidence"]] == ["v1", "v2"]
    assert block_from_json(json.loads(json.dumps(obj))).hash() == b.hash()
    swapped = json.loads(json.dumps(obj))
    swapped["evidence"].reverse()
    flipped = json.loads(json.dumps(obj))
    e = flipped["evidence"][0]
    e["first"], e["second"] = e["second"], e["first"]
    empty = {**json.loads(json.dumps(block_to_json(build_block(store, [], accounts=[2])))),
             "evidence": []}
    for label, bad, why in [("unsorted", swapped, "strictly increasing"),
                            ("pair order", flipped, "first.hash must sort before"),
                            ("empty list", empty, "left out"),
                            ("future height", {**obj, "evidence": [
                                double_sign(vkeys, "v1", 5)]}, "not below the block's")]:
        with pytest.raises(BlockError, match=why):
            block_from_json(bad)


def test_genesis_view_carries_the_operator(ledger):
    store, *_ = ledger
    g = store.genesis()
    assert genesis_view(g).operator == g.operator == store.view().operator


# ------------------------------------------------------------------ nodes
@pytest.fixture
def chain(tmp_path_factory):
    return shared_chain(tmp_path_factory)


def _sigs(chain, block, names):
    return block.with_signatures([(n, keys.sign(chain["vkeys"][n], block.attestation_bytes()))
                                  for n in names])


def _stakes(node):
    return {v.name: (v.stake, v.slashed) for v in node.store.validators()}


def test_evidence_seen_by_one_node_leaves_every_node_at_the_same_head_and_stake(chain, tmp_path):
    homes = [node_home(chain, tmp_path, f"v{i}") for i in range(4)]
    served = [Served(h) for h in homes[:3]]
    try:
        urls = [s.url for s in served]
        b1 = _sigs(chain, chain["block1"], ["v0", "v1", "v2", "v3"])
        for u in urls:
            assert NodeClient(u, 60).finalize(b1)["status"] == "stored"
        # v3 also signs block 1'; only node 0 hears of it
        twice = _sigs(chain, chain["conflict1"], ["v3"])
        status, body, _ = http(urls[0] + "/finalize", "POST", json.dumps(block_to_json(twice)))
        assert status == 422 and "'v3' signed two blocks at height 1: evidence kept" in \
            body["error"]
        [ev] = NodeClient(urls[0], 60).evidence()
        assert (ev["kind"], ev["validator"], ev["height"]) == ("double-sign", "v3", 1)
        assert all(NodeClient(u, 60).evidence() == [] for u in urls[1:])
        # the others finalize block 2 with v3's signature (30 of 40 on every node): node 0,
        # which alone saw the evidence, must store it too
        b2 = _sigs(chain, chain["block2"], ["v1", "v2", "v3"])
        for u in urls:
            assert NodeClient(u, 60).finalize(b2)["status"] == "stored"
        assert {s.node.store.head() for s in served} == {(2, b2.hash())}
        assert all(_stakes(s.node) == _stakes(served[0].node) for s in served)
        assert not served[0].node.store.validator("v3").slashed
    finally:
        for s in served:
            s.stop()


def test_a_block_carrying_evidence_slashes_on_every_node_and_catch_up_agrees(chain, tmp_path):
    homes = [node_home(chain, tmp_path, f"v{i}") for i in range(4)]
    served = [Served(h) for h in homes[:3]]
    late = None
    try:
        urls = [s.url for s in served]
        b1 = _sigs(chain, chain["block1"], ["v0", "v1", "v2", "v3"])
        for u in urls:
            NodeClient(u, 60).finalize(b1)
        http(urls[0] + "/finalize", "POST",
             json.dumps(block_to_json(_sigs(chain, chain["conflict1"], ["v3"]))))
        op_store = Store.open(tmp_path / "op.db")
        op_store.init_genesis(chain["genesis"])
        op_store.apply_block(b1, expected_parent=op_store.head()[1])
        evs = gather_evidence(op_store, urls)                   # what the operator carries
        assert [(e["kind"], e["validator"]) for e in evs] == [("double-sign", "v3")]
        b2 = sign_proposal(chain, chain["block2"].with_evidence(evs))
        votes = [NodeClient(u, 60).round_vote("prevote", {     # validators check the evidence
            "block": block_to_json(b2.with_operator_signature(None)), "round": 0,
            "operator_signature": op_sign(chain, b2, 0).hex()}) for u in urls]
        assert {v["hash"] for v in votes} == {b2.hash()}
        final = _sigs(chain, b2, ["v0", "v1", "v2", "v3"])     # v3 still counts at height 2
        for u in urls:
            assert NodeClient(u, 60).finalize(final)["status"] == "stored"
        want = {"v0": (10, False), "v1": (10, False), "v2": (10, False), "v3": (0, True)}
        assert all(_stakes(s.node) == want for s in served)
        assert all(NodeClient(u, 60).evidence() == [] for u in urls)
        assert served[0].node.store.pending_evidence() == []
        # a node that was down catches up both blocks and ends with the same stake
        late = Served(homes[3], peers=urls)
        late.node.catch_up("test")
        assert late.node.store.head() == (2, final.hash())
        assert _stakes(late.node) == want
        op_store.close()
    finally:
        for s in served + ([late] if late else []):
            s.stop()


def test_evidence_caught_by_one_node_is_gossiped_to_its_peers(chain, tmp_path):
    homes = [node_home(chain, tmp_path, f"v{i}") for i in range(3)]
    served = [Served(h) for h in homes]
    try:
        urls = [s.url for s in served]
        for s in served:
            s.node.peers = [u for u in urls if u != s.url]
        b1 = _sigs(chain, chain["block1"], ["v0", "v1", "v2", "v3"])
        for u in urls:
            NodeClient(u, 60).finalize(b1)
        http(urls[0] + "/finalize", "POST",
             json.dumps(block_to_json(_sigs(chain, chain["conflict1"], ["v3"]))))
        [ev] = NodeClient(urls[0], 60).evidence()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(
                NodeClient(u, 60).evidence() == [ev] for u in urls[1:]):
            time.sleep(0.1)
        assert all(NodeClient(u, 60).evidence() == [ev] for u in urls[1:])
        assert all(not s.node.store.validator("v3").slashed for s in served)
        # POST /evidence: the same again is known, forged is 422, malformed 400; nothing kept
        doc = {"kind": "darkmatch-evidence", "version": 1, "evidence": [ev]}
        status, body, _ = http(urls[1] + "/evidence", "POST", json.dumps(doc))
        assert status == 200 and (body["added"], body["known"]) == (0, 1)
        forged = json.loads(json.dumps(ev))
        forged["validator"] = "v2"                             # v3's signatures, v2's name
        status, body, _ = http(urls[1] + "/evidence", "POST",
                               json.dumps({**doc, "evidence": [forged]}))
        assert status == 422 and "does not verify" in body["error"]
        status, body, _ = http(urls[1] + "/evidence", "POST",
                               json.dumps({**doc, "evidence": [{**ev, "height": "1"}]}))
        assert status == 400
        assert NodeClient(urls[1], 60).evidence() == [ev]
    finally:
        for s in served:
            s.stop()
