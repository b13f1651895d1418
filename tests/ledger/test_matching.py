"""The matching engine on hand-worked batches, edge cases, bad input and the circuit witness."""

import ast
import pathlib

import pytest
from matching_checker import check_batch

from circuits.settlement_data import AccountState, BatchWitness, MarketParams, OrderOpening
from ledger.exchange.matching import match_batch, to_witness

MAX = 2**32 - 1
PARAMS = dict(im_bps=1000, mm_bps=500, fee_bps=5, band_bps=500)
RICH = dict(cash=10**12, position=0)


def buy(account, price, size, **kw):
    return dict(account=account, side="buy", price=price, size=size, **kw)


def sell(account, price, size, **kw):
    return dict(account=account, side="sell", price=price, size=size, **kw)


def run(orders, accounts=None, mark=100, params=PARAMS, **kw):
    accounts = accounts or {a: dict(RICH) for a in {o["account"] for o in orders} | {1}}
    res = match_batch(orders=orders, accounts=accounts, mark_price=mark, params=params, **kw)
    check_batch(orders, accounts, mark, params, res)
    return res


def test_documented_interface_example():
    res = match_batch(orders=[dict(account=1, side="buy", price=101, size=5),
                              dict(account=2, side="sell", price=99, size=3),
                              dict(account=2, side="sell", price=100, size=4)],
                      accounts={1: dict(cash=1_000_000, position=0),
                                2: dict(cash=1_000_000, position=0)},
                      mark_price=100, params=dict(im_bps=1000, mm_bps=500, fee_bps=5, band_bps=500))
    # D(100) = 5, S(100) = 7: P = M = 100 clears 5; the sell at 100 is rationed to 2 lots
    assert (res.price, res.volume, res.demand, res.supply) == (100, 5, 5, 7)
    assert res.fills == [5, 3, 2] and res.rejected == []
    assert res.fees == [0, 0, 0]                     # 5·100·5 // 10^4 = 0
    assert (res.new_accounts[1].cash, res.new_accounts[1].position) == (999_500, 5)
    assert (res.new_accounts[2].cash, res.new_accounts[2].position) == (1_000_500, -5)
    assert res.participants == [1, 2] and res.active == [0, 1, 2]


def test_no_cross_clears_at_mark_with_nothing_filled():
    res = run([buy(1, 98, 5), sell(2, 102, 5)])
    assert (res.price, res.volume, res.fills, res.rejected) == (100, 0, [0, 0], [])
    assert res.new_accounts == res.old_accounts


def test_no_cross_with_a_bid_above_mark_rejects_it():
    """V = 0 forces P = M; a buy above M would then be strictly in the money (R2) with no seller."""
    res = run([buy(1, 103, 5), sell(2, 104, 5), buy(3, 99, 2)])
    assert (res.price, res.volume) == (100, 0)
    assert [i for i, _ in res.rejected] == [0]
    assert res.rejected[0][1].startswith(
        "no counterparty: buy limit 103 is above the mark price 100")


def test_one_tick_in_the_money_with_no_counterparty_is_rejected():
    res = run([sell(1, 99, 2), sell(2, 100, 3), buy(3, 98, 1)], mark=100)
    assert res.rejected == [(0, "no counterparty: sell limit 99 is below the mark price 100 "
                                "and nothing crosses")]
    assert (res.price, res.volume, res.fills) == (100, 0, [0, 0, 0])
    res = run([buy(1, 101, 2), sell(2, 102, 3)], mark=100)
    assert [i for i, _ in res.rejected] == [0] and res.volume == 0


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_one_side_empty(side):
    orders = [dict(account=a, side=side, price=100, size=3) for a in (1, 2)]
    res = run(orders)
    assert (res.price, res.volume, res.fills, res.rejected) == (100, 0, [0, 0], [])
    assert (res.demand, res.supply) == ((6, 0) if side == "buy" else (0, 6))


def test_empty_batch():
    res = run([], accounts={1: dict(RICH)})
    assert (res.price, res.volume, res.fills, res.participants) == (100, 0, [], [])


