"""A ledger block: one proven batch, its public orders, the new state root, its hash.

(The slot records, the encrypted tail, the withdrawal rule and the canonical
proof check are ``ledger.core.block_parts``; the checks a block runs when it is built
are ``ledger.core.block_check``; the names users need are re-exported here.)

A block (docs/design.md §Blocks) carries the batch's public inputs and proof, the new state
root, the public orders of its active order slots and, once finalized, the
validators' signatures.  ``Block`` checks everything that needs no ledger
state (``Store.check_block`` adds the state checks, ``verifier`` the proof):

* ``public_inputs`` has exactly 9 + 4N + 4K field elements (< r) laid out as
  ``BatchWitness.public_inputs`` (docs/design.md §Statement): market_id, height,
  P, M, V, im_bps, mm_bps, fee_bps, band_bps, then N order slots (active,
  account, Cx, Cy), then K account slots (active, account, old, new);
* the public-input height equals the block's height; P and M are prices in
  [1, 2^32), V < 2^32, the rates form a valid ``MarketParams``;
* slots: ``active`` is 0 or 1; an inactive slot is all zeros; active account
  slot ids are strictly increasing; ``orders[j]`` is the ``SignedOrder`` of
  order slot j (``None`` iff inactive) with the slot's account and commitment
  and the batch's market; every order's account has an active account slot
  (an account slot without orders is allowed: the batch only refreshes its
  blinding); no commitment appears twice;
* optionally (an *encrypted* block, ``circuits.settlement_cipher``) 2 + 6K more
  inputs: the block key E = (ex, ey), then per account slot its encryption key
  (ax, ay) and the ciphertext c0…c3 of its new opening, all zero for an
  inactive slot.  ``ciphertexts()`` hands each account its ``EncryptedOpening``;
  the store checks the keys are the registered ones, the proof the rest.

**JSON** (strict)::

    {"kind": "darkmatch-block", "version": 1, "height": int, "parent_hash": hex64,
     "n_orders": N, "n_accounts": K, "public_inputs": [dec, ...], "proof": {...},
     "state_root": hex64, "orders": [order | null, ...],
     "signatures": [{"validator": name, "signature": hex128}, ...],
     "observations": [observation, ...],           # only when there are some
     "withdrawals": [request, ...],                # only when the block withdraws
     "operator_signature": hex128,                # optional, only when present
     "evidence": [evidence, ...]}                 # optional, only when non-empty

``observations`` are the validators' signed prices of an oracle market
(``ledger.core.observation``); they are part of the hashed block, so the
validators' attestations cover them.  ``ledger.chain.oracle_quorum`` checks
them against the ledger.

``withdrawals`` are the traders' signed requests (``ledger.core.withdrawals``):
each active account slot with a public withdrawal w > 0 has exactly one request
for its account, with amount w and the slot's old commitment, and there is no
other request (validators check the signatures, ``ledger.chain.rules``).

``evidence`` is misbehaviour the block carries into the chain
(``ledger.core.evidence``): at most ``MAX_EVIDENCE`` objects, each about a
height below the block's, in strictly increasing ``evidence_key`` order (one
spelling); it *is* part of the hash, so every validator signing the block
agrees on the slashing it brings (``ledger.chain.rules``).  No evidence is
written by leaving the field out; ``"evidence": []`` is refused.

``operator_signature`` is the operator's Ed25519 signature over
``proposal_bytes(height, hash)`` = b"darkmatch/proposal/v1" ‖ 0x00 ‖ height
(8 bytes, big-endian) ‖ block hash (32 bytes); like the validators'
signatures it is not part of the hash it signs.  A block without one is
written without the key (there is no ``null`` spelling).

``proof`` is snarkjs's proof.json object in its one canonical spelling
(``verifier.marshal``: decimal strings without sign, padding, leading zero
or underscore, affine ``["x", "y", "1"]`` points on the curve, exactly the
proof's fields): a block holding any other spelling is refused at
construction (``BlockError``, HTTP 400), before anything hashes or signs
it.  Otherwise whoever relays a proposal could re-spell ``eval_a`` for one
validator and ``eval_b`` for another, so that honest validators sign
different hashes of one block and no quorum forms.  The verifier's parser is
the same one ``darkmatch verify`` uses on snarkjs's files, which are
canonical, so the interop holds.  Whether the proof *verifies* is not
checked here (``ledger.chain.rules.check_proof``).

**Block hash** = SHA-256(b"darkmatch/block/v1" ‖ 0x00 ‖ canonical JSON of the
block without ``"signatures"``), 64 hex digits: signatures are added after the
block is proposed, so they cannot be part of what they sign.  A validator
signs ``attestation_bytes(height, hash)`` = b"darkmatch/attest/v1" ‖ 0x00 ‖
height (8 bytes, big-endian) ‖ block hash (32 bytes) — 60 bytes.
"""

