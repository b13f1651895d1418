"""A validator: checks a proposed block against its own store and the proof, then attests.

``Validator.check(block)`` runs, in the order of docs/design.md §Block checks,
stopping at the first failure:

1. the chain's rules (``ledger.chain.rules.check_block``) against a view of
   this node's store at its head: height and parent, the market's parameters
   and mark move, each order's account, signature, expiry and nullifier, old
   state commitments equal to the ledger's, the new state root;
2. the block's shape against the verifying key (N·4 + K·4 + 9 public inputs
   must be what the key expects) and the PLONK proof over the block's public
   inputs (``rules.check_proof`` with ``verifier.check``'s verdict).

It answers ``(ok, reason)`` — ``(True, "ok")`` or ``(False, one line)`` — and
never raises for a bad block.

``Validator.attest(block)`` signs ``block.attestation_bytes()`` (height and
block hash, ``ledger.core.block.attestation_bytes``) with the validator's Ed25519
key, only if ``check`` passes (else ``Rejected``); it refuses to sign a
second, different block at a height it has already signed — the rule whose
breach is slashable evidence (``ledger.chain.finality``); the refusal is
``AlreadySigned`` (a ``Conflict``).  Signing the same block again returns the
same signature.  The record is the validator's *sign log*
(``ledger.chain.signlog``), written
durably before the signature is returned: ``SignLog`` in the node's SQLite
file for a validator node (it survives a restart), ``MemorySignLog`` (the
default) for in-process validators, whose life is their process's.

Before its checks, ``attest`` shows the block's observations to its
``ObservationWitness`` (``ledger.chain.observation_evidence``): a validator
seen signing two prices for one market and height gives pending
``double-observation`` evidence, and ``attest`` raises ``Misbehaviour``.
"""

from typing import NamedTuple

from verifier import check as verify_check
from verifier.errors import Conflict, Rejected

from ledger.core import keys
from ledger.core.block import Block
from ledger.chain.rules import check_block, check_proof
from ledger.chain.observation_evidence import ObservationWitness
from ledger.chain.signlog import MemorySignLog, SignConflict

__all__ = ["Attestation", "Validator", "AlreadySigned"]


class AlreadySigned(Conflict):
    """The validator already signed another block at this height; one line."""


class Attestation(NamedTuple):
    """A validator's signature on (height, block hash): ``attestation_bytes``."""

    validator: str
    height: int
    block_hash: str
    signature: bytes


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
            raise Rejected("the key is not a validator key of this ledger")
        self.name = names[0]
        self.signlog = MemorySignLog() if signlog is None else signlog
        self.witness = ObservationWitness(store)

    def check(self, block) -> tuple:
        """``(True, "ok")`` or ``(False, reason)``; see the module docstring for the order."""
        if not isinstance(block, Block):
            return False, "not a block"
        try:
            view = self.store.view()
            check_block(view, block, view.head_hash)
            check_proof(block, self.proof_verdict, getattr(self.vk, "n_public", None))
        except Rejected as e:
            return False, str(e)
        return True, "ok"

    def _verify_proof(self, block) -> tuple:
        verdict = verify_check(self.vk, list(block.public_inputs), block.proof)
        return verdict.ok, verdict.reason

    def sign(self, block: Block) -> Attestation:
        """Sign without checking (what a faulty or malicious validator does; tests use it)."""
        return Attestation(self.name, block.height, block.hash(),
                           keys.sign(self.key, block.attestation_bytes()))

    def attest(self, block) -> Attestation:
        """Check ``block`` and sign it; ``Rejected`` if it fails, ``AlreadySigned`` if it
        conflicts with what this validator signed; ``Misbehaviour`` when the block carries an
        observation that conflicts with one seen before (pending evidence kept)."""
        if isinstance(block, Block):
            self.witness.see(block.observations)
        ok, reason = self.check(block)
        if not ok:
            raise Rejected(f"validator {self.name} will not sign: {reason}")
        try:
            self.signlog.record(block.height, block.hash())      # durable before signing
        except SignConflict as e:
            raise AlreadySigned(f"validator {self.name} {e}") from None
        return self.sign(block)
