"""Two soundness fixes of the liquidation slots (4 × 4 circuit), each against a cheating prover.

* The insurance fund pays a deficit only for a position closed in full
  (deficit = z·(−E)·[pos′ = 0]): after a rationed close the account keeps its loss and its
  remaining position, and is liquidated again in a later batch.  Without the factor the fund
  paid E⁻ every batch while the account kept its position (and any later gain).
* Every new position is below 2^32 lots (``POSITION_CAP_BITS``): a closing order and the batch
  volume that fills it must stay below 2^32, so a larger position could never be liquidated.
"""

from dataclasses import replace

import pytest
from forge import forge, tapped
from settlement_cases import PERP, account, assert_valid, order, refuses, settle

from circuits.settlement_data import POSITION_CAP_BITS
from ledger.core.limits import POSITION_BOUND

PENALTY0 = "liquidation: penalty, liquidation slot 0"
CAP = 1 << 32


@pytest.fixture(scope="module")
def sc():
    return tapped(4, 4)


def rationed_close(**kw):
    """M = 100; account 1 is long 10 with cash −1,100 (E = −100, flagged).  The operator's sell
    of 100 at 95 (account 2) and a buy of 1 at 95 (account 3) make P = 95, the fair price
    (S(95) = 110 ≠ D(96) = 0); the one lot sold goes, as R5's remainder lot, to the earlier sell:
    the closing order (sell 10 at the band edge 95) fills 0."""
    return settle([order(2, "sell", 95, 100), order(3, "buy", 95, 1)],
                  [account(1, -1100, 10), account(2, 10**6), account(3, 10**6)],
                  P=95, M=100, params=PERP, liquidate=(0,), insurance_old=1000, **kw)


def test_a_rationed_close_pays_no_deficit(sc):
    w = rationed_close()
    assert w.closing_fills[0] == 0 and w.fills[:2] == [1, 1]
    assert (w.penalties, w.deficits, w.insurance_new) == (0, 0, 1000)
    assert (w.new_accounts[0].cash, w.new_accounts[0].position) == (-1100, 10)
    assert_valid(sc, w)


def test_the_fund_paying_the_deficit_of_an_open_position_is_refused(sc):
    """The reviewer's witness: the fund pays 100 and the account keeps its long 10 at zero
    equity (cash −1,000): the account's new state is not what the slot hands back (no
    deficit).  The fund alone paying (the account's state honest) is refused by the
    insurance rule: the public deficit disagrees with the slot's 0."""
    w = rationed_close()
    paid = replace(w, deficits=100, insurance_new=900)
    forged = replace(paid, new_accounts=[replace(w.new_accounts[0], cash=-1000)]
                     + list(w.new_accounts[1:]))
    refuses(sc, sc.assignment(forged), "A1: account slot 0")
    refuses(sc, sc.assignment(paid), "insurance")


def test_a_forged_closed_bit_cannot_pay_the_deficit(sc):
    """[pos′ = 0] is an is-zero gadget on the new position: a forged inverse hint that claims
    the long 10 is closed is refused by the penalty rule's own rows."""
    w = rationed_close()
    with forge(sc, PENALTY0, "_hint_is_zero", lambda honest, v: 1):
        refuses(sc, sc.assignment(w), PENALTY0)


def test_a_full_close_still_pays_the_deficit(sc):
    """The same account, with a buyer for all 10 at 95: closed in full, E = −150 is paid."""
    w = settle([order(3, "buy", 95, 10)], [account(1, -1100, 10), account(3, 10**6)],
               P=95, M=100, params=PERP, liquidate=(0,), insurance_old=1000)
    assert w.closing_fills[0] == 10
    assert (w.deficits, w.insurance_new) == (150, 850)
    assert (w.new_accounts[0].cash, w.new_accounts[0].position) == (0, 0)
    assert_valid(sc, w)


# ------------------------------------------------------------------ the position cap
def test_the_cap_is_one_definition():
    assert POSITION_BOUND == CAP == 1 << (POSITION_CAP_BITS - 1)


def _reach(start):
    """Account 1 (position ``start``) buys 2^32 − 1 lots from account 2 at P = M = 100."""
    return settle([order(1, "buy", 100, CAP - 1), order(2, "sell", 100, CAP - 1)],
                  [account(1, 10**14, start), account(2, 10**14)], P=100, M=100, params=PERP)


def test_a_position_of_2_to_the_32_minus_1_is_allowed(sc):
    w = _reach(0)
    assert w.new_accounts[0].position == CAP - 1 and w.new_accounts[1].position == 1 - CAP
    assert_valid(sc, w)


def test_a_position_of_2_to_the_32_is_refused(sc):
    w = _reach(1)
    assert w.new_accounts[0].position == CAP
    refuses(sc, sc.assignment(w), "A1: account slot 0")


def test_a_short_of_2_to_the_32_is_refused(sc):
    w = settle([order(1, "buy", 100, CAP - 1), order(2, "sell", 100, CAP - 1)],
               [account(1, 10**14), account(2, 10**14, -1)], P=100, M=100, params=PERP)
    assert w.new_accounts[1].position == -CAP
    refuses(sc, sc.assignment(w), "A1: account slot 1")
