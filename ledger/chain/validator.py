"""A validator: checks a proposed block against its own store and the proof, then attests.

``Validator.check(block)`` runs, in DESIGN §7's order, stopping at the first
failure:

1. the store's own checks (``Store.check_block`` against this node's head):
   height and parent, each order's signature and expiry, nullifiers, the
   market's parameters, old state commitments equal to the ledger's, the new
   state root;
2. the block's shape against the verifying key (N·4 + K·4 + 9 public inputs
   must be what the key expects);
3. the PLONK proof over the block's public inputs (``verifier.check``).

It answers ``(ok, reason)`` — ``(True, "ok")`` or ``(False, one line)`` — and
never raises for a bad block.

``Validator.attest(block)`` signs ``block.attestation_bytes()`` (height and
block hash, ``ledger.block.attestation_bytes``) with the validator's Ed25519
key, only if ``check`` passes; it refuses (one-line ``ValueError``) to sign a
second, different block at a height it has already signed — the rule whose
breach is slashable evidence (``ledger.finality``); the refusal is
``AlreadySigned``.  Signing the same block again returns the same signature.
The record is the validator's *sign log* (``ledger.signlog``), written
durably before the signature is returned: ``SignLog`` in the node's SQLite
file for a validator node (it survives a restart), ``MemorySignLog`` (the
default) for in-process validators, whose life is their process's.
"""

from verifier import check as verify_check

from ledger.core import keys
from ledger.core.block import Block
from ledger.chain.signlog import MemorySignLog, SignConflict
from ledger.chain.store import StoreError

__all__ = ["Attestation", "Validator", "AlreadySigned"]


class AlreadySigned(ValueError):
    """The validator already signed another block at this height; one line."""


class Attestation(tuple):
    """(validator name, height, block hash, signature bytes)."""

    __slots__ = ()

    def __new__(cls, validator, height, block_hash, signature):
        return super().__new__(cls, (validator, height, block_hash, signature))

    validator = property(lambda self: self[0])
    height = property(lambda self: self[1])
    block_hash = property(lambda self: self[2])
    signature = property(lambda self: self[3])


class Validator:
    """One validator: its private key, its store and the circuit's ``vk``.

    Its name is the store's validator registered under the key's public key;
    ``signlog`` records what it signed (default: in memory).
    """

    def __init__(self, key, store, vk, signlog=None, proof_verdict=None):
        self.key, self.store, self.vk = key, store, vk
        #: block → (ok, reason) of its proof; a node passes its Quorum's, so the proof a
        #: proposal was checked with is not verified again when the block is finalized
        self.proof_verdict = proof_verdict or self._verify_proof
        self.public_key = keys.public_key_hex(key)
        names = [v.name for v in store.validators() if v.public_key == self.public_key]
        if not names:
            raise ValueError("the key is not a validator key of this ledger")
        self.name = names[0]
        self.signlog = MemorySignLog() if signlog is None else signlog

    def check(self, block) -> tuple:
        """``(True, "ok")`` or ``(False, reason)``; see the module docstring for the order."""
        if not isinstance(block, Block):
            return False, "not a block"
        try:
            self.store.check_block(block, expected_parent=self.store.head()[1])
        except StoreError as e:
            return False, str(e)
        n_public = getattr(self.vk, "n_public", None)
        if n_public is not None and len(block.public_inputs) != n_public:
            return False, (f"block {block.height} has {len(block.public_inputs)} public inputs, "
                           f"the circuit takes {n_public}")
        ok, reason = self.proof_verdict(block)
        if not ok:
            return False, f"block {block.height}: proof rejected: {reason}"
        return True, "ok"

    def _verify_proof(self, block) -> tuple:
        verdict = verify_check(self.vk, list(block.public_inputs), block.proof)
        return verdict.ok, verdict.reason

    def sign(self, block: Block) -> Attestation:
        """Sign without checking (what a faulty or malicious validator does; tests use it)."""
        return Attestation(self.name, block.height, block.hash(),
                           keys.sign(self.key, block.attestation_bytes()))

    def attest(self, block) -> Attestation:
        """Check ``block`` and sign it; ``ValueError`` if it fails or conflicts."""
        ok, reason = self.check(block)
        if not ok:
            raise ValueError(f"validator {self.name} will not sign: {reason}")
        try:
            self.signlog.record(block.height, block.hash())      # durable before signing
        except SignConflict as e:
            raise AlreadySigned(f"validator {self.name} {e}") from None
        return self.sign(block)
