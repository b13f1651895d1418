"""Parameter changes by quorum (docs/design.md §Governance): margins, fee, band and the validator set.

A change is one of ``GovernanceTables.apply_param_change``'s documents —
``{"kind": "market", "market_id", "im_bps", "mm_bps", "fee_bps", "band_bps"}``
or ``{"kind": "validator", "name", "public_key", "stake"}`` — proposed at the
ledger's head height h: it holds for the blocks after h.  Validators sign

    change_bytes = b"darkmatch/param-change/v1" ‖ 0x00 ‖ SHA-256(genesis hash (32 bytes) ‖
                   h (8 bytes, big-endian) ‖ canonical JSON of the change)

so a signature names the ledger, the height and the exact change.
``apply_approved(store, change, height, signatures)`` checks, in order:

1. ``height`` is the store's head height (a change approved for an earlier
   head cannot be slipped in after blocks that assumed the old parameters),
   and this very change is not already recorded at that height (no replay);
2. every signature is by a distinct registered validator and verifies
   (one bad signature refuses the whole change: anyone could forge it);
3. the *unslashed* signers hold more than 2/3 of the unslashed stake
   (``ledger.chain.rules.tally``, the rule blocks follow);

then stores the change with its signatures in one transaction
(``apply_param_change``) and returns its id.  Any failure is one line
(``BadInput``, ``Conflict`` or ``Rejected``) and nothing is stored.

**Document** (what nodes exchange: ``POST /param-change``,
``GET /param-changes/<h>``, and catch-up, so a node that was down applies
the same changes at the same heights, re-checking every signature)::

    {"kind": "darkmatch-param-change", "version": 1, "height": h, "change": {...},
     "signatures": [{"validator": name, "signature": hex128}, ...]}
"""

import hashlib

from verifier.errors import BadInput, Conflict, Rejected

from ledger.core import keys
from ledger.core.domains import PARAM_DOMAIN
from ledger.core.block import signatures_from_json, signatures_to_json
from ledger.core.codec import CodecError, canonical_json, check_object, get_int
from ledger.chain.rules import tally

__all__ = ["change_bytes", "sign_change", "apply_approved", "approval_to_json",
           "approval_from_json", "apply_document", "PARAM_DOMAIN", "PARAM_KIND"]

PARAM_KIND = "darkmatch-param-change"


def change_bytes(genesis_hash: str, height: int, change: dict) -> bytes:
    """What a validator signs to approve ``change`` at head ``height`` of this ledger."""
    digest = hashlib.sha256(bytes.fromhex(genesis_hash) + height.to_bytes(8, "big")
                            + canonical_json(change)).digest()
    return PARAM_DOMAIN + digest


def sign_change(key, genesis_hash: str, height: int, change: dict) -> bytes:
    return keys.sign(key, change_bytes(genesis_hash, height, change))


def apply_approved(store, change, height, signatures) -> int:
    """Store ``change`` if validators with > 2/3 of the stake signed it (module docstring)."""
    if not isinstance(change, dict):
        raise BadInput("a parameter change is a JSON object")
    try:
        message = change_bytes(store.genesis_hash(), height, change)
    except (TypeError, ValueError, OverflowError, AttributeError):
        raise BadInput("parameter change: height must be a non-negative integer and the "
                       "change JSON-encodable") from None
    view = store.view()
    if height != view.height:
        raise Conflict(f"parameter change approved at height {height}, the head is "
                       f"{view.height}")
    if any(h == height and c == change for _, h, c in store.param_changes()):
        raise Conflict(f"this parameter change is already applied at height {height}")
    count = tally(signatures, view.validators, message, "parameter change")
    if not count.quorum:
        raise Rejected(f"parameter change signed by {count.signed_stake} of "
                       f"{count.total_stake} stake (needs > 2/3)")
    return store.apply_param_change(change, expected_height=height, approval=list(signatures))


def approval_to_json(change: dict, height: int, signatures) -> dict:
    return {"kind": PARAM_KIND, "version": 1, "height": height, "change": change,
            "signatures": signatures_to_json(signatures)}


def approval_from_json(obj, what: str = "parameter change"):
    """(change, height, [(validator, signature)]) from a document; one-line ``CodecError``."""
    check_object(obj, what, PARAM_KIND, 1, ("height", "change", "signatures"))
    height = get_int(obj, "height", what, 0, 1 << 63)
    if not isinstance(obj["change"], dict):
        raise CodecError(f"{what}: change must be a JSON object")
    return obj["change"], height, signatures_from_json(obj, what)


def apply_document(store, obj) -> int:
    """``apply_approved`` on a parameter-change document."""
    change, height, sigs = approval_from_json(obj)
    return apply_approved(store, change, height, sigs)
