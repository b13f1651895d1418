"""The PLONK prover: SRS, setup, the five rounds; heavy work in ``prover.kernels``."""

from . import kernels

__all__ = ["kernels"]
