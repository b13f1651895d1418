"""A local powers-of-tau ceremony: new → contribute (repeatable) → verify → export.

Role: produce an SRS whose τ nobody knows as long as ONE contributor was honest
(drew a random secret and forgot it).  For development and small deployments;
the file is a .ptau, so ``load_ptau`` reads it and ``export_ptau`` prepares it.

Maths.  ``new`` writes τ = 1 (every [τⁱ] is a generator).  Contribution k draws a
secret s (64 bytes from the OS CSPRNG, plus optional user entropy, hashed to Fr)
and replaces [τⁱ]₁ by [sⁱ]·[τⁱ]₁ (a batch kernel) and [τ]₂ by [s]·[τ]₂, so
τ_k = s·τ_{k−1}.  It records a proof that it knows s and applied exactly s:

  S = [s]₁, and a Schnorr proof of knowledge of log_G S: R = [k]₁ for a random
  nonce k, c = H(h_{k−1}, name, S, R, [τ_k]₁, [τ_k]₂) mod r, z = k + c·s mod r.

``verify`` checks, for every contribution k (with [τ_0]₂ = [1]₂):
  1. S, R, [τ_k]₁ valid non-zero G1 points, [τ_k]₂ in G2, z < r;
  2. [z]G = R + [c]S                 — the contributor knows s (ROM, forking lemma);
  3. e(S, [τ_{k−1}]₂) = e(G, [τ_k]₂)  — [τ_k]₂ is the previous one times that s;
  4. e([τ_k]₁, [1]₂) = e(G, [τ_k]₂)  — the G1 and G2 records agree;
then that the file's [τ]₁, [τ]₂ are the last record's and that ALL its powers are
consistent (``load_ptau``'s pairing + random-linear-combination checks).  Checks 3
and 4 of all K records run as one randomised product of K + 1 pairings (re-run
one by one to name the culprit when it fails).  The challenge binds h_{k−1}, the
hash of everything before, so a proof cannot be replayed and a contributor
cannot pick its update after seeing a later one; since the update must equal
the proven s, a last contributor cannot cancel earlier secrets (it would need
s = τ_target/τ_{k−1}, which it cannot know).  This is the design of snarkjs and
of Bowe–Gabizon–Miers (eprint 2017/1050) with a Schnorr proof in G1 in place of
their hash-to-G2 "same ratio" proof of knowledge.

Hashes (BLAKE2b-512, each input prefixed by a domain tag):
  h_0 = H("darkmatch-ceremony-v1/genesis" ‖ u32 power),
  h_k = H("darkmatch-ceremony-v1/contribution" ‖ h_{k−1} ‖ record_k),
  c_k = H("darkmatch-ceremony-v1/challenge" ‖ h_{k−1} ‖ record_k without z) mod r.

File: a .ptau with sections 1, 2 (all 2·2^power − 1 G1 powers), 3 ([1]₂, [τ]₂ only:
G2 powers beyond [τ]₂ are of no use to PLONK) and section 100, the transcript:
  u32 version = 1, u32 count, then per record: u32 name length, UTF-8 name
  (≤ 256 bytes), S (64), R (64), z (32, little-endian plain), [τ]₁ (64), [τ]₂ (128),
points in the ptau's little-endian Montgomery encoding.  snarkjs ignores
unknown sections, so ``export`` (which adds section 12 and keeps 100) gives a
file that ``snarkjs plonk setup`` accepts and ``verify`` still checks.
"""

import hashlib
import secrets
import struct
from dataclasses import dataclass

import numpy as np

from verifier.curve import (G1_GEN, G2_GEN, CurveError, g1_add, g1_mul, g1_neg, g1_validate,
                            g2_mul, g2_validate, pairing_check)
from verifier.errors import BadInput
from verifier.fields import R_MOD

from .kernels import g1
from .kernels import srs_kernels as sk
from .srs import (MAX_POWER, PtauError, SRS, export_ptau, g1_from_lem, g1_to_lem, g2_from_lem,
                  g2_to_lem, load_ptau, read_section, scan_ptau, write_ptau)

