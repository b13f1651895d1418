"""End to end, in process: traders → operator → validators → quorum → stores (docs/design.md).

One 4×4 settlement circuit (development SRS, set up once per module) and one
proven block that the failure cases reuse (altered copies of it); the
double-signing case proves one more, conflicting, block at the same height.
"""

import dataclasses
import warnings

import pytest
from ledger_chain import PARAMS, build_block, make_genesis, snapshot

from circuits.settlement import settlement_circuit
from circuits.settlement_data import GLOBALS, n_public_inputs
from ledger.core.block import Block
from ledger.core.genesis import Genesis
from ledger.chain.finality import Misbehaviour, Quorum
from ledger.chain.rules import apply_block
from ledger.operator.engine import Operator
from ledger.core.orders import new_order
from ledger.chain.store import Store
from ledger.chain.validator import Validator
from prover import dev_srs, setup
from verifier.fields import R_MOD

N = K = 4
SPECS = [(1, "buy", 101, 10), (2, "sell", 99, 10), (3, "buy", 100, 5), (4, "sell", 100, 5)]


@pytest.fixture(scope="module")
def keys_4x4():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        srs = dev_srs(15)
    return setup(settlement_circuit(N, K), srs)


@pytest.fixture(scope="module")
def world(keys_4x4, tmp_path_factory):
    """Genesis, keys, and one proposed block (with the operator and the orders)."""
    pk, vk = keys_4x4
    genesis, account_keys, validator_keys = make_genesis(n_accounts=5, n_validators=4)
    broke = dataclasses.replace(genesis.accounts[4], cash=0)      # account 5 has no collateral
    genesis = Genesis(genesis.chain_id, genesis.markets, genesis.validators,
                      genesis.accounts[:4] + (broke,))
    root = tmp_path_factory.mktemp("pipeline")
    op_store = Store.open(root / "operator.db")
    op_store.init_genesis(genesis)
    operator = Operator(op_store, pk, vk, N, K)
    submitted = []
    for a, side, price, size in SPECS:
        order, opening = new_order(account_keys[a], a, PARAMS.market_id, side, price, size, 50)
        operator.submit(order, opening)
        submitted.append((order, opening))
    # another market's order: refused at intake (account 1 trades market 0 only)
    other = new_order(account_keys[1], 1, PARAMS.market_id + 1, "buy", 100, 1, 50)
    with pytest.raises(ValueError, match="account 1 trades market 0, not 1"):
        operator.submit(*other)
    # an order beyond its account's margin: the engine rejects it, it stays pending
    over_margin = new_order(account_keys[5], 5, PARAMS.market_id, "buy", 101, 1, 50)
    operator.submit(*over_margin)
    states = {a.account_id: a.initial_state() for a in genesis.accounts}
    proposal = operator.propose(1, 100, PARAMS, states)
    return {"genesis": genesis, "account_keys": account_keys, "validator_keys": validator_keys,
            "operator": operator, "op_store": op_store, "proposal": proposal,
            "submitted": submitted, "over_margin": over_margin, "vk": vk}


def node(world, path):
    """A fresh node store at genesis."""
    s = Store.open(path)
    s.init_genesis(world["genesis"])
    return s


def validators(world, store):
    return [Validator(k, store, world["vk"]) for k in world["validator_keys"].values()]


def altered_proof(block):
    proof = dict(block.proof)
    proof["eval_a"] = str((int(proof["eval_a"]) + 1) % R_MOD)
    return Block(block.height, block.parent_hash, block.n_orders, block.n_accounts,
                 block.public_inputs, proof, block.state_root, block.orders)


