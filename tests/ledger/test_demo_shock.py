"""The demo market through its price shock, proven and finalized in process: the breaker trips
and releases, the operator liquidates the leveraged trader on its own, every node holds the
same market figures, and value is conserved from genesis (no deposits in the demo)."""

from ledger.exchange import margin as mg
from ledger.operator.scenario import INSURANCE, MARKET, SHOCK, Market


def test_the_demo_shock_trips_the_breaker_and_liquidates(tmp_path):
    market = Market.create(str(tmp_path / "m"), traders=4, validators=4, seed=1)
    try:
        value0 = mg.total_value([mg.Balance(s.cash, 0) for s in market.states.values()], 0,
                                INSURANCE, 0)
        reports = [market.run_batch(h) for h in range(1, 6)]
        figures = {store.path: store.market_state(MARKET.market_id) for store in market.nodes}
        state = market.operator.store.market_state(MARKET.market_id)
        balances = [mg.Balance(s.cash, s.position, s.funding_index)
                    for s in market.states.values()]
        value = mg.total_value(balances, state.funding_index, state.insurance,
                               sum(a for _, a in state.rewards))
    finally:
        market.close()
    tripped = [r.height for r in reports if r.breaker]
    assert tripped and tripped[0] == SHOCK[0] and not reports[-1].breaker   # trips, releases
    assert any(1 in r.liquidated for r in reports[SHOCK[0]:])               # on its own
    assert len(set(figures.values())) == 1                                  # every node agrees
    assert value == value0 + state.shortfall and state.insurance >= 0