__all__ = ["Contribution", "CeremonyError", "SECTION", "new", "contribute", "verify", "export",
           "read_transcript", "genesis_hash"]

#: section id of the darkmatch transcript inside the .ptau
SECTION = 100
_TAG = b"darkmatch-ceremony-v1/"
_MAX_NAME = 256


class CeremonyError(BadInput):
    """A ceremony file or contribution does not verify (one-line message)."""


@dataclass(frozen=True)
class Contribution:
    """One transcript record (points as ``verifier.curve`` tuples)."""
    name: str
    S: tuple          #: [s]₁
    R: tuple          #: Schnorr commitment [k]₁
    z: int            #: Schnorr response k + c·s mod r
    tau_g1: tuple     #: [τ]₁ after this contribution
    tau_g2: tuple     #: [τ]₂ after this contribution

    def body(self) -> bytes:
        """The record without z (what the challenge hashes)."""
        name = self.name.encode()
        return (struct.pack("<I", len(name)) + name + g1_to_lem(self.S) + g1_to_lem(self.R)
                + g1_to_lem(self.tau_g1) + g2_to_lem(self.tau_g2))

    def encode(self) -> bytes:
        name = self.name.encode()
        return (struct.pack("<I", len(name)) + name + g1_to_lem(self.S) + g1_to_lem(self.R)
                + self.z.to_bytes(32, "little") + g1_to_lem(self.tau_g1) + g2_to_lem(self.tau_g2))


def _h(tag: str, *parts: bytes) -> bytes:
    d = hashlib.blake2b(digest_size=64)
    d.update(_TAG + tag.encode())
    for p in parts:
        d.update(p)
    return d.digest()


def genesis_hash(power: int) -> bytes:
    return _h("genesis", struct.pack("<I", power))


def _challenge(prev: bytes, c: Contribution) -> int:
    return int.from_bytes(_h("challenge", prev, c.body()), "little") % R_MOD


def _decode(raw: bytes) -> list:
    """Section 100 → list of ``Contribution`` (points decoded, not yet validated)."""
    try:
        version, count = struct.unpack_from("<II", raw, 0)
        if version != 1:
            raise CeremonyError(f"transcript version {version} is not supported (expected 1)")
        pos, out = 8, []
        for i in range(count):
            (ln,) = struct.unpack_from("<I", raw, pos)
            if ln > _MAX_NAME:
                raise CeremonyError(f"contribution {i + 1}: name of {ln} bytes (max {_MAX_NAME})")
            name = raw[pos + 4: pos + 4 + ln].decode()
            pos += 4 + ln
            blk = raw[pos: pos + 352]
            if len(blk) != 352:
                raise CeremonyError(f"transcript truncated in contribution {i + 1}")
            out.append(Contribution(name, g1_from_lem(blk[:64]), g1_from_lem(blk[64:128]),
                                    int.from_bytes(blk[128:160], "little"),
                                    g1_from_lem(blk[160:224]), g2_from_lem(blk[224:352])))
            pos += 352
    except (struct.error, UnicodeDecodeError):
        raise CeremonyError("transcript section is malformed") from None
    except CurveError as e:
        raise CeremonyError(f"transcript: {e}") from None
    if pos != len(raw):
        raise CeremonyError(f"{len(raw) - pos} trailing bytes after the transcript")
    return out


def _encode(records) -> bytes:
    return struct.pack("<II", 1, len(records)) + b"".join(c.encode() for c in records)


def read_transcript(path) -> list:
    """The contributions recorded in a ceremony file (decoded, not verified)."""
    lay = scan_ptau(path)
    if SECTION not in lay.sections:
        raise CeremonyError(f"{lay.path} is not a darkmatch ceremony file (no section {SECTION}); "
                            "start one with `darkmatch ceremony new`")
    return _decode(read_section(lay, SECTION))


def _hash_chain(power, records) -> list:
    hs = [genesis_hash(power)]
    for c in records:
        hs.append(_h("contribution", hs[-1], c.encode()))
    return hs


