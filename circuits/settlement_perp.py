"""The perpetual-market rules of the settlement circuit: funding, liquidation, flows, insurance.

Called by ``circuits.settlement.build`` (docs/perpetual.md is the design).  Per
active account slot k with old (cash, pos, F_a), public flags L (liquidate),
deposit d, withdrawal w, and the batch's public F, M, P, rates:

* **funding** (lazy): cash_f = cash − pos·(F − F_a); the new state carries F_a′ = F.
  F_a + 2^47 ∈ [0, 2^48) is range-checked with the old opening (the packed
  commitment input pos + 2^40 + 2^41·F_a must be injective).
* **liquidation slots**: the liquidation rules run in a fixed number λ of
  liquidation slots (``settlement_data.liquidation_slots(K)``), not in every
  account slot.  Slot i holds hinted bits m_ik, each boolean, with
  λᵢ = Σₖ m_ik ∈ {0, 1} (it holds at most one account) and, per account slot,
  Σᵢ m_ik = L_k (L_k boolean, 0 on an inactive slot): a flagged account sits in
  exactly one liquidation slot, an unflagged one in none.  The active slots
  come first and hold increasing account slots (λᵢ·(1 − λᵢ₋₁) = 0 and
  λᵢ·(idxᵢ − idxᵢ₋₁ − 1) ∈ [0, 2^10) with idxᵢ = Σₖ k·m_ik), so the closing
  orders keep the account slots' order (R5's remainder lots follow it).  The
  slot reads its account's pos, cash_f and d as Σₖ m_ik·xₖ (all 0 when empty).
* **liquidation: below maintenance**: λ = 1 only if 10⁴·E_f < |pos|·M·mm with
  E_f = cash_f + pos·M, i.e. λ·(|pos|·M·mm − 10⁴·E_f − 1) ∈ [0, 2^106)
  (|10⁴·E_f| < 2^14·(2^80 + 2^88 + 2^72) < 2^103, so a healthy account's
  negative gap wraps far above 2^106 and fails).
* **liquidation: closing order**: side = opposite of pos (s = 1 − [pos < 0]),
  size |pos|, limit hi = M + δ for a buy, lo = M − δ for a sell, with
  δ = ⌊band·M/10⁴⌋ (hinted; band·M − 10⁴·δ ∈ [0, 10⁴), δ < 2^32).  R6 gives
  |P − M| ≤ δ, so the order is never on the wrong side of P: at = [limit = P]
  unless the size is 0 (an empty slot's or a flat account's order is never
  "at P", so it takes no part in R5's remainder lots), itm = 1 − at.  The
  closing orders join R1–R5/R7 after the order slots (``settlement_rules``);
  a liquidated account has no order of its own (L·Σⱼ mⱼₖ = 0) and no
  withdrawal (L·w = 0), and its maintenance check in A2 is waived
  ((1 − L)·gap), since its liquidation slot proved it below maintenance.
* **liquidation: penalty** (per liquidation slot, after the auction): Δc the
  closing fill, signed; cash_pre = cash_f + d − P·Δc, pos′ = pos + Δc,
  E = cash_pre + pos′·M, base = ⌊liq·fill·P/10⁴⌋ (hinted, fraction in
  [0, 10⁴)); hinted bits c = [E ≥ base], z = [E < 0]:
  c·(E − base) + (1 − c)·(base − E − 1) ∈ [0, 2^96) and
  z·(−E − 1) + (1 − z)·E ∈ [0, 2^90) prove both bits (|E| < 2^89; a wrong c or
  z makes one term negative; these two small windows also pin base to the
  integer floor).  penalty = c·base + (1 − c)(1 − z)·E = min(base, E⁺),
  deficit = z·(−E)·[pos′ = 0]: the fund pays E⁻ only for a position the batch
  closed in full (a rationed close leaves the account below maintenance, with
  its loss, to be liquidated again; all 0 in an empty slot), and the account slot it
  holds gets Δpos = Σᵢ m_ik·Δcᵢ and Δcash = Σᵢ m_ik·(−P·Δcᵢ − penaltyᵢ + deficitᵢ).
* **flows**: d, w ∈ [0, 2^64); pos′ = pos + Δpos + Δpos_liq and
  cash′ = cash_f − P·Δpos − fees + d − w + Δcash_liq (no trading fee on the
  closing fill).
* **insurance**: Σᵢ penalty = penalties, Σᵢ deficit = deficits, Σⱼ feeⱼ =
  fee_total (public); share = ⌊fee_total·insurance_bps/10⁴⌋ (hinted, fraction
  in [0, 10⁴), share < 2^80); insurance_new = insurance_old + penalties −
  deficits + share + shortfall with insurance_new, shortfall ∈ [0, 2^80) and
  shortfall·insurance_new = 0: the fund never goes below zero, and a shortfall
  is declared only when the fund is emptied (so it is exactly what is missing).
* **reduce-only**: reduce_only·[|pos| < |pos′|] = 0 for every slot.

Every gate carries its rule's label ("funding", "liquidation: slot selection",
"liquidation: below maintenance, liquidation slot 1", "liquidation: penalty,
liquidation slot 1", "liquidation: closing order, account slot 2", "flows",
"insurance", "reduce-only").
"""

