"""The oracle quorum: which observations a block may carry, and the index price they give.

Pure functions; every validator runs them on every block
(``ledger.chain.market_state`` through ``ledger.chain.rules.check_block``).

**Accepted set** (``oracle_index``), for block ``height`` of market ``m`` on chain ``c``:

1. at most ``MAX_OBSERVATIONS`` entries, each an ``Observation``;
2. each names chain ``c``, market ``m`` and height ``h`` with
   0 ≤ height − h ≤ ``MAX_OBSERVATION_AGE`` (0: exactly the block's height;
   an older one is *stale*, a later one is from the future);
3. each is by a registered validator that is not slashed, and its signature
   verifies under that validator's key;
4. no validator appears twice (even with the same price: the operator must
   not be able to weigh one validator double);
5. the signers hold more than 2/3 of the unslashed stake (3·signed > 2·total,
   the same rule as a block's finality).

One failing entry refuses the whole set (``OracleRejected``, one line): the
operator collected them, and it must not pass on a forged or repeated one.

**Index** (``weighted_median``): with the accepted observations (pᵢ, wᵢ)
(price, the signer's stake) and W = Σ wᵢ, the index is the smallest observed
price p with 2·Σ_{pᵢ ≤ p} wᵢ ≥ W — the *lower* stake-weighted median.  It is
the smallest minimiser of Σ wᵢ·|pᵢ − p| over all integers p (the test checks
it against that brute force).  Validators holding less than half of the
observed stake cannot move it outside the range of the honest ones' prices.
"""

from dataclasses import dataclass

from verifier.errors import Rejected

from ledger.core.limits import MAX_OBSERVATION_AGE, MAX_OBSERVATIONS
from ledger.core.observation import Observation

__all__ = ["OracleRejected", "OracleIndex", "oracle_index", "weighted_median"]


class OracleRejected(Rejected):
    """A set of observations that does not make an oracle quorum; one line."""


@dataclass(frozen=True)
class OracleIndex:
    index: int              #: the stake-weighted median price
    signers: tuple          #: validator names, in the observations' order
    signed_stake: int
    total_stake: int


def weighted_median(pairs) -> int:
    """The lower stake-weighted median of (price, weight) pairs (module docstring)."""
    pairs = sorted(pairs)
    total = sum(w for _, w in pairs)
    if not pairs or total <= 0:
        raise OracleRejected("no observed stake to take a median of")
    acc = 0
    for price, w in pairs:
        acc += w
        if 2 * acc >= total:
            return price
    raise AssertionError("unreachable: the cumulative stake reaches the total")


def oracle_index(observations, validators, chain_id: str, market_id: int,
                 height: int) -> OracleIndex:
    """Check ``observations`` for block ``height`` (module docstring) against ``validators``
    (name → ``ValidatorRecord``); the index and who made it, or ``OracleRejected``."""
    observations = tuple(observations)
    if len(observations) > MAX_OBSERVATIONS:
        raise OracleRejected(f"{len(observations)} observations (at most {MAX_OBSERVATIONS})")
    seen, pairs, signers = set(), [], []
    for i, o in enumerate(observations):
        where = f"observation {i}"
        if not isinstance(o, Observation):
            raise OracleRejected(f"{where} is not an Observation")
        if o.chain_id != chain_id:
            raise OracleRejected(f"{where} is for chain {o.chain_id!r}, not {chain_id!r}")
        if o.market_id != market_id:
            raise OracleRejected(f"{where} is for market {o.market_id}, not {market_id}")
        if o.height > height:
            raise OracleRejected(f"{where} is for height {o.height}, after block {height}")
        if height - o.height > MAX_OBSERVATION_AGE:
            raise OracleRejected(f"{where} is stale: height {o.height} for block {height}")
        rec = validators.get(o.validator)
        if rec is None:
            raise OracleRejected(f"{where} is by {o.validator!r}, not a validator")
        if rec.slashed:
            raise OracleRejected(f"{where} is by slashed validator {o.validator!r}")
        if o.validator in seen:
            raise OracleRejected(f"{where}: validator {o.validator!r} observed twice")
        seen.add(o.validator)
        if not o.verifies(rec.public_key):
            raise OracleRejected(f"{where}: signature by {o.validator!r} does not verify")
        pairs.append((o.price, rec.stake))
        signers.append(o.validator)
    signed = sum(w for _, w in pairs)
    total = sum(v.stake for v in validators.values() if not v.slashed)
    if not (total > 0 and 3 * signed > 2 * total):     # rules.is_quorum's rule
        raise OracleRejected(f"observations by {signed} of {total} stake "
                             "(an index needs more than 2/3)")
    return OracleIndex(weighted_median(pairs), tuple(signers), signed, total)
