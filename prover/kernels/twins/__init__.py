"""Readable pure-Python twins of the Numba kernels (Python ints, textbook formulas).

Tests run each kernel and its twin on the same random and edge inputs.  Twins
favour clarity over speed and never import Numba.
"""

from . import field, g1, msm

__all__ = ["field", "g1", "msm"]

from . import ntt, poly  # noqa: E402  (appended: NTT and polynomial twins)

__all__ += ["ntt", "poly"]

from . import srs  # noqa: E402  (appended: SRS kernel twins)

__all__ += ["srs"]
