"""The chain's rules as pure functions over an immutable view of the ledger.

Every rule a block, an order or a quorum must pass lives here, once, with no
database, no network and no prover: the SQLite store (``ledger.chain.store``)
loads a ``LedgerView`` inside its transaction, calls these functions and
saves what they return; the operator's intake (``ledger.operator.engine``),
the validator (``ledger.chain.validator``), finality
(``ledger.chain.finality``), parameter changes (``ledger.chain.params``) and
``darkmatch verify --genesis`` (``replay``, in memory) call the same ones.
The order of the checks and their one-line messages are
docs/design.md §Block checks.

**View.**  ``LedgerView``: the head (height, hash), the accounts (key, market,
state commitment), the markets (parameters, last mark price), the spent
nullifiers (nullifier → height) and the validators (``ValidatorRecord``).
``genesis_view`` builds it from a genesis, ``apply_block`` returns the view
after a block; a view is never changed in place.

**Orders** (``check_order``): the account exists and trades the order's
market, the signature verifies under its key, the order has not expired at
the block's height, its nullifier is unspent.

**Blocks** (``check_block``): height = head + 1 and parent = the head's hash;
the market exists with exactly the block's parameters and its mark moves at
most the band (``mark_move_ok``); each order passes ``check_order`` and no
order appears twice; each active account slot names an account of the
block's market whose commitment is the slot's old one; each withdrawal
request the block carries is signed by its account's key (the block ties it to
its slot, ``ledger.core.block``); the state root is the root after the slots'
new commitments.  An account that registered an encryption key is only
touched by an encrypted block, whose slot carries exactly that key (the proof
binds the ciphertext to it).  The proof is ``check_proof``'s, with
the verdict passed in (``proof_verdict(block) -> (ok, reason)``), so that
these rules run without a verifier in tests and with ``verifier.check`` on
every real path.

**Evidence** (``check_evidence``, in ``check_block``; written in
``ledger.chain.judge`` with the proposer check): each evidence item a
block carries (``ledger.core.evidence``) must prove what it says against the
view *before* the block: a ``double-sign`` names a registered, unslashed
validator whose key verifies both attestations; an ``operator-equivocation``
needs a genesis operator whose key verifies both proposal signatures, at a
height not already judged.  ``apply_block`` then slashes each double-signer's
whole stake and records each judged operator height, so slashing takes effect
at the block that carries the evidence, on every node alike: a node never
slashes on evidence only it has seen (it keeps that evidence for a block to
carry, ``ledger.chain.finality``).  The block's own signatures are counted
against the view before it (a validator slashed by block h still signed h).

**Quorum** (``tally``): every signature is by a distinct registered validator
and verifies over the signed message; the unslashed signers' stake counts;
a quorum is more than 2/3 of the unslashed stake (``is_quorum``: 3·signed >
2·total, integers).  Blocks and parameter changes use the same tally.

**State root** = SHA-256(b"darkmatch/state-root/v1" ‖ 0x00 ‖ n (8 bytes) ‖
for each account in increasing id order: id (8 bytes) ‖ commitment (32
bytes)), integers big-endian, as 64 hex digits.  SHA-256 and not Poseidon
because the root is only ever recomputed natively, by validators (the circuit
takes the per-slot old/new commitments, which validators compare with the
ledger's): SHA-256 costs microseconds per account where Python Poseidon
costs milliseconds.  A Poseidon Merkle tree replaces it (new domain tag) once
light clients or in-circuit membership proofs need paths.

**Market figures** (``ledger.chain.market_state.next_market_state``, after
the parameters): the index from the block's observations (an oracle
market's quorum, ``ledger.chain.oracle_quorum``), the mark = the index
clamped to the last mark ± band, the reduce-only flag, the funding index,
the insurance fund before and after, and the validators' rewards.  A market
without an oracle (development) takes the block's M as its index, which the
clamp then bounds to the band around the last mark (``mark_move_ok``).

Every refusal is ``Rejected`` (``BlockRejected`` for a block), one line.
"""

import hashlib
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from circuits.settlement_data import BPS, MarketParams
from verifier.errors import Rejected

from ledger.core import keys
from ledger.core.block import Block
from ledger.chain.judge import (NotProposer, apply_evidence, check_evidence, check_proposer,
                                select_evidence)
