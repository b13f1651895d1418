"""What is signed in a round: a validator's prevote or precommit, and the operator's round proposal.

The two-phase rounds (docs/liveness.md §Rounds) have three signed messages,
each under its own domain tag (``ledger.core.domains``) so that none of them
is an attestation, the other kind of vote or a proposal::

    vote_bytes(phase, h, r, H)        = tag(phase) ‖ h (8 bytes, big-endian) ‖ r (4 bytes) ‖ H (32 bytes)
    round_proposal_bytes(h, r, H)     = ROUND_PROPOSAL_DOMAIN ‖ h ‖ r ‖ H

with ``phase`` ``"prevote"`` or ``"precommit"``, ``1 ≤ h < HEIGHT_BOUND``,
``0 ≤ r < ROUND_BOUND`` and ``H`` a block hash (64 lowercase hex digits: one
spelling, so one signed message has one JSON form).  They live
in the core because two layers read them: the rounds themselves
(``ledger.chain.votes``) and the chain's rules that judge round evidence a
block carries (``ledger.chain.judge``).  A malformed argument is a one-line
``Rejected``.
"""

import re

from verifier.errors import Rejected

from ledger.core.domains import PRECOMMIT_DOMAIN, PREVOTE_DOMAIN, ROUND_PROPOSAL_DOMAIN
from ledger.core.limits import HEIGHT_BOUND, ROUND_BOUND, check_int

__all__ = ["PREVOTE", "PRECOMMIT", "PHASES", "vote_bytes", "round_proposal_bytes"]

PREVOTE, PRECOMMIT = "prevote", "precommit"
PHASES = {PREVOTE: PREVOTE_DOMAIN, PRECOMMIT: PRECOMMIT_DOMAIN}


_HASH = re.compile(r"[0-9a-f]{64}")


def _hash_bytes(block_hash) -> bytes:
    """The 32 bytes of a block hash spelled as 64 lowercase hex digits (its one spelling)."""
    if not isinstance(block_hash, str) or not _HASH.fullmatch(block_hash):
        raise Rejected("a block hash must be 64 lowercase hex digits")
    return bytes.fromhex(block_hash)


def _hr(height, round_) -> bytes:
    check_int(height, "vote height", 1, HEIGHT_BOUND, error=Rejected)
    check_int(round_, "vote round", 0, ROUND_BOUND, error=Rejected)
    return height.to_bytes(8, "big") + round_.to_bytes(4, "big")


def vote_bytes(phase: str, height: int, round_: int, block_hash: str) -> bytes:
    """What a validator signs for its ``phase`` vote on ``block_hash`` in round ``round_``."""
    if not isinstance(phase, str) or phase not in PHASES:
        raise Rejected(f"unknown vote phase {phase!r}")
    return PHASES[phase] + _hr(height, round_) + _hash_bytes(block_hash)


def round_proposal_bytes(height: int, round_: int, block_hash: str) -> bytes:
    """What the operator signs when it proposes ``block_hash`` in round ``round_``."""
    return ROUND_PROPOSAL_DOMAIN + _hr(height, round_) + _hash_bytes(block_hash)
