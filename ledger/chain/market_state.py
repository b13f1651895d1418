"""A perpetual market's public state and the rules that move it, block by block.

Pure functions; ``ledger.chain.rules.check_block`` calls ``next_market_state``
for every block and refuses the block (nothing stored) when one of the
block's public inputs differs from what these rules recompute.
docs/perpetual.md §Ledger rules explains them; in short, for block h:

1. **Index.**  With an oracle market, the block's observations must make an
   oracle quorum for (chain, market, h) and I = their stake-weighted median
   (``ledger.chain.oracle_quorum``).  A market without an oracle (a
   development market: the genesis says so) takes I = the block's M.
2. **Mark and breaker.**  With the last mark L and δ = ⌊band·L/10⁴⌋,
   M = clamp(I, L − δ, L + δ); the breaker is tripped when I lies outside
   [L − δ, L + δ].  The block's M must be that mark (``mark_and_breaker``).
3. **Reduce-only.**  The block's public flag must be 1 exactly when the
   breaker is tripped or an uncovered shortfall is open (a past batch's
   deficits exceeded the insurance fund; it stays open until the fund is
   recapitalised, which governance does not offer yet).
4. **Funding.**  The block's F must be the state's ``funding_index`` (the
   index that the previous block's (P, I, V) gave); after the block the
   state holds ``margin.next_funding_index(F, P, I, V, rule)``.
5. **Insurance.**  insurance_old must be the state's fund; insurance_new
   must be old + penalties − deficits + ⌊fee_total·insurance_bps/10⁴⌋ +
   shortfall, never negative, with a shortfall only when the fund ends at 0
   (the circuit proves the same; the validators' re-check names the rule).
6. **Rewards.**  The rest of the fee, fee_total − insurance share, goes to
   the unslashed validators pro rata stake (``reward_split``: floors, then
   the units left over one each by largest remainder, ties by name), so the
   split is exact and the same on every node.

``plan_batch`` is the same arithmetic for a block not yet built: the operator
asks it for the index, mark, reduce-only flag, funding index and fund that
its next block must carry.

``MarketState`` holds the governed rule (funding rate and cap, whether the
market has an oracle) and the moving values (F for the next block, the
fund, the open shortfall, the last index, the last breaker state, the
validators' reward balances); ``state_to_json``/``state_from_json`` are the
store's encoding.
"""

import json
from dataclasses import dataclass, field, replace

from circuits.settlement_data import BPS, FUNDING_OFFSET
from verifier.errors import Rejected

from ledger.core.genesis import GenesisMarket
from ledger.exchange.margin import FundingParams, fee_split, next_funding_index
from ledger.chain.oracle_quorum import OracleRejected, oracle_index

__all__ = ["MarketRejected", "MarketState", "BatchPlan", "initial_state", "mark_and_breaker",
           "reward_split", "next_market_state", "plan_batch", "state_to_json",
           "state_from_json"]


class MarketRejected(Rejected):
    """A block whose market figures differ from the rules' recomputation; one line."""


@dataclass(frozen=True)
class MarketState:
    funding: FundingParams = FundingParams()
    oracle: bool = False
    funding_index: int = 0          #: F for the next block
    insurance: int = 0              #: the insurance fund
    shortfall: int = 0              #: open shortfall (bad debt the fund could not cover)
    index: int = 0                  #: the last block's index price (0 before the first)
    breaker: bool = False           #: whether the last block's index lay outside the band
    rewards: tuple = field(default=())   #: ((validator, balance), …) sorted by name

    def reward_balances(self) -> dict:
        return dict(self.rewards)

    @property
    def reduce_only(self) -> bool:
        return self.breaker or self.shortfall > 0


def initial_state(market: GenesisMarket) -> MarketState:
    """The state a genesis market starts in."""
    perp = market.perp
    if perp is None:
        return MarketState()
    return MarketState(FundingParams(perp.funding_rate_bps, perp.funding_cap_bps), perp.oracle,
                       insurance=perp.insurance)


def mark_and_breaker(last_mark: int, index: int, band_bps: int) -> tuple:
    """(M, tripped): I clamped to the last mark ± ⌊band·L/10⁴⌋, and whether it had to be."""
    delta = band_bps * last_mark // BPS
    lo, hi = last_mark - delta, last_mark + delta
    mark = min(hi, max(lo, index))
    return mark, mark != index


