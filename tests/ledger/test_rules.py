"""ledger.chain.rules: the chain's rules in memory, with no database, agree with the store.

Blocks are built with the store helpers of ``ledger_chain`` (real orders, real
signatures, random new commitments, a placeholder proof); the proof verdict is
a stub here, as the rules let it be (``check_proof`` takes the verdict), so
these tests need neither SQLite for the rules nor Numba.
"""

import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ledger_chain import PARAMS, build_block, make_genesis, make_orders

from circuits.settlement_data import MarketParams
from ledger.chain.rules import (BlockRejected, LedgerView, apply_block, block_tally,
                                check_block, check_final, check_order, check_proof,
                                genesis_view, is_quorum, replay_block, tally)
from ledger.chain.store import Store
from ledger.core import keys
from ledger.core.orders import new_order
from verifier.errors import Rejected

PROOF_OK = lambda block: (True, "ok")          # noqa: E731 - the stub verdict


class ViewLedger:
    """What ``build_block`` reads from a store, read from a ``LedgerView`` instead."""

    def __init__(self, view):
        self.view = view

    def head(self):
        return self.view.height, self.view.head_hash

    def account_ids(self):
        return sorted(self.view.accounts)

    def account_commitment(self, account_id):
        return self.view.accounts[account_id].commitment

    def state_root_after(self, updates):
        return self.view.state_root(updates)


@pytest.fixture(scope="module")
def chain_keys():
    return make_genesis(n_accounts=4, n_validators=3)


@pytest.fixture(scope="module")
def pool(chain_keys):
    _, ak, _ = chain_keys
    return make_orders(ak, [(1, "buy", 100, 5), (2, "sell", 100, 5), (3, "buy", 101, 2),
                            (4, "sell", 99, 2), (1, "sell", 105, 1), (2, "buy", 95, 1)])


def _signed(block, validator_keys, names=None):
    names = sorted(validator_keys) if names is None else names
    return block.with_signatures([(n, keys.sign(validator_keys[n], block.attestation_bytes()))
                                  for n in names])


@pytest.fixture
def chain(tmp_path, chain_keys, pool):
    """A store with three signed blocks, and the blocks."""
    g, _, vkeys = chain_keys
    store = Store.open(tmp_path / "node.db")
    store.init_genesis(g)
    blocks = []
    for orders, mark in [(pool[:2], 102), (pool[2:4], 104), (pool[4:], 100)]:
        b = _signed(build_block(store, orders, mark=mark, price=mark), vkeys)
        store.apply_block(b, expected_parent=store.head()[1])
        blocks.append(b)
    yield store, blocks
    store.close()


def test_replays_a_chain_in_memory_to_the_store_state(chain, chain_keys):
    store, blocks = chain
    view = genesis_view(chain_keys[0])
    for b in blocks:
        view = replay_block(view, b, PROOF_OK)
    assert (view.height, view.head_hash) == store.head()
    assert view.state_root() == store.state_root() == blocks[-1].state_root
    stored = store.view()
    assert dict(view.accounts) == dict(stored.accounts)
    assert dict(view.markets) == dict(stored.markets)
    assert dict(view.validators) == dict(stored.validators)
    assert dict(view.nullifiers) == dict(stored.nullifiers)
    assert view.nullifiers == {nf: b.height for b in blocks for nf in b.nullifiers()}
    assert view.markets[0].mark_price == store.market(0)[1] == 100


def test_genesis_view_is_the_store_at_genesis(tmp_path, chain_keys):
    g = chain_keys[0]
    with Store.open(tmp_path / "g.db") as store:
        store.init_genesis(g)
        view, stored = genesis_view(g), store.view()
        assert (view.height, view.head_hash) == (stored.height, stored.head_hash) == \
            (0, store.genesis_hash())
        for name in ("accounts", "markets", "validators", "nullifiers"):
            assert dict(getattr(view, name)) == dict(getattr(stored, name)), name
        assert view.state_root() == store.state_root()


