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

* Ranges the circuit can carry: |cash'| < 2⁸⁰ and |position'| < 2⁴⁰; a new state
  outside them is reported like a margin failure (the account's orders cannot settle).
"""

from dataclasses import dataclass

from circuits.settlement_data import BPS

from ledger.core.limits import CASH_BOUND, POSITION_BOUND

__all__ = [
    "BPS", "CASH_BOUND", "POSITION_BOUND", "Balance", "fee", "settle", "margin_failure",
    "check_state",
]



@dataclass(frozen=True)
class Balance:
    """An account's (cash, position): quote units and lots, both signed."""
    cash: int
    position: int


def fee(fill: int, price: int, fee_bps: int) -> int:
    """⌊fill·price·fee_bps / 10⁴⌋ (integer floor division)."""
    return fill * price * fee_bps // BPS


def settle(old: Balance, signed_fills, price: int, fee_bps: int) -> Balance:
    """The new (cash, position) after fills given as signed lots (buy +, sell −) at ``price``."""
    cash, position = old.cash, old.position
    for s in signed_fills:
        position += s
        cash -= s * price + fee(abs(s), price, fee_bps)
    return Balance(cash=cash, position=position)


def check_state(state: Balance):
    """None if the state fits the circuit's ranges, else a one-line reason."""
    if not -CASH_BOUND < state.cash < CASH_BOUND:
        return f"new cash {state.cash} out of range (|cash| < 2^80)"
    if not -POSITION_BOUND < state.position < POSITION_BOUND:
        return f"new position {state.position} out of range (|position| < 2^40)"
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
