"""The checks a ``ledger.core.block.Block`` runs when it is built (its module docstring says
what a block is): height and hashes, the public inputs' layout, header and market
parameters, the proof's size and canonical spelling, the order and account slots against
the orders the block carries, the encrypted tail, withdrawals, signatures and evidence.

``validate(block)`` raises a one-line ``BlockError`` or returns the views the block keeps
(its header fields, market parameters, order and account slots, encrypted openings).
"""

from circuits.settlement_data import (ACCOUNT_PUBLIC, GLOBALS, ORDER_PUBLIC, MarketParams,
                                      n_public_inputs)
from verifier.fields import R_MOD

from ledger.core import keys
from ledger.core.block_parts import (AccountSlot, BlockError, OrderSlot, check_canonical_proof,
                                     check_withdrawals, cipher_inputs, cipher_slots)
from ledger.core.codec import canonical_json
from ledger.core.evidence import MAX_EVIDENCE, evidence_from_json, evidence_key
from ledger.core.limits import (ACCOUNT_BOUND, HEIGHT_BOUND, MAX_BLOCK_SLOTS,
                                MAX_OBSERVATIONS, PRICE_BOUND, SIZE_BOUND, check_int)
from ledger.core.observation import Observation
from ledger.core.orders import SignedOrder

__all__ = ["validate", "HEADER_INPUTS", "MAX_SLOTS", "MAX_HEIGHT"]

HEADER_INPUTS = len(GLOBALS)
_OW, _AW = len(ORDER_PUBLIC), len(ACCOUNT_PUBLIC)   # inputs per order / account slot
MAX_SLOTS = MAX_BLOCK_SLOTS
MAX_HEIGHT = HEIGHT_BOUND
_PROOF_BYTES = 1 << 16


def _int(name, v, lo, hi):
    return check_int(v, name, lo, hi, error=BlockError)


def _fields(names, values) -> dict:
    """The public inputs ``values`` by their layout ``names`` (``circuits.settlement_data``)."""
    return dict(zip(names, values))


def _hex32(v, name):
    if not isinstance(v, str) or len(v) != 64 or any(c not in "0123456789abcdef" for c in v):
        raise BlockError(f"{name} must be 64 lowercase hex digits")
    return v


