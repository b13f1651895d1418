"""The oracle quorum (ledger.chain.oracle_quorum): each refusal its own test, the median
against a brute force over every integer price."""

import pytest
from hypothesis import given, settings, strategies as st

from ledger.core import keys
from ledger.core.observation import Observation, sign_observation
from ledger.chain.oracle_quorum import OracleRejected, oracle_index, weighted_median
from ledger.chain.rules import ValidatorRecord

CHAIN, MARKET, HEIGHT = "chain-x", 1, 12
KEYS = {f"v{i}": keys.generate() for i in range(4)}


def _validators(stakes=(100, 100, 100, 100), slashed=()):
    return {n: ValidatorRecord(n, keys.public_key_hex(k), s, n in slashed, 0)
            for (n, k), s in zip(KEYS.items(), stakes)}


def _obs(name, price, *, chain=CHAIN, market=MARKET, height=HEIGHT, key=None):
    return sign_observation(key or KEYS[name], name, chain, market, height, price)


def _all(prices=(100, 101, 102, 103)):
    return [_obs(n, p) for n, p in zip(KEYS, prices)]


def test_accepts_a_full_set():
    idx = oracle_index(_all(), _validators(), CHAIN, MARKET, HEIGHT)
    assert (idx.index, idx.signed_stake, idx.total_stake) == (101, 400, 400)
    assert idx.signers == ("v0", "v1", "v2", "v3")


def test_refuses_a_forged_signature():
    obs = _all()
    obs[2] = _obs("v2", 102, key=keys.generate())
    with pytest.raises(OracleRejected, match="observation 2: signature by 'v2' does not verify"):
        oracle_index(obs, _validators(), CHAIN, MARKET, HEIGHT)


def test_refuses_a_price_changed_after_signing():
    obs = _all()
    obs[1] = Observation(**{**obs[1].__dict__, "price": 5})
    with pytest.raises(OracleRejected, match="does not verify"):
        oracle_index(obs, _validators(), CHAIN, MARKET, HEIGHT)


def test_refuses_a_duplicate_signer():
    obs = _all()[:3] + [_obs("v0", 100)]
    with pytest.raises(OracleRejected, match="validator 'v0' observed twice"):
        oracle_index(obs, _validators(), CHAIN, MARKET, HEIGHT)


def test_refuses_a_duplicate_signer_with_another_price():
    obs = _all()[:3] + [_obs("v0", 500)]
    with pytest.raises(OracleRejected, match="observed twice"):
        oracle_index(obs, _validators(), CHAIN, MARKET, HEIGHT)


def test_refuses_a_stale_height():
    obs = _all()
    obs[3] = _obs("v3", 103, height=HEIGHT - 1)
    with pytest.raises(OracleRejected, match="observation 3 is stale: height 11 for block 12"):
        oracle_index(obs, _validators(), CHAIN, MARKET, HEIGHT)


def test_refuses_a_future_height():
    obs = _all()
    obs[0] = _obs("v0", 100, height=HEIGHT + 1)
    with pytest.raises(OracleRejected, match="after block 12"):
        oracle_index(obs, _validators(), CHAIN, MARKET, HEIGHT)


def test_refuses_another_chain_or_market():
    with pytest.raises(OracleRejected, match="chain 'other'"):
        oracle_index(_all()[:3] + [_obs("v3", 1, chain="other")], _validators(), CHAIN,
                     MARKET, HEIGHT)
    with pytest.raises(OracleRejected, match="market 2"):
        oracle_index(_all()[:3] + [_obs("v3", 1, market=2)], _validators(), CHAIN, MARKET,
                     HEIGHT)


def test_refuses_a_non_validator():
    stranger = keys.generate()
    obs = _all()[:3] + [sign_observation(stranger, "mallory", CHAIN, MARKET, HEIGHT, 1)]
    with pytest.raises(OracleRejected, match="'mallory', not a validator"):
        oracle_index(obs, _validators(), CHAIN, MARKET, HEIGHT)


def test_refuses_a_slashed_validator():
    with pytest.raises(OracleRejected, match="slashed validator 'v1'"):
        oracle_index(_all(), _validators(slashed=("v1",)), CHAIN, MARKET, HEIGHT)


def test_refuses_two_thirds_or_less_of_the_stake():
    # 2 of 3 equal stakes is exactly 2/3: refused; 3 of 4 is more: accepted
    with pytest.raises(OracleRejected, match="200 of 300 stake"):
        oracle_index(_all()[:2], _validators((100, 100, 100, 0)), CHAIN, MARKET, HEIGHT)
    assert oracle_index(_all()[:3], _validators(), CHAIN, MARKET, HEIGHT).signed_stake == 300
    with pytest.raises(OracleRejected, match="200 of 400 stake"):
        oracle_index(_all()[:2], _validators(), CHAIN, MARKET, HEIGHT)
    with pytest.raises(OracleRejected, match="0 of 400"):
        oracle_index([], _validators(), CHAIN, MARKET, HEIGHT)


def test_stake_weighs_the_median():
    # v3 alone holds more than half of the observed stake: its price is the index
    idx = oracle_index(_all((100, 100, 100, 900)), _validators((10, 10, 10, 100)), CHAIN,
                       MARKET, HEIGHT)
    assert idx.index == 900
    # a minority far away cannot move it
    idx = oracle_index(_all((100, 101, 102, 10**6)), _validators(), CHAIN, MARKET, HEIGHT)
    assert idx.index == 101


def _brute_force(pairs) -> int:
    """The smallest integer p minimising Σ w·|x − p| (over every integer in range)."""
    lo, hi = min(x for x, _ in pairs), max(x for x, _ in pairs)
    costs = {p: sum(w * abs(x - p) for x, w in pairs) for p in range(lo, hi + 1)}
    best = min(costs.values())
    return min(p for p, c in costs.items() if c == best)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 60), st.integers(1, 50)), min_size=1, max_size=9))
def test_weighted_median_is_the_smallest_minimiser(pairs):
    assert weighted_median(pairs) == _brute_force(pairs)
    assert weighted_median(pairs) in {x for x, _ in pairs}
