"""circom's ``.wtns`` witness file (magic "wtns", version 1–2), memory-mapped.

Sections (little-endian)::

    1 header   u32 n8 = 32, prime (n8 B), u32 nWitness
    2 values   nWitness × n8 B, plain (not Montgomery) field elements

Witness 0 is the constant 1, then the outputs, the public inputs, the private
inputs and the internal signals (circom's wire order, the .r1cs's).  The prime
must be BN254's r and every value must be below it.
"""

import struct

import numpy as np

from verifier.fields import R_MOD

from ..kernels.convert import ints_to_limbs
from .binfile import FIELD_BYTES, BinFile, write_bin

__all__ = ["read_wtns", "write_wtns", "R_LIMBS"]

#: r as little-endian 64-bit limbs (for the vectorised "< r" check)
R_LIMBS = ints_to_limbs([R_MOD])[0]


def _below_r(v: np.ndarray) -> np.ndarray:
    """Row-wise v < r for (m, 4) plain limbs, most significant limb first."""
    lt = np.zeros(v.shape[0], dtype=bool)
    eq = np.ones(v.shape[0], dtype=bool)
    for k in (3, 2, 1, 0):
        lt |= eq & (v[:, k] < R_LIMBS[k])
        eq &= v[:, k] == R_LIMBS[k]
    return lt


def read_wtns(path) -> np.ndarray:
    """The witness as an (m, 4) uint64 view of plain limbs; ``FormatError`` on any fault."""
    bf = BinFile(path, b"wtns", 2, "wtns")
    off, hsize = bf.section(1, "header")
    n8, = bf.u32s(1, "header", 0, 1)
    if n8 != FIELD_BYTES:
        raise bf.error(f"wrong curve: {n8}-byte field elements (BN254's r needs {FIELD_BYTES})")
    bf.section(1, "header", 4 + FIELD_BYTES + 4)
    if int.from_bytes(bf.map[off + 4: off + 36], "little") != R_MOD:
        raise bf.error("wrong curve: the witness's prime is not BN254's scalar field r")
    m, = struct.unpack_from("<I", bf.map, off + 36)
    bf.section(2, "witness values", m * FIELD_BYTES)
    w = bf.array(2, "witness values", np.uint64, (m, 4))
    bad = np.flatnonzero(~_below_r(w))
    if bad.size:
        raise bf.error(f"witness value {int(bad[0])} is not below r")
    if m == 0:
        raise bf.error("empty witness")
    return w


def write_wtns(path, values) -> None:
    """Write ints (each reduced mod r) as a version-2 .wtns, as snarkjs does."""
    limbs = ints_to_limbs([int(v) % R_MOD for v in values])
    header = struct.pack("<I", FIELD_BYTES) + R_MOD.to_bytes(32, "little") + \
        struct.pack("<I", limbs.shape[0])
    write_bin(path, b"wtns", 2, [(1, lambda: [header]), (2, lambda: [limbs])])
