"""The ledger's perpetual-market rules (ledger.chain.market_state through rules.check_block and
the store): each refused block leaves every table unchanged."""

import pytest
from hypothesis import given, settings, strategies as st

from circuits.settlement_data import FUNDING_OFFSET, GLOBALS, MarketParams
from ledger.core import keys
from ledger.core.block import Block, block_from_json, block_to_json
from ledger.core.genesis import (Genesis, GenesisAccount, GenesisMarket, GenesisValidator,
                                 PerpConfig, genesis_from_json, genesis_to_json)
from ledger.core.observation import sign_observation
from ledger.chain.market_state import mark_and_breaker, reward_split
from ledger.chain.rules import BlockRejected, ValidatorRecord
from ledger.chain.store import Store
from ledger.exchange.margin import FundingParams, next_funding_index

from tests.ledger.ledger_chain import build_block, make_orders, snapshot

PERP = MarketParams(market_id=0, im_bps=1000, mm_bps=500, fee_bps=10, band_bps=500,
                    liquidation_bps=100, insurance_bps=4000)
CONFIG = PerpConfig(oracle=True, funding_rate_bps=2000, funding_cap_bps=50, insurance=1000)
CHAIN, MARK = "perp-chain", 10_000
STAKES = {"v0": 10, "v1": 20, "v2": 30, "v3": 40}


@pytest.fixture
def chain(tmp_path):
    account_keys = {a: keys.generate() for a in (1, 2)}
    vkeys = {n: keys.generate() for n in STAKES}
    g = Genesis(CHAIN, [GenesisMarket(PERP, MARK, CONFIG)],
                [GenesisValidator(n, s, keys.public_key_hex(vkeys[n])) for n, s in STAKES.items()],
                [GenesisAccount(a, keys.public_key_hex(k), 10**9) for a, k in account_keys.items()])
    store = Store.open(str(tmp_path / "node.db"))
    store.init_genesis(g)
    yield store, account_keys, vkeys
    store.close()


def _obs(vkeys, prices, height, **kw):
    """Observations by the named validators at their prices."""
    return [sign_observation(kw.get("key", {}).get(n, vkeys[n]), n, kw.get("chain", CHAIN), 0,
                             kw.get("at", {}).get(n, height), p) for n, p in prices.items()]


def _block(store, account_keys, observations, *, mark, height=None, **header):
    """A two-order block at ``mark`` with these observations and header overrides."""
    orders = make_orders(account_keys, [(1, "buy", mark, 1), (2, "sell", mark, 1)])
    b = build_block(store, orders, params=PERP, price=mark, mark=mark, volume=1, height=height)
    state = store.market_state(0)
    values = dict(funding_index=state.funding_index + FUNDING_OFFSET,
                  insurance_old=state.insurance, insurance_new=state.insurance)
    values.update(header)
    pi = list(b.public_inputs)
    for name, v in values.items():
        pi[GLOBALS.index(name)] = v
    return Block(b.height, b.parent_hash, b.n_orders, b.n_accounts, pi, b.proof, b.state_root,
                 b.orders, (), observations=tuple(observations))


def _refused(store, block, match):
    before = snapshot(store)
    with pytest.raises(BlockRejected, match=match):
        store.apply_block(block, expected_parent=store.head()[1])
    assert snapshot(store) == before


PRICES = {"v0": 10_010, "v1": 10_020, "v2": 10_030, "v3": 10_040}   # median by stake: 10_030


def test_a_quorum_block_is_stored_with_its_market_figures(chain):
    store, ak, vk = chain
    b = _block(store, ak, _obs(vk, PRICES, 1), mark=10_030, fee_total=1000, insurance_new=1400)
    store.apply_block(b, expected_parent=store.head()[1])
    s = store.market_state(0)
    assert (store.market(0)[1], s.index, s.insurance, s.breaker) == (10_030, 10_030, 1400, False)
    assert s.reward_balances() == {"v0": 60, "v1": 120, "v2": 180, "v3": 240}
    # P = I: no funding; the block round-trips through JSON with its observations
    assert s.funding_index == 0
    assert block_from_json(block_to_json(b)) == b
    assert store.get_block(1).observations == b.observations


