"""Encrypted account openings: ECDH on Baby Jubjub, a Poseidon key stream, natively and in-circuit.

**Keys.**  A trader's encryption secret is a ∈ [1, l); its public key, registered
with the account, is A = a·B8 (B8 = ``babyjub.BASE8``, order l).  The ledger
accepts A only if ``check_public_key`` passes: on the curve, in the order-l
subgroup (l·A = O) and not the identity.  The circuit re-checks only that A is
on the curve (``babyjub.var_base_mul``), which its doubling formula needs; the
subgroup property is the registry's, since A is a public input the verifier
reads from it.

**Per block.**  The prover picks a fresh ephemeral scalar e ∈ [1, l), private,
and publishes E = e·B8.  In the circuit e is decomposed into 251 boolean wires
(l < 2^251) and E is their fixed-base product with B8, so E lies in the
subgroup and is not the identity (E.x ≠ 0, proven by an inverse).  The same
bits drive every slot's variable-base multiplication, so whatever integer
e′ = Σ bᵢ2ⁱ they encode, E = e′·B8 and S = e′·A agree: a·E = e′·a·B8 = e′·A.

**Per account slot** (account id α, opening m = (cash, position, F_a, blinding)
as field elements, signed values mod r, ``account_state.FIELDS`` order):

    S          = e·A = a·E                                   (ECDH shared point)
    (k₀…k₃)    = elements 1…4 of the Poseidon permutation (t = 5, circomlib
                 constants) of the state [DOMAIN, S.x, S.y, α, τ]
    cᵢ         = mᵢ + kᵢ  (mod r),    i = 0…3

where τ = height·2^16 + market (``tweak``) and DOMAIN =
int(b"darkmatch/opening/v1", big-endian) sits in the capacity element 0.
This is a sponge with capacity 1 and rate 4 that absorbs (S.x, S.y, α, τ) and
squeezes four rate elements; element 0 is never published, so the key stream
reveals nothing that would let anyone run the permutation backwards.  As a
KEM-DEM (hashed ElGamal with Poseidon as the key-derivation function), the
ciphertext is indistinguishable under the computational Diffie–Hellman
assumption on the subgroup, with the hash as a random oracle.  One e per
block serves all slots: ElGamal is "reproducible" (Bellare, Boldyreva,
Staddon, PKC 2003), so reusing the randomness across distinct recipients
keeps each one's security, and α in the key-derivation input separates two
accounts that registered the same A.  τ separates blocks and markets even if
an operator reused e.

Circomlibjs computes the same key stream as ``poseidon([S.x, S.y, α, τ], DOMAIN, 5)``
(elements 1…4) and S by ``babyJub.mulPointEscalar``; the tests compare.

**Decryption** (``decrypt``): S = a·E, the same key stream, mᵢ = cᵢ − kᵢ.  A
wrong key gives an unrelated S, hence uniformly random mᵢ: out of range or, in
``recover``, not the opening of the stored commitment.

**In-circuit** (``ephemeral_gadget`` once per block, ``encrypt_gadget`` per slot):
the opening wires are the very wires the account-state commitment hashes, so a
proof exists only if the published cᵢ decrypt to the committed opening: the
operator cannot lock a trader out with garbage.  Cost: per block 1,879 rows
(251-bit decomposition 501, fixed-base multiplication 1,377, E ≠ O 1); per slot
5,437 rows — the variable-base multiplication 4,505 (18 a bit, curve check
included), the permutation 928, one row per ciphertext element — and 5,441
with an ``active`` flag.
"""

import secrets

from verifier.errors import BadInput, Rejected
from verifier.fields import R_MOD

from . import babyjub
from .account_state import FIELDS, Opening, commitment, open_gadget
from .bits import to_bits
from .builder import Circuit
from .poseidon import permute, permute_gadget
from .settlement_data import ACCOUNT_BITS, HEIGHT_BITS, MARKET_BITS

__all__ = [
    "DOMAIN", "SCALAR_BITS", "EncryptionError", "public_key", "keypair", "check_public_key",
    "ephemeral", "tweak", "shared_point", "key_stream", "encrypt", "decrypt", "recover",
    "ephemeral_gadget", "encrypt_gadget", "EncryptedOpenings", "BLOCK_PUBLIC", "SLOT_PUBLIC",
    "SLOT_PRIVATE",
]

DOMAIN = int.from_bytes(b"darkmatch/opening/v1", "big")
#: Bits of an ephemeral scalar in the circuit (l < 2^251).
SCALAR_BITS = 251
N_FIELDS = len(FIELDS)


class EncryptionError(BadInput):
    """A malformed key, scalar, point or ciphertext."""


def _scalar(name, v) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v < babyjub.L:
        raise EncryptionError(f"{name} must be an integer in [1, l)")
    return v


def _point(name, P):
    if not (isinstance(P, (tuple, list)) and len(P) == 2):
        raise EncryptionError(f"{name} must be a point (x, y)")
    P = tuple(P)
    if not babyjub.is_on_curve(P):
        raise EncryptionError(f"{name} is not a point on Baby Jubjub")
    return P


