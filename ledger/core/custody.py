"""Self-custody on the trader's side: the encryption key file, and the account state recovered
from blocks alone.

**Key file.**  ``encryption.key`` in the account directory holds the trader's Baby Jubjub
secret a ∈ [1, l) as ``{"kind": "darkmatch-encryption-key", "version": 1, "secret": dec}``,
mode 0600 (refused when the group or others may read it, like the Ed25519 key).  Its public
key A = a·B8 is registered with the account (``account.json``'s ``encryption_key`` and the
genesis entry), as ``{"x": dec, "y": dec}``.

**Recovery.**  ``recover(blocks, account, secret)`` walks blocks newest first to the last one
that touched ``account``; that block's ``EncryptedOpening`` decrypts with a·E and must open
the block's new commitment for the account (``circuits.encryption.recover``), which the proof
and the validators' signatures vouch for, so the trader trusts neither the operator nor the
node that served the blocks.  ``margin`` turns the opening into the figures a trader reads:
equity at the mark with funding settled, and the maintenance and initial requirements.
"""

import json
import os
import stat
from dataclasses import dataclass

from circuits import encryption as enc
from circuits.account_state import Opening
from circuits.settlement_data import BPS
from verifier.errors import BadInput, Rejected
from verifier.fields import R_MOD

from ledger.core import keys
from ledger.core.block import Block
from ledger.core.codec import CodecError, check_fields, check_object, get_decimal, read_bounded

__all__ = ["ENCRYPTION_KEY_FILE", "ENCRYPTION_KEY_KIND", "CustodyError", "new_encryption_key",
           "load_encryption_key", "key_to_json", "key_from_json", "Recovered", "recover",
           "margin"]

ENCRYPTION_KEY_FILE = "encryption.key"
ENCRYPTION_KEY_KIND = "darkmatch-encryption-key"
_MAX_BYTES = 4 << 10


class CustodyError(BadInput):
    """A missing or malformed encryption key, or blocks that cannot give the account's state."""


def key_to_json(A) -> dict:
    """A public key as {"x": dec, "y": dec}."""
    A = enc.check_public_key(A)
    return {"x": str(A[0]), "y": str(A[1])}


def key_from_json(obj, what: str = "encryption key") -> tuple:
    """(x, y) from {"x": dec, "y": dec}, checked to be a registrable key."""
    try:
        check_fields(obj, what, ("x", "y"))
        xy = tuple(get_decimal(obj, c, what, 0, R_MOD) for c in ("x", "y"))
        return enc.check_public_key(xy)
    except (CodecError, enc.EncryptionError) as e:
        raise CustodyError(f"{what}: {e}") from None


def new_encryption_key(path, *, overwrite: bool = False):
    """Draw a secret, write it to ``path`` (mode 0600, atomically); returns (a, A)."""
    a, A = enc.keypair()
    doc = {"kind": ENCRYPTION_KEY_KIND, "version": 1, "secret": str(a)}
    try:
        keys.atomic_write(path, (json.dumps(doc) + "\n").encode(), mode=0o600,
                          overwrite=overwrite)
    except FileExistsError:
        raise CustodyError(f"refusing to overwrite existing key file: {os.fspath(path)}") from None
    return a, A


def load_encryption_key(path):
    """(a, A) from an encryption key file; one-line ``CustodyError`` naming what is wrong."""
    path = os.fspath(path)
    data, st = read_bounded(path, "encryption key", _MAX_BYTES, CustodyError)
    if os.name == "posix" and st.st_mode & 0o077:
        raise CustodyError(f"key file {path} is accessible by others (mode "
                           f"{stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}")
    if len(data) > _MAX_BYTES:
        raise CustodyError(f"encryption key file too large to be a key: {path}")
    try:
        obj = json.loads(data)
    except ValueError:
        raise CustodyError(f"encryption key {path}: not JSON") from None
    try:
        check_object(obj, f"encryption key {path}", ENCRYPTION_KEY_KIND, 1, ("secret",))
        a = get_decimal(obj, "secret", f"encryption key {path}", 1, enc.babyjub.L)
    except CodecError as e:
        raise CustodyError(str(e)) from None
    return a, enc.public_key(a)


@dataclass(frozen=True)
class Recovered:
    """An account's state as its owner decrypted it from block ``height``."""
    account: int
    height: int
    opening: Opening
    commitment: int


def recover(blocks, account: int, secret: int) -> Recovered:
    """The account's opening from the newest block in ``blocks`` (any order of ``Block``s)
    that touched it (module docstring); ``CustodyError`` if none did or it carries no
    encrypted opening, ``Rejected`` if the ciphertext does not open its commitment (a wrong
    key, or a forged block)."""
    for block in sorted(blocks, key=lambda b: -b.height):
        if not isinstance(block, Block):
            raise CustodyError("recover needs Block objects")
        touched = [s for s in block.account_slots if s.active and s.account == account]
        if not touched:
            continue
        item = block.ciphertexts().get(account)
        if item is None:
            raise CustodyError(f"block {block.height} touched account {account} without an "
                               "encrypted opening")
        try:
            opening = enc.recover(list(item.ciphertext), item.block_key, secret,
                                  account=account, tau=item.tweak, stored=item.commitment)
        except Rejected as e:
            raise Rejected(f"block {block.height}: {e}") from None
        return Recovered(account, block.height, opening, item.commitment)
    raise CustodyError(f"no block touched account {account}: its state is the genesis one")


def margin(opening: Opening, mark: int, funding: int, mm_bps: int, im_bps: int) -> dict:
    """Equity at ``mark`` with the funding owed since F_a settled (as the exit pays it), the
    notional and the maintenance and initial requirements, in quote units."""
    equity = opening.cash - opening.position * (funding - opening.funding) \
        + opening.position * mark
    notional = abs(opening.position) * mark
    return {"equity": equity, "notional": notional,
            "maintenance": notional * mm_bps // BPS, "initial": notional * im_bps // BPS,
            "exit_amount": max(0, equity)}
