"""The ledger's public state rules that need no database: the state root and the mark-price move.

The **state root** = SHA-256(b"darkmatch/state-root/v1" ‖ 0x00 ‖ n (8 bytes) ‖
for each account in increasing id order: id (8 bytes) ‖ commitment (32 bytes)),
integers big-endian, as 64 hex digits.  SHA-256 and not Poseidon because the
root is only ever recomputed natively, by validators (the circuit takes the
per-slot old/new commitments, which validators compare with the ledger's):
SHA-256 costs microseconds per account where Python Poseidon costs
milliseconds.  A Poseidon Merkle tree replaces it (new domain tag) once light
clients or in-circuit membership proofs need paths.

**Mark price.**  A block's mark price M is the operator's oracle input (DESIGN
§6); the circuit bounds the clearing price by the band around M, and
``mark_move_ok`` bounds M itself per block against the ledger's last mark, so
an operator cannot walk the price away in one batch.
"""

import hashlib

__all__ = ["state_root", "mark_move_ok", "STATE_ROOT_DOMAIN"]

STATE_ROOT_DOMAIN = b"darkmatch/state-root/v1\x00"


def state_root(commitments) -> str:
    """The state root over (account_id, commitment) pairs (see module docstring)."""
    items = sorted(commitments)
    h = hashlib.sha256(STATE_ROOT_DOMAIN + len(items).to_bytes(8, "big"))
    for aid, c in items:
        h.update(aid.to_bytes(8, "big") + c.to_bytes(32, "big"))
    return h.hexdigest()


def mark_move_ok(last_mark: int, mark: int, band_bps: int) -> bool:
    """|M − last| · 10 000 ≤ band_bps · last (integers): M moves at most the band."""
    return abs(mark - last_mark) * 10_000 <= band_bps * last_mark
