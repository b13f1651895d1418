"""The operator's risk monitor: every account's margin ratio, and which to liquidate.

The operator holds every account's private state (cash, position, last
funding index), so it alone can see who is below maintenance; the circuit
makes sure it cannot liquidate anyone else (a healthy account cannot be
flagged) and the validators check the mark, funding and fund it uses
(``ledger.chain.market_state``).  Before each batch the operator
(``ledger.operator.engine.Operator.propose``) calls ``pick_liquidations``
on its own, so an account a price move pushed under maintenance is closed
in the next batch, not whenever someone notices.

``account_risk(state, funding_index, mark, params)`` gives, after the
funding the account owes and at the mark: its equity E, notional
|position|·M, margin ratio E·10⁴/notional in basis points (None without a
position) and whether it is below maintenance (``margin.liquidatable``).
``pick_liquidations`` lists the liquidatable accounts with a position or a
negative equity, lowest ratio first, as many as fit: with ``busy`` the
accounts that already need an account slot (their orders), the batch's
accounts busy ∪ liquidated stay within ``limit`` slots, and the liquidated
ones within the circuit's liquidation slots (``MAX_LIQUIDATIONS``, fewer when
``limit`` is smaller); the rest wait for the next batch.
"""

from dataclasses import dataclass

from circuits.settlement_data import liquidation_slots
from ledger.core.limits import MAX_LIQUIDATIONS
from ledger.exchange import margin as mg

__all__ = ["AccountRisk", "account_risk", "risk_report", "pick_liquidations"]


@dataclass(frozen=True)
class AccountRisk:
    account: int
    position: int
    equity: int
    notional: int
    ratio_bps: object           #: E·10⁴ / notional (floor), None without a position
    below_maintenance: bool


def account_risk(state, funding_index: int, mark: int, params) -> AccountRisk:
    """The risk figures of one ``AccountState`` (module docstring)."""
    b = mg.settle_funding(mg.Balance(state.cash, state.position, state.funding_index),
                          funding_index)
    e = mg.equity(b, mark)
    notional = abs(b.position) * mark
    ratio = None if notional == 0 else e * mg.BPS // notional
    return AccountRisk(state.account, b.position, e, notional, ratio,
                       mg.below_maintenance(b, mark, params.mm_bps))


def risk_report(states: dict, funding_index: int, mark: int, params) -> list:
    """``account_risk`` of every account, lowest margin ratio first (no position last)."""
    rows = [account_risk(s, funding_index, mark, params) for s in states.values()]
    return sorted(rows, key=lambda r: (r.ratio_bps is None, r.ratio_bps or 0, r.account))


def pick_liquidations(states: dict, funding_index: int, mark: int, params,
                      limit: int = None, busy=()) -> list:
    """Account ids to liquidate in the next batch (module docstring), ascending."""
    due = [r.account for r in risk_report(states, funding_index, mark, params)
           if r.below_maintenance and (r.position != 0 or r.equity < 0)]
    chosen, used = [], set(busy)
    most = MAX_LIQUIDATIONS if limit is None else min(liquidation_slots(limit), MAX_LIQUIDATIONS)
    for a in due:
        if len(chosen) < most and (limit is None or len(used | {a}) <= limit):
            chosen.append(a)
            used.add(a)
    return sorted(chosen)