def reward_split(amount: int, validators) -> dict:
    """``amount`` over the unslashed validators pro rata stake (module docstring, rule 6)."""
    live = sorted((v.name, v.stake) for v in validators.values() if not v.slashed and v.stake)
    total = sum(s for _, s in live)
    if amount == 0 or total == 0:
        return {}
    shares = {n: amount * s // total for n, s in live}
    left = amount - sum(shares.values())
    by_remainder = sorted(live, key=lambda ns: (-(amount * ns[1] % total), ns[0]))
    for n, _ in by_remainder[:left]:
        shares[n] += 1
    return {n: a for n, a in shares.items() if a}


@dataclass(frozen=True)
class BatchPlan:
    """What the next block of a market must carry (``plan_batch``)."""
    index: int
    mark: int
    breaker: bool
    reduce_only: bool
    funding_index: int
    insurance: int


def _index(state, observations, validators, chain_id, market_id, height, mark_price) -> int:
    if state.oracle:
        try:
            return oracle_index(observations, validators, chain_id, market_id, height).index
        except OracleRejected as e:
            raise MarketRejected(f"oracle: {e}") from None
    if observations:
        raise MarketRejected(f"market {market_id} has no oracle; the block carries "
                             "observations")
    return mark_price


def plan_batch(state: MarketState, last_mark: int, band_bps: int, observations, validators,
               chain_id: str, market_id: int, height: int, mark_price: int = None) -> BatchPlan:
    """The figures block ``height`` must carry (rules 1–5); ``mark_price`` is the
    operator's mark, used only by a market without an oracle."""
    index = _index(state, observations, validators, chain_id, market_id, height,
                   last_mark if mark_price is None else mark_price)
    mark, tripped = mark_and_breaker(last_mark, index, band_bps)
    return BatchPlan(index, mark, tripped, tripped or state.shortfall > 0, state.funding_index,
                     state.insurance)


def next_market_state(state: MarketState, last_mark: int, block, validators,
                      chain_id: str) -> MarketState:
    """Check ``block``'s market figures against ``state`` (module docstring, rules 1–6) and
    return the state after it; ``MarketRejected`` naming the first rule that fails."""
    h, p = block.header, block.params
    index = _index(state, block.observations, validators, chain_id, block.market_id,
                   block.height, block.mark_price)
    mark, tripped = mark_and_breaker(last_mark, index, p.band_bps)
    if block.mark_price != mark:
        if not state.oracle:
            raise MarketRejected(f"mark price {block.mark_price} moves more than the band "
                                 f"({p.band_bps} bps) from the ledger's last mark {last_mark}")
        raise MarketRejected(f"mark price {block.mark_price} is not the quorum's index {index} "
                             f"clamped to {last_mark} ± {p.band_bps} bps (= {mark})")
    reduce_only = tripped or state.shortfall > 0
    if h["reduce_only"] != int(reduce_only):
        raise MarketRejected(f"reduce-only flag {h['reduce_only']} differs from the rule's "
                             f"{int(reduce_only)} (breaker {'tripped' if tripped else 'off'}, "
                             f"open shortfall {state.shortfall})")
    f = h["funding_index"] - FUNDING_OFFSET
    if f != state.funding_index:
        raise MarketRejected(f"funding index {f} differs from the rule's {state.funding_index}")
    if h["insurance_old"] != state.insurance:
        raise MarketRejected(f"insurance fund before the batch {h['insurance_old']} differs "
                             f"from the ledger's {state.insurance}")
    share, rest = fee_split(h["fee_total"], p.insurance_bps)
    want = h["insurance_old"] + h["penalties"] - h["deficits"] + share + h["shortfall"]
    if h["insurance_new"] != want or (h["shortfall"] and h["insurance_new"] != 0):
        raise MarketRejected(f"insurance fund after the batch {h['insurance_new']} does not "
                             "follow old + penalties − deficits + fee share + shortfall "
                             f"(= {want}, a shortfall only down to 0)")
    rewards = state.reward_balances()
    for name, amount in reward_split(rest, validators).items():
        rewards[name] = rewards.get(name, 0) + amount
    shortfall = state.shortfall + h["shortfall"]
    return replace(state, funding_index=next_funding_index(f, block.price, index, block.volume,
                                                           state.funding),
                   insurance=h["insurance_new"], shortfall=shortfall, index=index,
                   breaker=tripped, rewards=tuple(sorted(rewards.items())))


def state_to_json(s: MarketState) -> str:
    return json.dumps({"funding_rate_bps": s.funding.rate_bps,
                       "funding_cap_bps": s.funding.cap_bps, "oracle": s.oracle,
                       "funding_index": s.funding_index, "insurance": str(s.insurance),
                       "shortfall": str(s.shortfall), "index": s.index, "breaker": s.breaker,
                       "rewards": {n: str(a) for n, a in s.rewards}}, sort_keys=True)


def state_from_json(text: str) -> MarketState:
    d = json.loads(text)
    return MarketState(FundingParams(d["funding_rate_bps"], d["funding_cap_bps"]), d["oracle"],
                       d["funding_index"], int(d["insurance"]), int(d["shortfall"]), d["index"],
                       d["breaker"], tuple(sorted((n, int(a)) for n, a in d["rewards"].items())))
