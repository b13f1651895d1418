"""Numba kernels on uint64 limb arrays: fields, G1, MSM, NTT, polynomials.

Everything here is ``@njit(cache=True)`` code that takes and returns numpy
``uint64`` arrays (Montgomery form); classes and Python ints stay outside.
``twins`` holds the readable pure-Python versions the tests compare against.
"""

from . import convert, fq, fr
from . import g1, msm

__all__ = ["fr", "fq", "convert", "g1", "msm"]

from . import ntt, poly  # noqa: E402  (appended: NTT and polynomial kernels)

__all__ += ["ntt", "poly"]
