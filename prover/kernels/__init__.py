"""Numba kernels on uint64 limb arrays: fields, G1, MSM, NTT, polynomials, PLONK, SRS.

Everything here is ``@njit(cache=True)`` code that takes and returns numpy
``uint64`` arrays (Montgomery form); classes and Python ints stay outside.
``twins`` holds the readable pure-Python versions the tests compare against;
``threads`` runs the nogil range kernels on all cores; ``warmup.warmup()``
compiles (or loads) every kernel a proof uses.
"""

from . import convert, fq, fr, g1, msm, ntt, plonk, poly, srs_kernels, threads

__all__ = ["fr", "fq", "convert", "g1", "msm", "ntt", "poly", "plonk", "srs_kernels", "threads"]
