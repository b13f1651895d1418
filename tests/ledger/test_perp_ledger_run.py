"""A long random run of an oracle perpetual market through the ledger's own rules, without
proofs: validators' observations from jumpy simulated feeds, the operator's plan and its own
liquidations, the engine, and ``rules.apply_block`` (which recomputes index, mark, breaker,
funding, insurance and rewards).  Block by block, Σ account value (cash with funding settled)
+ insurance fund + validators' rewards is constant, the fund never goes negative, and an
account below maintenance is liquidated in the very next batch unless the breaker holds the
market reduce-only."""

import random

import pytest

from circuits.settlement_data import MarketParams
from ledger.core import keys
from ledger.core.block import Block
from ledger.core.genesis import (Genesis, GenesisAccount, GenesisMarket, GenesisValidator,
                                 PerpConfig)
from ledger.core.orders import NO_EXPIRY, new_order
from ledger.chain.market_state import plan_batch
from ledger.chain.rules import apply_block, genesis_view
from ledger.exchange import margin as mg
from ledger.exchange.matching import match_batch
from ledger.exchange.oracle import SimulatedFeed
from ledger.operator.liquidations import pick_liquidations

from tests.ledger.ledger_chain import PROOF

PARAMS = MarketParams(0, im_bps=800, mm_bps=400, fee_bps=10, band_bps=400,
                      liquidation_bps=150, insurance_bps=3000)
STAKES = {"a": 40, "b": 30, "c": 20, "d": 10}
MAKER, TRADERS = 100, range(1, 7)
N, K = 8, 7


def _balance(s):
    return mg.Balance(s.cash, s.position, s.funding_index)


@pytest.mark.parametrize("seed", [3, 11])
def test_long_run_through_the_ledger_rules_conserves_value(seed):
    rng = random.Random(seed)
    vkeys = {n: keys.generate() for n in STAKES}
    tkeys = {a: keys.generate() for a in [*TRADERS, MAKER]}
    fund0 = 20_000
    g = Genesis("run", [GenesisMarket(PARAMS, 1000, PerpConfig(True, 5000, 20, fund0))],
                [GenesisValidator(n, s, keys.public_key_hex(vkeys[n])) for n, s in STAKES.items()],
                [GenesisAccount(a, keys.public_key_hex(k),
                                10**9 if a == MAKER else rng.randint(2_000, 20_000))
                 for a, k in tkeys.items()])
    view = genesis_view(g)
    feeds = {n: SimulatedFeed(seed, 1000, step_bps=60, jump_bps=900, jump_per_mille=60,
                              noise_bps=10, noise_seed=n) for n in STAKES}
    states = {a.account_id: a.initial_state() for a in g.accounts}
    value0 = mg.total_value([_balance(s) for s in states.values()], 0, fund0, 0)
    due_before, breaker_before = set(), False
    liquidated = tripped = funding_moves = 0
    for h in range(1, 161):
        obs = [_sign(vkeys[n], n, h, feeds[n].price(0, h)) for n in STAKES
               if n != "d" or rng.random() < 0.5]             # the smallest one is flaky
        market = view.markets[0]
        plan = plan_batch(market.state, market.mark_price, PARAMS.band_bps, obs,
                          view.validators, "run", 0, h)
        mark = plan.mark
        due = {a for a, s in states.items()
               if mg.liquidatable(_balance(s), plan.funding_index, mark, PARAMS.mm_bps)
               and (s.position or mg.equity(_balance(s), mark) < 0)}
        # below maintenance two batches in a row only when the breaker held the market
        assert not due & due_before or breaker_before
        specs = [(MAKER, "buy", mark - 1, 300), (MAKER, "sell", mark + 1, 300)]
        for a in TRADERS:
            if rng.random() < 0.7:
                specs.append((a, rng.choice(("buy", "sell")), mark + rng.randint(-4, 4),
                              rng.randint(1, 15)))
        pairs = [new_order(tkeys[a], a, 0, side, p, q, NO_EXPIRY) for a, side, p, q in specs]
        liq = pick_liquidations(states, plan.funding_index, mark, PARAMS, K,
                                busy={a for a, *_ in specs})
        assert set(liq) == due          # all fit in K account and 4 liquidation slots here
        res = match_batch([op for _, op in pairs], states, mark, PARAMS,
                          funding_index=plan.funding_index, liquidate=liq,
                          reduce_only=plan.reduce_only, insurance=plan.insurance)
        active = [pairs[i][0] for i in res.active]
        w = res.to_witness(h, N, K, openings=[op for _, op in pairs])
        new_states = {s.account: s for s in w.new_accounts if s is not None}
        root = view.state_root({a: s.commitment() for a, s in new_states.items()})
        block = Block(h, view.head_hash, N, K, w.public_inputs(), PROOF, root,
                      active + [None] * (N - len(active)), (), observations=obs)
        view = apply_block(view, block)                        # the validators' rules
        states.update(new_states)
        st = view.markets[0].state
        assert st.insurance == res.insurance_new >= 0
        assert view.markets[0].mark_price == mark and st.breaker == plan.breaker
        value = mg.total_value([_balance(s) for s in states.values()], st.funding_index,
                               st.insurance, sum(a for _, a in st.rewards))
        assert value == value0 + st.shortfall                 # conserved, block by block
        assert sum(s.position for s in states.values()) == 0
        due_before, breaker_before = due - set(res.liquidated), plan.reduce_only
        liquidated += len(res.liquidated)
        tripped += plan.breaker
        funding_moves += st.funding_index != plan.funding_index
    st = view.markets[0].state
    assert liquidated >= 2 and tripped >= 3 and funding_moves >= 3
    assert sum(a for _, a in st.rewards) > 0 and len(st.rewards) == 4


def _sign(key, name, h, price):
    from ledger.core.observation import sign_observation
    return sign_observation(key, name, "run", 0, h, price)
