"""An account's state opening with its funding index, and its Poseidon commitment.

The opening of an account's stored state commitment is

    (cash, position, funding, blinding)

with cash in quote units (signed, |cash| < 2^80), position in lots (signed,
|position| < 2^40), funding the account's last funding index F_a (signed,
|F_a| < 2^47, quote units per lot) and blinding a field element.  The
commitment is the settlement circuit's (``settlement_data.AccountState``):

    commitment = Poseidon(account, cash + 2^80, position + 2^40 + 2^41·F_a, blinding)

position and F_a share one hash input; the packing is injective because the
gadget range-checks position + 2^40 to [0, 2^41) and F_a + 2^47 to [0, 2^48).
``commitment`` computes it natively (through ``AccountState.commitment``, so
there is one formula) and ``open_gadget`` in a circuit; the encryption gadget
(``circuits.encryption``) and the exit circuit (``circuits.exit``) use them,
and the batch circuit's stored commitments are exactly these.
"""

from dataclasses import dataclass

from verifier.errors import BadInput
from verifier.fields import R_MOD

from .bits import range_check, signed_to_offset, to_signed
from .poseidon import hash_gadget
from .settlement_data import (
    ACCOUNT_BITS, CASH_BITS, CASH_OFFSET, FUNDING_BITS, FUNDING_OFFSET, PACK_SHIFT,
    POSITION_BITS, POSITION_OFFSET, AccountState,
)

__all__ = ["Opening", "OpeningError", "FUNDING_BITS", "FUNDING_OFFSET", "FIELDS",
           "commitment", "open_gadget"]

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
        for name, off in _SIGNED.items():      # F_a as AccountState: [−2^47, 2^47)
            _int(name, getattr(self, name), -off + (name != "funding"), off)
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
    """Poseidon(account, cash + 2^80, position + 2^40 + 2^41·F_a, blinding)."""
    _int("account", account, 0, 1 << ACCOUNT_BITS)
    if not isinstance(opening, Opening):
        raise OpeningError("opening must be an account_state.Opening")
    return AccountState(account=account, cash=opening.cash, position=opening.position,
                        blinding=opening.blinding, funding_index=opening.funding).commitment()


def open_gadget(c, account, cash, position, funding, blinding):
    """The commitment wire of an opening given as signed wires (x mod r); range-checks
    |cash| < 2^80, |position| < 2^40 and F_a + 2^47 ∈ [0, 2^48) on the way."""
    with c.labelled("account state: ranges"):
        cash_off = signed_to_offset(c, cash, CASH_BITS)
        pos_off = signed_to_offset(c, position, POSITION_BITS)
        range_check(c, c.lincomb([(funding, 1)], const=FUNDING_OFFSET), FUNDING_BITS)
    with c.labelled("account state: commitment"):
        packed = c.lincomb([(pos_off, 1), (funding, 1 << PACK_SHIFT)])
        return hash_gadget(c, [account, cash_off, c.as_var(packed), blinding])
