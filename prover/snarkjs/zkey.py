"""snarkjs's PLONK ``.zkey`` (magic "zkey", version 1–2): layout, memory-mapped reader, vk export.

Sections, as ``snarkjs plonk setup`` writes them (in the file order 3 … 14, 1, 2;
all integers little-endian; Fr elements 32 B Montgomery, x·2²⁵⁶ mod r; G1 points
64 B affine Montgomery x ‖ y, all-zero = infinity; n = domain size)::

    1  header        u32 protocol = 2 (PLONK)
    2  PLONK header  u32 n8q = 32, q, u32 n8r = 32, r, u32 nVars, u32 nPublic,
                     u32 n, u32 nAdditions, u32 nConstraints (the gate rows),
                     k1, k2 (Fr), [qM] [qL] [qR] [qO] [qC] [σ₁] [σ₂] [σ₃] (G1),
                     [τ]₂ (128 B)
    3  additions     nAdditions × (u32 s₁, u32 s₂, c₁ (Fr), c₂ (Fr)):
                     witness[nVars − nAdditions + i] = c₁·w[s₁] + c₂·w[s₂]
    4, 5, 6          wire maps A, B, C: u32 variable per gate row (nConstraints each)
    7 … 11           qM, qL, qR, qO, qC: n coefficients, then the 4n values on the
                     4n-th roots of unity ω₄ⁱ (not a coset: snarkjs divides by Z_H in
                     coefficient form), so the values on H are every 4th of them
    12               σ₁, σ₂, σ₃, each as a 7 … 11 block (5n elements)
    13               L₁ … L_max(nPublic,1) (Lagrange basis on H), each as a 7 … 11 block
    14               [τʲ]₁ for j < n + 6 (the .ptau's first points)

``ZKey`` checks every size against the header on open and hands out numpy views
over the mapped file (nothing is read until used).  ``verification_key`` is
``snarkjs zkey export verificationkey``.
"""

import json
import struct
from dataclasses import dataclass

import numpy as np

from verifier.curve import CurveError, g1_validate
from verifier.fields import Q_MOD, R_MOD
from verifier.marshal import VerifyingKey

from ..srs import g2_from_lem
from .binfile import FIELD_BYTES, BinFile

__all__ = ["ZKey", "read_zkey", "PLONK_PROTOCOL", "HEADER_SIZE", "SELECTOR_SECTIONS",
           "SIGMA_SECTION", "LAGRANGE_SECTION", "PTAU_SECTION", "ADDITION_SIZE",
           "vk_json_text", "montgomery_bytes", "from_montgomery"]

PLONK_PROTOCOL = 2
_PROTOCOLS = {1: "Groth16", 2: "PLONK", 10: "FFLONK"}
#: u32 n8q, q, u32 n8r, r, five u32, k1, k2, eight G1, one G2
HEADER_SIZE = 4 + FIELD_BYTES + 4 + FIELD_BYTES + 5 * 4 + 2 * FIELD_BYTES + 8 * 64 + 128
ADDITION_SIZE = 8 + 2 * FIELD_BYTES
SELECTOR_SECTIONS = {"qm": 7, "ql": 8, "qr": 9, "qo": 10, "qc": 11}
MAP_SECTIONS = (4, 5, 6)
SIGMA_SECTION = 12
LAGRANGE_SECTION = 13
PTAU_SECTION = 14
_VK_POINTS = ("Qm", "Ql", "Qr", "Qo", "Qc", "S1", "S2", "S3")
_MONT = 1 << 256
_R_INV = pow(_MONT, -1, R_MOD)
_Q_INV = pow(_MONT, -1, Q_MOD)


def montgomery_bytes(x: int) -> bytes:
    """Fr element → its 32-byte Montgomery encoding."""
    return (x % R_MOD * _MONT % R_MOD).to_bytes(FIELD_BYTES, "little")


def from_montgomery(b, modulus=R_MOD) -> int:
    v = int.from_bytes(b, "little")
    if v >= modulus:
        raise ValueError("field element is not reduced")
    return v * (_R_INV if modulus == R_MOD else _Q_INV) % modulus


@dataclass
class ZKey:
    bf: BinFile
    n_vars: int
    n_public: int
    n: int                      #: domain size
    power: int
    n_additions: int
    n_constraints: int          #: gate rows (public rows included)
    vk: VerifyingKey

    @property
    def n_witness(self) -> int:
        """Length of the .wtns this key proves: every variable but the additions."""
        return self.n_vars - self.n_additions

    def additions(self):
        """(ids (m, 2) uint32, factors (m, 2, 4) uint64 Montgomery), views of section 3."""
        raw = self.bf.array(3, "additions", np.uint8, (self.n_additions, ADDITION_SIZE))
        ids = raw[:, :8].view("<u4").reshape(-1, 2)
        factors = raw[:, 8:].view("<u8").reshape(-1, 2, 4)
        return ids, factors

    def wire_map(self, j: int) -> np.ndarray:
        """Variables of column j (0 = a, 1 = b, 2 = c), one per gate row (uint32 view)."""
        return self.bf.array(MAP_SECTIONS[j], "ABC"[j] + " map", "<u4", (self.n_constraints,))

    def poly(self, sid: int, index: int = 0):
        """(coefficients (n, 4), values on the 4n roots of unity (4n, 4)), Montgomery views."""
        block = 5 * self.n * FIELD_BYTES
        coeffs = self.bf.array(sid, f"section {sid}", np.uint64, (self.n, 4), index * block)
        ext = self.bf.array(sid, f"section {sid}", np.uint64, (4 * self.n, 4),
                            index * block + self.n * FIELD_BYTES)
        return coeffs, ext

    def ptau_g1(self) -> np.ndarray:
        """[τʲ]₁, j < n + 6, as an (n + 6, 2, 4) affine Montgomery view."""
        return self.bf.array(PTAU_SECTION, "powers of tau", np.uint64, (self.n + 6, 2, 4))