def test_a_view_is_immutable_and_apply_returns_a_new_one(chain_keys, pool):
    view = genesis_view(chain_keys[0])
    with pytest.raises(TypeError):
        view.accounts[9] = None
    with pytest.raises(AttributeError):
        view.height = 5
    b = build_block(ViewLedger(view), pool[:2])
    after = apply_block(view, b)
    assert (view.height, after.height) == (0, 1)
    assert view.nullifiers == {} and len(after.nullifiers) == 2
    assert after.accounts[1].commitment != view.accounts[1].commitment


def _bad_blocks(ledger, pool, chain_keys, head_hash, genesis_hash):
    """(block, expected_parent, needle): one block per rule, each breaking only it."""
    _, ak, _ = chain_keys
    stranger = keys.generate()
    forged = new_order(stranger, 1, 0, "buy", 100, 1, 10**6)[0]
    expired = new_order(ak[2], 2, 0, "sell", 100, 1, 0)[0]
    unknown = new_order(stranger, 99, 0, "buy", 100, 1, 10**6)[0]
    other_market = new_order(ak[1], 1, 1, "buy", 100, 1, 10**6)[0]
    fresh = make_orders(ak, [(3, "buy", 100, 1), (4, "sell", 100, 1)])
    spent = pool[0]
    return [
        (build_block(ledger, fresh, height=5), head_hash, "height does not follow"),
        (build_block(ledger, fresh, parent=genesis_hash), head_hash, "parent hash"),
        (build_block(ledger, fresh), genesis_hash, "expected parent"),
        (build_block(ledger, [other_market], params=MarketParams(1, 1000, 500, 10, 500)),
         head_hash, "unknown market 1"),
        (build_block(ledger, fresh, params=MarketParams(0, 100, 50, 10, 500)), head_hash,
         "parameters differ"),
        (build_block(ledger, fresh, mark=200), head_hash, "moves more than the band"),
        (build_block(ledger, [forged, fresh[1]]), head_hash, "signature does not verify"),
        (build_block(ledger, [fresh[0], expired]), head_hash, "expired at height 0"),
        (build_block(ledger, [unknown, fresh[1]]), head_hash, "unknown account 99"),
        (build_block(ledger, [spent, fresh[1]]), head_hash,
         "replays an order already spent in block 1"),
        (build_block(ledger, fresh, old={3: 5, 4: ledger.account_commitment(4)}), head_hash,
         "old commitment of account 3"),
        (build_block(ledger, fresh, accounts=[3, 4, 77]), head_hash, "unknown account 77"),
        (build_block(ledger, fresh, state_root="00" * 32), head_hash, "state root differs"),
    ]


def test_every_bad_block_gets_the_store_message(chain, chain_keys, pool):
    store, blocks = chain
    view = genesis_view(chain_keys[0])
    for b in blocks:
        view = replay_block(view, b, PROOF_OK)
    cases = _bad_blocks(ViewLedger(view), pool, chain_keys, view.head_hash,
                        store.genesis_hash())
    for block, parent, needle in cases:
        with pytest.raises(BlockRejected) as in_store:
            store.check_block(block, expected_parent=parent)
        with pytest.raises(BlockRejected) as in_memory:
            check_block(view, block, parent)
        assert str(in_memory.value) == str(in_store.value), needle
        assert needle in str(in_memory.value) and "\n" not in str(in_memory.value)
        with pytest.raises(BlockRejected) as applied:
            store.apply_block(block, expected_parent=parent)
        assert str(applied.value) == str(in_store.value)
    assert store.head() == (view.height, view.head_hash)



def test_check_order_names_the_rule_and_the_order(chain_keys, pool):
    _, ak, _ = chain_keys
    view = genesis_view(chain_keys[0])
    view = apply_block(view, build_block(ViewLedger(view), pool[:2]))
    stranger = keys.generate()
    cases = [
        (new_order(stranger, 99, 0, "buy", 100, 1, 10)[0], "o: unknown account 99"),
        (new_order(ak[1], 1, 1, "buy", 100, 1, 10)[0], "o: account 1 trades market 0, not 1"),
        (new_order(stranger, 1, 0, "buy", 100, 1, 10)[0],
         "o: signature does not verify under account 1's key"),
        (new_order(ak[1], 1, 0, "buy", 100, 1, 1)[0], "o: expired at height 1 (next block is 2)"),
        (pool[0], "o replays an order already spent in block 1 (nullifier "),
    ]
    for order, message in cases:
        with pytest.raises(Rejected) as e:
            check_order(view, order, 2, "o")
        assert str(e.value).startswith(message), str(e.value)
    assert check_order(view, pool[2], 2, "o") == pool[2].nullifier()


