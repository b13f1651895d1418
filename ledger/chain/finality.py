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
   verifier's reason) is kept as *pending* evidence
   (``Store.add_pending_evidence``) and ``add`` raises ``Misbehaviour``
   naming it.  It slashes nobody here: slashing is chain state, done by the
   block that carries the evidence (``ledger.chain.rules``), at the same
   height on every node — a node that alone saw a double sign must still
   count stake as the others do, or it would refuse their next block.  A
   double sign is the ``ledger.core.evidence`` object a block can carry;
   invalid-proof evidence is kept and logged only (checking it needs the
   whole block and a proof verification, so no block carries it yet).

``is_final(height, hash)``: the unslashed validators that signed the block
hold more than 2/3 of the total unslashed stake (3·signed > 2·total, integers,
``ledger.chain.rules.is_quorum``).  ``signed_block(block)`` is the block carrying its signers'
signatures; ``finalize(block)`` stores it (``Store.apply_block``, which
re-runs every state check in its own transaction) once it is final;
otherwise ``Rejected`` and nothing is stored.

``finalize_signed(block)`` stores a block that *arrives* with its signatures
— a validator node's ``POST /finalize``, or a block fetched from a peer while
catching up (``ledger.node``) — checking, in order, stopping at the first
failure:

1. ``rules.tally``: every signature names a registered validator and
   verifies over the block's attestation bytes: a forged or unknown one
   refuses the whole block and nothing is stored;
2. at a height this store already finalized: the same block is a no-op
   (its hash is returned); a different block is refused, and each of its
   signers who also signed the stored block double-signed: ``double-sign``
   evidence, kept pending (``Misbehaviour``);
3. the unslashed signers hold > 2/3 of the unslashed stake (a signature by
   a validator the chain slashed is ignored rather than refused);
