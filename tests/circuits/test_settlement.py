"""The batch-settlement circuit: valid batches pass; breaking any one rule names that rule.

Each "break" test starts from a valid witness, changes one thing (in the
assignment, bypassing the native data types' checks, or in a witness the
native helper builds without margin/band checks) and shows that the circuit
refuses with the rule's label.  The account rules A1/A2 are in
test_settlement_accounts.py, proofs in test_settlement_proof.py.
"""

import pytest
from settlement_cases import account, assert_valid, base_batch, order, refuses, settle

from circuits import settlement, settlement_rules
from circuits.builder import CircuitError
from circuits.settlement import SettlementCircuit, settlement_circuit
from circuits.settlement_data import MarketParams, public_names
from verifier.fields import R_MOD


@pytest.fixture(scope="module")
def sc():
    c = settlement_circuit(4, 4)
    c.cs = c.compile()
    return c


# ------------------------------------------------------------------ shape and cost
def test_public_inputs_are_in_the_spec_order(sc):
    names = sc.public_names
    assert names[:9] == ("market_id", "height", "P", "M", "V", "im_bps", "mm_bps", "fee_bps",
                         "band_bps")
    assert names[9:19] == ("liquidation_bps", "insurance_bps", "reduce_only", "funding_index",
                           "fee_total", "penalties", "deficits", "shortfall", "insurance_old",
                           "insurance_new")
    assert names[19:23] == ("order0.active", "order0.account", "order0.cx", "order0.cy")
    assert names[19 + 16:19 + 20] == ("account0.active", "account0.id", "account0.old",
                                      "account0.new")
    assert names[19 + 32:19 + 35] == ("account0.liquidate", "account0.deposit",
                                      "account0.withdraw")
    assert len(names) == sc.n_public == 19 + 4 * 4 + 4 * 4 + 3 * 4
    assert names == public_names(4, 4)


def test_gate_budget():
    small = settlement_circuit(4, 4)
    assert small.n_gates <= 1 << 15                  # a 2^15 domain
    big = settlement_circuit(16, 16)
    assert big.n_gates / 16 <= 10_000                # per (order, account) pair


def test_bad_sizes_and_witness_shapes(sc):
    for n in (0, -1, True, 2.0, settlement.MAX_SLOTS + 1):
        with pytest.raises(CircuitError, match="n_orders"):
            SettlementCircuit(n, 4)
    w = base_batch(slots=(5, 4))
    with pytest.raises(CircuitError, match="5 × 4 slots"):
        sc.assignment(w)
    with pytest.raises(CircuitError, match="BatchWitness"):
        sc.assignment({"P": 1})
    assert settlement.assignment(base_batch()) == sc.assignment(base_batch())


# ------------------------------------------------------------------ valid batches
def test_reference_batch_satisfies_the_circuit(sc):
    w = base_batch()
    assert w.fills == [5, 3, 1, 9] and w.volume == 9        # independent of the helper
    assert_valid(sc, w)


def test_all_slots_inactive(sc):
    w = settle([], [], P=100, M=100)
    assert w.public_inputs()[19:] == [0] * 44
    assert_valid(sc, w)


def test_accounts_without_orders_only_rerandomise(sc):
    w = settle([], [account(3, 50), account(8, -20, 1)], P=100, M=100)
    assert [(a.cash, a.position) for a in w.new_accounts[:2]] == [(50, 0), (-20, 1)]
    assert w.new_accounts[0].commitment() != w.old_accounts[0].commitment()
    assert_valid(sc, w)


def test_no_cross(sc):
    w = settle([order(1, "buy", 90, 4), order(2, "sell", 110, 4)],
               [account(1, 10**6), account(2, 10**6)], P=100, M=100)
    assert w.volume == 0 and w.fills[:2] == [0, 0]
    assert_valid(sc, w)


def test_one_side_empty(sc):
    w = settle([order(1, "buy", 100, 4), order(2, "buy", 95, 1)],
               [account(1, 10**6), account(2, 1)], P=100, M=100)
    assert w.volume == 0
    assert_valid(sc, w)


def test_trader_on_both_sides(sc):
    w = settle([order(1, "buy", 100, 5), order(1, "sell", 100, 3, nonce=1),
                order(2, "sell", 100, 2)], [account(1, 10**6), account(2, 10**6)], P=100, M=100)
    assert w.fills[:3] == [5, 3, 2] and w.new_accounts[0].position == 2
    assert_valid(sc, w)


def test_sell_side_rationed_with_remainder_lots_to_the_earliest(sc):
    orders = [order(1, "sell", 50, 1), order(2, "sell", 50, 1), order(3, "sell", 50, 1),
              order(4, "buy", 51, 2)]
    w = settle(orders, [account(i, 10**6) for i in (1, 2, 3, 4)], P=50, M=50)
    assert w.fills == [1, 1, 0, 2]
    assert_valid(sc, w)


