"""ledger.chain.store and ledger.core.block: genesis, blocks, rejections that store nothing."""

import dataclasses
import hashlib
import json
import sqlite3

import pytest
from ledger_chain import PARAMS, PROOF, build_block, make_genesis, make_orders, snapshot

from circuits.settlement_data import GLOBALS, MarketParams
from ledger.core import keys
from ledger.core.block import (
    Block,
    BlockError,
    attestation_bytes,
    block_from_json,
    block_to_json,
)
from ledger.core.codec import canonical_json
from ledger.core.genesis import Genesis, GenesisMarket
from ledger.core.orders import SignedOrder, new_order, signing_bytes
from ledger.chain.rules import mark_move_ok, state_root
from ledger.chain.store import BlockRejected, Store, StoreError


@pytest.fixture(scope="module")
def chain_keys():
    return make_genesis(n_accounts=4, n_validators=3)


@pytest.fixture
def store(tmp_path, chain_keys):
    s = Store.open(tmp_path / "node.db")
    s.init_genesis(chain_keys[0])
    yield s
    s.close()


@pytest.fixture(scope="module")
def pool(chain_keys):
    """Signed orders to spend (each test uses fresh ones: nullifiers are per store)."""
    _, ak, _ = chain_keys
    return make_orders(ak, [(1, "buy", 100, 5), (2, "sell", 100, 5), (3, "buy", 101, 2),
                            (4, "sell", 99, 2), (1, "sell", 105, 1), (2, "buy", 95, 1)])


def _one_line(e):
    msg = str(e.value)
    assert msg and "\n" not in msg
    return msg


# ------------------------------------------------------------ genesis and reading
def test_genesis_head_and_root(store, chain_keys):
    g = chain_keys[0]
    assert store.head() == (0, store.genesis_hash())
    assert store.genesis() == g
    assert store.block_hash(0) == store.genesis_hash() and store.get_block(1) is None
    expected = hashlib.sha256(b"darkmatch/state-root/v1\x00" + (4).to_bytes(8, "big"))
    for a in g.accounts:
        c = a.initial_state().commitment()
        assert store.account_commitment(a.account_id) == c
        expected.update(a.account_id.to_bytes(8, "big") + c.to_bytes(32, "big"))
    assert store.state_root() == expected.hexdigest()
    assert store.market(0) == (PARAMS, 100)
    assert store.account_ids() == [1, 2, 3, 4]
    assert store.total_stake() == 30


def test_state_root_order_independent_and_sensitive():
    pairs = [(3, 30), (1, 10), (2, 20)]
    assert state_root(pairs) == state_root(sorted(pairs))
    assert state_root(pairs) != state_root([(3, 30), (1, 10), (2, 21)])
    assert state_root(pairs) != state_root(pairs[:2])
    assert state_root([(1, 2), (3, 4)]) != state_root([(1, 4), (3, 2)])


def test_pragmas_and_reinit(store, tmp_path, chain_keys):
    c = sqlite3.connect(store.path)
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    c.close()
    assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2      # FULL
    assert store.init_genesis(chain_keys[0]) == store.genesis_hash()        # same: no-op
    other, _, _ = make_genesis(n_accounts=1, chain_id="other")
    before = snapshot(store)
    with pytest.raises(StoreError) as e:
        store.init_genesis(other)
    assert "another genesis" in _one_line(e) and snapshot(store) == before


