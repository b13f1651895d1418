"""The settlement circuit's account rules: A1 (state openings, fills and fees, ranges) and A2
(margins).  Each test breaks one thing in an otherwise valid 4 × 4 witness."""

import pytest
from settlement_cases import account, assert_valid, base_batch, order, refuses, settle

from circuits import poseidon, settlement
from circuits.settlement import settlement_circuit
from circuits.settlement_data import CASH_OFFSET, POSITION_CAP_BITS, POSITION_OFFSET, MarketParams
from verifier.fields import R_MOD


@pytest.fixture(scope="module")
def sc():
    c = settlement_circuit(4, 4)
    c.cs = c.compile()
    return c



# ------------------------------------------------------------------ A1, A2
def test_A1_old_state_opens(sc):
    asg = sc.assignment(base_batch())
    asg["account2.blinding"] += 1
    refuses(sc, asg, "A1: account slot 2")


def test_A1_new_state_follows_the_fills_and_fees(sc):
    w = base_batch()
    asg = sc.assignment(w)
    a = w.new_accounts[0]                          # cash one unit off
    wrong = poseidon.hash([a.account, a.cash + 1 + CASH_OFFSET, a.position + POSITION_OFFSET,
                           a.blinding])
    asg["account0.new"] = wrong
    refuses(sc, asg, "A1: account slot 0")


def test_A1_fees_are_charged(sc):
    orders = [order(1, "buy", 1000, 50), order(2, "sell", 1000, 50)]
    accounts = [account(1, 10**6), account(2, 10**6)]
    w = settle(orders, accounts, P=1000, M=1000)
    assert w.new_accounts[0].cash == 10**6 - 50_000 - 50      # fee 10 bps of 50 000
    assert_valid(sc, w)
    free = settle(orders, accounts, P=1000, M=1000, params=MarketParams(7, 1000, 500, 0, 500))
    asg = sc.assignment(w)
    asg["account0.new"] = free.new_accounts[0].commitment()   # same blinding, no fee
    refuses(sc, asg, "A1: account slot 0")


def test_A1_a_forged_fee_hint_is_refused(sc, monkeypatch):
    orders = [order(1, "buy", 1000, 50), order(2, "sell", 1000, 50)]
    w = settle(orders, [account(1, 10**6), account(2, 10**6)], P=1000, M=1000)
    monkeypatch.setattr(settlement, "_hint_fee", lambda nf: nf // 10_000 - 1 if nf else 0)
    refuses(sc, sc.assignment(w), "A1: fees")


@pytest.mark.parametrize("forge", [
    lambda nf: nf // 10_000 + 1,                                        # fraction negative
    lambda nf: (nf - nf % 10_000 - 1) * pow(10_000, -1, R_MOD) % R_MOD,  # fee not an integer
])
def test_A1_a_fee_off_by_a_fraction_is_refused(sc, monkeypatch, forge):
    orders = [order(1, "buy", 1009, 50), order(2, "sell", 1009, 50)]
    w = settle(orders, [account(1, 10**6), account(2, 10**6)], P=1009, M=1009)
    assert w.new_accounts[0].cash == 10**6 - 50_450 - 50          # f·P·fee = 504 500
    assert_valid(sc, w)
    monkeypatch.setattr(settlement, "_hint_fee", lambda nf: forge(nf) if nf else 0)
    refuses(sc, sc.assignment(w), "A1: fees")


def test_A1_position_stays_in_range(sc):
    """A new position stays below 2^32 lots (``POSITION_CAP_BITS``; docs/perpetual.md)."""
    top = (1 << (POSITION_CAP_BITS - 1)) - 1
    orders = [order(1, "buy", 100, 1), order(2, "sell", 100, 1)]
    w = settle(orders, [account(1, 10**9, top - 1), account(2, 10**9)], P=100, M=100)
    assert_valid(sc, w)
    w = settle(orders, [account(1, 10**9, top), account(2, 10**9)], P=100, M=100,
               fills=[0, 0], volume=0)             # a valid witness to tamper with
    asg = sc.assignment(w)
    asg["order0.fill"] = asg["order1.fill"] = asg["V"] = 1
    new = w.new_accounts[0]                        # position would become 2^32
    asg["account0.new"] = poseidon.hash([1, new.cash - 100 + CASH_OFFSET,
                                         top + 1 + POSITION_OFFSET, new.blinding])
    refuses(sc, asg, "A1: account slot 0")


def test_A1_cash_stays_in_range(sc):
    top = CASH_OFFSET - 1
    orders = [order(1, "buy", 100, 1), order(2, "sell", 100, 1)]
    params = MarketParams(7, im_bps=1000, mm_bps=500, fee_bps=0, band_bps=500)
    assert_valid(sc, settle(orders, [account(1, 10**6), account(2, top - 100)], P=100, M=100,
                            params=params))
    w = settle(orders, [account(1, 10**6), account(2, top - 99)], P=100, M=100, params=params,
               fills=[0, 0], volume=0)             # a valid witness to tamper with
    asg = sc.assignment(w)
    asg["order0.fill"] = asg["order1.fill"] = asg["V"] = 1
    new = w.new_accounts[1]                        # cash would become 2^80
    asg["account1.new"] = poseidon.hash([2, top + 1 + CASH_OFFSET, -1 + POSITION_OFFSET,
                                         new.blinding])
    refuses(sc, asg, "A1: account slot 0")        # account 1's slot sees the fill first
    asg["account0.new"] = settle(orders, [account(1, 10**6), account(2, top - 100)], P=100,
                                 M=100, params=params).new_accounts[0].commitment()
    refuses(sc, asg, "A1: account slot 1")


def margin_batch(cash, position=0):
    """Account 1 buys 9 at P = M = 100 without fees: cash − 900, position + 9."""
    params = MarketParams(7, im_bps=1000, mm_bps=500, fee_bps=0, band_bps=500)
    return settle([order(1, "buy", 100, 9), order(2, "sell", 100, 9)],
                  [account(1, cash, position), account(2, 10**6)], P=100, M=100, params=params)


def test_A2_maintenance_margin(sc):
    # position 0 → 9, notional 900: E = cash; maintenance 45, initial 90
    refuses(sc, sc.assignment(margin_batch(44)), "A2: maintenance margin, account slot 0")
    refuses(sc, sc.assignment(margin_batch(-5)), "A2: maintenance margin, account slot 0")


def test_A2_initial_margin_when_the_position_grows(sc):
    refuses(sc, sc.assignment(margin_batch(89)), "A2: initial margin, account slot 0")
    assert_valid(sc, margin_batch(90))             # exactly at the initial margin


def test_A2_only_maintenance_when_the_position_shrinks(sc):
    # short 18 → short 9: E = cash − 900 − 900; E = 60 is above 45 and below 90
    assert_valid(sc, margin_batch(1860, position=-18))
    refuses(sc, sc.assignment(margin_batch(1844, position=-18)),
            "A2: maintenance margin, account slot 0")