def test_maximum_sizes_prices_and_rates(sc):
    top = (1 << 32) - 1
    params = MarketParams(market_id=(1 << 16) - 1, im_bps=10_000, mm_bps=10_000,
                          fee_bps=10_000, band_bps=10_000)
    big = 1 << 79
    orders = [order(1, "buy", top, top, nonce=(1 << 64) - 1, market=params.market_id),
              order((1 << 40) - 1, "sell", top, top, market=params.market_id)]
    w = settle(orders, [account(1, big), account((1 << 40) - 1, big)], P=top, M=top,
               params=params, height=(1 << 64) - 1)
    assert w.fills[:2] == [top, top]
    assert_valid(sc, w)


# ------------------------------------------------------------------ O1 and slots
def test_O1_order_must_open_its_commitment(sc):
    asg = sc.assignment(base_batch())
    asg["order1.nonce"] += 1
    refuses(sc, asg, "O1: pedersen: opening equals C")


def test_O1_order_account_is_the_slot_account(sc):
    asg = sc.assignment(base_batch())
    asg["order1.account"] = 4                      # another active account
    refuses(sc, asg, "O1")


def test_O1_market_is_the_batch_market(sc):
    w = settle([order(1, "buy", 100, 1, market=8), order(2, "sell", 100, 1)],
               [account(1, 10**6), account(2, 10**6)], P=100, M=100)
    refuses(sc, sc.assignment(w), "O1: pedersen: opening equals C")


def three_orders():
    return settle([order(1, "buy", 100, 2), order(2, "sell", 100, 2), None, order(1, "buy", 99, 1)],
                  [account(1, 10**6), account(2, 10**6)], P=100, M=100)


def test_slots_inactive_order_slot_has_zero_public_fields(sc):
    assert_valid(sc, three_orders())
    for name, value in (("account", 1), ("cx", 5), ("cy", 1)):
        asg = sc.assignment(three_orders())
        asg[f"order2.{name}"] = value
        refuses(sc, asg, "slots")


def test_slots_inactive_order_slot_carries_no_fill(sc):
    asg = sc.assignment(three_orders())
    asg["order2.fill"] = 1
    refuses(sc, asg, "slots")


def test_slots_inactive_account_slot_has_zero_public_fields(sc):
    for name in ("id", "old", "new"):
        asg = sc.assignment(three_orders())
        asg[f"account3.{name}"] = 5
        refuses(sc, asg, "slots")


def test_slots_active_flags_are_boolean(sc):
    for name in ("account3.active", "order2.active"):
        asg = sc.assignment(three_orders())
        asg[name] = 2
        refuses(sc, asg, "slots")


def test_slots_account_ids_strictly_increase(sc):
    asg = sc.assignment(base_batch())
    for n in ("active", "id", "old", "new", "cash", "position", "blinding", "new_blinding"):
        asg[f"account0.{n}"], asg[f"account1.{n}"] = asg[f"account1.{n}"], asg[f"account0.{n}"]
    refuses(sc, asg, "slots")


def test_slots_inactive_account_slots_may_sit_between_active_ones(sc):
    w = settle([order(5, "buy", 100, 2), order(9, "sell", 100, 2)],
               [None, account(5, 10**6), None, account(9, 10**6)], P=100, M=100)
    assert_valid(sc, w)


def test_slots_every_active_order_has_an_active_account_slot(sc):
    w = settle([order(1, "buy", 100, 2), order(9, "sell", 100, 2)],
               [account(1, 10**6), account(2, 10**6)], P=100, M=100)
    refuses(sc, sc.assignment(w), "slots")
    asg = sc.assignment(base_batch())              # deactivate account 4's slot
    for n in ("active", "id", "old", "new"):
        asg[f"account3.{n}"] = 0
    refuses(sc, asg, "slots")


def test_slots_a_forged_match_hint_is_refused(sc, monkeypatch):
    """Book order 0 (account 1) on account slot 1 (account 2) instead."""
    honest = settlement._hint_match

    def forged(a_order, acct, a_slot, slot_id):
        if acct == 1:
            return int(slot_id == 2)
        return honest(a_order, acct, a_slot, slot_id)

    monkeypatch.setattr(settlement, "_hint_match", forged)
    refuses(sc, sc.assignment(base_batch()), "slots")


def test_slots_an_order_of_account_0_cannot_use_an_inactive_slot(sc, monkeypatch):
    """Inactive account slots have id 0; the active flag, not the id, keeps account 0 out."""
    w = settle([order(0, "buy", 100, 2), order(2, "sell", 100, 2)],
               [account(0, 10**6), account(2, 10**6), account(3, 1), account(5, 1)],
               P=100, M=100)
    assert_valid(sc, w)
    asg = sc.assignment(w)
    for n in ("active", "id", "old", "new"):
        asg[f"account0.{n}"] = 0
    refuses(sc, asg, "slots")
    honest = settlement._hint_match               # a hint booking it on the inactive slot anyway
    monkeypatch.setattr(settlement, "_hint_match",
                        lambda a, acct, a_slot, ident: int(a == 1 and ident == 0)
                        if acct == 0 else honest(a, acct, a_slot, ident))
    refuses(sc, asg, "slots")


