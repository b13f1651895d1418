"""One encoding per proof and per block: a proposal whose proof or public inputs are spelled in
any but the canonical form is refused with 400 before it is hashed or signed, so that a relay
cannot make honest validators sign different hashes of one block."""

import copy
import json

import pytest
from ledger_chain import PROOF, build_block, make_genesis
from liveness_net import Served, node_home, shared_chain, sign_proposal
from network_nodes import http
from rounds_net import op_sign

from ledger.chain.store import Store
from ledger.core.block import Block, BlockError, block_from_json, block_to_json
from ledger.node.client import NodeClient
from verifier.fields import Q_MOD, R_MOD


def _set(path, value):
    """A mutation that sets ``obj[path[0]][path[1]]... = value(old)``."""
    def mutate(obj):
        target = obj
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value(target[path[-1]])
    return mutate


def _extra(path, key):
    def mutate(obj):
        target = obj
        for k in path:
            target = target[k]
        target[key] = "0"
    return mutate


_UNICODE = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")      # Arabic-Indic digits
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

#: (label, mutation of the proposal's JSON): each is the same proof or inputs re-spelled
RESPELLINGS = [
    ("eval hex", _set(("proof", "eval_a"), lambda v: hex(int(v)))),
    ("eval leading zero", _set(("proof", "eval_b"), lambda v: "0" + v)),
    ("eval leading space", _set(("proof", "eval_b"), lambda v: " " + v)),
    ("eval trailing newline", _set(("proof", "eval_c"), lambda v: v + "\n")),
    ("eval plus sign", _set(("proof", "eval_s1"), lambda v: "+" + v)),
    ("eval underscore", _set(("proof", "eval_s2"), lambda v: v[0] + "_" + v[1:])),
    ("eval Arabic-Indic digits", _set(("proof", "eval_zw"), lambda v: v.translate(_UNICODE))),
    ("eval fullwidth digits", _set(("proof", "eval_a"), lambda v: v.translate(_FULLWIDTH))),
    ("eval JSON number", _set(("proof", "eval_a"), lambda v: int(v))),
    ("eval JSON float", _set(("proof", "eval_a"), lambda v: float(int(v)))),
    ("eval plus r", _set(("proof", "eval_a"), lambda v: str(int(v) + R_MOD))),
    ("point [x, y]", _set(("proof", "A"), lambda p: p[:2])),
    ("point JSON numbers", _set(("proof", "B"), lambda p: [int(c) for c in p])),
    ("point x hex", _set(("proof", "C", 0), lambda v: hex(int(v)))),
    ("point y leading zero", _set(("proof", "Z", 1), lambda v: "0" + v)),
    ("point x plus q", _set(("proof", "T1", 0), lambda v: str(int(v) + Q_MOD))),
    ("point projective z=2", _set(("proof", "T2"), lambda p: [str(2 * int(p[0]) % Q_MOD),
                                                             str(2 * int(p[1]) % Q_MOD), "2"])),
    ("point z '01'", _set(("proof", "Wxi", 2), lambda v: "01")),
    ("point as object", _set(("proof", "Wxiw"), lambda p: {"x": p[0], "y": p[1]})),
    ("extra proof field", _extra(("proof",), "publicSignals")),
    ("protocol upper case", _set(("proof", "protocol"), lambda v: v.upper())),
    ("public input hex", _set(("public_inputs", 1), lambda v: hex(int(v)))),
    ("public input leading zero", _set(("public_inputs", 1), lambda v: "0" + v)),
    ("public input plus sign", _set(("public_inputs", 1), lambda v: "+" + v)),
    ("public input space", _set(("public_inputs", 1), lambda v: v + " ")),
    ("public input underscore", _set(("public_inputs", 3), lambda v: v[0] + "_" + v[1:])),
    ("public input Unicode digits", _set(("public_inputs", 1), lambda v: v.translate(_UNICODE))),
    ("public input JSON number", _set(("public_inputs", 1), lambda v: int(v))),
    ("public input plus r", _set(("public_inputs", 1), lambda v: str(int(v) + R_MOD))),
    ("extra block field", _extra((), "note")),
    ("evidence as an empty list", _extra((), "evidence")),
]


@pytest.fixture
def live_chain(tmp_path_factory):
    return shared_chain(tmp_path_factory)


@pytest.fixture
def served(live_chain, tmp_path_factory):
    root = tmp_path_factory.mktemp("encoding")
    nodes = [Served(node_home(live_chain, root, f"v{i}")) for i in range(2)]
    yield nodes
    for n in nodes:
        n.stop()


def _stored(node):
    """What a refused proposal must leave untouched: sign log and proposal record."""
    c = node.store._conn
    return (node.signlog.get(1), c.execute("SELECT * FROM proposals").fetchall(),
            node.rounds.log.top_round(1), c.execute("SELECT * FROM round_proposals").fetchall(),
            node.store.head())


@pytest.mark.parametrize("label,mutate", RESPELLINGS, ids=[r[0] for r in RESPELLINGS])
def test_a_respelled_proposal_is_refused_with_400_before_signing(live_chain, served, label,
                                                                  mutate):
    good = block_to_json(sign_proposal(live_chain, live_chain["block1"]))
    bad = copy.deepcopy(good)
    mutate(bad)
    assert bad != good
    before = [_stored(n.node) for n in served]
    prevote = {"block": bad, "round": 0, "operator_signature": op_sign(
        live_chain, live_chain["block1"], 0).hex()}
    for n in served:
        for route, body in (("/propose", bad), ("/round/prevote", prevote)):
            status, answer, _ = http(n.url + route, "POST", json.dumps(body))
            assert status == 400, (label, route, status, answer)
            assert answer["error"] and len(answer["error"].splitlines()) == 1
    assert [_stored(n.node) for n in served] == before
    with pytest.raises(BlockError):
        block_from_json(bad)


def test_the_canonical_spelling_is_signed_with_one_hash_by_every_validator(live_chain, served):
    b = live_chain["block1"]
    votes = [NodeClient(n.url, 60).round_vote("prevote", {
        "block": block_to_json(b), "round": 0,
        "operator_signature": op_sign(live_chain, b, 0).hex()}) for n in served]
    assert {v["hash"] for v in votes} == {b.hash()}
    assert block_from_json(json.loads(json.dumps(block_to_json(b)))).hash() == b.hash()


def test_a_block_object_with_a_noncanonical_proof_cannot_be_built(tmp_path):
    g, _, _ = make_genesis()
    store = Store.open(tmp_path / "s.db")
    store.init_genesis(g)
    ok = build_block(store, [], accounts=[1])
    assert isinstance(ok, Block)
    for label, proof in [("hex", {**PROOF, "eval_a": "0x1"}),
                         ("number", {**PROOF, "eval_a": 1}),
                         ("two coordinates", {**PROOF, "A": ["1", "2"]}),
                         ("off the curve", {**PROOF, "A": ["1", "3", "1"]}),
                         ("extra field", {**PROOF, "x": "1"}),
                         ("missing field", {k: v for k, v in PROOF.items() if k != "Z"})]:
        with pytest.raises(BlockError, match="proof is not in canonical form"):
            build_block(store, [], accounts=[1], proof=proof)
    store.close()
