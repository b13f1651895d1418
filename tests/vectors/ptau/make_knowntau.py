"""Write an UNPREPARED known-τ .ptau (sections 1–7, no contributions) for tests.

INSECURE ON PURPOSE: τ, α and β are public, so the test can compare every point
with [τⁱ]G computed independently.  ``make.sh`` then runs
``snarkjs powersoftau prepare phase2`` on it, so section 12 of the fixture is
snarkjs's own.  Usage: python make_knowntau.py OUT.ptau [power]
"""

import struct
import sys

from prover.srs import g1_to_lem, g2_to_lem, write_ptau
from verifier.curve import G1_GEN, G2_GEN, g1_mul, g2_mul
from verifier.fields import R_MOD

TAU, ALPHA, BETA = 1234567891011, 777, 999


def main(out: str, power: int = 5) -> None:
    n = 1 << power
    tp = [pow(TAU, i, R_MOD) for i in range(2 * n - 1)]
    g1s = lambda ks: b"".join(g1_to_lem(g1_mul(G1_GEN, k)) for k in ks)   # noqa: E731
    sections = [
        (2, g1s(tp)),                                                        # [τⁱ]₁
        (3, b"".join(g2_to_lem(g2_mul(G2_GEN, k)) for k in tp[:n])),         # [τⁱ]₂
        (4, g1s(ALPHA * k for k in tp[:n])),                                 # [ατⁱ]₁
        (5, g1s(BETA * k for k in tp[:n])),                                  # [βτⁱ]₁
        (6, g2_to_lem(g2_mul(G2_GEN, BETA))),                                # [β]₂
        (7, struct.pack("<I", 0)),                                           # no contributions
    ]
    write_ptau(out, power, sections)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5)
