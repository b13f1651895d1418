"""The PLONK prover: SRS, setup, the named steps of a proof; heavy work in ``prover.kernels``.

    from prover import dev_srs, load_ptau, export_ptau, setup, prove
    srs = dev_srs(power=10)            # or load_ptau("powersOfTau28_hez_final_16.ptau")
    pk, vk = setup(circuit, srs)
    proof, public = prove(pk, {"x": 3, "out": 14})

``prove`` and ``STEPS`` live in ``prover.steps`` (the ``Prover`` and its steps).
``kernels`` and the SRS names are imported on first use (PEP 562), so ``import
prover.snarkjs`` (``darkmatch plonk prove``) loads only the modules a proof runs,
not the SRS tools, the ceremony or ``circuits``.  ``prove`` and ``setup`` are
imported here: each shares its name with a submodule (``prover.setup``), which
the import system would otherwise leave in its place.
"""

import importlib

from .setup import ProvingKey, setup
from .steps import STEPS, prove

__all__ = ["kernels", "prove", "STEPS", "setup", "ProvingKey", "SRS", "PtauError", "dev_srs", "load_ptau",
           "export_ptau"]

#: public name → the submodule that defines it (``None``: the name is the submodule)
_SOURCES = {"kernels": None, "SRS": ".srs", "PtauError": ".srs", "dev_srs": ".srs",
            "load_ptau": ".srs", "export_ptau": ".srs"}


def __getattr__(name):
    if name not in _SOURCES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    src = _SOURCES[name]
    value = importlib.import_module(src or "." + name, __name__)
    if src is not None:
        value = getattr(value, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