def _int(name, v, bits) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 1 << bits:
        raise EncryptionError(f"{name} must be an integer in [0, 2^{bits})")
    return v


# ------------------------------------------------------------------ native
def public_key(a: int):
    """A = a·B8 for a secret a ∈ [1, l)."""
    return babyjub.mul(babyjub.BASE8, _scalar("secret key", a))


def keypair(rng=secrets):
    """(a, A) with a uniform in [1, l)."""
    a = 1 + rng.randbelow(babyjub.L - 1)
    return a, public_key(a)


def check_public_key(A):
    """A as a tuple if it may be registered: on the curve, order l, not the identity."""
    A = _point("encryption key", A)
    if A == babyjub.IDENTITY or not babyjub.in_subgroup(A):
        raise EncryptionError("encryption key is not a point of the prime-order subgroup")
    return A


def ephemeral(rng=secrets):
    """A fresh block key (e, E = e·B8), e uniform in [1, l)."""
    e = 1 + rng.randbelow(babyjub.L - 1)
    return e, babyjub.mul(babyjub.BASE8, e)


def tweak(height: int, market: int) -> int:
    """τ = height·2^16 + market: the key stream's per-block, per-market nonce."""
    return _int("height", height, HEIGHT_BITS) << MARKET_BITS | _int("market", market, MARKET_BITS)


def shared_point(secret: int, P):
    """secret·P: S = e·A for the encrypter, a·E for the owner."""
    return babyjub.mul(_point("point", P), _scalar("scalar", secret))


def key_stream(S, account: int, tau: int) -> list:
    """(k₀…k₃) = elements 1…4 of Poseidon's permutation of [DOMAIN, S.x, S.y, account, τ]."""
    S = _point("shared point", S)
    state = permute([DOMAIN, S[0], S[1], _int("account", account, ACCOUNT_BITS),
                     _int("tweak", tau, HEIGHT_BITS + MARKET_BITS)])
    return state[1:1 + N_FIELDS]


def encrypt(opening: Opening, A, e: int, *, account: int, tau: int) -> list:
    """cᵢ = mᵢ + kᵢ mod r for the opening's four field elements, to key A with block scalar e."""
    if not isinstance(opening, Opening):
        raise EncryptionError("opening must be an account_state.Opening")
    ks = key_stream(shared_point(e, check_public_key(A)), account, tau)
    return [(m + k) % R_MOD for m, k in zip(opening.field_elements(), ks)]


def decrypt(ciphertext, E, a: int, *, account: int, tau: int) -> list:
    """mᵢ = cᵢ − kᵢ mod r with S = a·E: the four field elements (no range check)."""
    ciphertext = list(ciphertext) if isinstance(ciphertext, (list, tuple)) else None
    if ciphertext is None or len(ciphertext) != N_FIELDS:
        raise EncryptionError(f"a ciphertext is a list of {N_FIELDS} field elements")
    for c in ciphertext:
        if isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < R_MOD:
            raise EncryptionError("ciphertext elements must be integers in [0, r)")
    ks = key_stream(shared_point(a, E), account, tau)
    return [(c - k) % R_MOD for c, k in zip(ciphertext, ks)]


def recover(ciphertext, E, a: int, *, account: int, tau: int, stored: int) -> Opening:
    """The opening the ciphertext carries, checked against the stored commitment; Rejected
    (one line) when it does not open it — a wrong key, or a ciphertext from elsewhere."""
    values = decrypt(ciphertext, E, a, account=account, tau=tau)
    try:
        opening = Opening.from_field_elements(values)
    except BadInput:
        raise Rejected("decrypted state is out of range: wrong key or foreign ciphertext") from None
    if commitment(account, opening) != stored:
        raise Rejected("decrypted state does not open the stored commitment")
    return opening


# ------------------------------------------------------------------ in-circuit
def _hint_inverse(v):
    return pow(v, -1, R_MOD) if v else 0


def ephemeral_gadget(c, e):
    """(bits of e, E = e·B8 as wires), once per block; proves E ≠ O (E.x ≠ 0 in the subgroup)."""
    with c.labelled("encryption: ephemeral scalar bits"):
        bits = to_bits(c, e, SCALAR_BITS)
    with c.labelled("encryption: E = e·B8"):
        E = babyjub.fixed_base_mul(c, bits, babyjub.BASE8)
        inv = c.hint(_hint_inverse, [E[0]])
        c.gate(E[0], inv, None, qm=1, qc=-1)                  # E.x·inv = 1
    return bits, E


