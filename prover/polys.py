"""The prover's polynomials by name: the preprocessed eight, the wire columns, the proof's own.

Each is an (k, 4) uint64 array of Montgomery limbs (coefficients, or values on
H or on the 4n coset, as the holder's field says).  Named fields instead of
string keys, so a misspelt polynomial is an ``AttributeError`` at the line that
misspells it.

* ``Preprocessed``  qM qL qR qO qC (selectors) and σ₁ σ₂ σ₃ (permutation):
  fixed by the circuit, built by ``setup``;
* ``Selectors``     qM qL qR qO qC alone (their values on H check a zkey's witness);
* ``Sigmas``        σ₁ σ₂ σ₃ alone (their values on H feed the grand product);
* ``Wires``         the columns a, b, c (variable indices, or values on H);
* ``ProofPolys``    what the prover commits to: the blinded a, b, c, the
  accumulator z and the quotient's thirds T1, T2, T3.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["Preprocessed", "Selectors", "Sigmas", "Wires", "ProofPolys", "SELECTORS", "SIGMAS"]

SELECTORS = ("qm", "ql", "qr", "qo", "qc")
SIGMAS = ("s1", "s2", "s3")


@dataclass(frozen=True)
class Preprocessed:
    qm: np.ndarray
    ql: np.ndarray
    qr: np.ndarray
    qo: np.ndarray
    qc: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    s3: np.ndarray


@dataclass(frozen=True)
class Selectors:
    qm: np.ndarray
    ql: np.ndarray
    qr: np.ndarray
    qo: np.ndarray
    qc: np.ndarray


@dataclass(frozen=True)
class Sigmas:
    s1: np.ndarray
    s2: np.ndarray
    s3: np.ndarray


@dataclass(frozen=True)
class Wires:
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray


@dataclass
class ProofPolys:
    """Coefficients of the committed polynomials; each set by the step that computes it."""

    a: np.ndarray = None      #: a(X) + (b₂ + b₁X)·Z_H(X), n + 2 coefficients
    b: np.ndarray = None
    c: np.ndarray = None
    z: np.ndarray = None      #: z(X) + (b₉ + b₈X + b₇X²)·Z_H(X), n + 3
    T1: np.ndarray = None     #: t split in three with b₁₀, b₁₁ (n + 1, n + 1, n + 6)
    T2: np.ndarray = None
    T3: np.ndarray = None
