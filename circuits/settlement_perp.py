"""The perpetual-market rules of the settlement circuit: funding, liquidation, flows, insurance.

Called by ``circuits.settlement.build`` (docs/perpetual.md is the design).  Per
active account slot k with old (cash, pos, F_a), public flags L (liquidate),
deposit d, withdrawal w, and the batch's public F, M, P, rates:

* **funding** (lazy): cash_f = cash − pos·(F − F_a); the new state carries F_a′ = F.
  F_a + 2^47 ∈ [0, 2^48) is range-checked with the old opening (the packed
  commitment input pos + 2^40 + 2^41·F_a must be injective).
* **liquidation: below maintenance**: L = 1 only if 10⁴·E_f < |pos|·M·mm with
  E_f = cash_f + pos·M, i.e. the gap |pos|·M·mm − 10⁴·E_f − 1 ∈ [0, 2^106)
  (|10⁴·E_f| < 2^14·(2^80 + 2^88 + 2^72) < 2^103, so a healthy account's
  negative gap wraps far above 2^106 and fails).  A liquidated slot skips A2, so
  this range check is A2's maintenance check of the slot, selected by L (one
  range check per slot, labelled "A2: maintenance margin, account slot k /
  liquidation: below maintenance").
* **liquidation: closing order**: side = opposite of pos (s = 1 − [pos < 0]),
  size L·|pos|, limit hi = M + δ for a buy, lo = M − δ for a sell, with
  δ = ⌊band·M/10⁴⌋ (hinted; band·M − 10⁴·δ ∈ [0, 10⁴), δ < 2^32).  R6 gives
  |P − M| ≤ δ, so the order is never on the wrong side of P: at = [limit = P],
  itm = 1 − at.  It joins R1–R5/R7 with the order slots (``settlement_rules``);
  a liquidated slot has no order of its own (L·Σⱼ mⱼₖ = 0) and no withdrawal
  (L·w = 0); its A2 is replaced by the penalty rule below.
* **flows**: d, w ∈ [0, 2^64); cash_pre = cash_f − P·Δpos − fees + d − w, with
  Δpos including the closing fill (no trading fee on it).
* **liquidation: penalty**: E = cash_pre + pos′·M, base = ⌊liq·fill·P/10⁴⌋
  (hinted, fraction in [0, 10⁴)); hinted bits c = [E ≥ base], z = [E < 0]:
  L·(c·(E − base) + (1 − c)·(base − E − 1)) and L·(z·(−E − 1) + (1 − z)·E)
  ∈ [0, 2^96) prove both bits (|E| < 2^91; a wrong c or z makes one term
  negative; these two small windows also pin base to the integer floor).
  penalty = L·(c·base + (1 − c)(1 − z)·E) = min(base, E⁺),
  deficit = L·z·(−E) = E⁻, cash′ = cash_pre − penalty + deficit.
* **insurance**: Σₖ penalty = penalties, Σₖ deficit = deficits, Σⱼ feeⱼ =
  fee_total (public); share = ⌊fee_total·insurance_bps/10⁴⌋ (hinted, fraction
  in [0, 10⁴), share < 2^80); insurance_new = insurance_old + penalties −
  deficits + share + shortfall with insurance_new, shortfall ∈ [0, 2^80) and
  shortfall·insurance_new = 0: the fund never goes below zero, and a shortfall
  is declared only when the fund is emptied (so it is exactly what is missing).
* **reduce-only**: reduce_only·[|pos| < |pos′|] = 0 for every slot.

Every gate carries its rule's label ("funding", "liquidation: below maintenance,
account slot 2", "liquidation: penalty, account slot 2", "flows", "insurance",
"reduce-only").
"""

from verifier.fields import R_MOD

from .bits import arith, is_zero, range_check, sign_abs, signed_to_offset
from .settlement_data import (
    BPS, CASH_BITS, FLOW_BITS, FUNDING_BITS, FUNDING_OFFSET, INSURANCE_BITS, POSITION_BITS,
    POSITION_OFFSET, PACK_SHIFT, PRICE_BITS,
)
from .settlement_rules import rule
from .poseidon import hash_gadget

