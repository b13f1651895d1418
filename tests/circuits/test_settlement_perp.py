"""The settlement circuit's perpetual-market rules: funding, liquidation, flows, reduce-only,
the insurance fund and the fair price (R7).  Each soundness test starts from a valid 4 × 4
witness (built by the independent helper in settlement_cases), breaks one thing and shows the
circuit refuses it with the rule's label."""

import pytest
from settlement_cases import PERP, account, assert_valid, liquidation, order, refuses, settle

from circuits import settlement_perp, settlement_rules
from circuits.settlement import settlement_circuit
from circuits.builder import CircuitError
from circuits.settlement_data import FUNDING_OFFSET, LIQUIDATION_SLOTS, liquidation_slots
from verifier.fields import R_MOD

@pytest.fixture(scope="module")
def sc():
    c = settlement_circuit(4, 4)
    c.cs = c.compile()
    return c


# ------------------------------------------------------------------ valid batches
def test_liquidation_with_funding_and_penalty(sc):
    w = liquidation()
    assert w.closing_fills[:2] == [10, 0] and w.fills[0] == 10 and w.volume == 10
    closed = w.new_accounts[0]          # −940 − 30 + 1000 = 30, penalty min(10, 30) = 10
    assert (closed.cash, closed.position, closed.funding_index) == (20, 0, 3)
    assert (w.penalties, w.deficits, w.fee_total) == (10, 0, 1)
    assert w.insurance_new == 1000 + 10 + 1 * 2000 // 10_000
    assert w.public_inputs()[12] == 3 + FUNDING_OFFSET
    assert_valid(sc, w)


def test_liquidation_with_a_deficit_paid_by_the_fund(sc):
    w = liquidation(cash=-1020, F=0)    # E = −20 after the close: the fund pays 20
    assert (w.penalties, w.deficits, w.new_accounts[0].cash) == (0, 20, 0)
    assert w.insurance_new == 980
    assert_valid(sc, w)


def test_a_shortfall_is_public_and_empties_the_fund(sc):
    w = liquidation(cash=-1020, F=0, insurance_old=5, shortfall=15)
    assert w.insurance_new == 0
    assert_valid(sc, w)


def test_a_partial_liquidation_leaves_the_rest_for_later(sc):
    """The closing sell at the band edge 95 meets only 4 lots bid at 95: it is rationed."""
    w = liquidation(orders=[order(2, "buy", 95, 4)], P=95)
    assert w.closing_fills[0] == 4 and w.new_accounts[0].position == 6
    assert_valid(sc, w)


def test_funding_settles_for_every_account_in_the_batch(sc):
    w = settle([order(1, "buy", 100, 2), order(2, "sell", 100, 2)],
               [account(1, 10**6, 5, funding=-4), account(2, 10**6, -5, funding=7)],
               P=100, M=100, F=10)
    assert [a.cash for a in w.new_accounts[:2]] == [10**6 - 5 * 14 - 200, 10**6 + 5 * 3 + 200]
    assert_valid(sc, w)


def test_deposits_and_withdrawals(sc):
    w = settle([], [account(1, 1000, 10), account(2, 5)], P=100, M=100,
               deposits={1: 70}, withdrawals={0: 900})
    assert [a.cash for a in w.new_accounts[:2]] == [100, 75]
    assert_valid(sc, w)                 # E = 100 + 1000 ≥ 50 after the withdrawal


def test_reduce_only_allows_positions_to_shrink(sc):
    w = settle([order(1, "sell", 100, 4), order(2, "buy", 100, 4)],
               [account(1, 10**6, 10), account(2, 10**6, -6)], P=100, M=100, reduce_only=1)
    assert_valid(sc, w)


# ------------------------------------------------------------------ soundness
def test_liquidating_a_healthy_account_is_refused(sc):
    w = liquidation(F=0)                # equity 60 ≥ 50 without the funding payment
    refuses(sc, sc.assignment(w),
            "liquidation: below maintenance, liquidation slot 0")