def test_all_orders_at_one_price():
    res = run([buy(1, 103, 4), sell(2, 103, 6), buy(3, 103, 8)])
    # only 103 trades (no cross below), P = 103 is in the band; D = 12 > S = 6: buys rationed
    assert (res.price, res.volume, res.demand, res.supply) == (103, 6, 12, 6)
    assert res.fills == [2, 6, 4]                    # ⌊4·6/12⌋, full, ⌊8·6/12⌋


def test_exactly_balanced_book_fills_everyone():
    res = run([buy(1, 101, 3), buy(2, 100, 4), sell(3, 100, 5), sell(4, 99, 2)])
    assert (res.price, res.volume, res.demand, res.supply) == (100, 7, 7, 7)
    assert res.fills == [3, 4, 5, 2]


def test_pro_rata_remainder_lots_go_to_the_earliest_slots():
    res = run([buy(1, 100, 3), buy(2, 100, 3), buy(3, 100, 3), sell(4, 100, 5)])
    assert res.fills == [2, 2, 1, 5]                 # ⌊3·5/9⌋ = 1 each, 2 remainder lots
    res = run([buy(1, 100, 1), buy(2, 100, 4), buy(3, 100, 7), sell(4, 99, 6)])
    assert res.fills == [1, 2, 3, 6]                 # floors 0, 2, 3; one remainder lot
    res = run([sell(1, 100, 7), sell(2, 100, 4), sell(3, 100, 1), buy(4, 101, 6)])
    assert res.fills == [4, 2, 0, 6]                 # floors 3, 2, 0; one lot to slot 0
    # slots follow the active orders: a rejected order does not take a slot's priority
    res = run([buy(9, 100, 3), buy(2, 100, 3), buy(3, 100, 3), sell(4, 100, 5)],
              accounts={a: dict(RICH) for a in (2, 3, 4)})
    assert res.rejected == [(0, "unknown account 9")] and res.fills == [0, 3, 2, 5]


def test_strictly_in_the_money_orders_fill_in_full_and_the_long_side_is_rationed():
    res = run([buy(1, 104, 5), buy(2, 102, 6), sell(3, 100, 8), sell(4, 101, 1)])
    # V(101) = V(102) = 9 is the maximum.  101 is nearer M but not provable: the buys
    # above it (11 lots) would all have to fill (R2) while only 9 sell.  At 102 the buy
    # at 104 fills in full and the buy at 102 gets what is left, 9 − 5 = 4.
    assert (res.price, res.volume, res.demand, res.supply) == (102, 9, 11, 9)
    assert res.fills == [5, 4, 8, 1]


def test_ties_go_toward_the_mark():
    book = [buy(1, 103, 5), sell(2, 97, 5)]           # every p in [97, 103] clears 5 lots
    assert run(book, mark=100).price == 100
    wide = dict(PARAMS, band_bps=10_000)
    assert run(book, mark=110, params=wide).price == 103
    assert run(book, mark=90, params=wide).price == 97
    # the maximising prices form an interval, so an equal-distance tie never arises
    # across M; among feasible prices the nearest is unique.


def test_band_excludes_the_best_price():
    """Unbanded, P = 109 clears 10 lots.  In [95, 105] no price is provable (the buy at
    110 is in the money everywhere there and exceeds what sells in the band), so it is
    rejected and the rest clears 4 lots at 102.  The spec's literal pick, 102 with
    V = 6, would break R2 for the buy at 110."""
    res = run([buy(1, 110, 10), buy(2, 104, 4), sell(3, 102, 6), sell(4, 109, 10)])
    assert res.band == (95, 105)
    assert [i for i, _ in res.rejected] == [0]
    assert res.rejected[0][1].startswith("price band: buy limit 110 is above the band [95, 105]")
    assert (res.price, res.volume, res.fills) == (102, 4, [0, 4, 4, 0])
    unbanded = run([buy(1, 110, 10), buy(2, 104, 4), sell(3, 102, 6), sell(4, 109, 10)],
                   params=dict(PARAMS, band_bps=10_000))
    assert (unbanded.price, unbanded.volume, unbanded.rejected) == (109, 10, [])


