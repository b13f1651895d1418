"""circuits.settlement_data: one-line range errors, commitments, the public-input layout."""

import pytest
from settlement_cases import PARAMS, account, order

from circuits import babyjub, pedersen, poseidon
from circuits.settlement_data import (
    AccountState, BatchWitness, MarketParams, OrderOpening,
)
from verifier.fields import R_MOD

GOOD_ORDER = dict(account=3, market=7, side="sell", price=100, size=5, nonce=9, rho=12345)
GOOD_STATE = dict(account=3, cash=-10, position=-4, blinding=77)


def one_line_error(fn, match):
    with pytest.raises(ValueError, match=match) as e:
        fn()
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("field, value, match", [
    ("market_id", 1 << 16, "market_id"), ("im_bps", 10_001, "im_bps"), ("fee_bps", -1, "fee_bps"),
    ("band_bps", True, "band_bps must be an integer"), ("mm_bps", 1.0, "mm_bps"),
    ("mm_bps", 1001, "im_bps = 1000 is below mm_bps = 1001"),
])
def test_market_params_ranges(field, value, match):
    kw = dict(market_id=7, im_bps=1000, mm_bps=500, fee_bps=10, band_bps=500)
    one_line_error(lambda: MarketParams(**{**kw, field: value}), match)
    assert MarketParams(market_id=0, im_bps=10_000, mm_bps=10_000, fee_bps=0, band_bps=10_000)


@pytest.mark.parametrize("field, value", [
    ("account", 1 << 40), ("account", -1), ("market", 1 << 16), ("side", "BUY"), ("price", 0),
    ("price", 1 << 32), ("size", 0), ("size", 1 << 32), ("nonce", 1 << 64), ("rho", babyjub.L),
    ("rho", -1), ("price", "100"),
])
def test_order_ranges(field, value):
    one_line_error(lambda: OrderOpening(**{**GOOD_ORDER, field: value}), field)


def test_order_commitment_is_the_pedersen_commitment():
    o = OrderOpening(**GOOD_ORDER)
    fields = {k: v for k, v in GOOD_ORDER.items() if k != "rho"}
    assert o.commitment() == pedersen.commit_with(12345, **fields)
    assert pedersen.open(o.commitment(), 12345, **fields)
    assert not o.is_buy and OrderOpening(**{**GOOD_ORDER, "side": "buy"}).is_buy


@pytest.mark.parametrize("field, value", [
    ("account", 1 << 40), ("cash", 1 << 80), ("cash", -(1 << 80)), ("position", 1 << 40),
    ("position", -(1 << 40)), ("blinding", R_MOD), ("blinding", -1),
])
def test_account_state_ranges(field, value):
    one_line_error(lambda: AccountState(**{**GOOD_STATE, field: value}), field)


def test_account_commitment_is_poseidon_with_offsets():
    s = AccountState(**GOOD_STATE)
    assert s.commitment() == poseidon.hash([3, (1 << 80) - 10, (1 << 40) - 4, 77])
    top = AccountState(3, (1 << 80) - 1, -(1 << 40) + 1, R_MOD - 1)
    assert top.commitment() == poseidon.hash([3, (1 << 81) - 1, 1, R_MOD - 1])


def witness(**kw):
    base = dict(params=PARAMS, height=5, mark_price=101, price=100, volume=2,
                orders=[order(1, "buy", 100, 2), None], fills=[2, 0],
                old_accounts=[account(1, 500)], new_accounts=[account(1, 300, 2, tag=1)])
    return BatchWitness(**{**base, **kw})


@pytest.mark.parametrize("kw, match", [
    (dict(params={"market_id": 7}), "params"), (dict(height=-1), "height"),
    (dict(mark_price=0), "mark_price"), (dict(price=1 << 32), "price"),
    (dict(volume=-1), "volume"), (dict(fills=[2]), "fills has 1 entries for 2"),
    (dict(fills=[2, 1]), r"fills\[1\] = 1 for an inactive"), (dict(fills=[-2, 0]), r"fills\[0\]"),
    (dict(orders=[order(1, "buy", 100, 2), "x"]), r"orders\[1\]"),
    (dict(new_accounts=[None]), "account slot 0: old and new"),
    (dict(new_accounts=[account(2, 1)]), "account slot 0: new state is for account 2"),
    (dict(new_accounts=[]), "new_accounts has 0 entries for 1"),
    (dict(orders=(o for o in [])), "orders must be a list"),
])
def test_batch_witness_shapes(kw, match):
    one_line_error(lambda: witness(**kw), match)


def test_public_inputs_layout_and_padding():
    w = witness()
    o, a, n = w.orders[0], w.old_accounts[0], w.new_accounts[0]
    assert w.public_inputs() == [7, 5, 100, 101, 2, 1000, 500, 10, 500,
                                 0, 0, 0, 1 << 47, 0, 0, 0, 0, 0, 0,
                                 1, 1, *o.commitment(), 0, 0, 0, 0,
                                 1, 1, a.commitment(), n.commitment(), 0, 0, 0]
    p = w.padded(3, 2)
    assert (p.n_orders, p.n_accounts) == (3, 2)
    pub = w.public_inputs()
    assert p.public_inputs() == pub[:27] + [0] * 4 + pub[27:31] + [0] * 4 + pub[31:] + [0] * 3
    with pytest.raises(ValueError, match="does not fit 1 × 1"):
        w.padded(1, 1)


def test_public_input_layout_is_the_circuits():
    """One layout: the circuit declares its public inputs in settlement_data's order and count."""
    from circuits.settlement import settlement_circuit
    from circuits.settlement_data import (ACCOUNT_FLOW, ACCOUNT_PUBLIC, GLOBALS, ORDER_PUBLIC,
                                          n_public_inputs, public_names)
    c = settlement_circuit(2, 3)
    expected = (list(GLOBALS) + [f"order{j}.{n}" for j in range(2) for n in ORDER_PUBLIC]
                + [f"account{k}.{n}" for k in range(3) for n in ACCOUNT_PUBLIC]
                + [f"account{k}.{n}" for k in range(3) for n in ACCOUNT_FLOW])
    assert list(public_names(2, 3)) == expected
    assert list(c.public_names) == expected
    assert n_public_inputs(2, 3) == len(expected) == c.n_public