def _g1(bf: BinFile, raw: bytes, what: str):
    if not any(raw):
        return None
    try:
        x, y = from_montgomery(raw[:32], Q_MOD), from_montgomery(raw[32:], Q_MOD)
        return g1_validate(x, y)
    except (ValueError, CurveError) as e:
        raise bf.error(f"header: {what} is not a valid G1 point ({e})") from None


def read_zkey(path) -> ZKey:
    """Open and check a snarkjs PLONK zkey; raises ``FormatError`` (one line) on any fault."""
    bf = BinFile(path, b"zkey", 2, "zkey")
    proto, = bf.u32s(1, "header", 0, 1)
    bf.section(1, "header", 4)
    if proto != PLONK_PROTOCOL:
        raise bf.error(f"not a PLONK key: protocol {proto} "
                       f"({_PROTOCOLS.get(proto, 'unknown')}); expected 2 (PLONK)")
    off, hsize = bf.section(2, "PLONK header")
    h = bytes(bf.map[off: off + min(hsize, HEADER_SIZE)])
    if len(h) < 4 + FIELD_BYTES + 4 + FIELD_BYTES:
        raise bf.error(f"PLONK header has {hsize} bytes, expected {HEADER_SIZE}")
    n8q, = struct.unpack_from("<I", h, 0)
    n8r, = struct.unpack_from("<I", h, 4 + n8q) if n8q == FIELD_BYTES else (0,)
    if n8q != FIELD_BYTES or n8r != FIELD_BYTES or int.from_bytes(h[4:36], "little") != Q_MOD \
            or int.from_bytes(h[40:72], "little") != R_MOD:
        raise bf.error("wrong curve: the header's primes are not BN254's q and r")
    bf.section(2, "PLONK header", HEADER_SIZE)
    n_vars, n_public, n, n_add, n_cons = struct.unpack_from("<5I", h, 72)
    if n < 8 or n & (n - 1) or n > 1 << 28:
        raise bf.error(f"domain size {n} is not a power of two in [8, 2^28]")
    if not n_public < n_cons <= n or n_add > n_vars or n_public >= n_vars - n_add:
        raise bf.error(f"inconsistent header: {n_vars} variables, {n_public} public, "
                       f"{n_add} additions, {n_cons} gates, domain {n}")
    try:
        k1, k2 = from_montgomery(h[92:124]), from_montgomery(h[124:156])
    except ValueError:
        raise bf.error("header: k1 or k2 is not reduced mod r") from None
    pts = {name: _g1(bf, h[156 + 64 * i: 220 + 64 * i], name) for i, name in enumerate(_VK_POINTS)}
    try:
        x2 = g2_from_lem(h[668:796])
    except (ValueError, CurveError) as e:
        raise bf.error(f"header: X_2 is not a valid G2 point ({e})") from None
    if x2 is None:
        raise bf.error("header: X_2 is the point at infinity")
    sizes = {3: n_add * ADDITION_SIZE, 4: 4 * n_cons, 5: 4 * n_cons, 6: 4 * n_cons,
             SIGMA_SECTION: 15 * n * FIELD_BYTES,
             LAGRANGE_SECTION: max(n_public, 1) * 5 * n * FIELD_BYTES,
             PTAU_SECTION: (n + 6) * 64}
    sizes.update({sid: 5 * n * FIELD_BYTES for sid in SELECTOR_SECTIONS.values()})
    for sid, size in sorted(sizes.items()):
        bf.section(sid, f"section {sid}", size)
    vk = VerifyingKey(n_public=n_public, power=n.bit_length() - 1, k1=k1, k2=k2, X_2=x2, **pts)
    zk = ZKey(bf, n_vars, n_public, n, n.bit_length() - 1, n_add, n_cons, vk)
    _check_maps(zk)
    return zk


def _check_maps(zk: ZKey) -> None:
    """Every wire names a variable; every addition reads only variables defined before it."""
    for j in range(3):
        m = zk.wire_map(j)
        if m.size and int(m.max()) >= zk.n_vars:
            raise zk.bf.error(f"{'ABC'[j]} map names variable {int(m.max())}, "
                              f"the key has {zk.n_vars}")
    ids, _ = zk.additions()
    if ids.size:
        limit = zk.n_witness + np.arange(zk.n_additions, dtype=np.int64)
        bad = np.flatnonzero((ids.astype(np.int64) >= limit[:, None]).any(axis=1))
        if bad.size:
            raise zk.bf.error(f"addition {int(bad[0])} reads a variable that is not yet defined")


def vk_json_text(vk: VerifyingKey) -> str:
    """verification_key.json as ``snarkjs zkey export verificationkey`` writes it (bfj, space 1)."""
    return json.dumps(vk.to_json(), indent=1)