def encrypt_gadget(c, bits, A, account, tau, opening, ciphertext, active=None) -> None:
    """Constrain the published ciphertext wires cᵢ = active·(mᵢ + kᵢ) for the opening wires
    (cash, position, funding, blinding) of ``account`` to the public key wires A, with the
    block's scalar ``bits`` (from ``ephemeral_gadget``).

    ``active`` (a boolean wire, or None for an always-active slot) makes an inactive slot's
    ciphertext 0; the caller then passes A = O (the identity is on the curve).  One row per
    element (two with ``active``); a ciphertext that does not encrypt the opening fails the
    gate labelled "encryption: ciphertext".
    """
    if len(opening) != N_FIELDS or len(ciphertext) != N_FIELDS:
        raise EncryptionError(f"an opening and a ciphertext have {N_FIELDS} wires each")
    with c.labelled("encryption: S = e·A"):
        S = babyjub.var_base_mul(c, bits, A)
    with c.labelled("encryption: key stream"):
        ks = permute_gadget(c, [S[0], S[1], account, tau], init=DOMAIN,
                            outputs=tuple(range(1, 1 + N_FIELDS)))
    with c.labelled("encryption: ciphertext"):
        for m, k, ct in zip(opening, ks, ciphertext):
            m, ct = c.as_var(m), c.as_var(ct)
            if active is None:
                c.gate(m, k, ct, ql=1, qr=1, qo=-1)             # c = m + k
            else:
                c.gate(active, c.add(m, k), ct, qm=1, qo=-1)    # c = a·(m + k)


# ------------------------------------------------------------------ a whole statement
#: Public inputs: once per block, then per account slot (what settlement adds per slot is
#: ax, ay and c0…c3; active, id and the new commitment it has already, τ it computes from
#: its height and market id, and E (ex, ey) is once per block).
BLOCK_PUBLIC = ("tweak", "ex", "ey")
SLOT_PUBLIC = ("active", "id", "commitment", "ax", "ay", "c0", "c1", "c2", "c3")
SLOT_PRIVATE = FIELDS


class EncryptedOpenings(Circuit):
    """K account slots whose openings open their commitments and are encrypted to their keys.

    The per-slot part of the settlement statement in isolation: for an active slot,
    ``account_state.open_gadget`` of the opening equals the commitment and c0…c3 encrypt
    that opening to A; an inactive slot has id = commitment = ax = ay = c = 0.
    """

    def __init__(self, n_slots: int):
        if isinstance(n_slots, bool) or not isinstance(n_slots, int) or not 1 <= n_slots <= 64:
            raise EncryptionError(f"n_slots must be an integer in [1, 64], got {n_slots!r}")
        super().__init__()
        self.n_slots = n_slots
        g = {n: self.public(n) for n in BLOCK_PUBLIC}
        slots = [{n: self.public(f"slot{k}.{n}") for n in SLOT_PUBLIC} for k in range(n_slots)]
        e = self.private("e")
        for k, s in enumerate(slots):
            s.update({n: self.private(f"slot{k}.{n}") for n in SLOT_PRIVATE})
        bits, E = ephemeral_gadget(self, e)
        with self.labelled("encryption: E is the published one"):
            self.assert_equal(E[0], g["ex"])
            self.assert_equal(E[1], g["ey"])
        for k, s in enumerate(slots):
            with self.labelled(f"slot {k}"):
                a = s["active"]
                self.assert_bool(a)
                for n in ("id", "commitment", "ax", "ay"):
                    self.gate(a, s[n], None, qm=-1, qr=1)            # (1 − a)·x = 0
                h = open_gadget(self, s["id"], *(s[n] for n in SLOT_PRIVATE))
                with self.labelled("opening equals the commitment"):
                    self.gate(a, self.sub(h, s["commitment"]), None, qm=1)
                A = (s["ax"], self.lincomb([(s["ay"], 1), (a, -1)], const=1))
                encrypt_gadget(self, bits, A, s["id"], g["tweak"],
                               [s[n] for n in SLOT_PRIVATE],
                               [s[f"c{i}"] for i in range(N_FIELDS)], active=a)

    def assignment(self, e: int, tau: int, slots) -> dict:
        """Inputs for block scalar e, nonce τ and ``slots``: per slot None (inactive) or
        (account, opening, A); the ciphertexts and E are computed natively."""
        if len(slots) != self.n_slots:
            raise EncryptionError(f"expected {self.n_slots} slots, got {len(slots)}")
        E = babyjub.mul(babyjub.BASE8, _scalar("ephemeral scalar", e))
        out = {"tweak": tau, "ex": E[0], "ey": E[1], "e": e}
        for k, slot in enumerate(slots):
            if slot is None:
                pub = [0] * len(SLOT_PUBLIC)
                priv = [0] * len(SLOT_PRIVATE)
            else:
                account, opening, A = slot
                ct = encrypt(opening, A, e, account=account, tau=tau)
                pub = [1, account, commitment(account, opening), A[0], A[1], *ct]
                priv = opening.field_elements()
            out.update({f"slot{k}.{n}": v for n, v in zip(SLOT_PUBLIC, pub)})
            out.update({f"slot{k}.{n}": v for n, v in zip(SLOT_PRIVATE, priv)})
        return out