from ledger.core.domains import STATE_ROOT_DOMAIN
from ledger.core.genesis import Genesis, genesis_hash
from ledger.chain.market_state import (MarketRejected, MarketState, initial_state,
                                       next_market_state)

__all__ = [
    "NotProposer", "check_proposer", "Account", "Market", "ValidatorRecord", "LedgerView",
    "Tally", "BlockRejected",
    "genesis_view", "check_order", "check_evidence", "select_evidence",
    "check_block", "check_proof", "apply_block", "tally",
    "block_tally", "check_final", "replay_block", "is_quorum", "state_root", "mark_move_ok",
    "encryption_keys", "check_block_state",
]


class BlockRejected(Rejected):
    """A block that does not extend this ledger; nothing was stored."""


@dataclass(frozen=True)
class Account:
    public_key: str        #: Ed25519, hex
    market_id: int         #: the one market the account trades
    commitment: int        #: its current state commitment (Poseidon)


@dataclass(frozen=True)
class Market:
    params: MarketParams
    mark_price: int        #: the last block's mark (the genesis mark before the first)
    state: MarketState = MarketState()     #: funding, insurance, rewards, breaker


@dataclass(frozen=True)
class ValidatorRecord:
    name: str
    public_key: str
    stake: int
    slashed: bool
    slashed_stake: int


@dataclass(frozen=True)
class LedgerView:
    """The ledger's public state at one head; the mappings are read-only."""

    height: int
    head_hash: str
    accounts: dict          #: account id → Account
    markets: dict           #: market id → Market
    nullifiers: dict        #: nullifier (hex) → height of the block that spent it
    validators: dict        #: name → ValidatorRecord
    chain_id: str = ""      #: the genesis's chain id (observations name it)
    #: account id → its registered encryption key (x, y) (genesis; absent: none registered)
    encryption_keys: dict = field(default_factory=dict)
    operator: str = None    #: the genesis operator's public key (hex), or None
    operator_faults: frozenset = frozenset()    #: heights of judged operator equivocations

    def __post_init__(self):
        object.__setattr__(self, "operator_faults", frozenset(self.operator_faults))
        for name in ("accounts", "markets", "nullifiers", "validators", "encryption_keys"):
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, MappingProxyType(value))

    def commitments(self) -> dict:
        return {a: acc.commitment for a, acc in self.accounts.items()}

    def state_root(self, updates=None) -> str:
        """The state root, or the root once ``updates`` (id → new commitment) apply."""
        return state_root({**self.commitments(), **(updates or {})}.items())

    def total_stake(self) -> int:
        """The stake of the validators that are not slashed."""
        return sum(v.stake for v in self.validators.values() if not v.slashed)


def genesis_view(genesis: Genesis) -> LedgerView:
    """The view of a ledger at its genesis (height 0, the genesis hash as head)."""
    return LedgerView(
        0, genesis_hash(genesis),
        {a.account_id: Account(a.public_key, a.market_id, a.initial_state().commitment())
         for a in genesis.accounts},
        {m.params.market_id: Market(m.params, m.mark_price, initial_state(m))
         for m in genesis.markets},
        {},
        {v.name: ValidatorRecord(v.name, v.public_key, v.stake, False, 0)
         for v in genesis.validators}, chain_id=genesis.chain_id,
        encryption_keys=encryption_keys(genesis), operator=genesis.operator)


def encryption_keys(genesis: Genesis) -> dict:
    """account id → registered encryption key, for the genesis accounts that have one."""
    return {a.account_id: tuple(a.encryption_key) for a in genesis.accounts
            if a.encryption_key is not None}


# ------------------------------------------------------------------ state root and mark
def state_root(commitments) -> str:
    """The state root over (account_id, commitment) pairs (see module docstring)."""
    items = sorted(commitments)
    h = hashlib.sha256(STATE_ROOT_DOMAIN + len(items).to_bytes(8, "big"))
    for aid, c in items:
        h.update(aid.to_bytes(8, "big") + c.to_bytes(32, "big"))
    return h.hexdigest()


def mark_move_ok(last_mark: int, mark: int, band_bps: int) -> bool:
    """|M − last| · 10 000 ≤ band_bps · last (integers): M moves at most the band."""
    return abs(mark - last_mark) * BPS <= band_bps * last_mark


