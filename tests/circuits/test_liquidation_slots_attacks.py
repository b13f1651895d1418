"""An operator with a malicious witness against the liquidation slots (4 × 4 circuit, λ = 4).

Each test starts from a batch the honest prover can prove, lets a cheating prover choose some
hint values (``forge``: the same gates, other values) or inputs, and shows the circuit refuses
the witness, naming the rule.  The cheats: a slot reading another account, non-boolean or
fractional selection bits, a slot holding an unflagged account, an account just at
maintenance, a flat account, a closing order of the wrong side / limit / size / fill, a forged
"at P" flag, a penalty or deficit off the rule (including a floor off by a field fraction), an
empty slot that fills, charges or pays, the insurance fund with every slot empty, and the
waiver of A2 for an account that is not in a slot."""

from contextlib import ExitStack

import pytest
from forge import forge, same_gates, tapped
from settlement_cases import PERP, account, assert_valid, liquidation, order, refuses, settle

from circuits import UnsatisfiedError
from circuits.settlement import settlement_circuit
from circuits.settlement_data import BPS
from verifier.fields import R_MOD

PENALTY0 = "liquidation: penalty, liquidation slot 0"
SELECT = "liquidation: slot selection"


@pytest.fixture(scope="module")
def sc():
    return tapped(4, 4)


def pick(mapping):
    """A selection forged for liquidation slot i (``mapping[i]``: account slot → value)."""
    def fn(i):
        return lambda honest, *flags: [mapping.get(i, {}).get(k, 0) for k in range(len(flags))]
    return fn


def forged_pick(sc, mapping):
    """A context: every liquidation slot's selection bits are ``mapping``'s."""
    stack = ExitStack()
    make = pick(mapping)
    for i in range(sc.n_liquidations):
        stack.enter_context(forge(sc, SELECT, "_hint_pick", make(i), nth=i))
    return stack


def two_liquidations(**kw):
    """Account slots 0 and 2 (accounts 1 and 3) long 10 with cash −940: liquidatable after
    F = 3; account 2 buys their 20 lots at 100."""
    return liquidation(orders=[order(2, "buy", 100, 20)],
                       accounts=[account(1, -940, 10), account(2, 10**6), account(3, -940, 10)],
                       liquidate=(0, 2), **kw)


def assert_refused_by_booleanity(sc, asg):
    """The first failing row is a selection bit's x·x − x = 0."""
    with pytest.raises(UnsatisfiedError) as err:
        sc.check(asg, sc.cs)
    cs, row = sc.cs, err.value.row
    assert cs.labels[row] == SELECT
    assert (cs.a[row] == cs.b[row] and cs.qm[row] == 1 and cs.ql[row] == R_MOD - 1
            and cs.qr[row] == cs.qo[row] == cs.qc[row] == 0)


# ------------------------------------------------------------------ the tool itself
def test_the_cheating_prover_has_the_honest_gates(sc):
    assert same_gates(sc, settlement_circuit(4, 4))
    assert_valid(sc, liquidation())
    assert_valid(sc, two_liquidations())
    with forged_pick(sc, {0: {0: 1}}):          # the honest selection, through the tool
        assert_valid(sc, liquidation())


# ------------------------------------------------------------------ selection
def test_a_flag_on_a_healthy_account_with_the_slot_reading_an_unhealthy_one(sc):
    """Account slot 2 (healthy, long 10 with cash 10⁶) is flagged; the slot would read account
    slot 0 (unhealthy, unflagged) so that the below-maintenance proof passes."""
    w = liquidation(accounts=[account(1, -940, 10), account(2, 10**6), account(3, 10**6, 10)],
                    orders=[order(2, "buy", 100, 10)], liquidate=(2,))
    refuses(sc, sc.assignment(w), "liquidation: below maintenance, liquidation slot 0")
    with forged_pick(sc, {0: {0: 1}}):
        refuses(sc, sc.assignment(w), SELECT)


def test_non_boolean_selection_bits_are_refused(sc):
    """Slot 0 = 2·(slot 0) − (slot 2), slot 1 = 2·(slot 2) − (slot 0): every row sum is 1, every
    column sum equals the flag and the slot order holds, so only booleanity refuses the mix
    (without it this witness is accepted)."""
    with forged_pick(sc, {0: {0: 2, 2: R_MOD - 1}, 1: {0: R_MOD - 1, 2: 2}}):
        assert_refused_by_booleanity(sc, sc.assignment(two_liquidations()))


