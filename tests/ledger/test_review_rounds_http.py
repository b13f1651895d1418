"""Adversarial review of the /round/* routes on a node of the real proven chain (Flask's test
client over ``ledger.node.server``): a proposal signed by another key, a block whose proof
does not verify, a precommit without the node's own prevote, a commit from another round,
lock proofs from the wrong round — each one line, 4xx, and the node's SQLite file exactly as
it was; a repeated prevote, and one after a restart of the node, answers the same vote."""

import json

import pytest
from liveness_net import node_home, shared_chain
from network_nodes import db_snapshot
from rounds_net import op_sign

from ledger.chain.votes import PRECOMMIT, PREVOTE, sign_vote, vote_to_json
from ledger.core.block import block_from_json, block_to_json
from ledger.node.server import create_app
from ledger.node.service import Node


@pytest.fixture
def chain(tmp_path_factory):
    return shared_chain(tmp_path_factory)


@pytest.fixture
def node(chain, tmp_path):
    home = node_home(chain, tmp_path, "v0")
    n = Node(str(home), log=lambda m: None)
    yield n, create_app(n).test_client(), home
    n.close()


def votes(chain, phase, block, round_, names=("v1", "v2", "v3")):
    return [vote_to_json(sign_vote(chain["vkeys"][n], n, phase, block.height, round_,
                                   block.hash())) for n in names]


def body(chain, block, round_, **extra):
    return {"block": block_to_json(block), "round": round_,
            "operator_signature": op_sign(chain, block, round_).hex(), **extra}


def refused(net, route, obj, status):
    n, c, home = net
    before = db_snapshot(home)
    r = c.post(route, json=obj)
    text = r.get_data(as_text=True)
    assert r.status_code == status, text
    assert "Traceback" not in text and text.count("\n") == 1
    err = json.loads(text)["error"]
    assert "\n" not in err
    assert db_snapshot(home) == before
    return err


def tampered(chain):
    obj = block_to_json(chain["block1"])
    proof = dict(obj["proof"])
    key = next(k for k in sorted(proof) if k.startswith("eval_"))
    proof[key] = str(int(proof[key]) + 1)
    return block_from_json({**obj, "proof": proof})


def test_round_requests_an_attacker_can_sign_are_refused_and_store_nothing(chain, node):
    a, b = chain["block1"], chain["conflict1"]
    foreign = {**body(chain, a, 0),
               "operator_signature": op_sign(chain, a, 0, key=chain["vkeys"]["v1"]).hex()}
    assert "not signed by the operator" in refused(node, "/round/prevote", foreign, 422)
    replayed = {**body(chain, a, 1), "operator_signature": op_sign(chain, a, 0).hex()}
    assert "not signed by the operator" in refused(node, "/round/prevote", replayed, 422)
    bad = tampered(chain)
    assert "will not vote" in refused(node, "/round/prevote", body(chain, bad, 0), 422)
    # a precommit without this node's own prevote, on a valid polka of the three others
    err = refused(node, "/round/precommit", {"block": block_to_json(a), "round": 0,
                                             "polka": votes(chain, PREVOTE, a, 0)}, 409)
    assert "own prevote" in err
    # an attestation on a commit made of another round's precommits, or of prevotes
    for commit in (votes(chain, PRECOMMIT, a, 1), votes(chain, PREVOTE, a, 0),
                   votes(chain, PRECOMMIT, b, 0)):
        refused(node, "/round/attest", {"block": block_to_json(a), "round": 0,
                                        "commit": commit}, 422)
    # a polka padded with one validator's vote repeated
    padded = votes(chain, PREVOTE, a, 0, ("v1",)) * 3
    n, c, _ = node
    assert c.post("/round/prevote", json=body(chain, a, 0)).status_code == 200
    assert "needs > 2/3" in refused(node, "/round/precommit", {
        "block": block_to_json(a), "round": 0, "polka": padded}, 422)


def test_a_repeated_prevote_and_one_after_a_restart_answer_the_same_vote(chain, node, tmp_path):
    a, b = chain["block1"], chain["conflict1"]
    n, c, home = node
    first = c.post("/round/prevote", json=body(chain, a, 0))
    assert first.status_code == 200
    assert c.post("/round/prevote", json=body(chain, a, 0)).json == first.json
    n.close()
    n2 = Node(str(home), log=lambda m: None)                 # a restart on the same home
    try:
        c2 = create_app(n2).test_client()
        assert c2.post("/round/prevote", json=body(chain, a, 0)).json == first.json
        r = c2.post("/round/prevote", json=body(chain, b, 0))   # never another block
        assert r.status_code in (403, 409) and "signature" not in r.json
        lock = c2.get("/round/lock/1").json
        assert lock == {"height": 1, "top_round": 0, "lock": None,     # with the proposal it
                        "proposal": {"round": 0, "hash": a.hash(),    # voted on (lock query)
                                     "signature": op_sign(chain, a, 0).hex()}}
        # the round is over for it once it voted in a later one
        assert c2.post("/round/prevote", json=body(chain, b, 1)).status_code == 200
        r = c2.post("/round/prevote", json=body(chain, a, 0))
        assert r.status_code == 409 and "round 0 is over" in r.json["error"]
    finally:
        n2.close()
    node[0].close = lambda: None                             # closed above
