"""Pedersen order commitments on Baby Jubjub: C = m·G + ρ·H, natively and in-circuit.

**Message.**  An order (account, market, side, price, size, nonce) packs into
one integer m by concatenating fixed-width fields, least significant first:

    field    account  market  side  price  size  nonce
    bits        40      16      1     32     32    64     (185 bits in all)

so m = Σ fieldᵢ·2^offsetᵢ < 2^185 < l (checked at import; m < l is what
binding needs, since m is used modulo l).  side is 0 for "buy" and 1 for
"sell"; prices are in ticks, sizes in lots (docs/design.md §Statement).  A field outside its
range raises ``ValueError`` naming the field.

**Generators.**  G and H are hashed to the curve by try-and-increment:

    for counter = 0, 1, 2, …:
        y  = int(SHA-256(label ‖ counter as 4 bytes big-endian), big-endian) mod r
        x² = (1 − y²) / (a − d·y²); skip y if x² is not a square in Fr
        x  = the square root with x ≤ (r − 1)/2
        P  = 8·(x, y); skip if P is the identity (then (x, y) had small order)
        return P

with labels ``b"darkmatch/pedersen/G/v1"`` and ``b"darkmatch/pedersen/H/v1"``.
Multiplying by the cofactor puts P in the prime-order subgroup (checked:
l·P = O, P ≠ O).  No one chose a discrete logarithm, so log_G H is unknown.

**Binding** (computational): two openings (m, ρ) ≠ (m', ρ') of one C with
m ≠ m' (both < l) give log_G H = (m − m')/(ρ' − ρ) mod l, i.e. a discrete
logarithm in the order-l subgroup of Baby Jubjub (~2^125 generic work).
**Hiding** (information-theoretic): ρ is uniform in [0, l) (``secrets``), so
ρ·H is uniform in the subgroup and C reveals nothing about m.

**In-circuit opening** (``open_gadget``): each field wire is decomposed into
exactly its width in boolean bits (``bits.to_bits``, which is the range check),
and the concatenated bits are the bits of m, so m never needs a separate
decomposition; ρ is decomposed into 251 bits.  Then m·G + ρ·H is one fixed-base
multi-scalar multiplication (2-bit windows, ``babyjub.fixed_base_msm``)
constrained equal to C.  ρ < l is not enforced: 2^251 > l, so a prover may use
ρ + l < 2^251 instead of ρ — the same point, since l·H = O — which changes
nothing about binding (that rests on m < l, enforced by the field widths).
"""

import hashlib
import secrets

from verifier.fields import R_MOD

from . import babyjub
from .bits import to_bits

__all__ = [
    "FIELDS", "WIDTHS", "OFFSETS", "MESSAGE_BITS", "RHO_BITS", "LABEL_G", "LABEL_H", "G", "H",
    "hash_to_subgroup", "pack", "unpack", "commit", "commit_with", "open", "open_gadget",
]

#: Order fields, least significant first, and their widths in bits.
FIELDS = ("account", "market", "side", "price", "size", "nonce")
WIDTHS = {"account": 40, "market": 16, "side": 1, "price": 32, "size": 32, "nonce": 64}
OFFSETS = {}
_off = 0
for _f in FIELDS:
    OFFSETS[_f] = _off
    _off += WIDTHS[_f]
MESSAGE_BITS = _off
#: Bits of ρ in the circuit (2^251 > l > 2^250).
RHO_BITS = 251
SIDES = {"buy": 0, "sell": 1}
LABEL_G = b"darkmatch/pedersen/G/v1"
LABEL_H = b"darkmatch/pedersen/H/v1"


def hash_to_subgroup(label: bytes):
    """Try-and-increment SHA-256 hash of ``label`` to a point of order l (see module doc)."""
    r, a, d = R_MOD, babyjub.A, babyjub.D
    for counter in range(1 << 32):
        digest = hashlib.sha256(label + counter.to_bytes(4, "big")).digest()
        y = int.from_bytes(digest, "big") % r
        yy = y * y % r
        x = babyjub.sqrt((1 - yy) * pow(a - d * yy, -1, r))
        if x is None:
            continue
        x = min(x, r - x) if x else 0
        P = babyjub.mul((x, y), babyjub.COFACTOR)
        if P != babyjub.IDENTITY:
            return P
    raise RuntimeError("hash_to_subgroup: no point found")      # pragma: no cover