def test_fractional_selection_bits_are_refused(sc):
    """Slot 0 = ¾·(slot 0) + ¼·(slot 2), slot 1 = ¼·(slot 0) + ¾·(slot 2): row and column sums
    are 1 and idx₁ − idx₀ − 1 = 0, so again only booleanity refuses it."""
    q = pow(4, -1, R_MOD)
    with forged_pick(sc, {0: {0: 3 * q % R_MOD, 2: q}, 1: {0: q, 2: 3 * q % R_MOD}}):
        assert_refused_by_booleanity(sc, sc.assignment(two_liquidations()))


def test_a_slot_holding_an_account_whose_flag_is_0_is_refused(sc):
    """A plain trade batch (no flag): slot 0 takes account slot 0 and would close it."""
    w = settle([order(1, "buy", 100, 5), order(2, "sell", 100, 5)],
               [account(1, 10**6), account(2, 10**6)], P=100, M=100, params=PERP)
    assert_valid(sc, w)
    with forged_pick(sc, {0: {0: 1}}):
        refuses(sc, sc.assignment(w), SELECT)


def test_a_flag_of_2_cannot_make_two_slots_hold_one_account(sc):
    asg = sc.assignment(liquidation())
    asg["account0.liquidate"] = 2
    with forged_pick(sc, {0: {0: 1}, 1: {0: 1}}):
        refuses(sc, asg, "slots")


# ------------------------------------------------------------------ below maintenance
def test_an_account_exactly_at_maintenance_cannot_be_liquidated(sc):
    """cash −920, F = 3: E_f = 50 = maintenance (10 · 100 · 5 %); one less and it can."""
    refuses(sc, sc.assignment(liquidation(cash=-920)),
            "liquidation: below maintenance, liquidation slot 0")
    assert_valid(sc, liquidation(cash=-921))


def test_a_flat_account_is_liquidated_only_with_negative_equity(sc):
    """Position 0: need = 0, so only E_f < 0 qualifies; its deficit comes out of the fund."""
    def flat(cash):
        return settle([], [account(1, cash), account(2, 10**6)], P=100, M=100, params=PERP,
                      liquidate=(0,), insurance_old=100)
    for cash in (0, 7):
        refuses(sc, sc.assignment(flat(cash)),
                "liquidation: below maintenance, liquidation slot 0")
    w = flat(-7)
    assert (w.deficits, w.insurance_new, w.new_accounts[0].cash) == (7, 93, 0)
    assert_valid(sc, w)


# ------------------------------------------------------------------ the closing order
def test_a_closing_order_on_the_wrong_side_is_refused(sc):
    """The sign of the slot's position is a hint: claiming the long 10 is short would make the
    closing order a buy (growing the position)."""
    w = liquidation()
    with forge(sc, "liquidation: below maintenance, liquidation slot 0", "_hint_negative",
               lambda honest, v: 1 - honest(v)):
        refuses(sc, sc.assignment(w), "liquidation: below maintenance, liquidation slot 0")


@pytest.mark.parametrize("shift", [1, -1, pow(BPS, -1, R_MOD), R_MOD - pow(BPS, -1, R_MOD)])
def test_a_closing_limit_off_the_band_edge_is_refused(sc, shift):
    """δ = ⌊band·M/10⁴⌋ is a hint: off by one, or by a field fraction 1/10⁴ that keeps the
    remainder window, it moves both band edges (the closing orders' limits)."""
    with forge(sc, "params", "_hint_floor_bps", lambda honest, v: (honest(v) + shift) % R_MOD):
        refuses(sc, sc.assignment(liquidation()), "params")


def test_a_forged_at_P_flag_on_a_closing_order_is_refused(sc):
    """The closing sell at 95 is in the money at P = 100, so it fills in full; "at P" would let
    it be rationed (and keep the position, under the A2 waiver)."""
    label = "liquidation: closing order, liquidation slot 0"
    for nth, forged in ((0, 1), (1, 1)):          # [size = 0] and [limit = P]
        with forge(sc, label, "_hint_is_zero", lambda honest, v, f=forged: f, nth=nth):
            refuses(sc, sc.assignment(liquidation()), label)


def test_a_closing_order_that_fills_less_than_its_size_in_the_money_is_refused(sc):
    asg = sc.assignment(liquidation(orders=[order(2, "buy", 100, 10)]))
    asg["liquidation0.fill"] = 9
    refuses(sc, asg, "R2")


def test_a_closing_order_that_flips_the_position_is_refused(sc):
    """Selling 11 of a long 10 (a buyer for 11 is there): the open size 10 − 11 < 0."""
    asg = sc.assignment(liquidation(orders=[order(2, "buy", 100, 11)]))
    asg["liquidation0.fill"] = 11
    asg["order0.fill"] = 11
    asg["V"] = 11
    refuses(sc, asg, "R1")