__all__ = ["perp_params", "old_state_and_funding", "closing_order", "flows_and_penalty",
           "insurance", "state_hash", "opens", "HEALTH_BITS", "SIGN_BITS"]

_BPS_BITS = 14
HEALTH_BITS = 106       # |pos|·M·mm − 10⁴·E_f − 1 for an account below maintenance
SIGN_BITS = 90          # the penalty's sign split on E (|E| < 2^89)


def _hint_floor_bps(v):
    return v // BPS if v < 1 << 200 else 0


def _hint_at_least(e, base):
    return int(_signed(e) >= _signed(base))


def _hint_negative(e):
    return int(_signed(e) < 0)


def _signed(v):
    return v - R_MOD if v > R_MOD // 2 else v


def _floor_bps(c, x, out_bits=None):
    """⌊x/10⁴⌋ as a hint q with x − 10⁴·q ∈ [0, 10⁴) (and q < 2^out_bits when given)."""
    q = c.hint(lambda v: _hint_floor_bps(v), [x])
    frac = c.lincomb([(x, 1), (q, -BPS)])
    range_check(c, frac, _BPS_BITS)
    range_check(c, c.lincomb([(frac, -1)], const=BPS - 1), _BPS_BITS)
    if out_bits:
        range_check(c, q, out_bits)
    return q


def state_hash(c, account, cash_offset, position, funding, blinding):
    """Poseidon(id, cash + 2^80, pos + 2^40 + 2^41·F_a, blinding) (settlement_data)."""
    packed = c.lincomb([(position, 1), (funding, 1 << PACK_SHIFT)], const=POSITION_OFFSET)
    return hash_gadget(c, [account, cash_offset, c.as_var(packed), blinding])


def opens(c, active, h, commitment) -> None:
    c.gate(active, c.sub(h, commitment), None, qm=1)                   # a·(hash − C) = 0


def perp_params(c, g) -> None:
    """Ranges of the perpetual globals; stores F (signed), lo, hi in ``g``."""
    with rule(c, "params"):
        c.assert_bool(g["reduce_only"])
        range_check(c, g["funding_index"], FUNDING_BITS)
        g["F"] = c.lincomb([(g["funding_index"], 1)], const=-FUNDING_OFFSET)
        delta = _floor_bps(c, c.mul(g["band_bps"], g["M"]), PRICE_BITS)   # δ = ⌊band·M/10⁴⌋
        g["lo"] = c.sub(g["M"], delta)
        g["hi"] = c.add(g["M"], delta)


def old_state_and_funding(c, g, a, k) -> None:
    """A1's old opening (with F_a), funding, and the below-maintenance proof of a liquidation."""
    with rule(c, "A1"), rule(c, f"account slot {k}"):
        range_check(c, c.lincomb([(a["funding"], 1)], const=FUNDING_OFFSET), FUNDING_BITS)
        cash_off = signed_to_offset(c, a["cash"], CASH_BITS)
        a["neg_old"], a["abs_old"] = sign_abs(c, a["position"], POSITION_BITS)
        opens(c, a["active"], state_hash(c, a["id"], cash_off, a["position"], a["funding"],
                                         a["blinding"]), a["old"])
    with rule(c, "funding"):
        pay = c.mul(a["position"], c.sub(g["F"], a["funding"]))          # pos·(F − F_a)
        a["cash_f"] = c.sub(a["cash"], pay)
    with rule(c, f"liquidation: below maintenance, account slot {k}"):
        equity = c.lincomb([(a["cash_f"], BPS), (c.mul(a["position"], g["M"]), BPS)])
        need = c.mul(c.mul(a["abs_old"], g["M"]), g["mm_bps"])
        a["health_gap"] = c.lincomb([(need, 1), (equity, -1)], const=-1)   # checked in A2