G = hash_to_subgroup(LABEL_G)
H = hash_to_subgroup(LABEL_H)


def _check() -> None:
    assert MESSAGE_BITS == sum(WIDTHS.values()) == 185 and 1 << MESSAGE_BITS < babyjub.L
    assert 1 << (RHO_BITS - 1) < babyjub.L < 1 << RHO_BITS
    for P in (G, H):
        assert babyjub.in_subgroup(P) and not babyjub.is_small_order(P)
    assert G != H


_check()


def _field(name, value) -> int:
    if name == "side" and isinstance(value, str):
        if value not in SIDES:
            raise ValueError(f"side must be 'buy' or 'sell', not {value!r}")
        return SIDES[value]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer")
    if not 0 <= value < 1 << WIDTHS[name]:
        raise ValueError(f"{name} out of range: must be in [0, 2^{WIDTHS[name]})")
    return value


def pack(account, market, side, price, size, nonce) -> int:
    """The message m = Σ fieldᵢ·2^offsetᵢ (< 2^185); ValueError names a bad field."""
    vals = dict(account=account, market=market, side=side, price=price, size=size, nonce=nonce)
    return sum(_field(f, vals[f]) << OFFSETS[f] for f in FIELDS)


def unpack(m: int) -> dict:
    """The fields of a packed message (side as 0/1)."""
    if isinstance(m, bool) or not isinstance(m, int) or not 0 <= m < 1 << MESSAGE_BITS:
        raise ValueError(f"packed order must be an integer in [0, 2^{MESSAGE_BITS})")
    return {f: (m >> OFFSETS[f]) & ((1 << WIDTHS[f]) - 1) for f in FIELDS}


def _rho(rho) -> int:
    if isinstance(rho, bool) or not isinstance(rho, int) or not 0 <= rho < babyjub.L:
        raise ValueError("rho must be an integer in [0, l)")
    return rho


def commit_with(rho, **order):
    """C = m·G + ρ·H for a given blinding ρ ∈ [0, l) (deterministic)."""
    m = pack(**order)
    return babyjub.add(babyjub.mul(G, m), babyjub.mul(H, _rho(rho)))


def commit(**order):
    """(C, ρ) with a fresh blinding ρ uniform in [0, l) from ``secrets``."""
    rho = secrets.randbelow(babyjub.L)
    return commit_with(rho, **order), rho


def open(C, rho, **order) -> bool:   # noqa: A001 - the issue's name
    """True iff (order, ρ) opens C.  ValueError only for malformed input: C not a
    point of the prime-order subgroup (off the curve, small order, or with a
    torsion component), ρ outside [0, l), or a bad field."""
    if not babyjub.is_on_curve(C):
        raise ValueError("commitment is not a point on Baby Jubjub")
    if babyjub.is_small_order(C):
        raise ValueError("commitment is a point of small order")
    if not babyjub.in_subgroup(C):
        raise ValueError("commitment is not in the prime-order subgroup")
    return commit_with(rho, **order) == C


def open_gadget(c, C, account, market, side, price, size, nonce, rho) -> None:
    """Constrain that the field wires and ρ open the commitment wires C = (x, y).

    Range-checks every field to its width (bits.to_bits), decomposes ρ into
    251 bits and constrains m·G + ρ·H = C by one fixed-base multi-scalar
    multiplication.  C's wires need no curve check: they are equated to a
    computed point.
    """
    wires = dict(account=account, market=market, side=side, price=price, size=size, nonce=nonce)
    m_bits = []
    with c.labelled("pedersen: order field range"):
        for f in FIELDS:
            m_bits += to_bits(c, wires[f], WIDTHS[f])
    with c.labelled("pedersen: rho bits"):
        rho_bits = to_bits(c, rho, RHO_BITS)
    with c.labelled("pedersen: m·G + ρ·H"):
        x, y = babyjub.fixed_base_msm(c, [(m_bits, G), (rho_bits, H)])
    with c.labelled("pedersen: opening equals C"):
        c.assert_equal(x, C[0])
        c.assert_equal(y, C[1])
