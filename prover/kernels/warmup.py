"""Compile (or load from the cache) the kernels a proof uses, by proving once on a tiny circuit.

``warmup()`` runs the real pipeline (development SRS, setup, prove) on a
two-gate circuit, so it compiles exactly the kernels and argument types that
``dev_srs``, ``setup`` and ``prove`` use and a later proof pays no compile time;
one call covers every size, since each kernel is one function over an index
range (small inputs run it on the calling thread, large ones on all threads).
It adds the few kernels only large inputs reach (the chunked polynomial
evaluation) and the one only zkey proofs reach (snarkjs's additions).  Kernels no proof uses (the Fq vector operations, the G1 vector
helpers, ``.ptau`` checks and the G1 iFFT) compile on first use instead.

``benchmarks/kernels.py`` times it in a fresh process with an empty and then a
populated ``NUMBA_CACHE_DIR`` to report cold compile and cached start-up.
"""

import time
import warnings

import numpy as np

__all__ = ["warmup"]


def _prove_tiny() -> None:
    from circuits import Circuit

    from ..steps import prove
    from ..setup import setup
    from ..srs import DevelopmentSRSWarning, dev_srs

    c = Circuit()
    x = c.private("x")
    c.assert_equal(c.add(c.mul(x, x), 5), c.public("out"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DevelopmentSRSWarning)
        srs = dev_srs(3)
    pk, _ = setup(c, srs)
    prove(pk, {"x": 3, "out": 14})


def _large_paths() -> None:
    from . import poly
    from .convert import fr_scalar

    poly.evaluate(np.zeros((2 * poly._CHUNK + 1, 4), dtype=np.uint64), fr_scalar(3))


def _zkey_paths() -> None:
    """The kernel only proofs from a snarkjs zkey use (its additions)."""
    from .witness import apply_additions

    apply_additions(np.zeros((2, 4), dtype=np.uint64), np.zeros((1, 2), dtype=np.uint32),
                    np.zeros((1, 2, 4), dtype=np.uint64), 1)


def warmup() -> float:
    """Compile or load every kernel a proof uses; returns the seconds it took."""
    t = time.perf_counter()
    _prove_tiny()
    _large_paths()
    _zkey_paths()
    return time.perf_counter() - t