import copy
import hashlib
from dataclasses import dataclass

from circuits.settlement_data import (MARKET_BITS,
                                      MarketParams, n_public_inputs)
from verifier.fields import R_MOD

from ledger.core import keys
from ledger.core.domains import ATTEST_DOMAIN, BLOCK_DOMAIN, PROPOSAL_DOMAIN
from ledger.core.codec import (
    CodecError,
    canonical_json,
    check_fields,
    check_object,
    get_decimal,
    get_hex,
    get_int,
    get_list,
    get_str,
)
from ledger.core.evidence import MAX_EVIDENCE, evidence_key
from ledger.core.genesis import NAME_PATTERN
from ledger.core.limits import MAX_OBSERVATIONS
from ledger.core.observation import observation_from_json, observation_to_json
from ledger.core.orders import order_from_json, order_to_json
from ledger.core.block_parts import (AccountSlot, BlockError, EncryptedOpening, OrderSlot,
                                     check_canonical_proof, cipher_inputs)
from ledger.core.withdrawals import request_from_json, request_to_json
from ledger.core.block_check import HEADER_INPUTS, MAX_HEIGHT, MAX_SLOTS, validate

__all__ = [
    "Block", "BlockError", "OrderSlot", "AccountSlot", "EncryptedOpening", "attestation_bytes",
    "proposal_bytes", "check_canonical_proof", "block_from_json",
    "block_to_json", "signatures_to_json", "signatures_from_json", "BLOCK_KIND", "BLOCK_DOMAIN",
    "ATTEST_DOMAIN", "HEADER_INPUTS", "MAX_SLOTS", "MAX_HEIGHT",
]

BLOCK_KIND = "darkmatch-block"


def attestation_bytes(height: int, block_hash: str) -> bytes:
    """What a validator signs for block ``height`` with hash ``block_hash`` (hex)."""
    return ATTEST_DOMAIN + height.to_bytes(8, "big") + bytes.fromhex(block_hash)


def proposal_bytes(height: int, block_hash: str) -> bytes:
    """What the operator signs when it proposes block ``height`` with hash ``block_hash``."""
    return PROPOSAL_DOMAIN + height.to_bytes(8, "big") + bytes.fromhex(block_hash)