def _scalar(rng, extra: bytes = b"") -> int:
    while True:
        v = int.from_bytes(_h("secret", rng.token_bytes(64), extra), "little") % R_MOD
        if v > 1:
            return v


def new(power: int, path) -> None:
    """Write the genesis file: τ = 1 (all points generators), an empty transcript."""
    if not 1 <= int(power) <= MAX_POWER:
        raise CeremonyError(f"power {power} outside 1..{MAX_POWER}")
    m = 2 * (1 << power) - 1
    gen = g1.points_to_array([G1_GEN])
    write_ptau(path, power, [(2, np.ascontiguousarray(np.broadcast_to(gen, (m, 2, 4)), dtype="<u8")),
                             (3, g2_to_lem(G2_GEN) * 2), (SECTION, _encode([]))])


def _load(path):
    """(srs, records) with the SRS checks of ``load_ptau`` and the transcript decoded."""
    records = read_transcript(path)
    try:
        srs = load_ptau(path, _allow_trivial=not records)
    except PtauError as e:
        raise CeremonyError(str(e)) from None
    want = (records[-1].tau_g1, records[-1].tau_g2) if records else (G1_GEN, G2_GEN)
    if (g1.array_to_points(srs.g1[1:2])[0], srs.g2[1]) != want:
        raise CeremonyError("the file's [tau] points are not those of its last contribution")
    return srs, records


def contribute(in_path, out_path, *, name: str = "", entropy: bytes = b"",
               rng=secrets) -> bytes:
    """Multiply a fresh secret into the ceremony at ``in_path``; write ``out_path``.

    The secret is 64 bytes of ``rng.token_bytes`` (the OS CSPRNG) hashed with the
    optional ``entropy``; it lives only in this call.  The input's powers are
    checked as ``load_ptau`` does; its transcript is checked by ``verify``, not
    here.  A section 12 in the input is not carried over (``export`` again).
    Returns the new transcript hash h_k (64 bytes).
    """
    if len(name.encode()) > _MAX_NAME:
        raise CeremonyError(f"contribution name longer than {_MAX_NAME} bytes")
    srs, records = _load(in_path)
    s = _scalar(rng, entropy)
    pows = [1] * srs.g1.shape[0]
    for i in range(1, len(pows)):
        pows[i] = pows[i - 1] * s % R_MOD
    g1_new = sk.batch_mul_affine(srs.g1, pows)
    t1 = g1.array_to_points(g1_new[1:2])[0]
    t2 = g2_mul(srs.g2[1], s)
    k = _scalar(rng)
    c = Contribution(name, g1_mul(G1_GEN, s), g1_mul(G1_GEN, k), 0, t1, t2)
    prev = _hash_chain(srs.power, records)[-1]
    c = Contribution(c.name, c.S, c.R, (k + _challenge(prev, c) * s) % R_MOD, t1, t2)
    del s, k, pows
    records = records + [c]
    write_ptau(out_path, srs.power, [(2, np.ascontiguousarray(g1_new, dtype="<u8")),
                                     (3, g2_to_lem(G2_GEN) + g2_to_lem(t2)),
                                     (SECTION, _encode(records))])
    return _hash_chain(srs.power, records)[-1]


def _who(i: int, c: Contribution) -> str:
    return f"contribution {i} ({c.name!r})" if c.name else f"contribution {i}"


def _check_proof(i: int, c: Contribution, prev_hash: bytes) -> None:
    """Checks 1 and 2: valid points and the Schnorr proof of knowledge of s."""
    try:
        for label, p in (("S", c.S), ("R", c.R), ("[tau]_1", c.tau_g1)):
            if p is None:
                raise CurveError(f"{label} is the point at infinity")
            g1_validate(p[0], p[1], name=label)
        if c.tau_g2 is None:
            raise CurveError("[tau]_2 is the point at infinity")
        g2_validate(c.tau_g2[0], c.tau_g2[1], name="[tau]_2")
    except CurveError as e:
        raise CeremonyError(f"{_who(i, c)}: {e}") from None
    if not 0 <= c.z < R_MOD:
        raise CeremonyError(f"{_who(i, c)}: Schnorr response is not reduced mod r")
    if g1_mul(G1_GEN, c.z) != g1_add(c.R, g1_mul(c.S, _challenge(prev_hash, c))):
        raise CeremonyError(f"{_who(i, c)}: the proof of knowledge of the secret does not verify")