def closing_order(c, g, a, k, mine) -> dict:
    """The liquidation order of slot k as an order dict for ``price_rules``."""
    with rule(c, f"liquidation: closing order, account slot {k}"):
        L = a["liquidate"]
        c.gate(L, c.as_var(mine), None, qm=1)                          # no own orders
        c.gate(L, a["withdraw"], None, qm=1)                            # no withdrawal
        side = c.lincomb([(a["neg_old"], -1)], const=1)                 # long → sell
        size = c.mul(L, a["abs_old"])
        price = c.add(g["hi"], c.mul(side, c.sub(g["lo"], g["hi"])))
        at = is_zero(c, c.sub(price, g["P"]))
        itm = c.lincomb([(at, -1)], const=1)
    return {"side": side, "size": size, "fill": a["close_fill"], "at": at, "itm": itm,
            "otm": 0, "open_bits": POSITION_BITS - 1}


def flows_and_penalty(c, g, a, k, close, dpos, fees) -> None:
    """cash_pre and pos′ (fills, flows), then the liquidation penalty and deficit: sets
    a["pos_new"], a["cash_new"], a["penalty"], a["deficit"]."""
    P, M, L = g["P"], g["M"], a["liquidate"]
    with rule(c, "flows"):
        range_check(c, a["deposit"], FLOW_BITS)
        range_check(c, a["withdraw"], FLOW_BITS)
    with rule(c, "A1"), rule(c, f"account slot {k}"):
        signed_close = c.lincomb([(close["fill"], 1), (close["sf"], -2)])   # buy +, sell −
        dpos = c.add(dpos, signed_close)
        a["pos_new"] = c.add(a["position"], dpos)
        cash_pre = c.lincomb([(a["cash_f"], 1), (c.mul(P, dpos), -1), (fees, -1),
                              (a["deposit"], 1), (a["withdraw"], -1)])
    with rule(c, f"liquidation: penalty, account slot {k}"):
        base = _floor_bps(c, c.mul(c.mul(close["fill"], P), g["liquidation_bps"]))
        e = c.as_var(c.add(cash_pre, c.mul(a["pos_new"], M)))
        cb = c.hint(lambda x, y: _hint_at_least(x, y), [e, base])
        zb = c.hint(lambda x: _hint_negative(x), [e])
        c.assert_bool(cb)
        c.assert_bool(zb)
        a["case_gap"] = c.add(c.lincomb([(base, 1), (e, -1)], const=-1),     # checked in A2
                              c.mul(cb, c.lincomb([(e, 2), (base, -2)], const=1)))
        x2 = c.add(e, c.mul(zb, c.lincomb([(e, -2)], const=-1)))
        range_check(c, c.mul(L, x2), SIGN_BITS)
        keep = arith(c, cb, zb, qm=1, ql=-1, qr=-1, qc=1)               # (1 − c)(1 − z)
        a["penalty"] = c.mul(L, c.add(c.mul(cb, base), c.mul(keep, e)))
        a["deficit"] = c.mul(c.mul(L, zb), e, k=-1)
        a["cash_new"] = c.lincomb([(cash_pre, 1), (a["penalty"], -1), (a["deficit"], 1)])


def insurance(c, g, orders, accounts) -> None:
    """The batch's fee total, penalties, deficits and the fund's update (module docstring)."""
    with rule(c, "insurance"):
        for name in ("insurance_old", "insurance_new", "shortfall"):
            range_check(c, g[name], INSURANCE_BITS)
        c.assert_equal(c.lincomb([(o["fee"], 1) for o in orders]), g["fee_total"])
        c.assert_equal(c.lincomb([(a["penalty"], 1) for a in accounts]), g["penalties"])
        c.assert_equal(c.lincomb([(a["deficit"], 1) for a in accounts]), g["deficits"])
        share = _floor_bps(c, c.mul(g["fee_total"], g["insurance_bps"]), INSURANCE_BITS)
        c.assert_equal(c.lincomb([(g["insurance_old"], 1), (g["penalties"], 1),
                                  (g["deficits"], -1), (share, 1), (g["shortfall"], 1)]),
                       g["insurance_new"])
        c.gate(g["shortfall"], g["insurance_new"], None, qm=1)          # shortfall·new = 0