def test_refuses_a_wrong_index(chain):
    store, ak, vk = chain
    _refused(store, _block(store, ak, _obs(vk, PRICES, 1), mark=10_020),
             r"mark price 10020 is not the quorum's index 10030")


def test_refuses_a_forged_observation(chain):
    store, ak, vk = chain
    obs = _obs(vk, PRICES, 1, key={"v1": keys.generate()})
    _refused(store, _block(store, ak, obs, mark=10_030), "observation 1: signature by 'v1'")


def test_refuses_a_duplicated_observation(chain):
    store, ak, vk = chain
    obs = _obs(vk, PRICES, 1)
    _refused(store, _block(store, ak, obs + obs[3:], mark=10_030), "'v3' observed twice")


def test_refuses_a_stale_observation(chain):
    store, ak, vk = chain
    b1 = _block(store, ak, _obs(vk, PRICES, 1), mark=10_030, fee_total=0)
    store.apply_block(b1, expected_parent=store.head()[1])
    _refused(store, _block(store, ak, _obs(vk, PRICES, 2, at={"v2": 1}), mark=10_030),
             "observation 2 is stale: height 1 for block 2")



def test_refuses_an_observation_for_a_later_height(chain):
    store, ak, vk = chain
    _refused(store, _block(store, ak, _obs(vk, PRICES, 1, at={"v1": 2}), mark=10_030),
             "observation 1 is for height 2, after block 1")

def test_refuses_two_thirds_or_less_of_the_stake(chain):
    store, ak, vk = chain
    few = {n: PRICES[n] for n in ("v0", "v1", "v3")}            # 70 of 100: accepted
    store.apply_block(_block(store, ak, _obs(vk, few, 1), mark=10_040),   # v3 weighs 40 of 70
                      expected_parent=store.head()[1])
    few = {n: PRICES[n] for n in ("v0", "v1", "v2")}            # 60 of 100: refused
    _refused(store, _block(store, ak, _obs(vk, few, 2), mark=10_020),
             "observations by 60 of 100 stake")


def test_refuses_a_non_validator_and_another_chain(chain):
    store, ak, vk = chain
    obs = _obs(vk, PRICES, 1) + [sign_observation(keys.generate(), "mallory", CHAIN, 0, 1, 9)]
    _refused(store, _block(store, ak, obs, mark=10_030), "'mallory', not a validator")
    _refused(store, _block(store, ak, _obs(vk, PRICES, 1, chain="elsewhere"), mark=10_030),
             "chain 'elsewhere'")


def test_refuses_a_block_without_observations(chain):
    store, ak, vk = chain
    _refused(store, _block(store, ak, [], mark=10_000), "oracle: observations by 0 of 100")


def test_breaker_clamps_the_mark_and_needs_reduce_only(chain):
    store, ak, vk = chain
    jump = {n: 12_000 for n in STAKES}                  # +20 %, band is 5 %
    _refused(store, _block(store, ak, _obs(vk, jump, 1), mark=12_000), "clamped to 10000")
    _refused(store, _block(store, ak, _obs(vk, jump, 1), mark=10_500),
             "reduce-only flag 0 differs from the rule's 1")
    store.apply_block(_block(store, ak, _obs(vk, jump, 1), mark=10_500, reduce_only=1),
                      expected_parent=store.head()[1])
    s = store.market_state(0)
    assert (s.breaker, s.index, store.market(0)[1]) == (True, 12_000, 10_500)
    # the next block walks on, still clamped; a flag without a breaker is refused too
    _refused(store, _block(store, ak, _obs(vk, {n: 10_600 for n in STAKES}, 2), mark=10_600,
                           reduce_only=1), "reduce-only flag 1 differs from the rule's 0")


