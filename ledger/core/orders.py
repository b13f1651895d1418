"""The trader's side of an order: commit locally, sign the public part, keep the opening.

``new_order`` makes two halves (docs/design.md §Roles, §Orders):

* the **public order** (``SignedOrder``): account id, the Pedersen commitment
  C = (x, y) of the order, market id and expiry height, signed with the
  account's Ed25519 key.  Validators, the ledger and everyone see it; it
  reveals neither side, price nor size (the commitment hides them);
* the **private opening** (``circuits.settlement_data.OrderOpening``): account,
  market, side, limit price, size, nonce and the blinding ρ, sent privately
  to the operator, who proves in the batch circuit that it opens C (rule O1).

**Signed bytes** (fixed layout, big-endian integers, 101 bytes):

    offset  size  field
         0    19  ORDER_DOMAIN = b"darkmatch/order/v1" followed by one 0x00 byte
        19     8  account id      (< 2^40)
        27     2  market id       (< 2^16)
        29    32  commitment x    (< r, the BN254 scalar field = Baby Jubjub's base field)
        61    32  commitment y
        93     8  expiry height   (< 2^64)

Every field has a fixed width, so two different orders never share signed
bytes, and the domain tag keeps an order signature from being valid as any
other ledger signature (attestations use their own tag).  The tag's version
changes if the layout does.  The bytes do not name a ledger: an order could
only be replayed on another ledger that has the same account id under the
same key, and a fresh ρ per order makes every commitment new.

**Expiry.**  An order may be included in a block of height h only if
h ≤ expiry_height (inclusive); ``NO_EXPIRY`` = 2^64 − 1 means it never expires.

**Nullifier.**  A commitment is spent once: the ledger records
``nullifier(order)`` = Poseidon(NULLIFIER_TAG, x, y) (circomlib Poseidon, three
inputs; NULLIFIER_TAG = the integer whose big-endian bytes are
b"darkmatch/nullifier/v1"), written as 64 lowercase hex digits.  It depends on
the commitment only — re-signing the same commitment with another expiry gives
the same nullifier, so it is still spent once — and it is a field element, so
a later circuit can derive it in-circuit.  It doubles as the order's id.

**JSON** (strict; see ``ledger.core.codec``):

    order:   {"kind": "darkmatch-order", "version": 1, "account": int, "market": int,
              "commitment": {"x": dec, "y": dec}, "expiry_height": int, "signature": hex128}
    opening: {"kind": "darkmatch-order-opening", "version": 1, "account": int,
              "market": int, "side": "buy"|"sell", "price": int, "size": int,
              "nonce": dec, "rho": dec}

A commitment read from JSON must be a point of Baby Jubjub's prime-order
subgroup other than the identity (a point with a small-order component would
have two spellings of "the same" order).
"""

import secrets
from dataclasses import InitVar, dataclass

from circuits import babyjub, poseidon
from circuits.settlement_data import NONCE_BITS, OrderOpening
from verifier.errors import BadInput
from verifier.fields import R_MOD

from ledger.core import keys
from ledger.core.domains import NULLIFIER_TAG, ORDER_DOMAIN
from ledger.core.limits import ACCOUNT_BOUND, MARKET_BOUND, PRICE_BOUND, SIZE_BOUND, check_int
from ledger.core.codec import (
    CodecError,
    check_fields,
    check_object,
    get_decimal,
    get_hex,
    get_int,
    get_str,
)

__all__ = [
    "SignedOrder", "OrderOpening", "OrderError", "new_order", "verify_order_signature",
    "opening_matches", "nullifier", "order_to_json", "order_from_json", "opening_to_json",
    "opening_from_json", "ORDER_DOMAIN", "NULLIFIER_TAG", "NO_EXPIRY", "HEIGHT_LIMIT",
    "SIGNED_BYTES_LEN", "ORDER_KIND", "OPENING_KIND",
]

HEIGHT_LIMIT = 1 << 64
NO_EXPIRY = HEIGHT_LIMIT - 1
SIGNED_BYTES_LEN = len(ORDER_DOMAIN) + 8 + 2 + 32 + 32 + 8
ORDER_KIND = "darkmatch-order"
OPENING_KIND = "darkmatch-order-opening"


class OrderError(BadInput):
    """A malformed order or opening; the message is one line."""


def _check_commitment(C):
    if (not isinstance(C, tuple) or len(C) != 2
            or any(isinstance(v, bool) or not isinstance(v, int) for v in C)):
        raise OrderError("commitment must be a pair of integers (x, y)")
    if not all(0 <= v < R_MOD for v in C):
        raise OrderError("commitment coordinates must be below r")
    if not babyjub.is_on_curve(C):
        raise OrderError("commitment is not a point on Baby Jubjub")
    if C == babyjub.IDENTITY or not babyjub.in_subgroup(C):
        raise OrderError("commitment is not a non-identity point of the prime-order subgroup")
    return C


@dataclass(frozen=True)
class SignedOrder:
    """The public order: (account, commitment, market, expiry) and its Ed25519 signature.

    Construction checks ranges and that the commitment is a subgroup point (about
    35 ms); ``check_point=False`` skips the point check, only for a commitment
    just computed by ``OrderOpening.commitment`` (or already checked).
    """

    account: int
    commitment: tuple
    market: int
    expiry_height: int
    signature: bytes
    check_point: InitVar[bool] = True

    def __post_init__(self, check_point):
        check_int(self.account, "account", 0, ACCOUNT_BOUND, error=OrderError)
        check_int(self.market, "market", 0, MARKET_BOUND, error=OrderError)
        check_int(self.expiry_height, "expiry_height", 0, HEIGHT_LIMIT, error=OrderError)
        if not isinstance(self.signature, bytes) or len(self.signature) != keys.SIGNATURE_BYTES:
            raise OrderError(f"signature must be {keys.SIGNATURE_BYTES} bytes")
        if check_point:
            _check_commitment(self.commitment)
        else:
            object.__setattr__(self, "commitment", tuple(self.commitment))

    def signing_bytes(self) -> bytes:
        return signing_bytes(self.account, self.commitment, self.market, self.expiry_height)

    def nullifier(self) -> str:
        """``nullifier(self)``, computed once (a Poseidon hash, about 1 ms)."""
        if "_nullifier" not in self.__dict__:
            object.__setattr__(self, "_nullifier", nullifier(self))
        return self.__dict__["_nullifier"]

    def expired_at(self, height: int) -> bool:
        """True if a block of this height may no longer include the order."""
        return height > self.expiry_height