def test_a_penalty_above_the_rule_is_refused(sc):
    w = liquidation(penalties=11, fee_total=1, insurance_new=1011)
    a = w.new_accounts[0]               # the operator takes 11 instead of 10
    asg = sc.assignment(w)
    asg["account0.new"] = account(1, a.cash - 1, 0, tag=(1, w.old_accounts[0].blinding),
                                  funding=3).commitment()
    refuses(sc, asg, "A1: account slot 0")
    asg = sc.assignment(liquidation())  # or a forged case split: penalty = E (30) instead
    asg["penalties"] += 20
    asg["insurance_new"] += 20
    refuses(sc, asg, "insurance")


def test_a_forged_penalty_case_split_is_refused(sc, monkeypatch):
    """A prover claiming E < base takes the whole equity (30) instead of the rule's 10: a
    witness consistent with that claim everywhere else fails the case split's range check."""
    w = liquidation()
    asg = sc.assignment(w)
    a = w.new_accounts[0]
    asg["account0.new"] = account(1, a.cash - 20, 0, tag=(1, w.old_accounts[0].blinding),
                                  funding=3).commitment()
    asg["penalties"] += 20
    asg["insurance_new"] += 20
    monkeypatch.setattr(settlement_perp, "_hint_at_least", lambda e, base: 0)
    refuses(sc, asg, "liquidation: penalty, liquidation slot 0")
    monkeypatch.undo()
    monkeypatch.setattr(settlement_perp, "_hint_negative", lambda e: 0)   # E = −20 < 0
    refuses(sc, sc.assignment(liquidation(cash=-1020, F=0)),
            "liquidation: penalty, liquidation slot 0")


def test_a_wrong_funding_payment_is_refused(sc):
    w = settle([order(1, "buy", 100, 2), order(2, "sell", 100, 2)],
               [account(1, 10**6, 5, funding=-4), account(2, 10**6, -5, funding=7)],
               P=100, M=100, F=10)
    unpaid = settle([order(1, "buy", 100, 2), order(2, "sell", 100, 2)],
                    [account(1, 10**6, 5, funding=10), account(2, 10**6, -5, funding=7)],
                    P=100, M=100, F=10)     # account 1 skips its 70 of funding
    asg = sc.assignment(w)
    asg["account0.new"] = unpaid.new_accounts[0].commitment()
    refuses(sc, asg, "A1: account slot 0")
    asg = sc.assignment(w)              # or claims an old index it did not have
    asg["account0.funding"] = 10
    refuses(sc, asg, "A1: account slot 0")


def test_an_old_funding_index_out_of_range_is_refused(sc):
    asg = sc.assignment(liquidation())
    asg["account1.funding"] = FUNDING_OFFSET
    refuses(sc, asg, "A1: account slot 1")


def test_an_insurance_change_that_disagrees_is_refused(sc):
    for name, delta in (("penalties", 1), ("deficits", -1), ("insurance_new", 1),
                        ("fee_total", 1)):
        asg = sc.assignment(liquidation())
        asg[name] = (asg[name] + delta) % R_MOD
        refuses(sc, asg, "insurance")


def test_a_fund_that_would_go_negative_is_refused(sc):
    w = liquidation(cash=-1020, F=0, insurance_old=5, shortfall=15)
    asg = sc.assignment(w)              # no shortfall declared: the fund would be −15
    asg["shortfall"], asg["insurance_new"] = 0, R_MOD - 15
    refuses(sc, asg, "insurance")
    asg = sc.assignment(liquidation(insurance_old=1000, shortfall=7))
    refuses(sc, asg, "insurance")       # a shortfall while the fund can pay


def test_a_position_that_grows_in_reduce_only_mode_is_refused(sc):
    w = settle([order(1, "buy", 100, 4), order(2, "sell", 100, 4)],
               [account(1, 10**6, 10), account(2, 10**6, -6)], P=100, M=100, reduce_only=1)
    refuses(sc, sc.assignment(w), "A2: reduce-only, account slot 0")


