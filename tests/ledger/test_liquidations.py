"""The operator's risk monitor (ledger.operator.liquidations): who is liquidated, and never a
healthy account."""

from hypothesis import given, settings, strategies as st

from circuits.settlement_data import AccountState, MarketParams
from ledger.core.limits import MAX_LIQUIDATIONS
from ledger.exchange import margin as mg
from ledger.operator.liquidations import account_risk, pick_liquidations, risk_report

P = MarketParams(1, im_bps=1000, mm_bps=500, fee_bps=10, band_bps=500)


def _s(a, cash, pos, f=0):
    return AccountState(a, cash, pos, 0, f)


def test_risk_figures_after_funding_at_the_mark():
    r = account_risk(_s(1, -90_000, 10, f=5), funding_index=15, mark=10_000, params=P)
    # funding: cash −= 10·(15 − 5) = 100; E = −90 100 + 100 000 = 9 900; notional 100 000
    assert (r.position, r.equity, r.notional, r.ratio_bps, r.below_maintenance) == (
        10, 9_900, 100_000, 990, False)
    assert account_risk(_s(2, 5, 0), 0, 10_000, P).ratio_bps is None


def test_picks_only_accounts_below_maintenance_lowest_ratio_first():
    states = {1: _s(1, -96_000, 10), 2: _s(2, -95_000, 10), 3: _s(3, 1000, 0),
              4: _s(4, 104_500, -10), 5: _s(5, -10, 0)}
    # 1: E = 4 000 < 5 000 → due; 2: E = 5 000 = maintenance → healthy; 4: short, E = 4 500
    assert pick_liquidations(states, 0, 10_000, P) == [1, 4, 5]
    assert [r.account for r in risk_report(states, 0, 10_000, P)] == [1, 4, 2, 3, 5]
    # funding can push an account under: 2 pays 10·1 more
    assert 2 in pick_liquidations(states, 1, 10_000, P)


def test_the_slot_limit_keeps_the_worst_first():
    states = {1: _s(1, -96_000, 10), 4: _s(4, 104_900, -10), 7: _s(7, 10, 0)}
    assert pick_liquidations(states, 0, 10_000, P, limit=3, busy={7, 8}) == [1]
    assert pick_liquidations(states, 0, 10_000, P, limit=2, busy={8}) == [1]
    assert pick_liquidations(states, 0, 10_000, P, limit=2, busy={1, 4}) == [1, 4]


def test_at_most_the_liquidation_slots_per_batch_worst_first():
    """Six accounts due: the circuit's four liquidation slots take the four lowest ratios; the
    other two wait for the next batch (fewer slots when the batch has fewer account slots)."""
    states = {a: _s(a, -96_000 - 100 * a, 10) for a in range(1, 7)}   # higher id, worse
    assert MAX_LIQUIDATIONS == 4
    assert pick_liquidations(states, 0, 10_000, P) == [3, 4, 5, 6]
    assert pick_liquidations(states, 0, 10_000, P, limit=64) == [3, 4, 5, 6]
    assert pick_liquidations(states, 0, 10_000, P, limit=3) == [4, 5, 6]


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.integers(1, 50),
                       st.tuples(st.integers(-10**7, 10**7), st.integers(-1000, 1000),
                                 st.integers(-50, 50)), max_size=12),
       st.integers(-50, 50), st.integers(1, 20_000))
def test_never_picks_a_healthy_account(accounts, funding, mark):
    states = {a: _s(a, c, p, f) for a, (c, p, f) in accounts.items()}
    for a in pick_liquidations(states, funding, mark, P):
        s = states[a]
        assert mg.liquidatable(mg.Balance(s.cash, s.position, s.funding_index), funding, mark,
                               P.mm_bps)