def test_band_zero_clears_only_at_mark():
    res = run([buy(1, 100, 5), sell(2, 99, 5)], params=dict(PARAMS, band_bps=0))
    assert (res.price, res.volume, res.band) == (100, 5, (100, 100))


def test_trader_on_both_sides():
    params = dict(PARAMS, fee_bps=30)
    res = run([buy(1, 101, 5), sell(1, 99, 3), sell(2, 100, 4), buy(2, 100, 1)], params=params)
    assert (res.price, res.volume) == (100, 6) and res.fills == [5, 3, 3, 1]
    assert res.fees == [1, 0, 0, 0]                  # ⌊5·100·30/10^4⌋ = 1, ⌊300·30/10^4⌋ = 0
    one = res.new_accounts[1]
    assert (one.position, one.cash) == (2, 10**12 - 500 + 300 - 1)


def test_fees_floor_on_both_sides():
    params = dict(PARAMS, fee_bps=30, band_bps=10_000)
    res = run([buy(1, 1234, 7), sell(2, 1234, 7)], mark=1234, params=params)
    fee = 7 * 1234 * 30 // 10_000                    # 25.914… → 25
    assert fee == 25 and res.fees == [25, 25]
    assert res.new_accounts[1].cash == 10**12 - 7 * 1234 - 25
    assert res.new_accounts[2].cash == 10**12 + 7 * 1234 - 25


def test_maximum_sizes_and_prices():
    accounts = {1: dict(cash=2**70, position=0), 2: dict(cash=2**70, position=0)}
    params = dict(im_bps=100, mm_bps=50, fee_bps=10_000, band_bps=10_000)
    res = run([buy(1, MAX, MAX), sell(2, 1, MAX)], accounts, mark=MAX, params=params)
    assert (res.price, res.volume, res.fills) == (MAX, MAX, [MAX, MAX])
    assert res.fees == [MAX * MAX, MAX * MAX]        # a 100 % fee
    assert res.new_accounts[1].cash == 2**70 - 2 * MAX * MAX
    assert res.band == (1, MAX)


def test_volume_cap_defers_the_latest_filled_order():
    accounts = {a: dict(cash=2**75, position=0) for a in (1, 2, 3)}
    params = dict(im_bps=0, mm_bps=0, fee_bps=0, band_bps=0)
    res = run([buy(1, 100, MAX), buy(2, 100, MAX), sell(3, 100, MAX), sell(3, 100, 5)],
              accounts, params=params)
    # V = min(2·MAX, MAX + 5) ≥ 2^32: the latest filled order (index 3) waits
    assert res.rejected == [(3, f"volume cap: the batch volume {MAX + 5} reaches 2^32 lots")]
    assert (res.volume, res.fills) == (MAX, [2**31, 2**31 - 1, MAX, 0])   # MAX is odd


def test_volume_of_exactly_2_32_is_capped():
    params = dict(im_bps=0, mm_bps=0, fee_bps=0, band_bps=0)
    accounts = {a: dict(cash=2**75, position=0) for a in (1, 2)}
    res = run([buy(1, 100, MAX), sell(2, 100, MAX), buy(1, 100, 1), sell(2, 100, 1)],
              accounts, params=params)
    assert res.rejected == [(3, "volume cap: the batch volume 4294967296 reaches 2^32 lots")]
    assert (res.volume, res.fills) == (MAX, [MAX, MAX, 0, 0])   # buys rationed: ⌊MAX·MAX/2^32⌋+1


def test_new_states_outside_the_circuits_ranges_are_rejected():
    params = dict(im_bps=0, mm_bps=0, fee_bps=0, band_bps=0)
    big = {1: dict(cash=2**80 - 1, position=-5), 2: dict(cash=0, position=2**32 - 5),
           3: dict(cash=2**79, position=0)}
    res = run([sell(1, 100, 1), buy(2, 100, 5), sell(3, 100, 4)], big, params=params)
    assert res.rejected == [
        (0, f"account 1: new cash {2**80 + 99} out of range (|cash| < 2^80)"),
        (1, f"account 2: new position {2**32} out of range (|position| < 2^32)")]
    assert res.volume == 0