def test_a_withdrawal_that_breaks_margin_is_refused(sc):
    w = settle([], [account(1, -900, 10), account(2, 5)], P=100, M=100, withdrawals={0: 50})
    assert_valid(sc, w)                                   # E = 50: exactly the maintenance
    w = settle([], [account(1, -900, 10), account(2, 5)], P=100, M=100, withdrawals={0: 51})
    refuses(sc, sc.assignment(w), "A2: maintenance margin, account slot 0")  # E = 49 < 50


def test_a_deposit_credited_to_the_wrong_amount_is_refused(sc):
    w = settle([], [account(1, 1000, 10), account(2, 5)], P=100, M=100, deposits={1: 70})
    asg = sc.assignment(w)
    asg["account1.deposit"] = 7
    refuses(sc, asg, "A1: account slot 1")
    asg = sc.assignment(w)
    asg["account1.deposit"] = R_MOD - 1             # a "negative deposit"
    refuses(sc, asg, "flows")


def test_flows_and_liquidations_of_inactive_slots_are_refused(sc):
    for name in ("liquidate", "deposit", "withdraw"):
        asg = sc.assignment(liquidation())
        asg[f"account3.{name}"] = 1
        refuses(sc, asg, "slots")


def test_a_liquidated_account_cannot_trade_or_withdraw(sc):
    w = liquidation(orders=[order(2, "buy", 100, 10), order(1, "buy", 100, 1)],
                    fills=[10, 0], volume=10)
    refuses(sc, sc.assignment(w), "liquidation: closing order, account slot 0")
    w = liquidation(cash=-960, withdrawals={0: 1})   # E_f = 10 < 50: liquidatable
    refuses(sc, sc.assignment(w), "liquidation: closing order, account slot 0")


def test_the_closing_order_fills_by_the_auction_rules(sc):
    asg = sc.assignment(liquidation(orders=[order(2, "buy", 95, 4)], P=95))
    asg["liquidation0.fill"] = 5      # more than the 4 lots bid
    refuses(sc, asg, r"R3\)")


# ------------------------------------------------------------------ R7
def fair_book(P, M=100):
    return settle([order(1, "buy", 103, 5), order(2, "sell", 97, 5)],
                  [account(1, 10**6), account(2, 10**6)], P=P, M=M)


def test_R7_the_feasible_price_nearest_the_mark(sc):
    assert_valid(sc, fair_book(100))    # every p in [97, 103] clears 5 lots
    assert_valid(sc, fair_book(103, M=104))
    assert_valid(sc, fair_book(97, M=96))


@pytest.mark.parametrize("P, M", [(101, 100), (103, 100), (99, 100), (97, 100), (102, 104)])
def test_R7_a_feasible_price_that_is_not_nearest_is_refused(sc, P, M):
    refuses(sc, sc.assignment(fair_book(P, M)), r"R7\)")


def test_R7_the_nearest_price_when_the_mark_is_not_feasible(sc):
    """M = 100: buys 5@104, 6@102 and sells 8@100, 1@101 are feasible only at 102 (V = 9)."""
    orders = [order(1, "buy", 104, 5), order(2, "buy", 102, 6), order(3, "sell", 100, 8),
              order(4, "sell", 101, 1)]
    accounts = [account(i, 10**6) for i in (1, 2, 3, 4)]
    assert_valid(sc, settle(orders, accounts, P=102, M=100))


def test_R7_a_forged_inverse_is_refused(sc, monkeypatch):
    monkeypatch.setattr(settlement_rules, "_hint_inverse", lambda v: 0)
    refuses(sc, sc.assignment(fair_book(103, M=104)), r"R7\)")