# ------------------------------------------------------------------ penalty and deficit
@pytest.mark.parametrize("shift", [1, -1, pow(BPS, -1, R_MOD), R_MOD - pow(BPS, -1, R_MOD)])
def test_a_penalty_base_off_the_floor_is_refused(sc, shift):
    """base = ⌊liq·fill·P/10⁴⌋ has no range check of its own: a base off by the field fraction
    ±1/10⁴ keeps x − 10⁴·base in [0, 10⁴) (here x = 10⁵, remainder 0 → 1 for −1/10⁴) and is
    refused by the case split's small window; ±1 by the floor's windows."""
    with forge(sc, PENALTY0, "_hint_floor_bps", lambda honest, v: (honest(v) + shift) % R_MOD):
        refuses(sc, sc.assignment(liquidation()), PENALTY0)


def test_the_full_base_when_the_equity_is_smaller_is_refused(sc):
    """cash −965: E = 5 after the close, below base = 10: the penalty is 5, not 10."""
    w = liquidation(cash=-965)
    assert (w.penalties, w.new_accounts[0].cash) == (5, 0)
    assert_valid(sc, w)
    with forge(sc, PENALTY0, "_hint_at_least", lambda honest, e, b: 1):
        refuses(sc, sc.assignment(w), PENALTY0)


def test_a_deficit_claimed_for_positive_equity_is_refused(sc):
    with forge(sc, PENALTY0, "_hint_negative", lambda honest, e: 1):
        refuses(sc, sc.assignment(liquidation()), PENALTY0)


# ------------------------------------------------------------------ empty slots
@pytest.mark.parametrize("slot", [1, 3])
def test_an_empty_slot_cannot_fill(sc, slot):
    asg = sc.assignment(liquidation())
    asg[f"liquidation{slot}.fill"] = 1
    refuses(sc, asg, "R1")


@pytest.mark.parametrize("name, forged", [("_hint_at_least", 0), ("_hint_negative", 1)])
def test_an_empty_slot_cannot_charge_a_penalty_or_pay_a_deficit(sc, name, forged):
    label = "liquidation: penalty, liquidation slot 1"
    with forge(sc, label, name, lambda honest, *v: forged):
        refuses(sc, sc.assignment(liquidation()), label)


def test_an_empty_slot_cannot_be_at_P(sc):
    label = "liquidation: closing order, liquidation slot 2"
    for nth, forged in ((0, 0), (1, 1)):          # "not empty" / "limit = P"
        with forge(sc, label, "_hint_is_zero", lambda honest, v, f=forged: f, nth=nth):
            refuses(sc, sc.assignment(liquidation()), label)


def test_the_free_side_bit_of_an_empty_slot_moves_nothing(sc):
    """Position 0 has either sign, so an empty slot's closing side is the prover's choice; with
    size 0, not at P and fill 0 it changes no public value."""
    w = liquidation()
    honest = sc.check(sc.assignment(w), sc.cs)
    with forge(sc, "liquidation: below maintenance, liquidation slot 1", "_hint_negative",
               lambda h, v: 1 - h(v)):
        forged = sc.check(sc.assignment(w), sc.cs)
    assert forged != honest                       # the other side bit, and what follows it
    assert sc.public_values(forged) == sc.public_values(honest) == \
        [x % R_MOD for x in w.public_inputs()]


@pytest.mark.parametrize("name, delta", [("penalties", 1), ("deficits", 1), ("shortfall", 1)])
def test_the_fund_with_every_slot_empty(sc, name, delta):
    """No liquidation: a penalty credited to the fund, a deficit paid from it or a shortfall
    declared while it can pay, each with the fund's balance following, is refused."""
    w = settle([order(1, "buy", 100, 5), order(2, "sell", 100, 5)],
               [account(1, 10**6), account(2, 10**6)], P=100, M=100, params=PERP,
               insurance_old=100)
    assert_valid(sc, w)
    asg = sc.assignment(w)
    asg[name] += delta
    asg["insurance_new"] += -delta if name == "deficits" else delta
    refuses(sc, asg, "insurance")


# ------------------------------------------------------------------ the A2 waiver
def test_the_maintenance_waiver_needs_the_flag(sc):
    """The same account below maintenance but unflagged (no slot, no close): A2 refuses it."""
    w = settle([], [account(1, -940, 10), account(2, 10**6)], P=100, M=100, params=PERP, F=3)
    refuses(sc, sc.assignment(w), "A2: maintenance margin, account slot 0")


def test_the_flag_without_a_slot_cannot_buy_the_waiver(sc):
    """Flag set, but no slot holds the account: no close, no penalty, A2 waived — refused."""
    w = liquidation()
    with forged_pick(sc, {}):
        refuses(sc, sc.assignment(w), SELECT)
