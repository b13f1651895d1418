"""The prover's kernels on Python ints: what ``backend.python_kernels()`` runs instead of Numba.

Each function here is registered (``backend.implements``) under the name of
the kernel function it replaces and takes and returns the same uint64 limb
arrays (Montgomery form), so the PLONK steps run unchanged.  Inside, values
are Python ints: nothing is compiled, so a small circuit's first proof costs
what its arithmetic costs.  Where the Numba kernels trade simplicity for
cache use and threads, these trade it for few interpreted operations: list
comprehensions over whole slices, one modular inversion per batch
(Montgomery's trick), batch-affine point additions.

``tests/prover/kernels/test_pyint.py`` compares every one with its Numba
kernel and with the readable twins on random and edge inputs.
"""

from . import field, msm, ntt, plonk

__all__ = ["field", "msm", "ntt", "plonk"]
