"""Account arithmetic of a settled batch: fees, new states (A1) and margin (A2).

All integers (docs/design.md §Statement); never a float, never true division.

* Fee of one fill at the clearing price P (both sides pay):

      fee = ⌊fill · P · fee_bps / 10⁴⌋

* New state (A1) of an account with old (cash, position) and fills fⱼ of its orders,
  signed sⱼ = +fⱼ for a buy and −fⱼ for a sell:

      position' = position + Σ sⱼ
      cash'     = cash − Σ sⱼ·P − Σ feeⱼ

* Margin (A2) after the batch, with mark price M and equity E = cash' + position'·M:

      maintenance:                          E·10⁴ ≥ |position'|·M·mm_bps
      initial, only if |position'| > |position|:  E·10⁴ ≥ |position'|·M·im_bps

  An account failing maintenance is reported as "maintenance" (even when it also
  fails initial); otherwise a failing initial check is "initial".

* Ranges the circuit can carry: |cash'| < 2⁸⁰ and |position'| < 2³² (``POSITION_BOUND``:
  a larger position could never be liquidated, its closing order and the batch volume
  must stay below 2³²); a new state
  outside them is reported like a margin failure (the account's orders cannot settle).

Perpetual-market rules (docs/perpetual.md; the circuit proves the same):

* Funding, lazily per account with last index F_a: before its fills an account in a
  batch pays position·(F − F_a) and takes F_a ← F (longs pay when F rises).
  ``funding_step(P, I, V, params)`` is the public per-block rule validators recompute:

      ΔF = clamp(trunc((P − I)·rate_bps / 10⁴), ±⌊I·cap_bps / 10⁴⌋),  0 when V = 0

  and ``next_funding_index`` adds it, clamped to |F| < 2^47 (the circuit's range).
* Liquidation: allowed only when ``liquidatable`` — after funding, at the mark,
  E·10⁴ < |position|·M·mm_bps.  The closing order (``closing_order``) is opposite to
  the position, of size |position|, limit M ± ⌊band·M/10⁴⌋.  After the batch, with E
  the equity at M of the closed state: penalty = min(⌊liq_bps·fill·P/10⁴⌋, E⁺) and
  deficit = E⁻ only when the position is now 0 (``liquidation_outcome``).
* Insurance (``insurance_update``): new = old + penalties − deficits + fee share
  (``fee_split``), and a shortfall fills the fund up to exactly 0 when it cannot
  cover the deficits.
* Value (``total_value``): Σ (cash − position·(F − F_a)) + insurance + rewards; a
  batch changes it by deposits − withdrawals + shortfall (``value_change_ok``).
"""

from dataclasses import dataclass

from circuits.settlement_data import BPS

from ledger.core.limits import CASH_BOUND, FLOW_BOUND, FUNDING_BOUND, POSITION_BOUND

__all__ = [
    "BPS", "CASH_BOUND", "POSITION_BOUND", "FUNDING_BOUND", "FLOW_BOUND", "Balance", "fee",
    "settle", "margin_failure", "check_state", "FundingParams", "funding_step",
    "next_funding_index", "settle_funding", "equity", "below_maintenance", "liquidatable",
    "closing_order", "liquidation_outcome", "fee_split", "insurance_update", "account_value",
    "total_value", "value_change_ok",
]



@dataclass(frozen=True)
class Balance:
    """An account's (cash, position, last funding index F_a): quote units and lots, signed."""
    cash: int
    position: int
    funding_index: int = 0


def fee(fill: int, price: int, fee_bps: int) -> int:
    """⌊fill·price·fee_bps / 10⁴⌋ (integer floor division)."""
    return fill * price * fee_bps // BPS


def settle(old: Balance, signed_fills, price: int, fee_bps: int) -> Balance:
    """The new (cash, position) after fills given as signed lots (buy +, sell −) at ``price``."""
    cash, position = old.cash, old.position
    for s in signed_fills:
        position += s
        cash -= s * price + fee(abs(s), price, fee_bps)
    return Balance(cash=cash, position=position, funding_index=old.funding_index)


def check_state(state: Balance):
    """None if the state fits the circuit's ranges, else a one-line reason."""
    if not -CASH_BOUND < state.cash < CASH_BOUND:
        return f"new cash {state.cash} out of range (|cash| < 2^80)"
    if not -POSITION_BOUND < state.position < POSITION_BOUND:
        return f"new position {state.position} out of range (|position| < 2^32)"
    return None


