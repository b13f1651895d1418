"""A ledger's finalized blocks on the settlement contract: ids, the anchor hash chain, signers.

The contract's ``blockHash`` (``ledger.ethereum.settlement.block_hash``) binds
a block's height, its *anchor parent* (the previous block's anchor hash), its
public inputs and its proof words, under the ledger's 32-byte id.  For a
darkmatch ledger:

* ``ledger_id(genesis_hash)`` = the genesis hash's 32 bytes: one id per ledger,
  never shared by two ledgers with different genesis files;
* the anchor hash of height 0 is also the genesis hash (the contract's
  ``Genesis.blockHash``); that of height h is ``block_hash(id, h, anchor(h−1),
  public inputs, proof)`` of the stored block h.

``AnchorChain(store)`` computes the anchor hashes of a store's blocks
(memoized by height and ledger block hash, so a block is hashed once).
``EthSigner(account, store)`` is a validator's Ethereum side: it signs a
block's anchor hash only once the block is stored final in the validator's own
store (``Rejected`` otherwise) — the committee certificate the contract checks.
``settlement_genesis(genesis, committee, owners)`` is the contract's genesis
for a ledger at height 0.  ``block_flows(block)`` reads a block's deposits and withdrawals where the
contract reads them.  ``certificate_of(signatures)`` orders 65-byte signatures by signer address as
the contract wants them.
"""

from eth_account import Account
from eth_account.messages import encode_defunct
from verifier.errors import Rejected

from ledger.core.block import Block

from ledger.core.genesis import genesis_hash

from .settlement import Genesis, block_hash, settlement_layout, sign

__all__ = ["ledger_id", "AnchorChain", "EthSigner", "certificate_of", "anchor_hash", "block_flows",
           "settlement_genesis"]


def ledger_id(genesis_hash: str) -> bytes:
    """The contract's ``ledgerId`` of the ledger with this genesis hash (64 hex digits)."""
    return bytes.fromhex(genesis_hash)


def settlement_genesis(genesis, committee: dict, owners: dict, *, stake_unit: int = 1,
                       cap_bps: int = 10_000) -> Genesis:
    """The contract's ``Genesis`` for a ledger at height 0: its id and genesis hash, the
    committee (``committee``: validator name → Ethereum address; stake = ledger stake ×
    ``stake_unit``), the cap, and every genesis account's initial commitment with its owner
    (``owners``: account id → address)."""
    gh = genesis_hash(genesis)
    stakes = {v.name: v.stake for v in genesis.validators}
    missing = sorted(set(stakes) - set(committee))
    if missing:
        raise Rejected(f"no Ethereum address for validator {missing[0]!r}")
    names = sorted(stakes)
    accounts = sorted(a.account_id for a in genesis.accounts)
    initial = {a.account_id: a.initial_state().commitment() for a in genesis.accounts}
    no_owner = [a for a in accounts if a not in owners]
    if no_owner:
        raise Rejected(f"no owner address for account {no_owner[0]}")
    return Genesis(ledger_id(gh), bytes.fromhex(gh), 0, tuple(committee[n] for n in names),
                   tuple(stakes[n] * stake_unit for n in names), cap_bps, tuple(accounts),
                   tuple(initial[a] for a in accounts), tuple(owners[a] for a in accounts))


def anchor_hash(lid: bytes, block: Block, parent_anchor: bytes) -> bytes:
    """The contract's ``blockHash`` of a ledger ``Block`` on ``parent_anchor``."""
    return block_hash(lid, block.height, parent_anchor, list(block.public_inputs), block.proof)


def block_flows(block: Block) -> tuple:
    """(deposits, withdrawals) of ``block``, each account → amount (non-zero only), read
    where the contract reads them (``settlement_layout``)."""
    layout = settlement_layout(block.n_orders, block.n_accounts)
    pi, deposits, withdrawals = block.public_inputs, {}, {}
    for k, slot in enumerate(block.account_slots):
        if slot.active:
            for out, i in ((deposits, layout.deposit_index(k)), (withdrawals, layout.withdraw_index(k))):
                if pi[i]:
                    out[slot.account] = pi[i]
    return deposits, withdrawals


class AnchorChain:
    """Anchor hashes of one store's finalized blocks (module docstring)."""

    def __init__(self, store):
        self.store = store
        self.genesis = bytes.fromhex(store.genesis_hash())
        self.id = self.genesis
        self._memo = {0: (store.genesis_hash(), self.genesis)}   # height → (ledger hash, anchor)

    def at(self, height: int) -> bytes:
        """The anchor hash of stored block ``height`` (``Rejected`` if not stored)."""
        if height in self._memo and self._memo[height][0] == self.store.block_hash(height):
            return self._memo[height][1]
        start = max((h for h in self._memo if h < height), default=0)
        if self._memo[start][0] != self.store.block_hash(start):
            self._memo = {0: self._memo[0]}
            start = 0
        anchor = self._memo[start][1]
        for h in range(start + 1, height + 1):
            block = self.store.get_block(h)
            if block is None:
                raise Rejected(f"block {h} is not stored here: no anchor hash")
            anchor = anchor_hash(self.id, block, anchor)
            self._memo[h] = (block.hash(), anchor)
        return anchor

    def of(self, block: Block) -> bytes:
        """The anchor hash of ``block`` on this store's block ``block.height − 1``."""
        return anchor_hash(self.id, block, self.at(block.height - 1))


class EthSigner:
    """A validator's Ethereum key over its own store: signs finalized blocks' anchor hashes."""

    def __init__(self, account, store):
        self.account, self.chain = account, AnchorChain(store)

    @property
    def address(self) -> str:
        return self.account.address

    def sign(self, block: Block) -> bytes:
        """The 65-byte signature of ``block``'s anchor hash; only for a block stored final here."""
        stored = self.chain.store.get_block(block.height)
        if stored is None or stored.hash() != block.hash():
            raise Rejected(f"block {block.height} is not final here: no Ethereum signature")
        return sign(self.account, self.chain.at(block.height))


def certificate_of(signatures, digest: bytes) -> bytes:
    """65-byte signatures over ``digest`` concatenated in increasing signer address (the order
    the contract requires); a signature that does not recover is refused (``Rejected``)."""
    by_signer = {}
    for sig in signatures:
        try:
            signer = Account.recover_message(encode_defunct(primitive=bytes(digest)),
                                             signature=bytes(sig))
        except Exception:           # noqa: BLE001 — eth-keys raises several kinds
            raise Rejected("an Ethereum signature does not recover") from None
        by_signer[int(signer, 16)] = bytes(sig)
    return b"".join(by_signer[k] for k in sorted(by_signer))