@dataclass(frozen=True)
class Block:
    """One block; construction validates it (module docstring) and raises ``BlockError``."""

    height: int
    parent_hash: str
    n_orders: int
    n_accounts: int
    public_inputs: tuple
    proof: dict
    state_root: str
    orders: tuple
    signatures: tuple = ()
    operator_signature: bytes = None     #: over ``proposal_bytes``; not hashed
    evidence: tuple = ()                 #: ``ledger.core.evidence`` objects; hashed
    observations: tuple = ()    #: the oracle quorum's signed prices (``Observation``)
    withdrawals: tuple = ()     #: the signed requests of its withdrawals (``WithdrawalRequest``)

    def __post_init__(self):
        try:
            object.__setattr__(self, "evidence", tuple(copy.deepcopy(e) for e in self.evidence))
            object.__setattr__(self, "observations", tuple(self.observations))
            object.__setattr__(self, "public_inputs", tuple(self.public_inputs))
            object.__setattr__(self, "orders", tuple(self.orders))
            object.__setattr__(self, "withdrawals", tuple(self.withdrawals))
            object.__setattr__(self, "signatures", tuple(tuple(s) for s in self.signatures))
        except TypeError:
            raise BlockError(f"block {self.height!r}: public_inputs, orders and signatures "
                             "must be sequences") from None
        try:
            self._validate()
        except BlockError as e:
            raise BlockError(f"block {self.height!r}: {e}") from None

    def _validate(self):
        for name, value in validate(self).items():
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------ views
    @property
    def params(self) -> MarketParams:
        return self._params

    @property
    def header(self) -> dict:
        """The batch header's public inputs by name (``circuits.settlement_data.GLOBALS``)."""
        return dict(self._header)

    @property
    def market_id(self) -> int:
        return self._header["market_id"]

    @property
    def price(self) -> int:
        return self._header["P"]

    @property
    def mark_price(self) -> int:
        return self._header["M"]

    @property
    def volume(self) -> int:
        return self._header["V"]

    @property
    def order_slots(self) -> tuple:
        return self._order_slots

    @property
    def account_slots(self) -> tuple:
        return self._account_slots

    @property
    def encrypted(self) -> bool:
        """Whether the block carries its touched accounts' encrypted openings (proven)."""
        return self._cipher is not None

    def ciphertexts(self) -> dict:
        """account id → ``EncryptedOpening`` for each active account slot of an encrypted
        block ({} for a plain one): what the account's owner decrypts (docs/custody.md)."""
        if self._cipher is None:
            return {}
        E, slots = self._cipher
        tau = self._header["height"] << MARKET_BITS | self._header["market_id"]
        return {s.account: EncryptedOpening(self.height, E, key, ct, tau, s.new)
                for s, (key, ct) in zip(self._account_slots, slots) if s.active}

    def active_orders(self) -> list:
        return [o for o in self.orders if o is not None]

    def nullifiers(self) -> list:
        """The nullifiers of the active orders, in slot order."""
        return [o.nullifier() for o in self.active_orders()]

    def header_json(self) -> dict:
        """The hashed part: the JSON form without signatures."""
        d = block_to_json(self)
        del d["signatures"]
        d.pop("operator_signature", None)
        return d

    def hash(self) -> str:
        if "_hash" not in self.__dict__:
            digest = hashlib.sha256(BLOCK_DOMAIN + canonical_json(self.header_json())).hexdigest()
            object.__setattr__(self, "_hash", digest)
        return self.__dict__["_hash"]

    def attestation_bytes(self) -> bytes:
        return attestation_bytes(self.height, self.hash())

    def proposal_bytes(self) -> bytes:
        return proposal_bytes(self.height, self.hash())

    def with_signatures(self, signatures) -> "Block":
        """The same block (same hash) with these (validator, signature) pairs."""
        return Block(self.height, self.parent_hash, self.n_orders, self.n_accounts,
                     self.public_inputs, self.proof, self.state_root, self.orders,
                     tuple(signatures), self.operator_signature, self.evidence,
                     observations=self.observations, withdrawals=self.withdrawals)

    def with_operator_signature(self, signature) -> "Block":
        """The same block (same hash) carrying the operator's proposal signature (or None)."""
        return Block(self.height, self.parent_hash, self.n_orders, self.n_accounts,
                     self.public_inputs, self.proof, self.state_root, self.orders,
                     self.signatures, signature, self.evidence,
                     observations=self.observations, withdrawals=self.withdrawals)

    def with_evidence(self, evidence) -> "Block":
        """This block carrying ``evidence`` (sorted by ``evidence_key``): a new hash, so
        without signatures of either kind."""
        return Block(self.height, self.parent_hash, self.n_orders, self.n_accounts,
                     self.public_inputs, self.proof, self.state_root, self.orders, (), None,
                     tuple(sorted(evidence, key=evidence_key)),
                     observations=self.observations, withdrawals=self.withdrawals)


def signatures_to_json(signatures) -> list:
    """[(validator, signature bytes)] → [{"validator", "signature": hex128}] (blocks, approvals)."""
    return [{"validator": n, "signature": sig.hex()} for n, sig in signatures]


