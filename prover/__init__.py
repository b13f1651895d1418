"""The PLONK prover: SRS, setup, the five rounds; heavy work in ``prover.kernels``.

    from prover import dev_srs, load_ptau, export_ptau, setup, prove
    srs = dev_srs(power=10)            # or load_ptau("powersOfTau28_hez_final_16.ptau")
    pk, vk = setup(circuit, srs)
    proof, public = prove(pk, {"x": 3, "out": 14})
"""

from . import kernels
from .prove import prove
from .setup import ProvingKey, setup
from .srs import SRS, PtauError, dev_srs, export_ptau, load_ptau

__all__ = ["kernels", "prove", "setup", "ProvingKey", "SRS", "PtauError", "dev_srs", "load_ptau",
           "export_ptau"]