def test_funding_index_follows_the_rule(chain):
    store, ak, vk = chain
    # P = 10_030 + 100 against I = 10_030: longs pay; F moves by the capped step
    orders = make_orders(ak, [(1, "buy", 10_130, 1), (2, "sell", 10_130, 1)])
    b = build_block(store, orders, params=PERP, price=10_130, mark=10_030, volume=1)
    pi = list(b.public_inputs)
    pi[GLOBALS.index("funding_index")] = FUNDING_OFFSET
    pi[GLOBALS.index("insurance_old")] = pi[GLOBALS.index("insurance_new")] = 1000
    b = Block(1, b.parent_hash, b.n_orders, b.n_accounts, pi, b.proof, b.state_root, b.orders,
              (), observations=tuple(_obs(vk, PRICES, 1)))
    store.apply_block(b, expected_parent=store.head()[1])
    want = next_funding_index(0, 10_130, 10_030, 1, FundingParams(2000, 50))
    assert want == 20 and store.market_state(0).funding_index == want
    _refused(store, _block(store, ak, _obs(vk, PRICES, 2), mark=10_030,
                           funding_index=FUNDING_OFFSET), "funding index 0 differs from the rule's 20")
    _refused(store, _block(store, ak, _obs(vk, PRICES, 2), mark=10_030,
                           funding_index=FUNDING_OFFSET + 21), "funding index 21")
    store.apply_block(_block(store, ak, _obs(vk, PRICES, 2), mark=10_030),
                      expected_parent=store.head()[1])


def test_insurance_fund_must_follow(chain):
    store, ak, vk = chain
    obs = _obs(vk, PRICES, 1)
    _refused(store, _block(store, ak, obs, mark=10_030, insurance_old=999, insurance_new=999),
             "insurance fund before the batch 999 differs from the ledger's 1000")
    _refused(store, _block(store, ak, obs, mark=10_030, penalties=50, insurance_new=1049),
             "insurance fund after the batch 1049 does not follow")
    _refused(store, _block(store, ak, obs, mark=10_030, deficits=1500, shortfall=400,
                           insurance_new=100), "does not follow")
    store.apply_block(_block(store, ak, obs, mark=10_030, deficits=1500, shortfall=500,
                             insurance_new=0), expected_parent=store.head()[1])
    s = store.market_state(0)
    assert (s.insurance, s.shortfall, s.reduce_only) == (0, 500, True)
    # an open shortfall keeps the market reduce-only
    _refused(store, _block(store, ak, _obs(vk, PRICES, 2), mark=10_030, insurance_old=0),
             "reduce-only flag 0 differs from the rule's 1")


def test_a_development_market_takes_no_observations(tmp_path):
    from tests.ledger.ledger_chain import make_genesis
    g, ak, vk = make_genesis()
    store = Store.open(str(tmp_path / "n.db"))
    store.init_genesis(g)
    orders = make_orders(ak, [(1, "buy", 100, 1), (2, "sell", 100, 1)])
    b = build_block(store, orders)
    obs = [sign_observation(vk["v0"], "v0", g.chain_id, 0, 1, 100)]
    b = Block(1, b.parent_hash, b.n_orders, b.n_accounts, b.public_inputs, b.proof,
              b.state_root, b.orders, (), observations=obs)
    _refused(store, b, "has no oracle; the block carries observations")
    store.close()


def test_genesis_perp_round_trip_and_old_hash():
    g = Genesis(CHAIN, [GenesisMarket(PERP, MARK, CONFIG)],
                [GenesisValidator("v0", 1, keys.public_key_hex(keys.generate()))])
    assert genesis_from_json(genesis_to_json(g)) == g
    plain = genesis_to_json(Genesis(CHAIN, [GenesisMarket(MarketParams(0, 10, 5, 1, 5), 7)],
                                    g.validators))
    assert set(plain["markets"][0]) == {"market_id", "im_bps", "mm_bps", "fee_bps",
                                        "band_bps", "mark_price"}


def test_mark_and_breaker():
    assert mark_and_breaker(10_000, 10_499, 500) == (10_499, False)
    assert mark_and_breaker(10_000, 10_500, 500) == (10_500, False)
    assert mark_and_breaker(10_000, 10_501, 500) == (10_500, True)
    assert mark_and_breaker(10_000, 1, 500) == (9_500, True)


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 10**12), st.lists(st.integers(0, 10**6), min_size=1, max_size=8),
       st.lists(st.booleans(), min_size=8, max_size=8))