def test_orders_to_final_block(world, tmp_path):
    block, new_states, rejected = world["proposal"]
    assert rejected == [(world["over_margin"][0], "account 5 fails maintenance margin")]
    assert (block.price, block.volume) == (100, 15)
    assert [o is not None for o in block.orders] == [True] * 4
    stores = [node(world, tmp_path / f"n{i}.db") for i in range(4)]
    atts = []
    for i, store in enumerate(stores):            # every node's validator checks on its own store
        v = validators(world, store)[i]
        assert v.check(block) == (True, "ok")
        atts.append(v.attest(block))
    for store in stores:
        q = Quorum(store, world["vk"])
        for a in atts[:2]:
            q.add(a, block)
        assert not q.is_final(1, block.hash())       # 20 of 40: not > 2/3
        q.add(atts[2], block)
        assert q.is_final(1, block.hash())           # 30 of 40
        q.add(atts[3], block)
        assert q.finalize(block) == block.hash()
        assert store.head() == (1, block.hash())
        stored = store.get_block(1)
        assert stored.hash() == block.hash()
        assert sorted(n for n, _ in stored.signatures) == ["v0", "v1", "v2", "v3"]
        for a, s in new_states.items():
            assert store.account_commitment(a) == s.commitment()
        assert all(store.spent_at(o.nullifier()) == 1 for o, _ in world["submitted"])
    positions = {a: s.position for a, s in new_states.items()}
    assert positions == {1: 10, 2: -10, 3: 5, 4: -5}
    operator = world["operator"]
    assert len(operator.pending()) == 5
    operator.settled(block)
    assert operator.pending() == [world["over_margin"]]



def finalized_node(world, path):
    """A node store with the proposed block 1 signed by every validator and final."""
    block = world["proposal"].block
    store = node(world, path)
    q = Quorum(store, world["vk"])
    for v in validators(world, store):
        q.add(v.attest(block), block)
    q.finalize(block)
    return store


def test_replayed_order_rejected_nothing_stored(world, tmp_path):
    store = finalized_node(world, tmp_path / "n.db")
    before = snapshot(store)
    op = Operator(store, None, world["vk"], N, K)
    order, opening = world["submitted"][0]
    with pytest.raises(ValueError, match="already spent in block 1"):
        op.submit(order, opening)
    replay = build_block(store, [order])
    for v in validators(world, store):
        ok, reason = v.check(replay)
        assert not ok and "replays an order already spent in block 1" in reason
    assert snapshot(store) == before


def test_stale_old_state_commitment_rejected_nothing_stored(world, tmp_path):
    """A block built on the genesis states after block 1 moved them on is refused."""
    store = finalized_node(world, tmp_path / "n.db")
    before = snapshot(store)
    initial = {a.account_id: a.initial_state().commitment() for a in world["genesis"].accounts}
    ak = world["account_keys"]
    orders = [new_order(ak[1], 1, PARAMS.market_id, "buy", 100, 1, 50)[0],
              new_order(ak[2], 2, PARAMS.market_id, "sell", 100, 1, 50)[0]]
    stale = build_block(store, orders, old={1: initial[1], 2: initial[2]})
    assert store.account_commitment(1) != initial[1]
    for v in validators(world, store):
        ok, reason = v.check(stale)
        assert not ok and "old commitment of account 1 is not the ledger's" in reason
        with pytest.raises(ValueError, match="will not sign"):
            v.attest(stale)
    assert snapshot(store) == before


def test_altered_proof_rejected_and_nothing_stored(world, tmp_path):
    block = world["proposal"].block
    bad = altered_proof(block)
    store = node(world, tmp_path / "n.db")
    before = snapshot(store)
    for v in validators(world, store):
        ok, reason = v.check(bad)
        assert not ok and "proof rejected" in reason
        with pytest.raises(ValueError, match="will not sign"):
            v.attest(bad)
    q = Quorum(store, world["vk"])
    with pytest.raises(ValueError, match="not final"):
        q.finalize(bad)
    assert snapshot(store) == before


def test_wrong_height_rejected(world, tmp_path):
    block = world["proposal"].block
    pi = list(block.public_inputs)
    pi[1] = 2
    wrong = Block(2, block.parent_hash, N, K, pi, block.proof, block.state_root, block.orders)
    store = node(world, tmp_path / "n.db")
    ok, reason = validators(world, store)[0].check(wrong)
    assert not ok and "height does not follow the head" in reason