def validate(block) -> dict:
    """Check ``block`` (module docstring); the views it keeps, by attribute name."""
    _int("height", block.height, 1, MAX_HEIGHT)
    _hex32(block.parent_hash, "parent_hash")
    _hex32(block.state_root, "state_root")
    N = _int("n_orders", block.n_orders, 0, MAX_SLOTS)
    K = _int("n_accounts", block.n_accounts, 0, MAX_SLOTS)
    pi = block.public_inputs
    plain = n_public_inputs(N, K)
    if len(pi) not in (plain, plain + cipher_inputs(K)):
        raise BlockError(f"{len(pi)} public inputs for {N} order and {K} account slots "
                         f"(expected {plain}, or {plain + cipher_inputs(K)} with "
                         "encrypted openings)")
    for i, v in enumerate(pi):
        _int(f"public input {i}", v, 0, R_MOD)
    header = _fields(GLOBALS, pi[:HEADER_INPUTS])
    market_id = header["market_id"]
    if header["height"] != block.height:
        raise BlockError(f"public input height {header['height']} differs from the block's")
    _int("clearing price", header["P"], 1, PRICE_BOUND)
    _int("mark price", header["M"], 1, PRICE_BOUND)
    _int("volume", header["V"], 0, SIZE_BOUND)
    try:
        params = MarketParams(market_id, header["im_bps"], header["mm_bps"],
                              header["fee_bps"], header["band_bps"],
                              header["liquidation_bps"], header["insurance_bps"])
    except ValueError as e:
        raise BlockError(f"market parameters: {e}") from None
    if not isinstance(block.proof, dict) or len(canonical_json(block.proof)) > _PROOF_BYTES:
        raise BlockError(f"proof must be a JSON object of at most {_PROOF_BYTES} bytes")
    check_canonical_proof(block.proof)
    if len(block.orders) != N:
        raise BlockError(f"{len(block.orders)} orders for {N} order slots")
    if len(block.observations) > MAX_OBSERVATIONS:
        raise BlockError(f"{len(block.observations)} observations (at most {MAX_OBSERVATIONS})")
    if not all(isinstance(o, Observation) for o in block.observations):
        raise BlockError("observations must be Observation records")
    if header["reduce_only"] not in (0, 1):
        raise BlockError("reduce_only flag must be 0 or 1")

    order_slots, account_slots, seen = [], [], set()
    for j in range(N):
        slot = _fields(ORDER_PUBLIC, pi[HEADER_INPUTS + _OW * j: HEADER_INPUTS + _OW * (j + 1)])
        active, account, x, y = slot["active"], slot["account"], slot["cx"], slot["cy"]
        order = block.orders[j]
        if active not in (0, 1):
            raise BlockError(f"order slot {j}: active flag must be 0 or 1")
        if not active:
            if account or x or y or order is not None:
                raise BlockError(f"order slot {j} is inactive but not empty")
        else:
            if not isinstance(order, SignedOrder):
                raise BlockError(f"order slot {j} is active but has no order")
            if (order.account, tuple(order.commitment)) != (account, (x, y)):
                raise BlockError(f"order slot {j}: account or commitment differs from the "
                                 "public inputs")
            if order.market != market_id:
                raise BlockError(f"order slot {j}: order for market {order.market}, "
                                 f"batch in market {market_id}")
            if (x, y) in seen:
                raise BlockError(f"order slot {j}: commitment appears twice in the block")
            seen.add((x, y))
        order_slots.append(OrderSlot(bool(active), account, (x, y)))
    base, last = HEADER_INPUTS + _OW * N, -1
    for k in range(K):
        slot = _fields(ACCOUNT_PUBLIC, pi[base + _AW * k: base + _AW * (k + 1)])
        active, account, old, new = slot["active"], slot["id"], slot["old"], slot["new"]
        if active not in (0, 1):
            raise BlockError(f"account slot {k}: active flag must be 0 or 1")
        if not active and (account or old or new):
            raise BlockError(f"account slot {k} is inactive but not empty")
        if active:
            _int(f"account slot {k}: account", account, 0, ACCOUNT_BOUND)
            if account <= last:
                raise BlockError(f"account slot {k}: account ids must be strictly increasing")
            last = account
        account_slots.append(AccountSlot(bool(active), account, old, new))
    cipher = cipher_slots(pi[plain:], account_slots) if len(pi) > plain else None
    ids = {s.account for s in account_slots if s.active}
    for j, s in enumerate(order_slots):
        if s.active and s.account not in ids:
            raise BlockError(f"order slot {j}: account {s.account} has no account slot")
    check_withdrawals(block.withdrawals, pi, base + _AW * K, account_slots)
    names = set()
    for i, sig in enumerate(block.signatures):
        if (len(sig) != 2 or not isinstance(sig[0], str) or not isinstance(sig[1], bytes)
                or len(sig[1]) != keys.SIGNATURE_BYTES):
            raise BlockError(f"signature {i} must be (validator name, 64 bytes)")
        if sig[0] in names:
            raise BlockError(f"two signatures by validator {sig[0]!r}")
        names.add(sig[0])
    osig = block.operator_signature
    if osig is not None and (not isinstance(osig, bytes)
                             or len(osig) != keys.SIGNATURE_BYTES):
        raise BlockError("operator signature must be 64 bytes")
    if len(block.evidence) > MAX_EVIDENCE:
        raise BlockError(f"{len(block.evidence)} evidence items (at most {MAX_EVIDENCE})")
    last = None
    for i, ev in enumerate(block.evidence):
        try:
            evidence_from_json(ev, f"evidence[{i}]")
        except ValueError as e:
            raise BlockError(str(e)) from None
        if ev["height"] >= block.height:
            raise BlockError(f"evidence[{i}] is about height {ev['height']}, not below the "
                             "block's")
        if last is not None and not last < evidence_key(ev):
            raise BlockError(f"evidence[{i}]: evidence must be in strictly increasing "
                             "(kind, validator, height) order")
        last = evidence_key(ev)
    return {"_header": header, "_params": params, "_order_slots": tuple(order_slots),
            "_account_slots": tuple(account_slots), "_cipher": cipher}