def signing_bytes(account: int, commitment, market: int, expiry_height: int) -> bytes:
    """The 101 signed bytes (layout in the module docstring)."""
    x, y = commitment
    return (ORDER_DOMAIN + account.to_bytes(8, "big") + market.to_bytes(2, "big")
            + x.to_bytes(32, "big") + y.to_bytes(32, "big") + expiry_height.to_bytes(8, "big"))


def nullifier(order: SignedOrder) -> str:
    """Poseidon(NULLIFIER_TAG, x, y) as 64 lowercase hex digits (see module doc)."""
    x, y = order.commitment
    return poseidon.hash([NULLIFIER_TAG, x, y]).to_bytes(32, "big").hex()


def new_order(key, account_id, market, side, price, size, expiry_height, nonce=None):
    """Commit to an order and sign its public part: returns (SignedOrder, OrderOpening).

    ``nonce`` defaults to 64 random bits and ρ is uniform in [0, l); a bad field
    raises a one-line ``ValueError`` naming it, before anything is signed.
    """
    if nonce is None:
        nonce = secrets.randbits(NONCE_BITS)
    check_int(expiry_height, "expiry_height", 0, HEIGHT_LIMIT, error=OrderError)
    opening = OrderOpening(account=account_id, market=market, side=side, price=price,
                           size=size, nonce=nonce, rho=secrets.randbelow(babyjub.L))
    C = opening.commitment()
    sig = keys.sign(key, signing_bytes(account_id, C, market, expiry_height))
    return SignedOrder(account_id, C, market, expiry_height, sig, check_point=False), opening


def verify_order_signature(order: SignedOrder, public_key) -> bool:
    """True iff the order's signature is valid under ``public_key`` (key object or hex)."""
    return keys.verify(public_key, order.signing_bytes(), order.signature)


def opening_matches(order: SignedOrder, opening: OrderOpening) -> bool:
    """True iff ``opening`` opens the order's commitment with the order's account and market."""
    if opening.account != order.account or opening.market != order.market:
        return False
    return opening.commitment() == tuple(order.commitment)


# ------------------------------------------------------------------ JSON
def order_to_json(order: SignedOrder) -> dict:
    x, y = order.commitment
    return {"kind": ORDER_KIND, "version": 1, "account": order.account, "market": order.market,
            "commitment": {"x": str(x), "y": str(y)}, "expiry_height": order.expiry_height,
            "signature": order.signature.hex()}


def order_from_json(obj, what: str = "order") -> SignedOrder:
    """A ``SignedOrder`` from its JSON object; a one-line ``ValueError`` if malformed."""
    if isinstance(obj, dict) and obj.get("kind") == OPENING_KIND:
        raise CodecError(f"{what}: this is a private order opening, not a public order")
    check_object(obj, what, ORDER_KIND, 1,
                 ("account", "market", "commitment", "expiry_height", "signature"))
    c = check_fields(obj["commitment"], f"{what}: commitment", ("x", "y"))
    commitment = (get_decimal(c, "x", what, 0, R_MOD), get_decimal(c, "y", what, 0, R_MOD))
    try:
        return SignedOrder(get_int(obj, "account", what, 0, ACCOUNT_BOUND), commitment,
                           get_int(obj, "market", what, 0, MARKET_BOUND),
                           get_int(obj, "expiry_height", what, 0, HEIGHT_LIMIT),
                           get_hex(obj, "signature", what, keys.SIGNATURE_BYTES))
    except OrderError as e:
        raise OrderError(f"{what}: {e}") from None


def opening_to_json(opening: OrderOpening) -> dict:
    return {"kind": OPENING_KIND, "version": 1, "account": opening.account,
            "market": opening.market, "side": opening.side, "price": opening.price,
            "size": opening.size, "nonce": str(opening.nonce), "rho": str(opening.rho)}


def opening_from_json(obj, what: str = "order opening") -> OrderOpening:
    """An ``OrderOpening`` from its JSON object; one-line ``ValueError`` if malformed."""
    if isinstance(obj, dict) and obj.get("kind") == ORDER_KIND:
        raise CodecError(f"{what}: this is a public order, not a private order opening")
    check_object(obj, what, OPENING_KIND, 1,
                 ("account", "market", "side", "price", "size", "nonce", "rho"))
    fields = dict(account=get_int(obj, "account", what, 0, ACCOUNT_BOUND),
                  market=get_int(obj, "market", what, 0, MARKET_BOUND),
                  side=get_str(obj, "side", what, "buy|sell"),
                  price=get_int(obj, "price", what, 1, PRICE_BOUND),
                  size=get_int(obj, "size", what, 1, SIZE_BOUND),
                  nonce=get_decimal(obj, "nonce", what, 0, 1 << NONCE_BITS),
                  rho=get_decimal(obj, "rho", what, 0, babyjub.L))
    try:
        return OrderOpening(**fields)
    except ValueError as e:                  # pragma: no cover - ranges checked above
        raise OrderError(f"{what}: {e}") from None
