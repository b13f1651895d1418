"""The engine's side of two liquidation fixes, each proven by the circuit from the engine's
witness: the fund pays a deficit only once the position is closed in full (a rationed close
leaves the account below maintenance, liquidated again in the next batch), and no position
reaches 2^32 lots (an order that would take it there is refused, nothing changes)."""

import pytest

from circuits.settlement import settlement_circuit
from verifier.errors import BadInput
from ledger.core.limits import POSITION_BOUND
from ledger.exchange import margin as mg
from ledger.exchange.matching import match_batch

PERP = dict(market_id=1, im_bps=1000, mm_bps=500, fee_bps=10, band_bps=500,
            liquidation_bps=100, insurance_bps=2000)
RICH = dict(cash=10**15, position=0)
CAP = 1 << 32


def buy(a, p, q):
    return dict(account=a, side="buy", price=p, size=q, nonce=a, rho=a + 100)


def sell(a, p, q):
    return dict(account=a, side="sell", price=p, size=q, nonce=a, rho=a + 100)


@pytest.fixture(scope="module")
def sc():
    return settlement_circuit(4, 4)


def proves(sc, res, accounts):
    w = res.to_witness(1, 4, 4, old_blindings={a: 7 + a for a in accounts})
    wit = sc.check(sc.assignment(w))
    assert sc.public_values(wit) == w.public_inputs()


def test_a_rationed_close_pays_no_deficit_and_the_next_batch_closes_it(sc):
    """Account 1, long 10 with cash −1,100 at M = 100 (E = −100).  Batch 1: a sell of 100 at 95
    and a buy of 1 at 95 make P = 95 and the one lot goes to the earlier sell, so the closing
    order fills 0: no deficit, the account keeps its long 10 and its loss.  Batch 2: it is
    still below maintenance and is liquidated again; a buyer takes all 10 at 95 and the fund
    pays the deficit of the closed position."""
    accounts = {1: dict(cash=-1100, position=10), 2: RICH, 3: RICH}
    res = match_batch([sell(2, 95, 100), buy(3, 95, 1)], accounts, 100, PERP,
                      liquidate=[1], insurance=1000)
    assert (res.price, res.volume, res.closing_fills) == (95, 1, {1: 0})
    assert res.penalties == {1: 0} and res.deficits == {1: 0}
    assert res.new_accounts[1] == mg.Balance(-1100, 10, 0)
    assert res.insurance_new == 1000 + res.fee_total * 2000 // 10_000
    proves(sc, res, accounts)
    after = {a: dict(cash=b.cash, position=b.position) for a, b in res.new_accounts.items()}
    assert mg.liquidatable(res.new_accounts[1], 0, 100, PERP["mm_bps"])
    res2 = match_batch([buy(3, 95, 10)], after, 100, PERP, liquidate=[1],
                       insurance=res.insurance_new)
    assert (res2.price, res2.closing_fills) == (95, {1: 10})
    assert res2.deficits == {1: 150} and res2.new_accounts[1] == mg.Balance(0, 0, 0)
    assert res2.insurance_new == res.insurance_new - 150 + res2.fee_total * 2000 // 10_000
    proves(sc, res2, after)


def test_a_partial_close_with_positive_equity_pays_its_penalty_on_the_fill_only():
    """Long 10, cash −930 at F = 3 (E_f = 70 − 30 = 40 < 50): a buyer of 4 at 100 takes 4 of
    the 10 lots at P = 95 (the closing sell at the band edge is the marginal order); penalty
    ⌊1 %·4·95⌋ = 3 ≤ E, no deficit, 6 lots stay open (E = −583 + 600 = 17)."""
    res = match_batch([buy(2, 100, 4)], {1: dict(cash=-930, position=10), 2: RICH}, 100, PERP,
                      funding_index=3, liquidate=[1], insurance=0)
    assert res.price == 95 and res.closing_fills == {1: 4}
    assert res.penalties == {1: 3} and res.deficits == {1: 0}
    assert res.new_accounts[1] == mg.Balance(-930 - 30 + 380 - 3, 6, 3)


def test_the_deficit_rule_needs_a_closed_position():
    assert mg.liquidation_outcome(mg.Balance(-700, 6), 100, 4, 95, 100) == (0, 0)
    assert mg.liquidation_outcome(mg.Balance(-100, 0), 100, 4, 95, 100) == (0, 100)


# ------------------------------------------------------------------ the position cap
def test_the_bound_is_2_to_the_32():
    assert POSITION_BOUND == CAP


def test_a_position_of_2_to_the_32_minus_1_settles_and_proves(sc):
    accounts = {1: RICH, 2: RICH}
    res = match_batch([buy(1, 100, CAP - 1), sell(2, 100, CAP - 1)], accounts, 100, PERP)
    assert res.rejected == [] and res.new_accounts[1].position == CAP - 1
    proves(sc, res, accounts)


@pytest.mark.parametrize("start, side", [(1, "buy"), (-1, "sell")])
def test_an_order_that_takes_a_position_to_2_to_the_32_is_refused(start, side):
    """Nothing settles: the order is rejected with a one-line reason, no account changes."""
    accounts = {1: dict(cash=10**15, position=start), 2: RICH}
    mine, theirs = (buy, sell) if side == "buy" else (sell, buy)
    res = match_batch([mine(1, 100, CAP - 1), theirs(2, 100, CAP - 1)], accounts, 100, PERP)
    assert res.rejected[0] == (0, f"account 1: new position {start * CAP} out of range "
                                  "(|position| < 2^32)")
    assert res.volume == 0 and res.fills == [0, 0]
    assert res.new_accounts == res.old_accounts


def test_a_stored_position_of_2_to_the_32_is_refused():
    with pytest.raises(BadInput, match="^account 1: position = 4294967296 out of range"):
        match_batch([], {1: dict(cash=0, position=CAP)}, 100, PERP)