def margin_failure(old_position: int, new: Balance, mark: int, im_bps: int, mm_bps: int):
    """None if A2 holds for the new state, else "maintenance" or "initial"."""
    equity = new.cash + new.position * mark
    notional = abs(new.position) * mark
    if equity * BPS < notional * mm_bps:
        return "maintenance"
    if abs(new.position) > abs(old_position) and equity * BPS < notional * im_bps:
        return "initial"
    return None


# ------------------------------------------------------------------ perpetual rules
@dataclass(frozen=True)
class FundingParams:
    """Governed funding rule: the share of the premium P − I paid per block, and its cap
    as a share of the index (both in basis points)."""
    rate_bps: int = 0
    cap_bps: int = 0


def funding_step(price: int, index: int, volume: int, params: FundingParams) -> int:
    """ΔF of one block (module docstring): longs pay shorts when P > I; 0 without a trade."""
    if volume == 0:
        return 0
    premium = (price - index) * params.rate_bps
    step = abs(premium) // BPS * (1 if premium >= 0 else -1)        # rounded toward zero
    cap = index * params.cap_bps // BPS
    return max(-cap, min(cap, step))


def next_funding_index(funding_index: int, price: int, index: int, volume: int,
                       params: FundingParams) -> int:
    """F + ΔF, held inside the circuit's range [−2^47, 2^47)."""
    f = funding_index + funding_step(price, index, volume, params)
    return max(-FUNDING_BOUND, min(FUNDING_BOUND - 1, f))


def settle_funding(b: Balance, funding_index: int) -> Balance:
    """cash −= position·(F − F_a), F_a ← F."""
    pay = b.position * (funding_index - b.funding_index)
    return Balance(b.cash - pay, b.position, funding_index)


def equity(b: Balance, mark: int) -> int:
    return b.cash + b.position * mark


def below_maintenance(b: Balance, mark: int, mm_bps: int) -> bool:
    """E·10⁴ < |position|·M·mm_bps."""
    return equity(b, mark) * BPS < abs(b.position) * mark * mm_bps


def liquidatable(b: Balance, funding_index: int, mark: int, mm_bps: int) -> bool:
    """Whether the circuit can prove this account below maintenance (after funding, at M)."""
    return below_maintenance(settle_funding(b, funding_index), mark, mm_bps)


def closing_order(position: int, mark: int, band_bps: int) -> tuple:
    """(side, size, limit) of a liquidation's closing order: at the band edge of M."""
    delta = band_bps * mark // BPS
    return ("sell", position, mark - delta) if position > 0 else ("buy", -position, mark + delta)


def liquidation_outcome(closed: Balance, mark: int, close_fill: int, price: int,
                        liquidation_bps: int) -> tuple:
    """(penalty, deficit) of a liquidated account whose state after funding, fills and
    deposits is ``closed``: min(⌊liq·fill·P/10⁴⌋, E⁺) and E⁻·[position = 0], with E its
    equity at M.  The fund pays a deficit only once the position is closed in full: after a
    rationed close the account keeps its loss, stays below maintenance and is liquidated
    again in a later batch (otherwise the fund would pay for a position that keeps trading)."""
    e = equity(closed, mark)
    base = liquidation_bps * close_fill * price // BPS
    return (min(base, max(e, 0)), max(-e, 0) if closed.position == 0 else 0)


def fee_split(fee_total: int, insurance_bps: int) -> tuple:
    """(insurance share, validators' rewards) of a batch's total fee."""
    share = fee_total * insurance_bps // BPS
    return share, fee_total - share


def insurance_update(old: int, penalties: int, deficits: int, fee_total: int,
                     insurance_bps: int) -> tuple:
    """(new fund balance, shortfall): the shortfall lifts a fund that would go negative
    to exactly 0 (made public; the market then turns reduce-only)."""
    new = old + penalties - deficits + fee_split(fee_total, insurance_bps)[0]
    return (new, 0) if new >= 0 else (0, -new)


def account_value(b: Balance, funding_index: int) -> int:
    """Cash with the outstanding funding settled: cash − position·(F − F_a)."""
    return b.cash - b.position * (funding_index - b.funding_index)


def total_value(balances, funding_index: int, insurance: int, rewards: int) -> int:
    """Σ account values + insurance fund + validators' rewards (balances: iterable)."""
    return sum(account_value(b, funding_index) for b in balances) + insurance + rewards


def value_change_ok(before: int, after: int, deposits: int, withdrawals: int,
                    shortfall: int) -> bool:
    """Value conservation of one batch: after − before = deposits − withdrawals + shortfall."""
    return after - before == deposits - withdrawals + shortfall