def test_maintenance_margin_rejection_and_rematch():
    """Account 1 (short 10, equity 10) buys 5: the position shrinks but equity stays
    below 5 % of the notional, so all its orders go and the book is matched again."""
    accounts = {1: dict(cash=1010, position=-10), 2: dict(RICH), 3: dict(RICH)}
    res = run([buy(1, 101, 5), buy(2, 100, 5), sell(3, 100, 5), sell(1, 120, 1)], accounts)
    assert res.rejected == [(0, "account 1 fails maintenance margin"),
                            (3, "account 1 fails maintenance margin")]
    assert (res.price, res.volume, res.fills) == (100, 5, [0, 5, 5, 0])
    assert res.new_accounts[1] == res.old_accounts[1] and res.participants == [2, 3]


def test_initial_margin_rejection():
    """Equity 30 after selling 5 at 100 meets 5 % maintenance (25) but not 10 % initial (50)."""
    accounts = {1: dict(RICH), 2: dict(cash=30, position=0)}
    res = run([buy(1, 100, 5), sell(2, 100, 5)], accounts, params=dict(PARAMS, fee_bps=0))
    assert res.rejected == [(1, "account 2 fails initial margin")]
    assert (res.price, res.volume, res.fills, res.participants) == (100, 0, [0, 0], [1])
    ok = run([buy(1, 100, 5), sell(2, 100, 5)], {1: dict(RICH), 2: dict(cash=50, position=0)},
             params=dict(PARAMS, fee_bps=0))
    assert ok.rejected == [] and ok.volume == 5      # equity 50 meets 10 % exactly


def test_a_reducing_trade_needs_only_maintenance():
    accounts = {1: dict(RICH), 2: dict(cash=-700, position=10)}   # equity 300, long 10
    res = run([buy(1, 100, 4), sell(2, 100, 4)], accounts, params=dict(PARAMS, fee_bps=0))
    assert res.rejected == [] and res.new_accounts[2].position == 6   # 300 ≥ 5 % of 600


def test_initial_margin_applies_only_when_the_position_grows():
    """Long 5 → short 5 keeps |position|: equity 30 (5 % of 500 is 25, 10 % is 50) passes.
    Long 4 → short 6 grows it: the same equity fails initial margin."""
    params = dict(PARAMS, fee_bps=0)
    flip = run([buy(1, 100, 10), sell(2, 100, 10)], {1: dict(RICH), 2: dict(cash=-470, position=5)},
               params=params)
    assert flip.rejected == [] and flip.new_accounts[2].position == -5
    assert flip.new_accounts[2].cash - 5 * 100 == 30
    grow = run([buy(1, 100, 10), sell(2, 100, 10)], {1: dict(RICH), 2: dict(cash=-370, position=4)},
               params=params)
    assert grow.rejected == [(1, "account 2 fails initial margin")]


def test_basic_rejections_and_strict_mode():
    orders = [dict(buy(1, 100, 5), market=2), buy(1, 100, 0), buy(1, 0, 5), buy(1, 2**32, 5),
              buy(7, 100, 5), buy(1, 100, 2**32), sell(1, 100, 5)]
    res = run(orders, {1: dict(RICH)})
    assert res.rejected == [(0, "market 2 is not this batch's market 1"),
                            (1, "size 0 out of range: must be in [1, 2^32)"),
                            (2, "price 0 out of range: must be in [1, 2^32)"),
                            (3, "price 4294967296 out of range: must be in [1, 2^32)"),
                            (4, "unknown account 7"),
                            (5, "size 4294967296 out of range: must be in [1, 2^32)")]
    with pytest.raises(ValueError, match="^order 1: size 0 out of range"):
        match_batch([orders[6], orders[1]], {1: RICH}, 100, PARAMS, strict=True)
    assert match_batch(orders[6:], {1: RICH}, 100, PARAMS, strict=True).rejected == []


