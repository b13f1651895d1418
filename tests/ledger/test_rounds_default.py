"""The issue's liveness cases on the default path: nodes in their default mode (every height in
two-phase rounds, ``POST /propose`` refused) and the operator's ``run_in_rounds`` (what
``operator batch`` runs) on its stored, signed proposal.  An operator killed after 1, 2 or 3
validators answered a phase finalizes the same block on restart; an equivocating operator is
caught and the height recovers with > 2/3 up."""

import json

import pytest
from liveness_net import Served, node_home, shared_chain
from network_nodes import db_snapshot, http
from rounds_net import op_sign

from ledger.chain.finality import Quorum
from ledger.chain.store import Store
from ledger.core import keys
from ledger.core.block import block_to_json
from ledger.node.client import NodeClient
from ledger.operator.proposal import drop_proposal, live_proposal, store_proposal
from ledger.operator.rounds import run_in_rounds

TIMEOUT = 60


@pytest.fixture
def chain(tmp_path_factory):
    return shared_chain(tmp_path_factory)


@pytest.fixture
def net(chain, tmp_path):
    served = [Served(node_home(chain, tmp_path, f"v{i}")) for i in range(4)]
    yield served
    for s in served:
        s.stop()


def _store(chain, path):
    s = Store.open(path)
    s.init_genesis(chain["genesis"])
    return s


def _ask(url, phase, body):
    return NodeClient(url, TIMEOUT).round_vote(phase, body)


def test_a_default_node_refuses_a_single_phase_proposal_and_stores_nothing(chain, net,
                                                                           tmp_path):
    s = net[0]
    block = chain["block1"].with_operator_signature(
        keys.sign(chain["op_key"], chain["block1"].proposal_bytes()))
    before = db_snapshot(tmp_path / "v0")
    status, body, _ = http(s.url + "/propose", "POST", json.dumps(block_to_json(block)))
    assert status == 409 and "runs every height in two-phase rounds" in body["error"]
    assert "\n" not in body["error"]
    assert db_snapshot(tmp_path / "v0") == before


@pytest.mark.parametrize("answered", [1, 2, 3])
@pytest.mark.parametrize("phase", ["prevote", "precommit", "attest"])
def test_operator_killed_after_some_answers_finalizes_the_same_block_on_restart(
        chain, net, tmp_path, phase, answered):
    urls = [s.url for s in net]
    op_home = tmp_path / "op"
    op_home.mkdir()
    sent = store_proposal(op_home, chain["block1"], chain["op_key"])   # durable, then sent
    a = sent.with_operator_signature(None)
    body = {"block": block_to_json(a), "round": 0,
            "operator_signature": op_sign(chain, a, 0).hex()}
    # the first run: round 0, killed once `answered` validators answered `phase`
    upto = {"prevote": answered}.get(phase, 4)
    polka = [_ask(u, "prevote", body) for u in urls[:upto]]
    given = []
    if phase != "prevote":
        upto = answered if phase == "precommit" else 4
        pc = {"block": body["block"], "round": 0, "polka": polka}
        commit = [_ask(u, "precommit", pc) for u in urls[:upto]]
        if phase == "attest":
            given = [_ask(u, "attest", {"block": body["block"], "round": 0, "commit": commit})
                     for u in urls[:answered]]
    # the restart: a new process reads its home and re-sends the stored block
    store = _store(chain, op_home / "node.db")
    retry = live_proposal(op_home, store)
    assert retry is not None and retry.hash() == sent.hash()
    r = run_in_rounds(urls, retry, chain["op_key"], store, Quorum(store, chain["vk"]),
                      timeout=TIMEOUT)
    assert r.block is not None and r.round == 1, r.refusals
    assert r.refusals == {} and r.finalize_errors == {}
    assert [s.node.store.head() for s in net] == [(1, sent.hash())] * 4
    assert store.head() == (1, sent.hash())
    assert [r.attestations[u].signature.hex() for u in urls[:len(given)]] == \
        [g["signature"] for g in given]                     # the same attestations again
    assert live_proposal(op_home, store) is None           # final: the file is dropped
    drop_proposal(op_home)
    store.close()


def test_an_equivocating_operator_is_caught_and_the_height_recovers_with_three_up(chain, net,
                                                                                 tmp_path):
    urls = [s.url for s in net]
    a, b = chain["block1"], chain["conflict1"]
    for url, block in zip(urls, (a, a, b, b)):               # round 0 split 2/2: no polka
        _ask(url, "prevote", {"block": block_to_json(block), "round": 0,
                              "operator_signature": op_sign(chain, block, 0).hex()})
    with pytest.raises(ValueError, match="HTTP 403: the operator proposed two blocks"):
        _ask(urls[0], "prevote", {"block": block_to_json(b), "round": 0,
                                  "operator_signature": op_sign(chain, b, 0).hex()})
    [ev] = NodeClient(urls[0], TIMEOUT).evidence()            # caught, kept, served
    assert (ev["kind"], ev["height"], ev["round"]) == ("operator-round-equivocation", 1, 0)
    net[3].stop()                                             # > 2/3 up
    net[3].stop = lambda: None
    store = _store(chain, tmp_path / "op.db")
    r = run_in_rounds(urls, a, chain["op_key"], store, Quorum(store, chain["vk"]),
                      timeout=TIMEOUT)
    assert r.block is not None and r.round == 1 and len(r.commit) == 3
    assert urls[3] in r.refusals and "lock query" in r.refusals[urls[3]]
    assert [s.node.store.head() for s in net[:3]] == [(1, a.hash())] * 3
    store.close()
