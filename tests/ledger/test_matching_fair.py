"""R7, the fair price: the engine's clearing price against brute force over every price.

For random small books (now and then with liquidation orders at the band edge), every
integer price in the band is tried: p is feasible when R1–R6 can hold there
(D(p+1) ≤ V(p) ≥ S(p−1), V = 0 only at M).  The engine's P must be feasible, all feasible
prices must share one volume, P must be the unique one nearest M, and the circuit's O(1)
neighbour test (docs/perpetual.md, R7) must hold at P with that volume.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.exchange import margin as mg
from ledger.exchange.matching import match_batch

BPS = 10_000


def _d(book, p):
    return sum(q for s, lim, q in book if s == "buy" and lim >= p)


def _s(book, p):
    return sum(q for s, lim, q in book if s == "sell" and lim <= p)


def feasible(book, p, mark):
    v = min(_d(book, p), _s(book, p))
    return _d(book, p + 1) <= v and _s(book, p - 1) <= v and (v > 0 or p == mark)


def neighbour_test(book, P, M, V):
    """The circuit's R7 condition at P."""
    if P > M:
        return _s(book, P - 1) < V or _d(book, P) > V
    if P < M:
        return _d(book, P + 1) < V or _s(book, P) > V
    return True


@st.composite
def books(draw):
    mark = draw(st.integers(20, 60))
    band_bps = draw(st.sampled_from([0, 300, 1000, 2500, 10_000]))
    orders = draw(st.lists(st.fixed_dictionaries(dict(
        account=st.sampled_from([1, 2, 3]), side=st.sampled_from(["buy", "sell"]),
        price=st.integers(max(1, mark - 20), mark + 20), size=st.integers(1, 6))),
        min_size=0, max_size=7))
    # accounts 4 and 5 carry positions; with little cash they are liquidated
    accounts = {a: dict(cash=10**12, position=0) for a in (1, 2, 3)}
    for a in (4, 5):
        pos = draw(st.integers(-6, 6))
        accounts[a] = dict(cash=draw(st.sampled_from([10**12, -pos * mark])), position=pos)
    return orders, accounts, mark, band_bps


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books())
def test_engine_price_is_the_feasible_price_nearest_the_mark(case):
    orders, accounts, mark, band_bps = case
    params = dict(im_bps=500, mm_bps=500, fee_bps=0, band_bps=band_bps, liquidation_bps=100)
    liq = [a for a in (4, 5) if accounts[a]["position"] and mg.liquidatable(
        mg.Balance(accounts[a]["cash"], accounts[a]["position"]), 0, mark, 500)]
    res = match_batch(orders, accounts, mark, params, liquidate=liq)
    book = [(orders[i]["side"], orders[i]["price"], orders[i]["size"]) for i in res.active]
    for a in res.liquidated:
        side, size, limit = mg.closing_order(accounts[a]["position"], mark, band_bps)
        book.append((side, limit, size))
    lo, hi = res.band
    prices = [p for p in range(lo, hi + 1) if feasible(book, p, mark)]
    assert res.price in prices
    volumes = {min(_d(book, p), _s(book, p)) for p in prices}
    assert volumes == {res.volume}
    nearest = min(abs(p - mark) for p in prices)
    assert [p for p in prices if abs(p - mark) == nearest] == [res.price]
    assert neighbour_test(book, res.price, mark, res.volume)
    # and the neighbour test refuses every other feasible price
    assert all(not neighbour_test(book, p, mark, res.volume) for p in prices if p != res.price)