from verifier.fields import R_MOD

from .bits import arith, is_zero, range_check, sign_abs, signed_to_offset
from .settlement_data import (
    BPS, CASH_BITS, FLOW_BITS, FUNDING_BITS, FUNDING_OFFSET, INSURANCE_BITS, POSITION_BITS,
    POSITION_OFFSET, PACK_SHIFT, PRICE_BITS,
)
from .settlement_rules import rule
from .poseidon import hash_gadget

__all__ = ["perp_params", "old_state_and_funding", "liquidated_alone", "liquidation_rules",
           "liquidation_outcomes", "liquidation_share", "flows", "insurance", "state_hash", "opens",
           "HEALTH_BITS", "SIGN_BITS"]

_BPS_BITS = 14
HEALTH_BITS = 106       # |pos|·M·mm − 10⁴·E_f − 1 for an account below maintenance
SIGN_BITS = 90          # the penalty's sign split on E (|E| < 2^89)
_CASE_BITS = 96         # the penalty's case split on E − base
_SLOT_BITS = 10         # account slot index gaps (MAX_SLOTS = 2^10)


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
    """A1's old opening (with F_a) and the funding payment of account slot k."""
    with rule(c, "A1"), rule(c, f"account slot {k}"):
        range_check(c, c.lincomb([(a["funding"], 1)], const=FUNDING_OFFSET), FUNDING_BITS)
        cash_off = signed_to_offset(c, a["cash"], CASH_BITS)
        a["abs_old"] = sign_abs(c, a["position"], POSITION_BITS)[1]
        opens(c, a["active"], state_hash(c, a["id"], cash_off, a["position"], a["funding"],
                                         a["blinding"]), a["old"])
    with rule(c, "funding"):
        pay = c.mul(a["position"], c.sub(g["F"], a["funding"]))          # pos·(F − F_a)
        a["cash_f"] = c.sub(a["cash"], pay)


def liquidated_alone(c, a, k, mine) -> None:
    """A liquidated account slot has no order of its own and no withdrawal."""
    with rule(c, f"liquidation: closing order, account slot {k}"):
        L = a["liquidate"]
        c.gate(L, c.as_var(mine), None, qm=1)                          # L·Σⱼ mⱼₖ = 0
        c.gate(L, a["withdraw"], None, qm=1)                            # L·w = 0


def _hint_pick(i, flags):
    """m_ik: 1 for the i-th flagged account slot (slot order), else 0."""
    out, seen = [], 0
    for f in flags:
        out.append(int(f == 1 and seen == i))
        seen += f == 1
    return out


def _gather(c, picks, values):
    """Σₖ m_k·v_k (m_k boolean, at most one set)."""
    return c.lincomb([(c.mul(m, v), 1) for m, v in zip(picks, values)]) if picks else 0


def liquidation_rules(c, g, accounts, liquidations) -> list:
    """The liquidation slots (module docstring): which account each holds, its values, the
    below-maintenance proof and its closing order (``liq["close"]`` for ``price_rules``)."""
    flags = [a["liquidate"] for a in accounts]
    slots, last = [], None
    with rule(c, "liquidation: slot selection"):
        for i, liq in enumerate(liquidations):
            m = c.hint(lambda *v, i=i: _hint_pick(i, v), flags, n_out=len(flags))
            m = m if isinstance(m, list) else [m]
            for x in m:
                c.assert_bool(x)
            lam = c.lincomb([(x, 1) for x in m])                      # λ = Σₖ m_ik ∈ {0, 1}
            lam = c.as_var(lam)
            c.assert_bool(lam)
            idx = c.lincomb([(x, k) for k, x in enumerate(m)])         # the account slot
            if last is not None:                                       # active slots first, in
                c.gate(lam, last["lam"], None, qm=-1, ql=1)            # slot order: λ(1 − λ′) = 0
                gap = c.mul(lam, c.lincomb([(idx, 1), (last["idx"], -1)], const=-1))
                range_check(c, gap, _SLOT_BITS)
            last = {"pick": m, "lam": lam, "idx": idx, "fill": liq["fill"]}
            slots.append(last)
        for k, a in enumerate(accounts):                               # each flagged slot once
            c.assert_equal(c.lincomb([(s["pick"][k], 1) for s in slots]), a["liquidate"])
    for i, s in enumerate(slots):
        with rule(c, "liquidation: slot selection"):
            pos = _gather(c, s["pick"], [a["position"] for a in accounts])
            s["cash_f"] = _gather(c, s["pick"], [a["cash_f"] for a in accounts])
            s["deposit"] = _gather(c, s["pick"], [a["deposit"] for a in accounts])
            s["position"] = pos
        with rule(c, f"liquidation: below maintenance, liquidation slot {i}"):
            neg, s["abs"] = sign_abs(c, pos, POSITION_BITS)
            equity = c.lincomb([(s["cash_f"], BPS), (c.mul(pos, g["M"]), BPS)])
            need = c.mul(c.mul(s["abs"], g["M"]), g["mm_bps"])
            gap = c.lincomb([(need, 1), (equity, -1)], const=-1)
            range_check(c, c.mul(s["lam"], gap), HEALTH_BITS)
        with rule(c, f"liquidation: closing order, liquidation slot {i}"):
            side = c.lincomb([(neg, -1)], const=1)                      # long → sell
            price = c.add(g["hi"], c.mul(side, c.sub(g["lo"], g["hi"])))
            empty = is_zero(c, s["abs"])                               # a size-0 order is never
            at = arith(c, is_zero(c, c.sub(price, g["P"])), empty, qm=-1, ql=1)   # "at P"
            itm = c.lincomb([(at, -1)], const=1)
        s["close"] = {"side": side, "size": s["abs"], "fill": s["fill"], "at": at, "itm": itm,
                      "otm": 0, "open_bits": POSITION_BITS - 1}
    return slots