def test_tally_counts_unslashed_stake_and_refuses_any_bad_signature(chain_keys, pool):
    g, _, vkeys = chain_keys
    view = genesis_view(g)
    msg = b"a message"
    sig = {n: keys.sign(k, msg) for n, k in vkeys.items()}
    t = tally([("v0", sig["v0"]), ("v1", sig["v1"])], view.validators, msg, "thing")
    assert (t.signers, t.signed_stake, t.total_stake, t.quorum) == (("v0", "v1"), 20, 30, False)
    assert tally(sorted(sig.items()), view.validators, msg, "thing").quorum
    slashed = {**view.validators, "v2": view.validators["v2"].__class__(
        "v2", view.validators["v2"].public_key, 0, True, 10)}
    t = tally([("v0", sig["v0"]), ("v2", sig["v2"])], slashed, msg, "thing")
    assert (t.signers, t.signed_stake, t.total_stake, t.quorum) == (("v0",), 10, 20, False)
    for sigs, needle in [
            ([("v0", sig["v1"])], "thing signature by 'v0' does not verify"),
            ([("vx", sig["v0"])], "thing signed by unknown validator 'vx'"),
            ([("v0", sig["v0"]), ("v0", sig["v0"])], "validator 'v0' signed the thing twice"),
            ([("v0", "not bytes")], "thing signature by 'v0' does not verify"),
            ([("v0",)], "signatures must be (validator, signature) pairs")]:
        with pytest.raises(Rejected, match=needle.replace("(", r"\(").replace(")", r"\)")):
            tally(sigs, view.validators, msg, "thing")


@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_is_quorum_is_more_than_two_thirds(signed, total):
    assert is_quorum(signed, total) == (total > 0 and Fraction(signed, total) > Fraction(2, 3))


def test_replay_refuses_short_quorum_forged_signature_and_failing_proof(chain, chain_keys):
    _, blocks = chain
    g, _, vkeys = chain_keys
    view = genesis_view(g)
    b1 = blocks[0]
    two = b1.with_signatures(b1.signatures[:1])
    with pytest.raises(BlockRejected, match=r"block 1 is not final: 10 of 30 stake"):
        replay_block(view, two, PROOF_OK)
    forged = b1.with_signatures([(n, b1.signatures[0][1]) for n, _ in b1.signatures])
    with pytest.raises(Rejected, match="attestation signature by 'v1' does not verify"):
        replay_block(view, forged, PROOF_OK)
    with pytest.raises(BlockRejected, match="block 1: proof rejected: stub says no"):
        replay_block(view, b1, lambda block: (False, "stub says no"))
    n = len(b1.public_inputs)
    with pytest.raises(BlockRejected, match=f"block 1 has {n} public inputs, the circuit takes 7"):
        check_proof(b1, PROOF_OK, n_public=7)
    count = block_tally(view, b1)
    check_final(count, 1)
    assert replay_block(view, b1, PROOF_OK).height == 1


def test_rules_load_without_sqlite_numba_or_prover():
    code = ("import sys, ledger.chain.rules, ledger.cli.verify; "
            "print(sorted(m for m in ('sqlite3', 'numba', 'prover') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_store_and_view_share_the_params_rule(chain, chain_keys):
    store, _ = chain
    change = {"kind": "market", "market_id": 0, "im_bps": 2000, "mm_bps": 500,
              "fee_bps": 10, "band_bps": 500}
    store.apply_param_change(change)
    assert store.view().markets[0].params == MarketParams(0, 2000, 500, 10, 500) != PARAMS
    assert isinstance(store.view(), LedgerView)
