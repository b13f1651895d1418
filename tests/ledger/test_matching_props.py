"""Property tests of the matching engine: random small books against the independent checker."""

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from matching_checker import band, check_batch, provable, volume_at

from circuits.settlement import settlement_circuit
from ledger.exchange.matching import match_batch, to_witness

TRADERS = [1, 2, 3, 4]
FAR = [1, 2**32 - 1]


@st.composite
def batches(draw, rich=False):
    """A few traders, limits near M (now and then far outside any band), small sizes,
    cash from broke to comfortable so that margin binds in some batches."""
    mark = draw(st.integers(60, 140))
    near = st.integers(mark - 8, mark + 8)
    price = st.one_of(near, near, near, st.sampled_from(FAR)) if draw(st.booleans()) else near
    orders = draw(st.lists(st.fixed_dictionaries(dict(
        account=st.sampled_from(TRADERS), side=st.sampled_from(["buy", "sell"]),
        price=price, size=st.integers(1, 12))), min_size=2, max_size=10))
    # |position| ≤ 10 + 108 lots at M ≈ 100: notional up to ~10^4
    cash = st.just(10**12) if rich else st.one_of(st.integers(-300, 1500), st.integers(0, 60_000),
                                                  st.just(10**9))
    accounts = {a: dict(cash=draw(cash), position=draw(st.integers(-10, 10))) for a in TRADERS}
    mm = draw(st.sampled_from([0, 300, 500, 1000]))
    params = dict(mm_bps=mm, im_bps=mm + draw(st.sampled_from([0, 200, 500, 2000])),
                  fee_bps=draw(st.sampled_from([0, 5, 30, 10_000])),
                  band_bps=draw(st.sampled_from([0, 100, 500, 1000, 1000, 10_000, 10_000])))
    return orders, accounts, mark, params


@settings(max_examples=1000, deadline=None, report_multiple_bugs=False,
          suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_random_books_obey_every_rule(batch):
    orders, accounts, mark, params = batch
    res = match_batch(orders, accounts, mark, params)
    active = check_batch(orders, accounts, mark, params, res)
    for kind in sorted({why.split(":")[0].split(" fails ")[-1] for _, why in res.rejected}):
        event(f"rejected: {kind}")
    event("V > 0" if res.volume else "V = 0")
    event("rationed" if res.volume and res.demand != res.supply else "not rationed")
    # stable: matching only the accepted orders gives the same batch and rejects nothing
    again = match_batch([orders[i] for i in active], accounts, mark, params)
    assert again.rejected == [] and again.price == res.price and again.volume == res.volume
    assert again.fills == [res.fills[i] for i in active]
    # deterministic
    assert match_batch(orders, accounts, mark, params) == res


@settings(max_examples=300, deadline=None)
@given(batches(rich=True))
def test_rich_books_reject_only_what_no_provable_price_allows(batch):
    """With margin never binding, an order is rejected only when the book has no
    provable price in the band: no cross (then exactly the orders strictly in the
    money at M go) or a cross whose provable prices all lie outside the band."""
    orders, accounts, mark, params = batch
    res = match_batch(orders, accounts, mark, params)
    check_batch(orders, accounts, mark, params, res)
    rejected = [i for i, _ in res.rejected]
    event("V > 0" if res.volume else "V = 0")
    prices = band(mark, params["band_bps"])
    crosses = max(volume_at(orders, p) for p in range(1, 200)) > 0 or any(
        volume_at(orders, p) for p in FAR)
    if not crosses:
        assert rejected == [i for i, o in enumerate(orders)
                            if (o["side"] == "buy" and o["price"] > mark)
                            or (o["side"] == "sell" and o["price"] < mark)]
        assert res.volume == 0 and res.price == mark
    elif any(provable(orders, p) for p in prices):
        assert rejected == []
        assert res.volume == max(volume_at(orders, p) for p in range(1, 200))
    else:
        reasons = [why.split(":")[0] for _, why in res.rejected]
        assert "price band" in reasons and set(reasons) <= {"price band", "no counterparty"}


@settings(max_examples=150, deadline=None)
@given(batches(rich=True), st.permutations(range(10)))
def test_price_and_volume_do_not_depend_on_order_arrival(batch, perm):
    """Time priority only decides remainder lots; P, V and each side's total do not move."""
    orders, accounts, mark, params = batch
    shuffled = [orders[i] for i in perm if i < len(orders)]
    a = match_batch(orders, accounts, mark, params)
    b = match_batch(shuffled, accounts, mark, params)
    assert (a.price, a.volume, a.demand, a.supply) == (b.price, b.volume, b.demand, b.supply)
    assert len(a.rejected) == len(b.rejected)


@pytest.fixture(scope="module")
def circuit_10x4():
    return settlement_circuit(10, 4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(batches())
def test_the_engines_witness_satisfies_the_settlement_circuit(circuit_10x4, batch):
    """End to end: every batch the engine settles is one the circuit accepts (all gates,
    O1 openings, slot matching, R1–R6, A1, A2), with the inputs it publishes."""
    orders, accounts, mark, params = batch
    orders = [dict(o, nonce=i, rho=1000 + i) for i, o in enumerate(orders)]
    res = match_batch(orders, accounts, mark, params)
    witness = to_witness(res, 5, 10, 4, old_blindings={a: 77 + a for a in accounts})
    assert witness.price == res.price and witness.volume == res.volume
    circuit_10x4.check(circuit_10x4.assignment(witness))   # raises UnsatisfiedError otherwise