def test_reward_split_is_exact_and_pro_rata(amount, stakes, slashed):
    vals = {f"v{i}": ValidatorRecord(f"v{i}", "", s, slashed[i], 0)
            for i, s in enumerate(stakes)}
    split = reward_split(amount, vals)
    live = {n: v.stake for n, v in vals.items() if not v.slashed and v.stake}
    total = sum(live.values())
    assert sum(split.values()) == (amount if total else 0)
    for n, s in live.items():
        assert abs(split.get(n, 0) * total - amount * s) < total      # within one unit
    assert set(split) <= set(live)


def test_a_governed_change_moves_the_fee_share_and_the_funding_rule(chain):
    store, ak, vk = chain
    store.apply_param_change({"kind": "market", "market_id": 0, "im_bps": 1000, "mm_bps": 500,
                              "fee_bps": 10, "band_bps": 500, "insurance_bps": 1000,
                              "funding_cap_bps": 7})
    params, _ = store.market(0)
    s = store.market_state(0)
    assert (params.insurance_bps, params.liquidation_bps) == (1000, 100)
    assert (s.funding.rate_bps, s.funding.cap_bps) == (2000, 7)
    # the next block must carry the new share: 10 % of the fee to the fund, 90 % rewarded
    b = _block(store, ak, _obs(vk, PRICES, 1), mark=10_030, fee_total=1000,
               insurance_bps=1000, insurance_new=1100)
    store.apply_block(b, expected_parent=store.head()[1])
    assert sum(store.market_state(0).reward_balances().values()) == 900


def test_observations_are_part_of_the_block_hash_and_strict_json(chain):
    from ledger.core.block import BlockError
    store, ak, vk = chain
    b = _block(store, ak, _obs(vk, PRICES, 1), mark=10_030)
    other = _block(store, ak, _obs(vk, {**PRICES, "v0": 10_011}, 1), mark=10_030)
    assert b.hash() != other.hash()          # an attestation covers the observations
    assert b.with_signatures([]).observations == b.observations
    obj = block_to_json(b)
    obj["observations"][2]["price"] = 0
    with pytest.raises(BlockError, match=r"observations\[2\]: price"):
        block_from_json(obj)
    obj["observations"] = []
    with pytest.raises(BlockError, match="must not be empty"):
        block_from_json(obj)
    obj["observations"] = "x"
    with pytest.raises(BlockError, match="must be a list"):
        block_from_json(obj)


def test_reward_balances_follow_the_fee_split(chain):
    store, ak, vk = chain
    # fee 1000 at a 40 % share: 400 to the fund (1000 → 1400), 600 to the validators
    # all of it into the fund, none of it, one unit moved from the fund to the rewards
    for fund in (2000, 1000, 1399):
        _refused(store, _block(store, ak, _obs(vk, PRICES, 1), mark=10_030, fee_total=1000,
                               insurance_new=fund), "does not follow")
    store.apply_block(_block(store, ak, _obs(vk, PRICES, 1), mark=10_030, fee_total=1000,
                             insurance_new=1400), expected_parent=store.head()[1])
    assert store.market_state(0).reward_balances() == {"v0": 60, "v1": 120, "v2": 180,
                                                       "v3": 240}
    # a slashed validator earns nothing more; 601 over stakes 10/20/30 is 100.2/200.3/300.5,
    # floors 100/200/300 and the unit left over to the largest remainder (v2)
    store.slash("v3")
    few = {n: PRICES[n] for n in ("v0", "v1", "v2")}          # index 10_020 by stake
    store.apply_block(_block(store, ak, _obs(vk, few, 2), mark=10_020, fee_total=1001,
                             insurance_old=1400, insurance_new=1800),
                      expected_parent=store.head()[1])
    assert store.market_state(0).reward_balances() == {"v0": 160, "v1": 320, "v2": 481,
                                                       "v3": 240}
    total = sum(store.market_state(0).reward_balances().values()) + store.market_state(0).insurance
    assert total == 1000 + 1000 + 1001                           # genesis fund + both fees
