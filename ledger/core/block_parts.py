"""The parts a block is checked from: its slots, its encrypted tail, its withdrawals, its proof.

``ledger.core.block`` builds a ``Block`` from these and re-exports the names
users need.  Here: ``BlockError``; the public-input slots (``OrderSlot``,
``AccountSlot``); the encrypted tail of an encrypted block (2 + 6K inputs,
``circuits.settlement_cipher``: the block key E, then per account slot its key
A and the ciphertext of its new opening, all zero for an inactive slot) read
into ``EncryptedOpening`` records; the rule tying the traders' signed
withdrawal requests to the slots' public withdrawals; and the one canonical
spelling of a proof (a proof accepted in two spellings would let a relay give
honest validators two different hashes of one block).
"""

from dataclasses import dataclass

from circuits.settlement_cipher import CIPHER_GLOBALS, CIPHER_SLOT
from circuits.settlement_data import ACCOUNT_FLOW
from verifier.errors import BadInput
from verifier.marshal import parse_proof, proof_to_json

from ledger.core.withdrawals import WithdrawalRequest

__all__ = ["BlockError", "OrderSlot", "AccountSlot", "EncryptedOpening", "cipher_inputs",
           "cipher_slots", "check_withdrawals", "check_canonical_proof"]


class BlockError(BadInput):
    """A malformed block; the message is one line."""


@dataclass(frozen=True)
class OrderSlot:
    active: bool
    account: int
    commitment: tuple


@dataclass(frozen=True)
class AccountSlot:
    active: bool
    account: int
    old: int
    new: int


@dataclass(frozen=True)
class EncryptedOpening:
    """One account's new opening as a block carries it: block key E, the account's key A,
    the four ciphertext elements, the nonce τ and the new commitment it must open."""
    height: int
    block_key: tuple
    key: tuple
    ciphertext: tuple
    tweak: int
    commitment: int


def cipher_inputs(n_accounts: int) -> int:
    return len(CIPHER_GLOBALS) + len(CIPHER_SLOT) * n_accounts


def cipher_slots(values, account_slots):
    """(E, [(A, ciphertext)] per account slot) from the encrypted tail of the public inputs;
    an inactive slot's key and ciphertext are all zero."""
    E, rest, out = tuple(values[:2]), values[2:], []
    w = len(CIPHER_SLOT)
    for k, slot in enumerate(account_slots):
        vals = rest[w * k: w * (k + 1)]
        if not slot.active and any(vals):
            raise BlockError(f"account slot {k} is inactive but carries a key or ciphertext")
        out.append((tuple(vals[:2]), tuple(vals[2:])))
    return E, tuple(out)


def check_withdrawals(withdrawals, pi, flow_base, account_slots) -> None:
    """Each public withdrawal has exactly one request naming that account slot's account,
    old commitment and amount; no request without one."""
    by_account = {}
    for i, w in enumerate(withdrawals):
        if not isinstance(w, WithdrawalRequest):
            raise BlockError(f"withdrawal {i} is not a withdrawal request")
        if w.account in by_account:
            raise BlockError(f"two withdrawal requests of account {w.account}")
        by_account[w.account] = w
    off = ACCOUNT_FLOW.index("withdraw")
    for k, slot in enumerate(account_slots):
        amount = pi[flow_base + len(ACCOUNT_FLOW) * k + off]
        w = by_account.pop(slot.account, None) if slot.active else None
        if amount == 0 and w is None:
            continue
        if amount == 0:
            raise BlockError(f"withdrawal request of account {w.account} has no "
                             "withdrawal in the block")
        if not slot.active:
            raise BlockError(f"account slot {k} is inactive but withdraws")
        if w is None:
            raise BlockError(f"account slot {k}: withdrawal of {amount} without a request")
        if (w.amount, w.commitment) != (amount, slot.old):
            raise BlockError(f"account slot {k}: the withdrawal request of account "
                             f"{slot.account} is for another amount or state")
    if by_account:
        raise BlockError(f"withdrawal request of account {min(by_account)} has no "
                         "withdrawal in the block")


def check_canonical_proof(proof) -> None:
    """``BlockError`` unless ``proof`` is a proof.json object in its one canonical spelling."""
    try:
        canonical = proof_to_json(parse_proof(proof))
    except ValueError as e:                                   # FormatError, one line
        raise BlockError(f"proof is not in canonical form: {e}") from None
    if canonical != proof:                                    # pragma: no cover - parser is strict
        raise BlockError("proof is not in canonical form (it re-serializes differently)")
