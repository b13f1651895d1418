"""Blocks carry the signed withdrawal requests they debit; validators check each one.

Every active account slot with a public withdrawal w > 0 has exactly one
request for its account, with amount w and the slot's old commitment; no
request without a withdrawal; the signature is the account's (checked by the
chain's rules against the ledger's key).  Each refusal is its own test.
"""

import pathlib
import sys
from dataclasses import replace

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "ledger"))   # ledger helpers
from ledger_chain import build_block, make_genesis  # noqa: E402

from circuits.settlement_data import public_names  # noqa: E402
from ledger.chain.rules import check_block  # noqa: E402
from ledger.chain.store import Store  # noqa: E402
from ledger.core.block import Block, BlockError, block_from_json, block_to_json  # noqa: E402
from ledger.core.withdrawals import new_withdrawal  # noqa: E402
from verifier.errors import Rejected  # noqa: E402


@pytest.fixture
def ledger(tmp_path):
    g, account_keys, _ = make_genesis(n_accounts=3)
    store = Store.open(str(tmp_path / "node.db"))
    store.init_genesis(g)
    yield store, account_keys
    store.close()


def _with_withdrawal(store, amount, requests):
    """A block with account slots for accounts 1 and 2, account 1 withdrawing ``amount``."""
    base = build_block(store, [], accounts=[1, 2], volume=0)
    pi = list(base.public_inputs)
    pi[public_names(base.n_orders, base.n_accounts).index("account0.withdraw")] = amount
    return Block(base.height, base.parent_hash, base.n_orders, base.n_accounts, pi, base.proof,
                 base.state_root, base.orders, withdrawals=requests)


def _request(store, keys_, account=1, amount=70, commitment=None):
    c = store.account_commitment(account) if commitment is None else commitment
    return new_withdrawal(keys_[account], account, amount, c)


def test_a_block_with_its_request_passes_the_rules_and_round_trips(ledger):
    store, keys_ = ledger
    b = _with_withdrawal(store, 70, [_request(store, keys_)])
    check_block(store.view(), b)
    again = block_from_json(block_to_json(b))
    assert again == b and again.hash() == b.hash()
    assert "withdrawals" in block_to_json(b)


def test_a_block_without_withdrawals_keeps_its_json_and_hash(ledger):
    store, _ = ledger
    b = build_block(store, [], accounts=[1, 2], volume=0)
    assert "withdrawals" not in block_to_json(b)


def test_a_withdrawal_without_a_request_is_refused(ledger):
    store, _ = ledger
    with pytest.raises(BlockError, match="without a request"):
        _with_withdrawal(store, 70, [])


def test_a_request_for_another_amount_is_refused(ledger):
    store, keys_ = ledger
    with pytest.raises(BlockError, match="another amount or state"):
        _with_withdrawal(store, 70, [_request(store, keys_, amount=71)])


def test_a_request_for_another_state_is_refused(ledger):
    store, keys_ = ledger
    stale = store.account_commitment(1) + 1
    with pytest.raises(BlockError, match="another amount or state"):
        _with_withdrawal(store, 70, [_request(store, keys_, commitment=stale)])


def test_a_request_without_a_withdrawal_is_refused(ledger):
    store, keys_ = ledger
    with pytest.raises(BlockError, match="has no withdrawal"):
        _with_withdrawal(store, 70, [_request(store, keys_), _request(store, keys_, account=2)])


def test_two_requests_of_one_account_are_refused(ledger):
    store, keys_ = ledger
    with pytest.raises(BlockError, match="two withdrawal requests"):
        _with_withdrawal(store, 70, [_request(store, keys_), _request(store, keys_)])


def test_a_request_signed_by_another_key_is_rejected_by_the_rules(ledger):
    store, keys_ = ledger
    forged = replace(_request(store, keys_), signature=_request(store, {1: keys_[2]}).signature)
    b = _with_withdrawal(store, 70, [forged])
    with pytest.raises(Rejected, match="bad signature"):
        check_block(store.view(), b)


def test_an_empty_withdrawals_list_in_json_is_refused(ledger):
    store, _ = ledger
    d = block_to_json(build_block(store, [], accounts=[1, 2], volume=0))
    d["withdrawals"] = []
    with pytest.raises(BlockError, match="must not be empty"):
        block_from_json(d)