@pytest.mark.parametrize("orders, accounts, mark, params, field", [
    ([buy(1, 100, -1)], {1: RICH}, 100, PARAMS, "order 0: size"),
    ([buy(1, 100, 2.0)], {1: RICH}, 100, PARAMS, "order 0: size must be an integer"),
    ([buy(1, 100, True)], {1: RICH}, 100, PARAMS, "order 0: size must be an integer"),
    ([buy(1, "100", 1)], {1: RICH}, 100, PARAMS, "order 0: price must be an integer"),
    ([dict(buy(1, 100, 1), side="long")], {1: RICH}, 100, PARAMS, "order 0: side"),
    ([dict(buy(1, 100, 1), side=0)], {1: RICH}, 100, PARAMS, "order 0: side"),
    ([dict(side="buy", price=100, size=1)], {1: RICH}, 100, PARAMS,
     "order 0: missing field 'account'"),
    ([buy(-1, 100, 1)], {1: RICH}, 100, PARAMS, "order 0: account"),
    ([dict(buy(1, 100, 1), market=1, market_id=2)], {1: RICH}, 100, PARAMS, "order 0: market"),
    ([], {1: dict(cash=1.5, position=0)}, 100, PARAMS, "account 1: cash"),
    ([], {1: dict(cash=2**80, position=0)}, 100, PARAMS, "account 1: cash"),
    ([], {1: dict(cash=0, position=-2**32)}, 100, PARAMS, "account 1: position"),
    ([], {"1": RICH}, 100, PARAMS, "account id"),
    ([], {1: RICH}, 0, PARAMS, "mark_price"),
    ([], {1: RICH}, 2**32, PARAMS, "mark_price"),
    ([], {1: RICH}, 100.0, PARAMS, "mark_price"),
    ([], {1: RICH}, 100, dict(PARAMS, im_bps=400), "params: im_bps"),
    ([], {1: RICH}, 100, dict(PARAMS, fee_bps=10_001), "params: fee_bps"),
    ([], {1: RICH}, 100, dict(PARAMS, band_bps=-1), "params: band_bps"),
    ([], {1: RICH}, 100, dict(PARAMS, mm_bps=False), "params: mm_bps"),
    ([], {1: RICH}, 100, dict(im_bps=1, mm_bps=1, fee_bps=1), "params: missing field 'band_bps'"),
])
def test_bad_input_is_a_one_line_value_error_naming_the_field(orders, accounts, mark, params,
                                                             field):
    with pytest.raises(ValueError) as info:
        match_batch(orders, accounts, mark, params)
    assert str(info.value).startswith(field) and "\n" not in str(info.value)


def test_dataclass_inputs_and_market_ids():
    ops = [OrderOpening(account=2, market=7, side="buy", price=101, size=4, nonce=1, rho=11),
           OrderOpening(account=1, market=7, side="sell", price=99, size=4, nonce=2, rho=12),
           OrderOpening(account=1, market=8, side="sell", price=99, size=4, nonce=3, rho=13)]
    accounts = [AccountState(account=2, cash=10**9, position=0, blinding=5),
                AccountState(account=1, cash=10**9, position=0, blinding=6)]
    res = match_batch(ops, accounts, 100, MarketParams(7, 1000, 500, 5, 500))
    assert res.rejected == [(2, "market 8 is not this batch's market 7")]
    assert (res.price, res.volume, res.fills) == (100, 4, [4, 4, 0])
    plain = match_batch([buy(1, 100, 1)], {1: RICH}, 100, dict(PARAMS, market_id=3))
    assert plain.rejected == [(0, "market 1 is not this batch's market 3")]
    with pytest.raises(ValueError, match="^account 3: state is for account 1$"):
        match_batch([], {3: accounts[1]}, 100, PARAMS)


def test_deterministic_and_integer_only():
    orders = [buy(1, 101, 5), sell(2, 99, 3), sell(3, 100, 4), buy(4, 100, 9)]
    a, b = run(orders), run(orders)
    assert a == b
    values = [a.price, a.volume, a.demand, a.supply, *a.fills, *a.fees, *a.band]
    values += [x for s in a.new_accounts.values() for x in (s.cash, s.position)]
    assert all(type(v) is int for v in values)