4. the chain's rules against this node's head (``rules.check_block`` on the
   store's view);
5. ``add`` for each counted signature, which checks the PLONK proof: if it
   fails, every signer is slashed with ``invalid-proof`` evidence
   (``Misbehaviour``);
6. ``finalize``.

The quorum keeps attestations per height in memory; ``forget(below)`` drops
the heights below ``below`` once they are stored (their signatures live on
in the stored block, which step 2 reads back).  Errors are one line:
``Rejected`` for a refused attestation or block, ``Misbehaviour`` (from
``verifier.errors``) for evidence.
"""

from verifier import check as verify_check
from verifier.errors import Misbehaviour, Rejected

from ledger.core.block import Block
from ledger.core.evidence import DOUBLE_SIGN, make_evidence
from ledger.chain.rules import block_tally, check_block, check_final, is_quorum, tally
from ledger.chain.validator import Attestation

__all__ = ["Misbehaviour", "Quorum", "double_sign_evidence", "is_quorum"]


def double_sign_evidence(first: Attestation, second: Attestation) -> dict:
    """The ``ledger.core.evidence`` object for two attestations by one validator at one
    height (in canonical order)."""
    return make_evidence(DOUBLE_SIGN, first.height, (first.block_hash, first.signature),
                         (second.block_hash, second.signature), validator=first.validator)


class Quorum:
    """Attestations per height for one store; ``vk`` checks proofs for invalid-proof evidence."""

    def __init__(self, store, vk=None):
        self.store, self.vk = store, vk
        self._by_height = {}            # height → {validator: Attestation}
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

    def add(self, attestation, block: Block) -> None:
        """Accept one attestation for ``block`` (checks in the module docstring)."""
        try:
            att = Attestation(*attestation)
        except TypeError:
            raise Rejected("attestation must be (validator, height, hash, signature)") from None
        if not isinstance(block, Block):
            raise Rejected("add needs the attested Block")
        name, height = att.validator, att.height
        if height != block.height or att.block_hash != block.hash():
            raise Rejected(f"attestation by {name!r} is not for block {block.height} "
                           f"({block.hash()[:16]}…)")
        records = self._records()
        if name in records and records[name].slashed:
            raise Rejected(f"attestation by slashed validator {name!r}")
        tally([(name, att.signature)], records, block.attestation_bytes(), "attestation")
        at_height = self._by_height.setdefault(height, {})
        prior = at_height.get(name)
        if prior is not None and prior.block_hash != att.block_hash:
            self.store.add_pending_evidence(DOUBLE_SIGN, name, height,
                                            double_sign_evidence(prior, att))
            raise Misbehaviour(f"validator {name!r} signed two blocks at height {height}: "
                               "evidence kept (slashed by the block that carries it)")
        if self.vk is not None:
            ok, reason = self.proof_verdict(block)
            if not ok:
                self.store.add_pending_evidence("invalid-proof", name, height, {
                    "height": height, "hash": att.block_hash,
                    "signature": att.signature.hex(), "reason": reason})
                raise Misbehaviour(f"validator {name!r} signed block {height} whose proof "
                                   f"fails ({reason}): evidence kept")
        at_height[name] = att

    def signers(self, height: int, block_hash: str) -> list:
        """Unslashed validators whose accepted attestation is for this block, by name."""
        recs = self._records()
        return sorted(n for n, a in self._by_height.get(height, {}).items()
                      if a.block_hash == block_hash and n in recs and not recs[n].slashed)

    def signed_stake(self, height: int, block_hash: str) -> int:
        recs = self._records()
        return sum(recs[n].stake for n in self.signers(height, block_hash))

    def is_final(self, height: int, block_hash: str) -> bool:
        return is_quorum(self.signed_stake(height, block_hash), self.store.total_stake())

    def signed_block(self, block: Block) -> Block:
        """``block`` with its signers' signatures (by name), once final."""
        h = block.hash()
        if not self.is_final(block.height, h):
            raise Rejected(f"block {block.height} is not final: "
                           f"{self.signed_stake(block.height, h)} of "
                           f"{self.store.total_stake()} stake signed (needs > 2/3)")
        at_height = self._by_height[block.height]
        return block.with_signatures([(n, at_height[n].signature)
                                      for n in self.signers(block.height, h)])

    def finalize(self, block: Block) -> str:
        """Store ``block`` with its signers' signatures once final; returns its hash."""
        signed = self.signed_block(block)
        return self.store.apply_block(signed, expected_parent=self.store.head()[1])

    # ------------------------------------------------------------ blocks with signatures
    def _remember(self, stored: Block) -> None:
        """Count a stored block's signatures as accepted (they were checked when stored)."""
        at_height = self._by_height.setdefault(stored.height, {})
        for name, sig in stored.signatures:
            at_height.setdefault(name, Attestation(name, stored.height, stored.hash(), sig))

    def forget(self, below: int) -> None:
        """Drop the attestations of heights below ``below`` (stored blocks keep theirs)."""
        for h in [h for h in self._by_height if h < below]:
            del self._by_height[h]
        self._proof_ok.clear()

    def finalize_signed(self, block: Block) -> str:
        """Store a block that arrives with its signatures (module docstring); returns its hash."""
        if not isinstance(block, Block):
            raise Rejected("finalize_signed needs a Block")
        h, bh = block.height, block.hash()
        if not block.signatures:
            raise Rejected(f"block {h} carries no signatures")
        view = self.store.view()
        count = block_tally(view, block)                            # 1. every signature
        by_name = dict(block.signatures)
        atts = [Attestation(n, h, bh, by_name[n]) for n in count.signers]
        if h <= view.height:                                        # 2. a stored height
            stored = self.store.get_block(h)
            if stored.hash() == bh:
                return bh
            self._remember(stored)
            caught = self._add_all(atts, block)
            raise (Misbehaviour if caught else Rejected)(
                f"block {h} ({bh[:16]}…) conflicts with finalized block {h} "
                f"({stored.hash()[:16]}…)" + "".join(f"; {m}" for m in caught))
        check_final(count, h)                                       # 3. the quorum
        check_block(view, block, view.head_hash)                    # 4. the chain's rules
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