# ------------------------------------------------------------------ orders
def check_order(view: LedgerView, order, height: int, label: str = "order",
                error=Rejected) -> str:
    """The public order's rules for a block at ``height``; its nullifier, or ``error``.

    ``label`` starts each message (``"order slot 3"`` in a block).
    """
    acc = view.accounts.get(order.account)
    if acc is None:
        raise error(f"{label}: unknown account {order.account}")
    if acc.market_id != order.market:
        raise error(f"{label}: account {order.account} trades market {acc.market_id}, "
                    f"not {order.market}")
    if not keys.verify(acc.public_key, order.signing_bytes(), order.signature):
        raise error(f"{label}: signature does not verify under account {order.account}'s key")
    if order.expired_at(height):
        raise error(f"{label}: expired at height {order.expiry_height} "
                    f"(next block is {height})")
    nf = order.nullifier()
    spent = view.nullifiers.get(nf)
    if spent is not None:
        raise error(f"{label} replays an order already spent in block {spent} "
                    f"(nullifier {nf[:16]}…)")
    return nf


# ------------------------------------------------------------------ blocks
def check_block(view: LedgerView, block, expected_parent: str = None) -> dict:
    """Every state rule of ``block`` against ``view`` (module docstring); the account
    updates (id → new commitment), or ``BlockRejected``.

    ``expected_parent``: the writer's idea of the head's hash (the store passes the
    head it read before its transaction, so two writers cannot both extend it).
    """
    return check_block_state(view, block, expected_parent)[0]


def check_block_state(view: LedgerView, block, expected_parent: str = None) -> tuple:
    """``check_block``'s checks; (account updates, the market's ``MarketState`` after)."""
    if not isinstance(block, Block):
        raise BlockRejected("apply_block needs a Block")
    h = block.height

    def reject(msg):
        raise BlockRejected(f"block {h} rejected: {msg}")

    if h != view.height + 1:
        reject(f"height does not follow the head (head is {view.height}, "
               f"expected {view.height + 1})")
    if expected_parent is not None and expected_parent != view.head_hash:
        reject(f"expected parent {str(expected_parent)[:16]}… is not the head "
               f"({view.head_hash[:16]}…)")
    if block.parent_hash != view.head_hash:
        reject(f"parent hash {block.parent_hash[:16]}… is not the head's hash "
               f"({view.head_hash[:16]}…)")
    market = view.markets.get(block.market_id)
    if market is None:
        reject(f"unknown market {block.market_id}")
    p = block.params
    if market.params != p:
        reject(f"market {block.market_id} parameters differ from the ledger's")
    try:
        market_after = next_market_state(market.state, market.mark_price, block,
                                         view.validators, view.chain_id)
    except MarketRejected as e:
        reject(str(e))
    judged = view                   # two items about one validator: the second is refused
    for i, ev in enumerate(block.evidence):
        try:
            check_evidence(judged, ev, f"evidence[{i}]")
        except Rejected as e:
            reject(str(e))
        validators, faults = apply_evidence(judged, [ev])
        judged = replace(judged, validators=validators, operator_faults=faults)
    seen = set()
    for j, order in enumerate(block.orders):
        if order is None:
            continue
        try:
            nf = check_order(view, order, h, f"order slot {j}")
        except Rejected as e:
            reject(str(e))
        if nf in seen:
            reject(f"order slot {j} replays an order already spent earlier in this block "
                   f"(nullifier {nf[:16]}…)")
        seen.add(nf)
    updates = {}
    for k, slot in enumerate(block.account_slots):
        if not slot.active:
            continue
        acc = view.accounts.get(slot.account)
        if acc is None:
            reject(f"account slot {k}: unknown account {slot.account}")
        if acc.market_id != block.market_id:
            reject(f"account slot {k}: account {slot.account} trades market "
                   f"{acc.market_id}, not {block.market_id}")
        if acc.commitment != slot.old:
            reject(f"account slot {k}: old commitment of account {slot.account} is not "
                   "the ledger's")
        key = view.encryption_keys.get(slot.account)
        if key is not None and not block.encrypted:
            reject(f"account slot {k}: account {slot.account} registered an encryption key, "
                   "the block carries no encrypted opening")
        if block.encrypted and block.ciphertexts()[slot.account].key != key:
            reject(f"account slot {k}: encryption key of account {slot.account} is not the "
                   "registered one")
        updates[slot.account] = slot.new
    for w in block.withdrawals:          # the block ties each to its slot (ledger.core.block)
        acc = view.accounts.get(w.account)
        if acc is None or not w.verify(acc.public_key):
            reject(f"withdrawal request of account {w.account}: bad signature")
    if view.state_root(updates) != block.state_root:
        reject("state root differs from the root after this block")
    return updates, market_after


