"""Finality: collect validator attestations, detect evidence, finalize blocks at > 2/3 stake.

``Quorum(store, vk)`` reads the validator set and stakes from the store (so a
slashing takes effect at once) and keeps, per height, every attestation it
accepted.  ``Quorum.add(attestation, block)`` checks, in order:

1. the attestation names the block (same height and hash);
2. its validator is registered and not slashed;
3. the signature verifies under that validator's key over
   ``block.attestation_bytes()`` (a bad signature is refused, not evidence:
   anyone could forge it);
4. **evidence** — the same validator already signed a *different* block at
   this height (``double-sign``), or the block's PLONK proof fails
   (``invalid-proof``, checked once per block with ``verifier.check``): the
   evidence body (both hashes and signatures, or the hash, signature and the
   verifier's reason) is stored with ``Store.record_evidence(..., slash=True)``,
   which slashes the whole stake and removes the validator from every quorum,
   in one transaction; ``add`` then raises ``Misbehaviour`` naming it.

``is_final(height, hash)``: the unslashed validators that signed the block
hold more than 2/3 of the total unslashed stake (3·signed > 2·total, integers).
``finalize(block)`` stores the block with its signatures
(``Store.apply_block``, which re-runs every state check in its own
transaction) once it is final; otherwise a one-line ``ValueError`` and
nothing is stored.  Errors are one-line ``ValueError``s.
"""

from verifier import check as verify_check

from . import keys
from .block import Block
from .store import StoreError

__all__ = ["Misbehaviour", "Quorum", "double_sign_evidence"]


class Misbehaviour(ValueError):
    """An attestation that is evidence against its validator (who has been slashed)."""


def double_sign_evidence(first, second) -> dict:
    """The evidence body for two attestations by one validator at one height."""
    return {"height": first[1],
            "first": {"hash": first[2], "signature": first[3].hex()},
            "second": {"hash": second[2], "signature": second[3].hex()}}


class Quorum:
    """Attestations per height for one store; ``vk`` checks proofs for invalid-proof evidence."""

    def __init__(self, store, vk=None):
        self.store, self.vk = store, vk
        self._by_height = {}            # height → {validator: attestation}
        self._proof_ok = {}             # block hash → (ok, reason)

    def _records(self) -> dict:
        return {v.name: v for v in self.store.validators()}

    def _proof_verdict(self, block: Block):
        h = block.hash()
        if h not in self._proof_ok:
            v = verify_check(self.vk, list(block.public_inputs), block.proof)
            self._proof_ok[h] = (v.ok, v.reason)
        return self._proof_ok[h]

    def add(self, attestation, block: Block) -> None:
        """Accept one attestation for ``block`` (checks in the module docstring)."""
        try:
            name, height, block_hash, signature = attestation
        except (TypeError, ValueError):
            raise ValueError("attestation must be (validator, height, hash, signature)") from None
        if not isinstance(block, Block):
            raise ValueError("add needs the attested Block")
        if height != block.height or block_hash != block.hash():
            raise ValueError(f"attestation by {name!r} is not for block {block.height} "
                             f"({block.hash()[:16]}…)")
        rec = self._records().get(name)
        if rec is None:
            raise ValueError(f"attestation by unknown validator {name!r}")
        if rec.slashed:
            raise ValueError(f"attestation by slashed validator {name!r}")
        if not isinstance(signature, bytes) or not keys.verify(
                rec.public_key, block.attestation_bytes(), signature):
            raise ValueError(f"attestation signature by {name!r} does not verify")
        at_height = self._by_height.setdefault(height, {})
        prior = at_height.get(name)
        if prior is not None and prior[2] != block_hash:
            self.store.record_evidence(name, "double-sign", height,
                                       double_sign_evidence(prior, attestation), slash=True)
            raise Misbehaviour(f"validator {name!r} signed two blocks at height {height}: "
                               "slashed")
        if self.vk is not None:
            ok, reason = self._proof_verdict(block)
            if not ok:
                self.store.record_evidence(name, "invalid-proof", height, {
                    "height": height, "hash": block_hash, "signature": signature.hex(),
                    "reason": reason}, slash=True)
                raise Misbehaviour(f"validator {name!r} signed block {height} whose proof "
                                   f"fails ({reason}): slashed")
        at_height[name] = tuple(attestation)

    def signers(self, height: int, block_hash: str) -> list:
        """Unslashed validators whose accepted attestation is for this block, by name."""
        recs = self._records()
        return sorted(n for n, a in self._by_height.get(height, {}).items()
                      if a[2] == block_hash and n in recs and not recs[n].slashed)

    def signed_stake(self, height: int, block_hash: str) -> int:
        recs = self._records()
        return sum(recs[n].stake for n in self.signers(height, block_hash))

    def is_final(self, height: int, block_hash: str) -> bool:
        total = self.store.total_stake()
        return total > 0 and 3 * self.signed_stake(height, block_hash) > 2 * total

    def finalize(self, block: Block) -> str:
        """Store ``block`` with its signers' signatures once final; returns its hash."""
        h = block.hash()
        if not self.is_final(block.height, h):
            raise ValueError(f"block {block.height} is not final: "
                             f"{self.signed_stake(block.height, h)} of "
                             f"{self.store.total_stake()} stake signed (needs > 2/3)")
        at_height = self._by_height[block.height]
        sigs = [(n, at_height[n][3]) for n in self.signers(block.height, h)]
        try:
            return self.store.apply_block(block.with_signatures(sigs),
                                          expected_parent=self.store.head()[1])
        except StoreError as e:
            raise ValueError(str(e)) from None