def test_double_signer_slashed_and_finality_holds(world, tmp_path):
    block = world["proposal"].block
    store = node(world, tmp_path / "n.db")
    # a second valid block at height 1: the first two orders only (one more proof)
    other = Operator(node(world, tmp_path / "op2.db"), world["operator"].pk, world["vk"], N, K)
    for order, opening in world["submitted"][:2]:
        other.submit(order, opening)
    states = {a.account_id: a.initial_state() for a in world["genesis"].accounts}
    conflict = other.propose(1, 100, PARAMS, states).block
    assert conflict.hash() != block.hash() and conflict.height == 1
    vs = validators(world, store)
    q = Quorum(store, world["vk"])
    for v in (vs[0], vs[1], vs[3]):
        q.add(v.attest(block), block)
    assert q.is_final(1, block.hash())               # 30 of 40
    with pytest.raises(ValueError, match="already signed another block"):
        vs[3].attest(conflict)                      # an honest validator refuses
    with pytest.raises(Misbehaviour, match="signed two blocks at height 1"):
        q.add(vs[3].sign(conflict), conflict)       # a faulty one signs anyway
    # the evidence is kept; the slashing is the block's that carries it (docs/liveness.md)
    [(kind, who, height, body)] = store.pending_evidence()
    assert (who, kind, height) == ("v3", "double-sign", 1)
    assert {body["first"]["hash"], body["second"]["hash"]} == {block.hash(), conflict.hash()}
    assert not store.validator("v3").slashed and store.total_stake() == 40
    assert q.is_final(1, block.hash())               # still 30 of 40: v3's first signature
    q.add(vs[2].attest(block), block)
    q.finalize(block)
    assert sorted(n for n, _ in store.get_block(1).signatures) == ["v0", "v1", "v2", "v3"]
    # a later block carrying the evidence slashes v3 at that height, on every node alike
    after = apply_block(store.view(), build_block(store, [], accounts=[1]).with_evidence([body]))
    rec = after.validators["v3"]
    assert rec.slashed and rec.stake == 0 and rec.slashed_stake == 10
    assert after.total_stake() == 30


def test_faulty_minority_cannot_finalize_bad_block(world, tmp_path):
    bad = altered_proof(world["proposal"].block)
    store = node(world, tmp_path / "n.db")
    vs = validators(world, store)
    blind = Quorum(store)                           # no proof check: only stake counts
    blind.add(vs[0].sign(bad), bad)
    blind.add(vs[1].sign(bad), bad)
    assert not blind.is_final(1, bad.hash())         # 20 of 40
    with pytest.raises(ValueError, match="not final"):
        blind.finalize(bad)
    q = Quorum(store, world["vk"])                  # with proof check: signing it is evidence
    with pytest.raises(Misbehaviour, match="proof fails"):
        q.add(vs[0].sign(bad), bad)
    assert not store.validator("v0").slashed        # kept, not slashed on this node alone
    assert [e[:3] for e in store.pending_evidence()] == [("invalid-proof", "v0", 1)]
    assert store.head()[0] == 0 and store.get_block(1) is None


@pytest.mark.parametrize("field", ["price", "volume", "new commitment"])
def test_operator_cannot_misprice_or_steal(world, tmp_path, field):
    """Public inputs changed behind the proof pass every store check, and fail the proof."""
    block = world["proposal"].block
    store = node(world, tmp_path / "n.db")
    pi = list(block.public_inputs)
    root = block.state_root
    if field == "price":
        pi[2] = 101
    elif field == "volume":
        pi[4] = 14
    else:                                           # account slot 0's new commitment
        at = len(GLOBALS) + 4 * N
        pi[at + 3] = (pi[at + 3] + 1) % R_MOD
        root = store.state_root_after({pi[at + 4 * k + 1]: pi[at + 4 * k + 3]
                                       for k in range(K) if pi[at + 4 * k]})
    forged = Block(1, block.parent_hash, N, K, pi, block.proof, root, block.orders)
    store.check_block(forged, expected_parent=store.head()[1])   # the ledger alone can't tell
    ok, reason = validators(world, store)[0].check(forged)
    assert not ok and "proof rejected" in reason


def test_block_of_another_circuit_size_rejected(world, tmp_path):
    store = node(world, tmp_path / "n.db")
    small = build_block(store, [world["submitted"][0][0]])       # 1 order slot, 1 account slot
    ok, reason = validators(world, store)[0].check(small)
    assert not ok and reason == (f"block 1 has {n_public_inputs(1, 1)} public inputs, the "
                                 f"circuit takes {n_public_inputs(N, K)}")
    assert (n_public_inputs(1, 1), n_public_inputs(N, K)) == (30, 63)
