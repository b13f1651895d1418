"""Before proving: can the listed validators finalize at all?

A batch costs its prover seconds to minutes; if the validators that answer
hold at most 2/3 of the stake, no block can finalize and the work is lost.
``check_reach(store, urls, timeout)`` asks every URL's ``GET /status`` at
once (``ledger.node.client.statuses``) and counts, against the validator set
of the operator's own ledger copy (``store``), the unslashed stake of the
validators that answered *for this ledger* (same genesis hash) — each
validator once, however many URLs name it.  A URL is *down* when it does not
answer, answers garbage, serves another ledger, or is not a validator of
this set.  It returns a ``Reach`` (up: url → validator, down: url → reason,
the reachable and total stake, and the validators no URL reached);
``require_quorum`` raises ``NetworkError`` (exit 1), one line naming the
missing stake and each URL that is down, when that stake is not > 2/3.

The two halves are apart (``probe`` asks, ``count_reach`` counts) so that
the operator asks once, before anything else, catches up only from the URLs
that answered — a stopped validator costs one status timeout, not one per
catch-up request — and counts against the validator set it caught up to.
"""

from dataclasses import dataclass, field

from ledger.chain.rules import is_quorum
from ledger.node.client import NetworkError, statuses

__all__ = ["Reach", "probe", "count_reach", "check_reach", "require_quorum"]


@dataclass
class Reach:
    up: dict = field(default_factory=dict)           # url → validator name
    down: dict = field(default_factory=dict)         # url → reason (one line)
    reachable_stake: int = 0
    total_stake: int = 0
    missing: list = field(default_factory=list)      # unslashed validators no URL reached

    @property
    def quorum(self) -> bool:
        return is_quorum(self.reachable_stake, self.total_stake)


def probe(urls, timeout: float = 10.0) -> dict:
    """Every URL's ``/status`` at once: url → the status dict, or the one-line error."""
    return statuses(urls, timeout=timeout)


def count_reach(store, answers: dict) -> Reach:
    """Which of ``probe``'s answers are validators of ``store``'s ledger (module doc)."""
    gh = store.genesis_hash()
    stake = {v.name: v.stake for v in store.validators() if not v.slashed}
    reach = Reach(total_stake=sum(stake.values()))
    for url, st in answers.items():
        if isinstance(st, str):
            reach.down[url] = st
        elif not isinstance(st, dict) or not isinstance(st.get("validator"), str):
            reach.down[url] = "its /status names no validator"
        elif st.get("genesis_hash") != gh:
            reach.down[url] = (f"serves another ledger (chain {st.get('chain_id')!r}, "
                               f"genesis {str(st.get('genesis_hash'))[:16]}…)")
        elif st["validator"] not in stake:
            reach.down[url] = f"validator {st['validator']!r} is not in this ledger's set"
        else:
            reach.up[url] = st["validator"]
    names = set(reach.up.values())
    reach.reachable_stake = sum(stake[n] for n in names)
    reach.missing = sorted(set(stake) - names)
    return reach


def check_reach(store, urls, timeout: float = 10.0) -> Reach:
    """``count_reach`` of ``probe(urls)``: which of ``urls`` can finalize with this ledger."""
    return count_reach(store, probe(urls, timeout))


def require_quorum(reach: Reach) -> None:
    """``NetworkError`` unless the reachable validators hold > 2/3 of the stake."""
    if reach.quorum:
        return
    down = "; ".join(f"{u} ({why})" for u, why in reach.down.items()) or "none"
    raise NetworkError(
        f"no quorum reachable: validators that answer hold {reach.reachable_stake} of "
        f"{reach.total_stake} stake (needs > 2/3); not reached: "
        f"{', '.join(reach.missing) or '-'}; down: {down}")