def check_proof(block, proof_verdict, n_public: int = None) -> None:
    """The block's shape against the verifying key's ``n_public`` and its proof's verdict
    (``proof_verdict(block) -> (ok, reason)``); ``BlockRejected`` if either fails."""
    if n_public is not None and len(block.public_inputs) != n_public:
        raise BlockRejected(f"block {block.height} has {len(block.public_inputs)} public "
                            f"inputs, the circuit takes {n_public}")
    ok, reason = proof_verdict(block)
    if not ok:
        raise BlockRejected(f"block {block.height}: proof rejected: {reason}")


def apply_block(view: LedgerView, block, expected_parent: str = None) -> LedgerView:
    """The view after ``block`` (``check_block`` first; ``BlockRejected`` if it fails)."""
    updates, market_after = check_block_state(view, block, expected_parent)
    accounts = {a: (replace(acc, commitment=updates[a]) if a in updates else acc)
                for a, acc in view.accounts.items()}
    markets = {**view.markets,
               block.market_id: replace(view.markets[block.market_id],
                                        mark_price=block.mark_price, state=market_after)}
    nullifiers = {**view.nullifiers, **{nf: block.height for nf in block.nullifiers()}}
    validators, faults = apply_evidence(view, block.evidence)
    return replace(view, height=block.height, head_hash=block.hash(), accounts=accounts,
                   markets=markets, nullifiers=nullifiers, validators=validators,
                   operator_faults=faults)


# ------------------------------------------------------------------ quorum
def is_quorum(signed_stake: int, total_stake: int) -> bool:
    """More than 2/3 of a positive total: 3·signed > 2·total (integers)."""
    return total_stake > 0 and 3 * signed_stake > 2 * total_stake


@dataclass(frozen=True)
class Tally:
    """Who signed, and whether they make a quorum."""

    signers: tuple          #: the unslashed signers, in signature order
    signed_stake: int
    total_stake: int

    @property
    def quorum(self) -> bool:
        return is_quorum(self.signed_stake, self.total_stake)


def tally(signatures, validators, message: bytes, what: str) -> Tally:
    """Check ``signatures`` [(validator, signature bytes)] over ``message`` against
    ``validators`` (name → ``ValidatorRecord``) and count the unslashed signers' stake.

    One unknown, repeated or failing signature refuses the whole list
    (``Rejected``; anyone could forge one): ``what`` names the signed thing.
    """
    seen, signers, signed = set(), [], 0
    for item in signatures:
        try:
            name, signature = item
        except (TypeError, ValueError):
            raise Rejected("signatures must be (validator, signature) pairs") from None
        rec = validators.get(name)
        if rec is None:
            raise Rejected(f"{what} signed by unknown validator {name!r}")
        if name in seen:
            raise Rejected(f"validator {name!r} signed the {what} twice")
        seen.add(name)
        if not isinstance(signature, bytes) or not keys.verify(rec.public_key, message,
                                                                signature):
            raise Rejected(f"{what} signature by {name!r} does not verify")
        if not rec.slashed:
            signers.append(name)
            signed += rec.stake
    total = sum(v.stake for v in validators.values() if not v.slashed)
    return Tally(tuple(signers), signed, total)


def block_tally(view: LedgerView, block) -> Tally:
    """``tally`` of a finalized block's signatures over its attestation bytes."""
    return tally(block.signatures, view.validators, block.attestation_bytes(), "attestation")


def check_final(count: Tally, height: int) -> None:
    """``BlockRejected`` unless the signers of block ``height`` hold > 2/3 of the stake."""
    if not count.quorum:
        raise BlockRejected(f"block {height} is not final: {count.signed_stake} of "
                            f"{count.total_stake} stake signed (needs > 2/3)")


def replay_block(view: LedgerView, block, proof_verdict) -> LedgerView:
    """The view after a finalized ``block`` that arrives with its signatures, checked as a
    catching-up node checks it (docs/design.md §Finality): every signature, the quorum,
    the chain's rules, the proof."""
    check_final(block_tally(view, block), block.height)
    after = apply_block(view, block)
    check_proof(block, proof_verdict)
    return after
