"""A validator's signed price observation: the oracle's unit of evidence.

Each validator reads the market's price from its own source
(``ledger.exchange.oracle``) and signs what it saw for one block of one
chain.  A block carries the observations of validators holding more than 2/3
of the stake; the index price is their stake-weighted median
(``ledger.chain.oracle_quorum``).

**Signed bytes** (``observation_bytes``), integers big-endian::

    b"darkmatch/observation/v1" ‖ 0x00 ‖ len(chain_id) (1 byte) ‖ chain_id (ASCII)
      ‖ market_id (2 bytes) ‖ height (8 bytes) ‖ price (4 bytes)

The chain id keeps an observation from moving to another chain, the market
and height from moving to another market or block; the validator is named
by the key that verifies the signature (its name is a label, the key is
looked up in the ledger).

**JSON** (strict)::

    {"kind": "darkmatch-observation", "version": 1, "chain_id": str,
     "market_id": int, "height": int, "price": int, "validator": name,
     "signature": hex128}

Every malformed field is a one-line ``ObservationError`` naming it.
"""

from dataclasses import dataclass

from verifier.errors import BadInput

from ledger.core import keys
from ledger.core.codec import CodecError, check_object, get_hex, get_int, get_str
from ledger.core.domains import OBSERVATION_DOMAIN
from ledger.core.genesis import NAME_PATTERN
from ledger.core.limits import HEIGHT_BOUND, MARKET_BOUND, PRICE_BOUND, check_int

__all__ = ["Observation", "ObservationError", "observation_bytes", "sign_observation",
           "observation_to_json", "observation_from_json", "OBSERVATION_KIND"]

OBSERVATION_KIND = "darkmatch-observation"


class ObservationError(BadInput):
    """A malformed price observation; one line."""


def observation_bytes(chain_id: str, market_id: int, height: int, price: int) -> bytes:
    """What a validator signs (module docstring)."""
    cid = chain_id.encode("ascii")
    return (OBSERVATION_DOMAIN + len(cid).to_bytes(1, "big") + cid
            + market_id.to_bytes(2, "big") + height.to_bytes(8, "big")
            + price.to_bytes(4, "big"))


@dataclass(frozen=True)
class Observation:
    """One signed observation; construction checks every field's range."""

    chain_id: str
    market_id: int
    height: int
    price: int
    validator: str
    signature: bytes

    def __post_init__(self):
        try:
            get_str({"chain_id": self.chain_id}, "chain_id", "observation", NAME_PATTERN)
            get_str({"validator": self.validator}, "validator", "observation", NAME_PATTERN)
        except CodecError as e:
            raise ObservationError(str(e)) from None
        check_int(self.market_id, "observation: market_id", 0, MARKET_BOUND,
                  error=ObservationError)
        check_int(self.height, "observation: height", 1, HEIGHT_BOUND, error=ObservationError)
        check_int(self.price, "observation: price", 1, PRICE_BOUND, error=ObservationError)
        if not isinstance(self.signature, bytes) or len(self.signature) != keys.SIGNATURE_BYTES:
            raise ObservationError(f"observation: signature must be {keys.SIGNATURE_BYTES} bytes")

    def signing_bytes(self) -> bytes:
        return observation_bytes(self.chain_id, self.market_id, self.height, self.price)

    def verifies(self, public_key) -> bool:
        """Whether the signature verifies under ``public_key`` (hex or key)."""
        return keys.verify(public_key, self.signing_bytes(), self.signature)


def sign_observation(key, validator: str, chain_id: str, market_id: int, height: int,
                     price: int) -> Observation:
    """``validator``'s observation of ``price`` for block ``height``, signed with ``key``."""
    unsigned = Observation(chain_id, market_id, height, price, validator,
                           bytes(keys.SIGNATURE_BYTES))
    return Observation(chain_id, market_id, height, price, validator,
                       keys.sign(key, unsigned.signing_bytes()))


def observation_to_json(o: Observation) -> dict:
    return {"kind": OBSERVATION_KIND, "version": 1, "chain_id": o.chain_id,
            "market_id": o.market_id, "height": o.height, "price": o.price,
            "validator": o.validator, "signature": o.signature.hex()}


def observation_from_json(obj, what: str = "observation") -> Observation:
    """An ``Observation`` from its JSON object; one-line ``ObservationError``."""
    try:
        check_object(obj, what, OBSERVATION_KIND, 1,
                     ("chain_id", "market_id", "height", "price", "validator", "signature"))
        return Observation(get_str(obj, "chain_id", what, NAME_PATTERN),
                           get_int(obj, "market_id", what, 0, MARKET_BOUND),
                           get_int(obj, "height", what, 1, HEIGHT_BOUND),
                           get_int(obj, "price", what, 1, PRICE_BOUND),
                           get_str(obj, "validator", what, NAME_PATTERN),
                           get_hex(obj, "signature", what, keys.SIGNATURE_BYTES))
    except CodecError as e:
        raise ObservationError(str(e)) from None