# ------------------------------------------------------------------ liquidation slots
def two_liquidations(**kw):
    """Accounts 1 and 3 (slots 0 and 2) long 10 each and liquidatable after F = 3; account 2
    buys their 20 lots at 100."""
    return liquidation(orders=[order(2, "buy", 100, 20)],
                       accounts=[account(1, -940, 10), account(2, 10**6), account(3, -940, 10)],
                       liquidate=(0, 2), **kw)


def _pick(mapping):
    """A cheating prover's selection: liquidation slot i holds the account slots mapping[i]."""
    return lambda i, flags: [int(k in mapping.get(i, ())) for k in range(len(flags))]


def test_two_liquidations_in_two_slots(sc):
    w = two_liquidations()
    assert w.closing_fills[:3] == [10, 0, 10] and w.penalties == 20
    assert_valid(sc, w)


def test_a_liquidation_slot_pointing_to_an_unflagged_account_is_refused(sc, monkeypatch):
    """Slot 0 takes the healthy buyer (slot 1), whose public flag is 0."""
    monkeypatch.setattr(settlement_perp, "_hint_pick", _pick({0: (0,), 1: (1,)}))
    refuses(sc, sc.assignment(liquidation()), "liquidation: slot selection")


def test_an_account_liquidated_outside_a_slot_is_refused(sc, monkeypatch):
    """The flag is public and set, but no liquidation slot holds the account: its closing
    order, penalty and below-maintenance proof would all be skipped."""
    monkeypatch.setattr(settlement_perp, "_hint_pick", _pick({}))
    refuses(sc, sc.assignment(liquidation()), "liquidation: slot selection")
    monkeypatch.undo()
    one = settlement_circuit(4, 4, n_liquidations=1)
    one.cs = one.compile()
    with pytest.raises(CircuitError, match="1 liquidation slots"):
        one.assignment(two_liquidations())
    asg = one.assignment(liquidation(accounts=[account(1, -940, 10), account(2, 10**6),
                                               account(3, 10**6)]))
    asg["account2.liquidate"] = 1          # a second flag, with no slot left for it
    refuses(one, asg, "liquidation: slot selection")


def test_two_liquidation_slots_naming_the_same_account_are_refused(sc, monkeypatch):
    monkeypatch.setattr(settlement_perp, "_hint_pick", _pick({0: (0,), 1: (0,)}))
    refuses(sc, sc.assignment(liquidation()), "liquidation: slot selection")
    monkeypatch.undo()
    asg = sc.assignment(liquidation())     # or a flag of 2 for an account two slots hold
    asg["account0.liquidate"] = 2
    refuses(sc, asg, "slots")


def test_one_liquidation_slot_holding_two_accounts_is_refused(sc, monkeypatch):
    monkeypatch.setattr(settlement_perp, "_hint_pick", _pick({0: (0, 2)}))
    refuses(sc, sc.assignment(two_liquidations()), "liquidation: slot selection")


def test_liquidation_slots_out_of_slot_order_are_refused(sc, monkeypatch):
    """Swapping the two accounts between the slots would let the prover choose which closing
    order comes first (R5 gives remainder lots to the earliest)."""
    monkeypatch.setattr(settlement_perp, "_hint_pick", _pick({0: (2,), 1: (0,)}))
    refuses(sc, sc.assignment(two_liquidations()), "liquidation: slot selection")
    monkeypatch.setattr(settlement_perp, "_hint_pick", _pick({1: (0,)}))   # a gap first
    refuses(sc, sc.assignment(liquidation()), "liquidation: slot selection")


def test_a_batch_liquidates_at_most_the_liquidation_slots():
    assert liquidation_slots(1) == 1 and liquidation_slots(64) == LIQUIDATION_SLOTS == 4
    with pytest.raises(ValueError, match="5 accounts: a batch of 5 account slots liquidates "
                                         "at most 4"):
        settle([], [account(i, -940, 10) for i in range(1, 6)], P=100, M=100, params=PERP,
               F=3, liquidate=range(5), slots=(4, 5))
