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
hold more than 2/3 of the total unslashed stake (3·signed > 2·total, integers,
``is_quorum``).  ``signed_block(block)`` is the block carrying its signers'
signatures; ``finalize(block)`` stores it (``Store.apply_block``, which
re-runs every state check in its own transaction) once it is final;
otherwise a one-line ``ValueError`` and nothing is stored.

``finalize_signed(block)`` stores a block that *arrives* with its signatures
— a validator node's ``POST /finalize``, or a block fetched from a peer while
catching up (``ledger.node``) — checking, in order, stopping at the first
failure:

1. every signature names a registered validator and verifies over the
   block's attestation bytes: a forged or unknown one refuses the whole
   block and nothing is stored;
2. at a height this store already finalized: the same block is a no-op
   (its hash is returned); a different block is refused, and each of its
   signers who also signed the stored block double-signed: ``double-sign``
   evidence, slashed (``Misbehaviour``);
3. the unslashed signers hold > 2/3 of the unslashed stake (a signature by
   a validator slashed here is ignored rather than refused: slashing follows
   evidence this node saw, which the block's other signers may not have);
4. the store's checks against this node's head (``Store.check_block``);
5. ``add`` for each counted signature, which checks the PLONK proof: if it
   fails, every signer is slashed with ``invalid-proof`` evidence
   (``Misbehaviour``);
6. ``finalize``.

The quorum keeps attestations per height in memory; ``forget(below)`` drops
the heights below ``below`` once they are stored (their signatures live on
in the stored block, which step 2 reads back).  Errors are one-line
``ValueError``s.
"""

from verifier import check as verify_check

from ledger.core import keys
from ledger.core.block import Block
from ledger.chain.store import StoreError

__all__ = ["Misbehaviour", "Quorum", "double_sign_evidence", "is_quorum"]


class Misbehaviour(ValueError):
    """An attestation that is evidence against its validator (who has been slashed)."""


def double_sign_evidence(first, second) -> dict:
    """The evidence body for two attestations by one validator at one height."""
    return {"height": first[1],
            "first": {"hash": first[2], "signature": first[3].hex()},
            "second": {"hash": second[2], "signature": second[3].hex()}}


def is_quorum(signed_stake: int, total_stake: int) -> bool:
    """More than 2/3 of a positive total: 3·signed > 2·total (integers)."""
    return total_stake > 0 and 3 * signed_stake > 2 * total_stake


class Quorum:
    """Attestations per height for one store; ``vk`` checks proofs for invalid-proof evidence."""

    def __init__(self, store, vk=None):
        self.store, self.vk = store, vk
        self._by_height = {}            # height → {validator: attestation}
        self._proof_ok = {}             # block hash → (ok, reason)

    def _records(self) -> dict:
        return {v.name: v for v in self.store.validators()}

    def proof_verdict(self, block: Block) -> tuple:
        """``(ok, reason)`` of the block's proof, checked once per block hash (until ``forget``)."""
        h = block.hash()
        if h not in self._proof_ok:
            v = verify_check(self.vk, list(block.public_inputs), block.proof)
            self._proof_ok[h] = (v.ok, v.reason)
        return self._proof_ok[h]

    @staticmethod
    def _record(records, name):
        rec = records.get(name)
        if rec is None:
            raise ValueError(f"attestation by unknown validator {name!r}")
        return rec

    @staticmethod
    def _check_signature(rec, block, signature):
        if not isinstance(signature, bytes) or not keys.verify(
                rec.public_key, block.attestation_bytes(), signature):
            raise ValueError(f"attestation signature by {rec.name!r} does not verify")

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
        rec = self._record(self._records(), name)
        if rec.slashed:
            raise ValueError(f"attestation by slashed validator {name!r}")
        self._check_signature(rec, block, signature)
        at_height = self._by_height.setdefault(height, {})
        prior = at_height.get(name)
        if prior is not None and prior[2] != block_hash:
            self.store.record_evidence(name, "double-sign", height,
                                       double_sign_evidence(prior, attestation), slash=True)
            raise Misbehaviour(f"validator {name!r} signed two blocks at height {height}: "
                               "slashed")
        if self.vk is not None:
            ok, reason = self.proof_verdict(block)
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
        return is_quorum(self.signed_stake(height, block_hash), self.store.total_stake())

    def signed_block(self, block: Block) -> Block:
        """``block`` with its signers' signatures (by name), once final."""
        h = block.hash()
        if not self.is_final(block.height, h):
            raise ValueError(f"block {block.height} is not final: "
                             f"{self.signed_stake(block.height, h)} of "
                             f"{self.store.total_stake()} stake signed (needs > 2/3)")
        at_height = self._by_height[block.height]
        return block.with_signatures([(n, at_height[n][3])
                                      for n in self.signers(block.height, h)])

    def finalize(self, block: Block) -> str:
        """Store ``block`` with its signers' signatures once final; returns its hash."""
        signed = self.signed_block(block)
        try:
            return self.store.apply_block(signed, expected_parent=self.store.head()[1])
        except StoreError as e:
            raise ValueError(str(e)) from None

    # ------------------------------------------------------------ blocks with signatures
    def _remember(self, stored: Block) -> None:
        """Count a stored block's signatures as accepted (they were checked when stored)."""
        at_height = self._by_height.setdefault(stored.height, {})
        for name, sig in stored.signatures:
            at_height.setdefault(name, (name, stored.height, stored.hash(), sig))

    def forget(self, below: int) -> None:
        """Drop the attestations of heights below ``below`` (stored blocks keep theirs)."""
        for h in [h for h in self._by_height if h < below]:
            del self._by_height[h]
        self._proof_ok.clear()

    def finalize_signed(self, block: Block) -> str:
        """Store a block that arrives with its signatures (module docstring); returns its hash."""
        if not isinstance(block, Block):
            raise ValueError("finalize_signed needs a Block")
        h, bh = block.height, block.hash()
        if not block.signatures:
            raise ValueError(f"block {h} carries no signatures")
        recs = self._records()
        atts = []
        for name, sig in block.signatures:                          # 1. every signature
            rec = self._record(recs, name)
            self._check_signature(rec, block, sig)
            if not rec.slashed:
                atts.append((name, h, bh, sig))
        if h <= self.store.head()[0]:                               # 2. a stored height
            stored = self.store.get_block(h)
            if stored.hash() == bh:
                return bh
            self._remember(stored)
            caught = self._add_all(atts, block)
            raise (Misbehaviour if caught else ValueError)(
                f"block {h} ({bh[:16]}…) conflicts with finalized block {h} "
                f"({stored.hash()[:16]}…)" + "".join(f"; {m}" for m in caught))
        signed = sum(recs[a[0]].stake for a in atts)                # 3. the quorum
        if not is_quorum(signed, self.store.total_stake()):
            raise ValueError(f"block {h} is not final: {signed} of {self.store.total_stake()} "
                             "stake signed (needs > 2/3)")
        try:                                                        # 4. the store's checks
            self.store.check_block(block, expected_parent=self.store.head()[1])
        except StoreError as e:
            raise ValueError(str(e)) from None
        caught = self._add_all(atts, block)                         # 5. the proof
        if caught:
            raise Misbehaviour("; ".join(caught))
        return self.finalize(block)                                 # 6.

    def _add_all(self, atts, block) -> list:
        """``add`` each attestation; the messages of those that were evidence."""
        caught = []
        for att in atts:
            try:
                self.add(att, block)
            except Misbehaviour as e:
                caught.append(str(e))
        return caught