def signatures_from_json(obj: dict, what: str, max_len: int = MAX_SLOTS) -> list:
    """``obj["signatures"]`` back as [(validator, signature bytes)]; one-line ``CodecError``."""
    sigs = []
    for i, s in enumerate(get_list(obj, "signatures", what, max_len)):
        w = f"{what}: signatures[{i}]"
        check_fields(s, w, ("validator", "signature"))
        sigs.append((get_str(s, "validator", w, NAME_PATTERN),
                     get_hex(s, "signature", w, keys.SIGNATURE_BYTES)))
    return sigs


def block_to_json(b: Block) -> dict:
    out = {"kind": BLOCK_KIND, "version": 1, "height": b.height, "parent_hash": b.parent_hash,
           "n_orders": b.n_orders, "n_accounts": b.n_accounts,
           "public_inputs": [str(v) for v in b.public_inputs], "proof": b.proof,
           "state_root": b.state_root,
           "orders": [None if o is None else order_to_json(o) for o in b.orders],
           "signatures": signatures_to_json(b.signatures)}
    if b.observations:             # absent when none, so older blocks hash as before
        out["observations"] = [observation_to_json(o) for o in b.observations]
    if b.withdrawals:
        out["withdrawals"] = [request_to_json(w) for w in b.withdrawals]
    if b.operator_signature is not None:
        out["operator_signature"] = b.operator_signature.hex()
    if b.evidence:
        out["evidence"] = [dict(ev) for ev in b.evidence]
    return out


def block_from_json(obj, what: str = "block") -> Block:
    """A ``Block`` from its JSON object; a one-line ``ValueError`` if malformed."""
    try:
        check_object(obj, what, BLOCK_KIND, 1, ("height", "parent_hash", "n_orders",
                                                "n_accounts", "public_inputs", "proof",
                                                "state_root", "orders", "signatures"),
                     ("observations", "withdrawals", "operator_signature", "evidence"))
        wds = [request_from_json(w, f"{what}: withdrawals[{i}]")
               for i, w in enumerate(get_list(obj, "withdrawals", what, MAX_SLOTS))] \
            if "withdrawals" in obj else []
        if "withdrawals" in obj and not wds:
            raise CodecError(f"{what}: withdrawals, when present, must not be empty")
        evidence = ()
        if "evidence" in obj:
            evidence = get_list(obj, "evidence", what, MAX_EVIDENCE)
            if not evidence:
                raise CodecError(f"{what}: evidence must be left out when there is none "
                                 "(not an empty list)")
        pis = get_list(obj, "public_inputs", what, n_public_inputs(MAX_SLOTS, MAX_SLOTS)
                       + cipher_inputs(MAX_SLOTS))
        public = [get_decimal({"v": v}, "v", f"{what}: public_inputs[{i}]", 0, R_MOD)
                  for i, v in enumerate(pis)]
        orders = [None if o is None else order_from_json(o, f"{what}: orders[{j}]")
                  for j, o in enumerate(get_list(obj, "orders", what, MAX_SLOTS))]
        sigs = signatures_from_json(obj, what)
        obs = [observation_from_json(o, f"{what}: observations[{i}]") for i, o in
               enumerate(get_list(obj, "observations", what, MAX_OBSERVATIONS))
               ] if "observations" in obj else []
        if "observations" in obj and not obs:
            raise CodecError(f"{what}: observations, when present, must not be empty")
        if not isinstance(obj["proof"], dict):
            raise CodecError(f"{what}: proof must be a JSON object")
        return Block(get_int(obj, "height", what, 1, MAX_HEIGHT),
                     get_hex(obj, "parent_hash", what, 32).hex(),
                     get_int(obj, "n_orders", what, 0, MAX_SLOTS),
                     get_int(obj, "n_accounts", what, 0, MAX_SLOTS), public, obj["proof"],
                     get_hex(obj, "state_root", what, 32).hex(), orders, sigs,
                     get_hex(obj, "operator_signature", what, keys.SIGNATURE_BYTES)
                     if "operator_signature" in obj else None, evidence,
                     observations=obs, withdrawals=wds)
    except ValueError as e:          # CodecError, OrderError, BlockError: one line each
        raise BlockError(str(e)) from None