def liquidation_outcomes(c, g, slots) -> None:
    """Per liquidation slot, after the auction: the closing fill's position and cash change, the
    penalty and the deficit (``dpos``, ``dcash``, ``penalty``, ``deficit``)."""
    P, M = g["P"], g["M"]
    for i, s in enumerate(slots):
        close = s["close"]
        with rule(c, f"liquidation: penalty, liquidation slot {i}"):
            dpos = c.lincomb([(close["fill"], 1), (close["sf"], -2)])     # buy +, sell −
            cash_pre = c.lincomb([(s["cash_f"], 1), (c.mul(P, dpos), -1), (s["deposit"], 1)])
            pos_new = c.add(s["position"], dpos)
            base = _floor_bps(c, c.mul(c.mul(close["fill"], P), g["liquidation_bps"]))
            e = c.as_var(c.add(cash_pre, c.mul(pos_new, M)))
            cb = c.hint(lambda x, y: _hint_at_least(x, y), [e, base])
            zb = c.hint(lambda x: _hint_negative(x), [e])
            c.assert_bool(cb)
            c.assert_bool(zb)
            case_gap = c.add(c.lincomb([(base, 1), (e, -1)], const=-1),
                             c.mul(cb, c.lincomb([(e, 2), (base, -2)], const=1)))
            range_check(c, case_gap, _CASE_BITS)
            range_check(c, c.add(e, c.mul(zb, c.lincomb([(e, -2)], const=-1))), SIGN_BITS)
            keep = arith(c, cb, zb, qm=1, ql=-1, qr=-1, qc=1)           # (1 − c)(1 − z)
            s["penalty"] = c.add(c.mul(cb, base), c.mul(keep, e))
            closed = is_zero(c, pos_new)                                # [pos′ = 0]
            s["deficit"] = c.mul(c.mul(zb, e, k=-1), closed)            # z·(−E)·[pos′ = 0]
            s["dpos"] = dpos
            s["dcash"] = c.lincomb([(c.mul(P, dpos), -1), (s["penalty"], -1),
                                    (s["deficit"], 1)])


def liquidation_share(c, slots, k):
    """(Δpos, Δcash) that the liquidation slots hand to account slot k (0 unless it is
    liquidated)."""
    with rule(c, "liquidation: slot selection"):
        picks = [s["pick"][k] for s in slots]
        return (_gather(c, picks, [s["dpos"] for s in slots]),
                _gather(c, picks, [s["dcash"] for s in slots]))


def flows(c, g, a, k, dpos, fees, share) -> None:
    """pos′ and cash′ of account slot k from its fills and fees (``dpos``, ``fees``), its deposit
    and withdrawal, and what its liquidation slot hands back (``share``)."""
    with rule(c, "flows"):
        range_check(c, a["deposit"], FLOW_BITS)
        range_check(c, a["withdraw"], FLOW_BITS)
    with rule(c, "A1"), rule(c, f"account slot {k}"):
        a["pos_new"] = c.lincomb([(a["position"], 1), (dpos, 1), (share[0], 1)])
        a["cash_new"] = c.lincomb([(a["cash_f"], 1), (c.mul(g["P"], dpos), -1), (fees, -1),
                                   (a["deposit"], 1), (a["withdraw"], -1), (share[1], 1)])


def insurance(c, g, orders, slots) -> None:
    """The batch's fee total, penalties, deficits and the fund's update (module docstring)."""
    with rule(c, "insurance"):
        for name in ("insurance_old", "insurance_new", "shortfall"):
            range_check(c, g[name], INSURANCE_BITS)
        c.assert_equal(c.lincomb([(o["fee"], 1) for o in orders]), g["fee_total"])
        c.assert_equal(c.lincomb([(s["penalty"], 1) for s in slots]), g["penalties"])
        c.assert_equal(c.lincomb([(s["deficit"], 1) for s in slots]), g["deficits"])
        share = _floor_bps(c, c.mul(g["fee_total"], g["insurance_bps"]), INSURANCE_BITS)
        c.assert_equal(c.lincomb([(g["insurance_old"], 1), (g["penalties"], 1),
                                  (g["deficits"], -1), (share, 1), (g["shortfall"], 1)]),
                       g["insurance_new"])
        c.gate(g["shortfall"], g["insurance_new"], None, qm=1)          # shortfall·new = 0
