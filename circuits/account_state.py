"""An account's state opening with its funding index, and its Poseidon commitment.

The opening of an account's stored state commitment is

    (cash, position, funding, blinding)

with cash in quote units (signed, |cash| < 2^80), position in lots (signed,
|position| < 2^40), funding the account's last funding index F_a (signed,
|F_a| < 2^64, quote units per lot) and blinding a field element.  The
commitment enters the signed values after their offsets, so every hash input
is a non-negative integer below r:

    commitment = Poseidon(account, cash + 2^80, position + 2^40, F_a + 2^64, blinding).

This module is the ONE definition of that hash that the encryption gadget
(``circuits.encryption``) and the exit circuit (``circuits.exit``) use:
``commitment`` natively and ``open_gadget`` in a circuit.  The settlement
circuit of this branch still commits to Poseidon(account, cash + 2^80,
position + 2^40, blinding) without F_a; when the funding index lands there,
its form replaces the body of these two functions (and ``FUNDING_BITS``) and
nothing else changes here or in the callers.
"""

from dataclasses import dataclass

from verifier.errors import BadInput
from verifier.fields import R_MOD

from .bits import signed_to_offset, to_signed
from .poseidon import hash as poseidon_hash
from .poseidon import hash_gadget
from .settlement_data import (
    ACCOUNT_BITS, CASH_BITS, CASH_OFFSET, POSITION_BITS, POSITION_OFFSET,
)

__all__ = ["Opening", "OpeningError", "FUNDING_BITS", "FUNDING_OFFSET", "FIELDS",
           "commitment", "open_gadget"]

FUNDING_BITS = 65                       # |F_a| < 2^64: offset 2^64, range 2^65
FUNDING_OFFSET = 1 << (FUNDING_BITS - 1)
#: The opening's fields in the order they are hashed and encrypted.
FIELDS = ("cash", "position", "funding", "blinding")
_SIGNED = {"cash": CASH_OFFSET, "position": POSITION_OFFSET, "funding": FUNDING_OFFSET}


class OpeningError(BadInput):
    """An account opening or account id outside its range."""


def _int(name, value, lo, hi) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OpeningError(f"{name} must be an integer, not {type(value).__name__}")
    if not lo <= value < hi:
        raise OpeningError(f"{name} = {value} out of range [{lo}, {hi})")
    return value


@dataclass(frozen=True)
class Opening:
    """The private state behind an account's commitment (signed values as Python ints)."""

    cash: int
    position: int
    funding: int
    blinding: int

    def __post_init__(self):
        for name, off in _SIGNED.items():
            _int(name, getattr(self, name), -off + 1, off)
        _int("blinding", self.blinding, 0, R_MOD)

    def field_elements(self) -> list:
        """The four values as field elements (signed ones mod r), in ``FIELDS`` order."""
        return [getattr(self, f) % R_MOD for f in FIELDS]

    @classmethod
    def from_field_elements(cls, values) -> "Opening":
        """Read four field elements back (signed ones from (−r/2, r/2]); OpeningError when a
        value is out of its range — what a wrong decryption key yields."""
        values = list(values)
        if len(values) != len(FIELDS):
            raise OpeningError(f"an opening has {len(FIELDS)} values, got {len(values)}")
        cash, pos, fund = (to_signed(v) for v in values[:3])
        return cls(cash=cash, position=pos, funding=fund, blinding=values[3] % R_MOD)


def commitment(account: int, opening: Opening) -> int:
    """Poseidon(account, cash + 2^80, position + 2^40, F_a + 2^64, blinding)."""
    _int("account", account, 0, 1 << ACCOUNT_BITS)
    if not isinstance(opening, Opening):
        raise OpeningError("opening must be an account_state.Opening")
    return poseidon_hash([account, opening.cash + CASH_OFFSET, opening.position + POSITION_OFFSET,
                          opening.funding + FUNDING_OFFSET, opening.blinding])


def open_gadget(c, account, cash, position, funding, blinding):
    """The commitment wire of an opening given as signed wires (x mod r); range-checks
    |cash| < 2^80, |position| < 2^40 and |F_a| < 2^64 on the way (signed_to_offset)."""
    with c.labelled("account state: ranges"):
        cash_off = signed_to_offset(c, cash, CASH_BITS)
        pos_off = signed_to_offset(c, position, POSITION_BITS)
        fund_off = signed_to_offset(c, funding, FUNDING_BITS)
    with c.labelled("account state: commitment"):
        return hash_gadget(c, [account, cash_off, pos_off, fund_off, blinding])
