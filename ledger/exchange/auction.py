"""The uniform-price call auction: demand, supply, the clearing price and the fills at it.

For the active (not rejected) orders at a price p:

    D(p) = Σ size of buys with limit ≥ p        S(p) = Σ size of sells with limit ≤ p
    V(p) = min(D(p), S(p))                      band: |p − M|·10⁴ ≤ band_bps·M   (R6)

**Clearing price.**  Candidates are the distinct limit prices inside the band plus
the mark price M.  P maximises V; ties go to the P closest to M, then to the lower
P.  R1–R4 can hold at p only if the orders strictly in the money fit into V(p):

    provable(p)  ⇔  D(p + 1) ≤ V(p)  and  S(p − 1) ≤ V(p)

(else R2 forces more fills than R3/R4 allow).  Every provable p maximises V over
all prices; they form an interval, and the one nearest M is M or a limit price,
so the engine takes the provable candidate closest to M (then lower): the spec's
pick whenever that one is provable, and the nearest provable price when it is not
(e.g. M = 100, buys 5@104 and 6@102, sells 8@100 and 1@101: V(101) = V(102) = 9,
but at 101 the 11 lots bid above it would all have to fill; P = 102).  Two kinds
of book have no provable price; the engine rejects the orders in the way (each
with its reason) and matches again:

* no cross (V = 0 at every price): the spec fixes P = M with no fills, so buys
  with limit > M and sells with limit < M (which R2 would fill with no
  counterparty) are rejected — "no counterparty";
* a cross whose provable prices all lie outside the band [lo, hi]: if
  D(hi + 1) > S(hi) the buys with limit > hi are rejected, else the sells with
  limit < lo (the orders that push P through the circuit breaker) — "price band".

**Fills at P** (R1–R5).  Buys with limit > P and sells with limit < P fill in
full, orders on the wrong side of P fill 0, V = min(D(P), S(P)) (R4).  The orders
at exactly P on each side share R = V − (that side's strictly-in-the-money total)
pro rata in slot order (= order index order among active orders):

    fillⱼ = ⌊sizeⱼ·R / S_P⌋ + eⱼ,   eⱼ = 1 for the first R − Σ⌊·⌋ such orders, else 0

with S_P their total size; on the short side (and when D(P) = S(P)) R = S_P, so
they fill in full.  V = 0 ⇒ P = M and every fill is 0.
"""

from ledger.core.limits import PRICE_BOUND
from ledger.exchange import margin as mg

__all__ = ["band_limits", "demand", "supply", "provable", "clearing_price", "fills"]


def band_limits(mark: int, band_bps: int) -> tuple:
    """(lo, hi): the prices p in [1, 2^32) with |p − M|·10⁴ ≤ band_bps·M."""
    d = band_bps * mark // mg.BPS
    return max(1, mark - d), min(PRICE_BOUND - 1, mark + d)


def demand(active, p) -> int:
    return sum(o.size for o in active if o.side == "buy" and o.price >= p)


def supply(active, p) -> int:
    return sum(o.size for o in active if o.side == "sell" and o.price <= p)


def provable(active, p) -> bool:
    v = min(demand(active, p), supply(active, p))
    return demand(active, p + 1) <= v and supply(active, p - 1) <= v


def clearing_price(active, mark, lo, hi):
    """(P, []) or (None, [(order, reason)]) for orders that block every provable price."""
    buys = [o for o in active if o.side == "buy"]
    sells = [o for o in active if o.side == "sell"]
    if not (buys and sells and max(o.price for o in buys) >= min(o.price for o in sells)):
        why = "no counterparty: {} limit {} is {} the mark price {} and nothing crosses"
        blocked = [(o, why.format("buy", o.price, "above", mark)) for o in buys if o.price > mark]
        blocked += [(o, why.format("sell", o.price, "below", mark))
                    for o in sells if o.price < mark]
        return (None if blocked else mark), blocked
    candidates = {o.price for o in active if lo <= o.price <= hi} | {mark}
    for p in sorted(candidates, key=lambda p: (abs(p - mark), p)):
        if provable(active, p):
            return p, []
    why = "price band: {} limit {} is {} the band [{}, {}] and the book cannot clear inside it"
    if demand(active, hi + 1) > supply(active, hi):
        return None, [(o, why.format("buy", o.price, "above", lo, hi))
                      for o in buys if o.price > hi]
    assert supply(active, lo - 1) > demand(active, lo), "no provable price and no blocker"
    return None, [(o, why.format("sell", o.price, "below", lo, hi)) for o in sells if o.price < lo]


def fills(active, p) -> dict:
    """index → fill at P (R1, R2, R5), with V = min(D(P), S(P)) (R3, R4)."""
    volume = min(demand(active, p), supply(active, p))
    fills = {}
    for side, better in (("buy", lambda q: q > p), ("sell", lambda q: q < p)):
        mine = [o for o in active if o.side == side]
        at_p = [o for o in mine if o.price == p]          # slot order = index order
        rest = volume - sum(o.size for o in mine if better(o.price))
        s_p = sum(o.size for o in at_p)
        share = {o.index: o.size * rest // s_p for o in at_p}
        extra = rest - sum(share.values())
        for k, o in enumerate(at_p):
            share[o.index] += 1 if k < extra else 0
        for o in mine:
            fills[o.index] = o.size if better(o.price) else share.get(o.index, 0)
    return fills
