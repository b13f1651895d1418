"""Readable pure-Python twins of the Numba kernels (Python ints, textbook formulas).

Tests run each kernel and its twin on the same random and edge inputs.  Twins
favour clarity over speed and never import Numba.
"""

from . import field, g1, msm, ntt, plonk, poly, srs, witness

__all__ = ["field", "g1", "msm", "ntt", "plonk", "poly", "srs", "witness"]
