"""Numba kernels on uint64 limb arrays: fields, G1, MSM, NTT, polynomials, PLONK, SRS.

Everything here is ``@njit(cache=True)`` code that takes and returns numpy
``uint64`` arrays (Montgomery form); classes and Python ints stay outside.
``twins`` holds the readable pure-Python versions the tests compare against;
``threads`` runs the nogil range kernels on all cores; ``warmup.warmup()``
compiles (or loads) every kernel a proof uses.  ``backend.python_kernels()``
reroutes the kernel functions the PLONK steps call to ``pyint``, the same
functions on Python ints, which a small circuit proves with and nothing compiles.

Submodules are imported on first use (``from prover.kernels import fr`` loads
``fr`` and what it needs, not the SRS kernels a proof never runs).
"""

import importlib

__all__ = ["fr", "fq", "convert", "g1", "msm", "ntt", "poly", "plonk", "srs_kernels", "threads", "witness",
           "backend", "pyint"]


def __getattr__(name):
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module("." + name, __name__)
    globals()[name] = module
    return module


def __dir__():
    return sorted(set(globals()) | set(__all__))