def test_engine_source_has_no_float_arithmetic():
    root = pathlib.Path(__file__).resolve().parents[2] / "ledger" / "exchange"
    for name in ("matching.py", "margin.py"):
        tree = ast.parse((root / name).read_text())
        for node in ast.walk(tree):
            assert not (isinstance(node, ast.Constant) and isinstance(node.value, float)), name
            assert not isinstance(node, (ast.Div, ast.Pow)), f"{name}:{node.lineno}"
            assert not (isinstance(node, ast.Name) and node.id in ("float", "round")), name
            assert not (isinstance(node, ast.Attribute) and node.attr in ("sqrt", "floor")), name


# ------------------------------------------------------------------ the circuit's witness
def _witness_batch():
    orders = [buy(3, 101, 5, nonce=1, rho=21), sell(1, 99, 3, nonce=2, rho=22),
              sell(2, 100, 4, nonce=3, rho=23), buy(9, 100, 1, nonce=4, rho=24)]
    accounts = {3: dict(cash=10**6, position=0, blinding=31), 1: dict(cash=10**6, position=2),
                2: dict(cash=10**6, position=-1, blinding=32), 5: dict(RICH)}
    return match_batch(orders, accounts, 100, PARAMS)


def test_to_witness_slots_and_public_inputs():
    res = _witness_batch()
    assert res.rejected == [(3, "unknown account 9")]
    w = to_witness(res, 12, 4, 4, old_blindings={1: 33}, new_blindings={1: 41, 2: 42, 3: 43})
    assert isinstance(w, BatchWitness)
    assert [o and (o.account, o.nonce, o.rho) for o in w.orders] == [(3, 1, 21), (1, 2, 22),
                                                                     (2, 3, 23), None]
    assert w.fills == [5, 3, 2, 0]
    assert [s and (s.account, s.blinding) for s in w.old_accounts] == [(1, 33), (2, 32), (3, 31),
                                                                       None]
    assert [s and (s.account, s.cash, s.position, s.blinding) for s in w.new_accounts] == [
        (1, 10**6 + 300, -1, 41), (2, 10**6 + 200, -3, 42), (3, 10**6 - 500, 5, 43), None]
    pub = w.public_inputs()
    assert pub[:9] == [1, 12, 100, 100, 5, 1000, 500, 5, 500] and len(pub) == 19 + 16 + 16 + 12
    assert pub[19:21] == [1, 3] and pub[31:35] == [0, 0, 0, 0]
    assert pub[35:37] == [1, 1] and pub[36 + 2] == w.new_accounts[0].commitment()
    assert pub[51:] == [0] * 12                    # no liquidation, deposit or withdrawal


def test_to_witness_fresh_blindings_and_errors():
    res = _witness_batch()
    w1 = res.to_witness(0, 3, 3, old_blindings={1: 33})
    w2 = res.to_witness(0, 3, 3, old_blindings={1: 33})
    assert [s.blinding for s in w1.new_accounts] != [s.blinding for s in w2.new_accounts]
    assert w1.old_accounts == w2.old_accounts and w1.fills == w2.fills
    with pytest.raises(ValueError, match="^account 1: no old blinding"):
        res.to_witness(0, 4, 4)
    with pytest.raises(ValueError, match="do not fit 2 × 4 slots"):
        res.to_witness(0, 2, 4, old_blindings={1: 33})
    with pytest.raises(ValueError, match="^order 0: its opening is for a different order"):
        res.to_witness(0, 4, 4, old_blindings={1: 33}, openings={0: OrderOpening(
            account=3, market=1, side="buy", price=101, size=6, nonce=1, rho=21)})
    bare = match_batch([buy(1, 100, 1), sell(2, 100, 1)], {1: RICH, 2: RICH}, 100, PARAMS)
    with pytest.raises(ValueError, match="^order 0: no opening"):
        bare.to_witness(0, 4, 4)
    with pytest.raises(ValueError, match="^height"):
        res.to_witness(-1, 4, 4, old_blindings={1: 33})
