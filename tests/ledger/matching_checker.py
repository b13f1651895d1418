"""An independent checker of a matched batch, written from docs/design.md §Statement (not the engine).

``check_batch`` recomputes everything from the raw input with plain loops and
asserts every rule on the engine's result: R1–R6, A1 (new states), fees, A2,
V = 0 ⇒ P = M, and that P maximises V by brute force over every integer price
in the band, and that P is the provable price nearest M (then lower).
"""

BPS = 10_000

__all__ = ["check_batch", "volume_at", "provable", "band"]


def band(mark, band_bps, limits=()):
    """The integer prices 1 ≤ p < 2^32 with |p − M|·10⁴ ≤ band_bps·M: all of them when
    there are at most 5000, else the band's ends, M and every limit price ± 1 inside it
    (enough: D, S, V and provability only change at limit prices)."""
    lo, hi = max(1, mark - band_bps * mark // BPS), min(2**32 - 1, mark + band_bps * mark // BPS)
    assert abs(lo - mark) * BPS <= band_bps * mark and abs(hi - mark) * BPS <= band_bps * mark
    assert lo == 1 or (mark - lo + 1) * BPS > band_bps * mark
    assert hi == 2**32 - 1 or (hi + 1 - mark) * BPS > band_bps * mark
    if hi - lo < 5000:
        return list(range(lo, hi + 1))
    near = {lo, hi, mark} | {q + d for q in limits for d in (-1, 0, 1)}
    return sorted(p for p in near if lo <= p <= hi)


def _totals(book, p):
    demand = sum(o["size"] for o in book if o["side"] == "buy" and o["price"] >= p)
    supply = sum(o["size"] for o in book if o["side"] == "sell" and o["price"] <= p)
    return demand, supply


def volume_at(book, p):
    demand, supply = _totals(book, p)
    return min(demand, supply)


def provable(book, p):
    """Can R1–R4 hold at p?  The strictly-in-the-money orders (which R2 fills in full)
    must fit into V(p) on each side (R3, R4); then the rest can be filled at p."""
    v = volume_at(book, p)
    above = sum(o["size"] for o in book if o["side"] == "buy" and o["price"] > p)
    below = sum(o["size"] for o in book if o["side"] == "sell" and o["price"] < p)
    return above <= v and below <= v


def _expect_at_price(members, p, v, size_of):
    """R5 by the letter: fills of the orders at exactly p on one side (index order)."""
    strict = sum(size_of(i) for i in members["better"])
    at = members["at"]
    total_at = sum(size_of(i) for i in at)
    rest = v - strict
    out = {}
    for i in at:
        out[i] = (size_of(i) * rest) // total_at
    left = rest - sum(out.values())
    for i in at[:left]:
        out[i] += 1
    return out


def check_batch(orders, accounts, mark, params, res):
    """Assert every rule on ``res``; orders are dicts, accounts {id: dict(cash, position)}."""
    n = len(orders)
    rejected = dict(res.rejected)
    assert [i for i, _ in res.rejected] == sorted(rejected) and len(rejected) == len(res.rejected)
    assert all(type(r) is str and "\n" not in r for r in rejected.values())
    active = [i for i in range(n) if i not in rejected]
    assert list(res.active) == active
    book = [orders[i] for i in active]
    P, V, fills, fees = res.price, res.volume, res.fills, res.fees
    for x in [P, V, res.demand, res.supply, *fills, *fees]:
        assert type(x) is int
    assert len(fills) == n and len(fees) == n
    for i in rejected:
        assert fills[i] == 0 and fees[i] == 0
    # R6 and the ranges
    assert 1 <= P < 2**32 and 0 <= V < 2**32
    assert abs(P - mark) * BPS <= params["band_bps"] * mark
    demand, supply = _totals(book, P)
    assert (res.demand, res.supply) == (demand, supply)
    for i in active:
        o, f = orders[i], fills[i]
        assert 0 <= f <= o["size"]                                           # R1
        if (o["side"] == "buy" and o["price"] < P) or (o["side"] == "sell" and o["price"] > P):
            assert f == 0                                                    # R1
        if (o["side"] == "buy" and o["price"] > P) or (o["side"] == "sell" and o["price"] < P):
            assert f == o["size"]                                            # R2
    buy_total = sum(fills[i] for i in active if orders[i]["side"] == "buy")
    sell_total = sum(fills[i] for i in active if orders[i]["side"] == "sell")
    assert buy_total == sell_total == V                                      # R3
    assert V == min(demand, supply)                                          # R4
    for side, better in (("buy", lambda q: q > P), ("sell", lambda q: q < P)):   # R5
        members = {"better": [i for i in active if orders[i]["side"] == side
                              and better(orders[i]["price"])],
                   "at": [i for i in active if orders[i]["side"] == side
                          and orders[i]["price"] == P]}
        if members["at"]:
            want = _expect_at_price(members, P, V, lambda i: orders[i]["size"])
            assert {i: fills[i] for i in members["at"]} == want
            if (side == "buy" and demand <= supply) or (side == "sell" and supply <= demand):
                assert all(fills[i] == orders[i]["size"] for i in members["at"])
    if V == 0:
        assert P == mark and not any(fills)
    # fees and A1
    for i in range(n):
        assert fees[i] == fills[i] * P * params["fee_bps"] // BPS
    participants = sorted({orders[i]["account"] for i in active})
    assert list(res.participants) == participants
    for a, acc in accounts.items():
        cash, pos = acc["cash"], acc["position"]
        for i in active:
            if orders[i]["account"] == a:
                sign = 1 if orders[i]["side"] == "buy" else -1
                pos += sign * fills[i]
                cash -= sign * fills[i] * P + fees[i]
        new = res.new_accounts[a]
        assert (new.cash, new.position) == (cash, pos)
        assert type(new.cash) is int and type(new.position) is int
        if a in participants:                                                # A2
            assert abs(cash) < 2**80 and abs(pos) < 2**32
            equity = cash + pos * mark
            assert equity * BPS >= abs(pos) * mark * params["mm_bps"]
            if abs(pos) > abs(acc["position"]):
                assert equity * BPS >= abs(pos) * mark * params["im_bps"]
    # P maximises V over the whole band; it is the provable price nearest M, then lower
    prices = band(mark, params["band_bps"], [o["price"] for o in orders])
    assert V == max(volume_at(book, p) for p in prices)
    if V > 0:
        ok = [p for p in prices if provable(book, p)]
        assert P == min(ok, key=lambda p: (abs(p - mark), p))
        # the spec's literal choice (max V, nearest M, then lower) wherever it is provable
        literal = min((p for p in prices if volume_at(book, p) == V),
                      key=lambda p: (abs(p - mark), p))
        if provable(book, literal):
            assert P == literal
    # every rejection is of an allowed kind and justified by the final book
    lo, hi = prices[0], prices[-1]
    for i, why in rejected.items():
        o = orders[i]
        if why.startswith("no counterparty"):
            assert (o["side"] == "buy" and o["price"] > mark) or \
                   (o["side"] == "sell" and o["price"] < mark)
            assert V == 0
        elif why.startswith("price band"):
            assert (o["side"] == "buy" and o["price"] > hi) or \
                   (o["side"] == "sell" and o["price"] < lo)
        elif why.startswith(f"account {o['account']} fails "):
            assert why.endswith(("maintenance margin", "initial margin"))
            assert all(j in rejected for j in range(n) if orders[j]["account"] == o["account"])
        else:
            assert why.startswith(("market ", "size ", "price ", "unknown account",
                                   "volume cap", f"account {o['account']}: new ")), why
    return active
