"""circom's ``.r1cs`` (iden3 format, version 1): rank-1 constraints ⟨A,w⟩·⟨B,w⟩ = ⟨C,w⟩.

Sections (little-endian)::

    1 header       u32 n8, prime (n8 B), u32 nWires, u32 nPubOut, u32 nPubIn,
                   u32 nPrvIn, u64 nLabels, u32 nConstraints
    2 constraints  per constraint three linear combinations A, B, C, each
                   u32 nTerms then nTerms × (u32 wire, coefficient n8 B)
    3 wire→label   u64 per wire (not needed to prove; not read)
    4, 5           circom custom gates (ignored, as ``snarkjs plonk setup`` does)

Wire 0 is the constant 1; wires 1 … nPubOut + nPubIn are the public signals
(outputs first).  A linear combination is returned as a dict wire → coefficient
(an int below r); a wire repeated inside one combination keeps its last
coefficient, as snarkjs's reader does.  The prime must be BN254's r.
"""

import struct
from dataclasses import dataclass

from verifier.fields import R_MOD

from .binfile import FIELD_BYTES, BinFile, write_bin

__all__ = ["R1CS", "read_r1cs", "write_r1cs"]

_HEADER_SIZE = 4 + FIELD_BYTES + 4 * 4 + 8 + 4


@dataclass
class R1CS:
    n_vars: int
    n_outputs: int
    n_pub_inputs: int
    n_prv_inputs: int
    n_labels: int
    constraints: list          #: [(A, B, C)], each a dict wire → coefficient

    @property
    def n_public(self) -> int:
        return self.n_outputs + self.n_pub_inputs


def read_r1cs(path) -> R1CS:
    """Parse ``path``; raises ``FormatError`` (one line) on any malformed or foreign file."""
    bf = BinFile(path, b"r1cs", 1, "r1cs")
    off, hsize = bf.section(1, "header")
    if hsize < 4:
        raise bf.error(f"header section has {hsize} bytes")
    n8 = struct.unpack_from("<I", bf.map, off)[0]
    if n8 != FIELD_BYTES or hsize != _HEADER_SIZE:
        raise bf.error(f"wrong curve: {n8}-byte field elements (BN254's r needs {FIELD_BYTES})"
                       if n8 != FIELD_BYTES else
                       f"header section has {hsize} bytes, expected {_HEADER_SIZE}")
    prime = int.from_bytes(bf.map[off + 4: off + 36], "little")
    if prime != R_MOD:
        raise bf.error(f"wrong curve: the prime {prime} is not BN254's scalar field r")
    n_vars, n_out, n_pub, n_prv = struct.unpack_from("<4I", bf.map, off + 36)
    n_labels, = struct.unpack_from("<Q", bf.map, off + 52)
    n_constraints, = struct.unpack_from("<I", bf.map, off + 60)
    if n_out + n_pub + n_prv + 1 > n_vars:
        raise bf.error(f"header counts {n_out} outputs + {n_pub} public + {n_prv} private inputs "
                       f"+ the constant, more than its {n_vars} wires")
    constraints = _read_constraints(bf, n_constraints, n_vars)
    return R1CS(n_vars, n_out, n_pub, n_prv, n_labels, constraints)


def _read_constraints(bf: BinFile, count: int, n_vars: int) -> list:
    off, size = bf.section(2, "constraints")
    buf, end, pos = bf.map, off + size, off
    step = 4 + FIELD_BYTES
    from_bytes, unpack = int.from_bytes, struct.unpack_from
    out = []
    for k in range(count):
        triple = []
        for _ in range(3):
            if pos + 4 > end:
                raise bf.error(f"constraints section ends inside constraint {k} of {count}")
            n, = unpack("<I", buf, pos)
            pos += 4
            if pos + n * step > end:
                raise bf.error(f"constraints section ends inside constraint {k} of {count}")
            lc = {}
            for _ in range(n):
                wire, = unpack("<I", buf, pos)
                coef = from_bytes(buf[pos + 4: pos + step], "little")
                if wire >= n_vars:
                    raise bf.error(f"constraint {k} uses wire {wire}, the circuit has {n_vars}")
                if coef >= R_MOD:
                    raise bf.error(f"constraint {k}: coefficient not below r")
                lc[wire] = coef
                pos += step
            triple.append(lc)
        out.append(tuple(triple))
    if pos != end:
        raise bf.error(f"constraints section has {end - pos} bytes after its {count} constraints")
    return out


def write_r1cs(path, r1cs: R1CS) -> None:
    """Write ``r1cs`` in circom's format (sections 1, 2 and a wire→label map 3 = identity)."""
    header = struct.pack("<I", FIELD_BYTES) + R_MOD.to_bytes(32, "little") + struct.pack(
        "<4IQI", r1cs.n_vars, r1cs.n_outputs, r1cs.n_pub_inputs, r1cs.n_prv_inputs,
        r1cs.n_labels, len(r1cs.constraints))

    def constraints():
        for triple in r1cs.constraints:
            for lc in triple:
                yield struct.pack("<I", len(lc))
                for wire, coef in lc.items():
                    yield struct.pack("<I", wire) + (coef % R_MOD).to_bytes(32, "little")

    labels = b"".join(struct.pack("<Q", i) for i in range(r1cs.n_vars))
    write_bin(path, b"r1cs", 1, [(1, lambda: [header]), (2, constraints), (3, lambda: [labels])])
