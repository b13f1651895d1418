"""ledger.core.orders: commitments, signatures over the documented bytes, strict JSON, nullifiers."""

import copy

import pytest

from circuits import babyjub, pedersen, poseidon
from circuits.settlement_data import OrderOpening
from ledger.core import keys
from ledger.core import orders
from ledger.core.orders import (
    NO_EXPIRY,
    ORDER_DOMAIN,
    SignedOrder,
    new_order,
    nullifier,
    opening_from_json,
    opening_matches,
    opening_to_json,
    order_from_json,
    order_to_json,
    verify_order_signature,
)
from verifier.fields import R_MOD

KEY = keys.generate()
PUB = keys.public_key_hex(KEY)


@pytest.fixture(scope="module")
def made():
    return new_order(KEY, 7, 3, "buy", 100, 5, 1000, nonce=42)


def _one_line(e):
    msg = str(e.value)
    assert msg and "\n" not in msg
    return msg


def test_new_order_signs_and_opens(made):
    order, opening = made
    assert (order.account, order.market, order.expiry_height) == (7, 3, 1000)
    assert opening == OrderOpening(7, 3, "buy", 100, 5, 42, opening.rho)
    assert order.commitment == pedersen.commit_with(opening.rho, account=7, market=3, side="buy",
                                                    price=100, size=5, nonce=42)
    assert verify_order_signature(order, PUB)
    assert verify_order_signature(order, KEY.public_key())
    assert not verify_order_signature(order, keys.public_key_hex(keys.generate()))
    assert opening_matches(order, opening)


def test_opening_mismatches(made):
    order, op = made
    changes = [dict(price=101), dict(size=4), dict(side="sell"), dict(nonce=43),
               dict(rho=(op.rho + 1) % babyjub.L), dict(account=8), dict(market=4)]
    for change in changes:
        other = OrderOpening(**{**op.__dict__, **change})
        assert not opening_matches(order, other), change


def test_signing_bytes_layout(made):
    order, _ = made
    b = order.signing_bytes()
    x, y = order.commitment
    assert len(b) == orders.SIGNED_BYTES_LEN == 101
    assert b[:19] == ORDER_DOMAIN == b"darkmatch/order/v1\x00"
    assert b[19:27] == (7).to_bytes(8, "big")
    assert b[27:29] == (3).to_bytes(2, "big")
    assert b[29:61] == x.to_bytes(32, "big")
    assert b[61:93] == y.to_bytes(32, "big")
    assert b[93:101] == (1000).to_bytes(8, "big")
    assert keys.verify(PUB, b, order.signature)


def test_every_signed_field_is_bound(made):
    order, _ = made
    other_C = new_order(KEY, 7, 3, "buy", 100, 5, 1000)[0].commitment
    for change in [dict(account=8), dict(market=4), dict(expiry_height=1001),
                   dict(commitment=other_C)]:
        fields = {"account": order.account, "commitment": order.commitment,
                  "market": order.market, "expiry_height": order.expiry_height,
                  "signature": order.signature, **change}
        assert not verify_order_signature(SignedOrder(**fields), PUB), change


def test_fresh_nonce_and_blinding():
    a, oa = new_order(KEY, 7, 3, "buy", 100, 5, 1000)
    b, ob = new_order(KEY, 7, 3, "buy", 100, 5, 1000)
    assert oa.nonce != ob.nonce and oa.rho != ob.rho and a.commitment != b.commitment
    assert a.nullifier() != b.nullifier()


def test_nullifier_is_poseidon_of_the_commitment(made):
    order, _ = made
    x, y = order.commitment
    expected = poseidon.hash([int.from_bytes(b"darkmatch/nullifier/v1", "big"), x, y])
    assert order.nullifier() == nullifier(order) == expected.to_bytes(32, "big").hex()
    # Depends on the commitment only: another expiry (re-signed) is the same spend.
    resigned = SignedOrder(7, order.commitment, 3, 5,
                           keys.sign(KEY, orders.signing_bytes(7, order.commitment, 3, 5)))
    assert resigned.nullifier() == order.nullifier()


def test_expiry_semantics():
    o = new_order(KEY, 1, 0, "sell", 10, 1, 5)[0]
    assert not o.expired_at(5) and o.expired_at(6)
    forever = new_order(KEY, 1, 0, "sell", 10, 1, NO_EXPIRY)[0]
    assert not forever.expired_at(2**63)


