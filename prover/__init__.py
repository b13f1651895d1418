"""The PLONK prover: SRS, setup, the named steps of a proof; heavy work in ``prover.kernels``.

    from prover import dev_srs, load_ptau, export_ptau, setup, prove
    srs = dev_srs(power=10)            # or load_ptau("powersOfTau28_hez_final_16.ptau")
    pk, vk = setup(circuit, srs)
    proof, public = prove(pk, {"x": 3, "out": 14})

``prove`` and ``STEPS`` live in ``prover.steps`` (the ``Prover`` and its steps).
"""

from . import kernels
from .steps import STEPS, prove
from .setup import ProvingKey, setup
from .srs import SRS, PtauError, dev_srs, export_ptau, load_ptau

__all__ = ["kernels", "prove", "STEPS", "setup", "ProvingKey", "SRS", "PtauError", "dev_srs", "load_ptau",
           "export_ptau"]