# ------------------------------------------------------------------ R1–R6
def test_R1_fill_at_most_size(sc):
    asg = sc.assignment(base_batch())
    asg["order2.fill"] = 4                         # size 3
    refuses(sc, asg, r"R1\)")


def test_R1_fill_is_not_negative(sc):
    asg = sc.assignment(base_batch())
    asg["order0.fill"] = R_MOD - 1
    refuses(sc, asg, r"R1\)")


def test_R1_no_fill_on_the_wrong_side_of_P(sc):
    w = settle([order(1, "buy", 100, 2), order(2, "sell", 100, 2), order(3, "buy", 98, 1)],
               [account(i, 10**6) for i in (1, 2, 3)], P=100, M=100)
    assert_valid(sc, w)
    asg = sc.assignment(w)
    asg["order2.fill"] = 1
    refuses(sc, asg, r"R1\)")


def test_R2_in_the_money_orders_fill_in_full(sc):
    asg = sc.assignment(base_batch())
    asg["order0.fill"], asg["order1.fill"] = 4, 4    # volume still 9 on each side
    refuses(sc, asg, r"R2\)")


def test_R3_fills_sum_to_the_volume(sc):
    asg = sc.assignment(base_batch())
    asg["V"] += 1
    refuses(sc, asg, r"R3\)")


def test_R4_short_side_fills_in_full(sc):
    orders = [order(1, "buy", 100, 10), order(2, "sell", 100, 10)]
    accounts = [account(1, 10**6), account(2, 10**6)]
    assert_valid(sc, settle(orders, accounts, P=100, M=100))
    refuses(sc, sc.assignment(settle(orders, accounts, P=100, M=100, fills=[5, 5], volume=5)),
            r"R4\)")


def test_R4_no_trade_means_P_equals_M(sc):
    orders = [order(1, "buy", 90, 4), order(2, "sell", 110, 4)]
    accounts = [account(1, 10**6), account(2, 10**6)]
    refuses(sc, sc.assignment(settle(orders, accounts, P=101, M=100)), r"R4\)")


def test_R5_remainder_lot_goes_to_the_earliest_slot(sc):
    refuses(sc, sc.assignment(base_batch(fills=[5, 2, 2, 9])), r"R5\)")


def test_R5_pro_rata_shares(sc):
    refuses(sc, sc.assignment(base_batch(fills=[5, 1, 3, 9])), r"R5\)")
    refuses(sc, sc.assignment(base_batch(fills=[5, 4, 0, 9])), r"R5\)")


def test_R5_a_forged_extra_lot_hint_is_refused(sc, monkeypatch):
    monkeypatch.setattr(settlement_rules, "_hint_extra", lambda *v: 0)
    refuses(sc, sc.assignment(base_batch()), r"R5\)")


def test_R5_a_remainder_lot_cannot_replace_a_floor_lot(sc, monkeypatch):
    """Fills 2, 2 of R = 4 as floors 1, 1 plus two extra lots: slot 1's remainder is too big."""
    monkeypatch.setattr(settlement_rules, "_hint_extra", lambda f_at, q_r, dn: int(f_at > 0))
    refuses(sc, sc.assignment(base_batch(fills=[5, 2, 2, 9])), r"R5\)")


def test_R6_circuit_breaker(sc):
    assert_valid(sc, base_batch())                 # |100 − 101|·10⁴ ≤ 500·101
    refuses(sc, sc.assignment(settle([], [], P=100, M=95)), r"R6\)")   # 5·10⁴ > 500·95
    assert_valid(sc, settle([], [], P=100, M=100))
    w = settle([order(1, "buy", 105, 1), order(2, "sell", 105, 1)],
               [account(1, 10**6), account(2, 10**6)], P=105, M=100)
    assert_valid(sc, w)                            # 5·10⁴ ≤ 500·100: the band's edge
    w = settle([order(1, "buy", 106, 1), order(2, "sell", 106, 1)],
               [account(1, 10**6), account(2, 10**6)], P=106, M=100)
    refuses(sc, sc.assignment(w), r"R6\)")


def test_params_are_range_checked(sc):
    for name, value in (("im_bps", 10_001), ("fee_bps", R_MOD - 1), ("mm_bps", 1001),
                        ("P", 0), ("M", 1 << 32)):
        asg = sc.assignment(settle([], [], P=100, M=100))
        asg[name] = value
        refuses(sc, asg, "params")