@pytest.mark.parametrize("args, field", [
    ((7, 0, "buy", 100, -5, 10), "size"),
    ((7, 0, "buy", 100, 0, 10), "size"),
    ((7, 0, "buy", 100, 2**32, 10), "size"),
    ((7, 0, "buy", 0, 5, 10), "price"),
    ((7, 0, "buy", 2**32, 5, 10), "price"),
    ((7, 0, "buy", -1, 5, 10), "price"),
    ((7, 0, "hold", 100, 5, 10), "side"),
    ((7, 2**16, "buy", 100, 5, 10), "market"),
    ((-1, 0, "buy", 100, 5, 10), "account"),
    ((2**40, 0, "buy", 100, 5, 10), "account"),
    ((7, 0, "buy", 100, 5, -1), "expiry_height"),
    ((7, 0, "buy", 100, 5, 2**64), "expiry_height"),
    ((7, 0, "buy", 100.0, 5, 10), "price"),
    ((7, 0, "buy", True, 5, 10), "price"),
])
def test_new_order_bad_input(args, field):
    with pytest.raises(ValueError) as e:
        new_order(KEY, *args)
    assert field in _one_line(e)


def test_new_order_bad_nonce():
    with pytest.raises(ValueError) as e:
        new_order(KEY, 7, 0, "buy", 100, 5, 10, nonce=2**64)
    assert "nonce" in _one_line(e)


def test_json_roundtrip(made):
    order, opening = made
    j = order_to_json(order)
    assert j["commitment"]["x"] == str(order.commitment[0])
    assert order_from_json(copy.deepcopy(j)) == order
    assert opening_from_json(opening_to_json(opening)) == opening
    assert isinstance(opening_to_json(opening)["rho"], str)


def _bad_order_docs(j):
    x = int(j["commitment"]["x"])
    yield "missing field", {k: v for k, v in j.items() if k != "expiry_height"}
    yield "unknown field", {**j, "side": "buy"}
    yield "kind", {**j, "kind": "darkmatch-block"}
    yield "version", {**j, "version": 2}
    yield "version", {**j, "version": True}
    yield "integer", {**j, "account": "7"}
    yield "integer", {**j, "account": True}
    yield "integer", {**j, "market": 3.0}
    yield "out of range", {**j, "account": 2**40}
    yield "out of range", {**j, "expiry_height": 2**64}
    yield "out of range", {**j, "expiry_height": -1}
    yield "lowercase hex", {**j, "signature": j["signature"].upper()}
    yield "lowercase hex", {**j, "signature": j["signature"][:-2]}
    yield "canonical decimal", {**j, "commitment": {**j["commitment"], "x": "0" + str(x)}}
    yield "canonical decimal", {**j, "commitment": {**j["commitment"], "x": "+" + str(x)}}
    yield "canonical decimal", {**j, "commitment": {**j["commitment"], "x": x}}
    yield "out of range", {**j, "commitment": {**j["commitment"], "x": str(x + R_MOD)}}
    yield "unknown field", {**j, "commitment": {**j["commitment"], "z": "1"}}
    yield "not a point", {**j, "commitment": {"x": "1", "y": "2"}}
    yield "prime-order subgroup", {**j, "commitment": {"x": "0", "y": "1"}}
    # C + T for the 2-torsion point T = (0, -1): on the curve, not in the subgroup.
    C = (int(j["commitment"]["x"]), int(j["commitment"]["y"]))
    tx, ty = babyjub.add(C, (0, R_MOD - 1))
    yield "prime-order subgroup", {**j, "commitment": {"x": str(tx), "y": str(ty)}}
    yield "JSON object", [j]


def test_order_json_is_strict(made):
    order, _ = made
    for expected, doc in _bad_order_docs(order_to_json(order)):
        with pytest.raises(ValueError) as e:
            order_from_json(doc)
        assert expected in _one_line(e), (expected, str(e.value))


def test_opening_json_is_strict(made):
    order, opening = made
    j = opening_to_json(opening)
    bad = [
        ("missing field", {k: v for k, v in j.items() if k != "rho"}),
        ("unknown field", {**j, "commitment": {}}),
        ("side", {**j, "side": "hold"}),
        ("size", {**j, "size": -5}),
        ("size", {**j, "size": 0}),
        ("price", {**j, "price": 2**32}),
        ("rho", {**j, "rho": str(babyjub.L)}),
        ("nonce", {**j, "nonce": 5}),
        ("nonce", {**j, "nonce": str(2**64)}),
        ("public order", order_to_json(order)),
    ]
    for expected, doc in bad:
        with pytest.raises(ValueError) as e:
            opening_from_json(doc)
        assert expected in _one_line(e), (expected, str(e.value))
    with pytest.raises(ValueError) as e:
        order_from_json(j)
    assert "private order opening" in _one_line(e)


def test_signed_order_constructor_checks():
    order = new_order(KEY, 7, 0, "buy", 100, 5, 10)[0]
    base = dict(account=7, commitment=order.commitment, market=0, expiry_height=10,
                signature=order.signature)
    for change, field in [(dict(signature=b"\0" * 63), "signature"),
                          (dict(signature="00" * 64), "signature"),
                          (dict(commitment=(1, 2)), "not a point"),
                          (dict(commitment=(0, 1)), "subgroup"),
                          (dict(commitment=[1, 2]), "pair"),
                          (dict(account=-1), "account")]:
        with pytest.raises(ValueError) as e:
            SignedOrder(**{**base, **change})
        assert field in _one_line(e)
