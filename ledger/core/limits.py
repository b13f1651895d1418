"""Every numeric limit of the ledger, defined once, and the one integer check.

The circuit fixes the widths of what it range-checks (``circuits.settlement_data``:
``PRICE_BITS``, ``SIZE_BITS``, ``CASH_BITS``, ``POSITION_CAP_BITS``,
``ACCOUNT_BITS``, ``MARKET_BITS``); the ledger's bounds are derived from
them, so that nothing the ledger accepts can fail to fit the circuit:

=====================  ==========================  =====================================
bound                  value                       meaning
=====================  ==========================  =====================================
``PRICE_BOUND``        2^PRICE_BITS = 2^32         1 ≤ price (limit, clearing, mark) < it
``SIZE_BOUND``         2^SIZE_BITS = 2^32          1 ≤ size < it; 0 ≤ volume < it
``CASH_BOUND``         2^(CASH_BITS−1) = 2^80      |cash| < it (signed, offset in the circuit)
``POSITION_BOUND``     2^(POSITION_CAP_BITS−1)     |position| < it (new states; an order that
                       = 2^32                      would reach it is refused): a closing order
                                                   and the batch volume must stay below 2^32
``ACCOUNT_BOUND``      2^ACCOUNT_BITS              0 ≤ account id < it
``MARKET_BOUND``       2^MARKET_BITS               0 ≤ market id < it
``FUNDING_BOUND``      2^(FUNDING_BITS−1) = 2^47   |funding index| < it (−2^47 ≤ F < 2^47)
``FLOW_BOUND``         2^FLOW_BITS = 2^64          0 ≤ deposit, withdrawal < it
``INSURANCE_BOUND``    2^INSURANCE_BITS = 2^80     0 ≤ insurance fund, shortfall < it
``INT64_BOUND``        2^63                        what SQLite's INTEGER holds (sums, ids)
``MAX_TIMEOUT_S``      3600                        a network timeout a command accepts (seconds,
                                                   finite, > 0)
``HEIGHT_BOUND``       2^63                        block heights (stored as INTEGER)
``ROUND_BOUND``        2^31                        0 ≤ a height's round number < it
``STAKE_BOUND``        2^62                        one validator's stake (sums stay < 2^63)
``MAX_BLOCK_SLOTS``    the circuit's ``MAX_SLOTS``  order or account slots a block may declare
``MAX_BATCH_SLOTS``    64                          slots an operator home or the demo lays out
``MAX_LIQUIDATIONS``   ``LIQUIDATION_SLOTS`` = 4   accounts one batch liquidates (the circuit's
                                                   liquidation slots; fewer when K is smaller)
``MAX_OBSERVATIONS``   256                         price observations one block may carry
``MAX_OBSERVATION_AGE`` 0                          blocks an observation may trail its block
``MAX_FEED_BYTES``     65 536                      a price source's answer (file or HTTP)
``FEED_TIMEOUT_S``     5                           seconds an HTTP price source may take
=====================  ==========================  =====================================

``check_int(value, name, lo, hi)`` is the one integer check: ``value`` must be
an ``int`` (a ``bool`` is refused) with lo ≤ value < hi (either bound may be
``None``); otherwise a one-line error of the caller's kind (default
``BadInput``) naming the value.
"""

from circuits.settlement import MAX_SLOTS as _CIRCUIT_MAX_SLOTS
from circuits.settlement_data import (ACCOUNT_BITS, CASH_OFFSET, FLOW_BITS, FUNDING_OFFSET,
                                      INSURANCE_BITS, LIQUIDATION_SLOTS, MARKET_BITS,
                                      POSITION_CAP_BITS, PRICE_BITS, SIZE_BITS)
from verifier.errors import BadInput

__all__ = ["MAX_TIMEOUT_S",
           "PRICE_BOUND", "SIZE_BOUND", "CASH_BOUND", "POSITION_BOUND", "ACCOUNT_BOUND",
           "MARKET_BOUND", "FUNDING_BOUND", "FLOW_BOUND", "INSURANCE_BOUND", "INT64_BOUND", "HEIGHT_BOUND", "ROUND_BOUND", "STAKE_BOUND", "MAX_BLOCK_SLOTS",
           "MAX_LIQUIDATIONS",
           "MAX_BATCH_SLOTS", "MAX_OBSERVATIONS", "MAX_OBSERVATION_AGE",
           "MAX_FEED_BYTES", "FEED_TIMEOUT_S", "check_int"]

PRICE_BOUND = 1 << PRICE_BITS
SIZE_BOUND = 1 << SIZE_BITS
CASH_BOUND = CASH_OFFSET
POSITION_BOUND = 1 << (POSITION_CAP_BITS - 1)
ACCOUNT_BOUND = 1 << ACCOUNT_BITS
MARKET_BOUND = 1 << MARKET_BITS
FUNDING_BOUND = FUNDING_OFFSET
FLOW_BOUND = 1 << FLOW_BITS
INSURANCE_BOUND = 1 << INSURANCE_BITS
INT64_BOUND = 1 << 63
MAX_TIMEOUT_S = 3600
HEIGHT_BOUND = INT64_BOUND
ROUND_BOUND = 1 << 31
STAKE_BOUND = 1 << 62
MAX_BLOCK_SLOTS = _CIRCUIT_MAX_SLOTS
MAX_BATCH_SLOTS = 64
MAX_LIQUIDATIONS = LIQUIDATION_SLOTS
MAX_OBSERVATIONS = 256
#: an observation must be for exactly its block's height: with any slack the operator
#: could choose between a validator's older and newer prices
MAX_OBSERVATION_AGE = 0
MAX_FEED_BYTES = 1 << 16
FEED_TIMEOUT_S = 5


def check_int(value, name: str, lo=None, hi=None, *, error=BadInput, text: str = None) -> int:
    """``value`` if an int (not a bool) with lo ≤ value < hi; else ``error`` (one line).

    The range message is ``"{name} = {value} out of range [lo, hi)"``, or
    ``"… out of range: must be {text}"`` when ``text`` spells the range.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(f"{name} must be an integer, not {type(value).__name__}")
    if (lo is not None and value < lo) or (hi is not None and value >= hi):
        if text is not None:
            raise error(f"{name} = {value} out of range: must be {text}")
        if lo is not None and hi is not None:
            raise error(f"{name} = {value} out of range [{lo}, {hi})")
        bound = f"at least {lo}" if lo is not None else f"below {hi}"
        raise error(f"{name} = {value} out of range: must be {bound}")
    return value