def test_open_errors(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    for path, expected in [(junk, "cannot open store"), (tmp_path / "no" / "x.db", "cannot open"),
                           (":memory:", "file path")]:
        with pytest.raises(StoreError) as e:
            Store.open(path)
        assert expected in _one_line(e)
    assert junk.read_bytes() == b"this is not a database" * 100
    s = Store.open(tmp_path / "empty.db")
    with pytest.raises(StoreError) as e:
        s.head()
    assert "no genesis" in _one_line(e)
    s.close()


# ------------------------------------------------------------ blocks
def test_apply_block_and_read_back(store, pool):
    b = build_block(store, pool[:2])
    gh = store.genesis_hash()
    h = store.apply_block(b, expected_parent=gh)
    assert h == b.hash() and store.head() == (1, h)
    assert store.get_block(1) == b and store.block_hash(1) == h
    assert store.state_root() == b.state_root
    for s in b.account_slots:
        assert store.account_commitment(s.account) == s.new
    for j, o in enumerate(pool[:2]):
        assert store.spent_at(o.nullifier()) == 1
    assert store.spent_at(pool[2].nullifier()) is None
    b2 = build_block(store, pool[2:4], n_orders=4, n_accounts=3, mark=103)
    store.apply_block(b2, expected_parent=h)
    assert store.head() == (2, b2.hash()) and store.market(0)[1] == 103
    assert store.get_block(2).orders[2:] == (None, None)


def test_block_hash_excludes_signatures(store, pool, chain_keys):
    _, _, vk = chain_keys
    b = build_block(store, pool[:2])
    expected = hashlib.sha256(b"darkmatch/block/v1\x00" + canonical_json(b.header_json()))
    assert b.hash() == expected.hexdigest()
    sigs = [(n, keys.sign(k, b.attestation_bytes())) for n, k in vk.items()]
    signed = b.with_signatures(sigs)
    assert signed.hash() == b.hash() and signed != b
    assert b.attestation_bytes() == (b"darkmatch/attest/v1\x00" + (1).to_bytes(8, "big")
                                     + bytes.fromhex(b.hash()))
    assert attestation_bytes(1, b.hash()) == b.attestation_bytes()
    assert block_from_json(json.loads(json.dumps(block_to_json(signed)))) == signed
    store.apply_block(signed, expected_parent=store.head()[1])
    assert store.get_block(1).signatures == signed.signatures


def test_replayed_order_rejected_nothing_stored(store, pool, chain_keys):
    store.apply_block(build_block(store, pool[:2]), expected_parent=store.head()[1])
    before = snapshot(store)
    replay = build_block(store, [pool[0], pool[2]])
    with pytest.raises(BlockRejected) as e:
        store.apply_block(replay, expected_parent=store.head()[1])
    assert "replays an order already spent in block 1" in _one_line(e)
    assert snapshot(store) == before
    with pytest.raises(BlockRejected):
        store.check_block(replay, expected_parent=store.head()[1])
    # The same commitment re-signed with another expiry is the same spend.
    o, key = pool[0], chain_keys[1][pool[0].account]
    resigned = SignedOrder(o.account, o.commitment, o.market, 77,
                           keys.sign(key, signing_bytes(o.account, o.commitment, o.market, 77)))
    with pytest.raises(BlockRejected) as e:
        store.apply_block(build_block(store, [resigned, pool[2]]),
                          expected_parent=store.head()[1])
    assert "replays an order" in _one_line(e)
    assert snapshot(store) == before


def test_height_and_parent_rejected_nothing_stored(store, pool):
    gh = store.genesis_hash()
    store.apply_block(build_block(store, pool[:2]), expected_parent=gh)
    head = store.head()
    before = snapshot(store)
    cases = [
        (build_block(store, pool[2:4], height=3), head[1], "height does not follow"),
        (build_block(store, pool[2:4], height=1, parent=gh), gh, "height does not follow"),
        (build_block(store, pool[2:4], parent=gh), head[1], "parent hash"),
        (build_block(store, pool[2:4], parent="ab" * 32), head[1], "parent hash"),
        (build_block(store, pool[2:4]), gh, "expected parent"),
        (build_block(store, pool[2:4]), "00" * 32, "expected parent"),
    ]
    for block, expected_parent, msg in cases:
        with pytest.raises(BlockRejected) as e:
            store.apply_block(block, expected_parent=expected_parent)
        assert msg in _one_line(e), msg
        assert snapshot(store) == before
    store.apply_block(build_block(store, pool[2:4]), expected_parent=head[1])
    assert store.head()[0] == 2


def test_state_checks_rejected_nothing_stored(store, pool, chain_keys):
    _, ak, _ = chain_keys
    stranger = keys.generate()
    forged = new_order(stranger, 1, 0, "buy", 100, 1, 10**6)[0]          # account 1, wrong key
    expired = new_order(ak[2], 2, 0, "sell", 100, 1, 0)[0]               # expires at height 0
    unknown = new_order(stranger, 99, 0, "buy", 100, 1, 10**6)[0]
    other_market = new_order(ak[1], 1, 1, "buy", 100, 1, 10**6)[0]
    p2 = MarketParams(1, 1000, 500, 10, 500)
    loose = MarketParams(0, 100, 50, 10, 500)
    before = snapshot(store)
    cases = [
        (build_block(store, [forged, pool[1]]), "signature does not verify"),
        (build_block(store, [pool[0], expired]), "expired at height 0"),
        (build_block(store, [unknown, pool[1]]), "unknown account 99"),
        (build_block(store, [other_market], params=p2), "unknown market 1"),
        (build_block(store, pool[:2], params=loose), "parameters differ"),
        (build_block(store, pool[:2], old={1: 5, 2: store.account_commitment(2)}),
         "old commitment of account 1"),
        (build_block(store, pool[:2], state_root="00" * 32), "state root differs"),
        (build_block(store, pool[:2], accounts=[1, 2, 77]), "unknown account 77"),
        (build_block(store, pool[:2], mark=106), "mark price 106 moves more than the band"),
        (build_block(store, pool[:2], mark=94), "mark price 94 moves more than the band"),
    ]
    for block, msg in cases:
        for check in (store.check_block, store.apply_block):
            with pytest.raises(BlockRejected) as e:
                check(block, expected_parent=store.head()[1])
            assert msg in _one_line(e), msg
        assert snapshot(store) == before


def test_mark_price_moves_within_the_band(store, pool):
    # PARAMS.band_bps = 500: from the genesis mark 100, M may be 95…105
    assert mark_move_ok(100, 105, 500) and mark_move_ok(100, 95, 500)
    assert not mark_move_ok(100, 106, 500) and not mark_move_ok(100, 94, 500)
    store.apply_block(build_block(store, pool[:2], mark=105, price=105),
                      expected_parent=store.head()[1])
    assert store.market(0)[1] == 105


def test_account_of_another_market_rejected(tmp_path, chain_keys):
    """One market per account: a slot naming another market's account is refused."""
    g, ak, _ = chain_keys
    m1 = GenesisMarket(MarketParams(1, 1000, 500, 10, 500), 100)
    accounts = [dataclasses.replace(a, market_id=1 if a.account_id == 3 else 0)
                for a in g.accounts]
    two = Genesis(g.chain_id, g.markets + (m1,), g.validators, accounts)
    s = Store.open(tmp_path / "two.db")
    s.init_genesis(two)
    assert (s.account_market(1), s.account_market(3)) == (0, 1)
    before = snapshot(s)
    o1 = new_order(ak[1], 1, 1, "buy", 100, 1, 10**6)[0]
    o3 = new_order(ak[3], 3, 1, "sell", 100, 1, 10**6)[0]
    bad = build_block(s, [o1, o3], params=m1.params)
    with pytest.raises(BlockRejected) as e:
        s.apply_block(bad, expected_parent=s.head()[1])
    assert "account 1 trades market 0, not 1" in _one_line(e)
    assert snapshot(s) == before
    s.close()


def test_block_structure_errors(store, pool):
    good = build_block(store, pool[:2])
    pi = list(good.public_inputs)
    args = dict(height=1, parent_hash=good.parent_hash, n_orders=2, n_accounts=2,
                public_inputs=pi, proof=PROOF, state_root=good.state_root, orders=good.orders)

    def bad(msg, **change):
        with pytest.raises(BlockError) as e:
            Block(**{**args, **change})
        assert msg in _one_line(e), msg

    def pi_with(i, v):
        q = list(pi)
        q[i] = v
        return q
    H, O = len(GLOBALS), len(GLOBALS) + 4 * 2      # first order slot, first account slot
    A, T = O + 4, O + 8                               # second account slot, the flow inputs
    bad("public inputs for", public_inputs=pi[:-1])
    bad("public input 0", public_inputs=pi_with(0, -1))
    bad(f"public input {H + 3}", public_inputs=pi_with(H + 3, 2**254))
    bad("height 5 differs", public_inputs=pi_with(1, 5))
    bad("clearing price", public_inputs=pi_with(2, 0))
    bad("mark price", public_inputs=pi_with(3, 2**32))
    bad("im_bps", public_inputs=pi_with(5, 10))
    bad("active flag", public_inputs=pi_with(H, 2))
    bad("account or commitment differs", public_inputs=pi_with(H + 1, 3))
    bad("inactive but not empty", public_inputs=pi_with(H, 0))
    bad("active but has no order", orders=(None, good.orders[1]))
    bad("2 orders for 3", n_orders=3, public_inputs=pi[:O] + [0] * 4 + pi[O:])
    bad("commitment appears twice", orders=(good.orders[0], good.orders[0]),
        public_inputs=pi[:H + 4] + pi[H:H + 4] + pi[O:])
    bad("strictly increasing", public_inputs=pi[:O] + pi[A:T] + pi[O:A] + pi[T:])
    bad("has no account slot", public_inputs=pi[:A] + [0] * 4 + pi[T:])
    bad("parent_hash", parent_hash="AB" * 32)
    bad("state_root", state_root="00")
    bad("height", height=0)
    bad("proof must be", proof=[1])
    bad("signature 0", signatures=[("v0", b"short")])
    bad("two signatures by validator", signatures=[("v0", b"\0" * 64)] * 2)
    j = block_to_json(good)
    for doc, msg in [({**j, "extra": 1}, "unknown field"),
                     ({**j, "public_inputs": [1]}, "canonical"),
                     ({**j, "orders": [None, {"kind": "x"}]}, "kind"),
                     ({**j, "signatures": [{"validator": "a b", "signature": "00" * 64}]},
                      "validator")]:
        with pytest.raises(BlockError) as e:
            block_from_json(doc)
        assert msg in _one_line(e), msg


# ------------------------------------------------------------ validators, evidence, parameters
def test_evidence_and_slashing(store):
    before = snapshot(store)
    with pytest.raises(StoreError) as e:
        store.record_evidence("nobody", "double-sign", 1, {}, slash=True)
    assert "unknown validator" in _one_line(e) and snapshot(store) == before
    with pytest.raises(StoreError):
        store.record_evidence("v0", "gossip", 1, {})
    eid = store.record_evidence("v0", "double-sign", 3, {"hashes": ["a", "b"]}, slash=True)
    v0 = store.validator("v0")
    assert v0.slashed and v0.stake == 0 and v0.slashed_stake == 10
    assert store.total_stake() == 20
    assert store.record_evidence("v0", "double-sign", 3, {"again": 1}) == eid   # once per height
    assert store.evidence() == [(eid, "v0", "double-sign", 3, {"hashes": ["a", "b"]})]
    assert store.slash("v0") is False and store.slash("v1") is True
    assert store.total_stake() == 10
    with pytest.raises(StoreError):
        store.slash("nobody")


def test_param_changes(store, pool):
    change = {"kind": "market", "market_id": 0, "im_bps": 2000, "mm_bps": 500, "fee_bps": 10,
              "band_bps": 500}
    old_params_block = build_block(store, pool[:2])
    store.apply_param_change(change)
    assert store.market(0)[0] == MarketParams(0, 2000, 500, 10, 500)
    with pytest.raises(BlockRejected) as e:
        store.apply_block(old_params_block, expected_parent=store.head()[1])
    assert "parameters differ" in _one_line(e)
    store.apply_block(build_block(store, pool[:2], params=store.market(0)[0]),
                      expected_parent=store.head()[1])
    pk = keys.public_key_hex(keys.generate())
    store.apply_param_change({"kind": "validator", "name": "v9", "public_key": pk, "stake": 5})
    assert store.total_stake() == 35
    store.apply_param_change({"kind": "validator", "name": "v9", "public_key": pk, "stake": 0})
    assert store.total_stake() == 30
    assert [(h, c["kind"]) for _, h, c in store.param_changes()] == [
        (0, "market"), (1, "validator"), (1, "validator")]
    before = snapshot(store)
    for bad, msg in [({**change, "im_bps": 100}, "below mm_bps"),
                     ({**change, "market_id": 5}, "unknown market 5"),
                     ({**change, "extra": 1}, "unknown field"),
                     ({"kind": "oracle"}, "kind must be"),
                     ({"kind": "validator", "name": "v1", "public_key": pk, "stake": 1},
                      "another public key"),
                     ({"kind": "validator", "name": "new", "public_key":
                       store.validator("v1").public_key, "stake": 1}, "already belongs"),
                     ({"kind": "validator", "name": "v9", "public_key": pk, "stake": -1}, "stake")]:
        with pytest.raises(StoreError) as e:
            store.apply_param_change(bad)
        assert msg in _one_line(e), msg
    assert snapshot(store) == before
    store.slash("v2")
    with pytest.raises(StoreError) as e:
        store.apply_param_change({"kind": "validator", "name": "v2",
                                  "public_key": store.validator("v2").public_key, "stake": 9})
    assert "slashed" in _one_line(e)