def _check_pairings(i: int, c: Contribution, prev_t2) -> None:
    """Checks 3 and 4 for one record, separately, so a failure is named."""
    if not pairing_check([(c.S, prev_t2), (g1_neg(G1_GEN), c.tau_g2)]):
        raise CeremonyError(f"{_who(i, c)}: [tau]_2 is not the previous [tau]_2 times the proven secret")
    if not pairing_check([(c.tau_g1, G2_GEN), (g1_neg(G1_GEN), c.tau_g2)]):
        raise CeremonyError(f"{_who(i, c)}: its [tau]_1 and [tau]_2 do not match")


def _batched_pairings(records) -> bool:
    """Checks 3 and 4 of all K records as ONE product of K + 1 pairings.

    With random aₖ, bₖ: Πₖ [e(Sₖ, T₂ₖ₋₁)·e(−G, T₂ₖ)]^aₖ · [e(T₁ₖ, g₂)·e(−G, T₂ₖ)]^bₖ, grouped
    by G2 point: (a₁S₁ + Σbₖ·T₁ₖ, g₂), (aₖ₊₁Sₖ₊₁ − (aₖ + bₖ)G, T₂ₖ) for k < K, and
    (−(a_K + b_K)G, T₂_K).  It is 1 with probability ≤ 2/r unless every equation holds.
    """
    K = len(records)
    a = [secrets.randbelow(R_MOD - 1) + 1 for _ in range(K)]
    b = [secrets.randbelow(R_MOD - 1) + 1 for _ in range(K)]
    first = g1_mul(records[0].S, a[0])
    for c, bk in zip(records, b):
        first = g1_add(first, g1_mul(c.tau_g1, bk))
    pairs = [(first, G2_GEN)]
    for k, c in enumerate(records):
        nxt = g1_mul(records[k + 1].S, a[k + 1]) if k + 1 < K else None
        pairs.append((g1_add(nxt, g1_neg(g1_mul(G1_GEN, a[k] + b[k]))), c.tau_g2))
    return pairing_check(pairs)


def _check_record(i: int, c: Contribution, prev_hash: bytes, prev_t2) -> None:
    """All checks of one record (1–4), unbatched."""
    _check_proof(i, c, prev_hash)
    _check_pairings(i, c, prev_t2)


def _verify(path):
    srs, records = _load(path)
    if not records:
        raise CeremonyError("no contributions yet: tau = 1, the file cannot be used")
    hs = _hash_chain(srs.power, records)
    for i, c in enumerate(records):
        _check_proof(i + 1, c, hs[i])
    if not _batched_pairings(records):
        prev_t2 = G2_GEN
        for i, c in enumerate(records):
            _check_pairings(i + 1, c, prev_t2)
            prev_t2 = c.tau_g2
        raise CeremonyError("the batched pairing check of the contributions failed")
    infos = [{"index": i + 1, "name": c.name, "hash": hs[i + 1].hex()} for i, c in enumerate(records)]
    return srs, records, infos


def verify(path) -> list:
    """Check every contribution and the final powers; returns one dict per contribution
    (index, name, transcript hash hex).  Raises ``CeremonyError`` naming the first problem."""
    return _verify(path)[2]


def export(in_path, out_path) -> SRS:
    """Verify the ceremony, then write a prepared .ptau (sections 1, 2, 3, 12) that keeps the
    transcript (section 100); returns the loaded ``SRS``."""
    srs, records, _ = _verify(in_path)
    export_ptau(srs, out_path, extra_sections=[(SECTION, _encode(records))])
    return srs
