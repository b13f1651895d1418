"""Compile (or load from the cache) every kernel by running each once on small inputs.

``warmup()`` touches each ``@njit`` entry point, both the serial and the
parallel variant where a size switch picks between them, so that a later
proof pays no compile time.  ``benchmarks/kernels.py`` times it in a fresh
process with an empty and then a populated ``NUMBA_CACHE_DIR`` to report cold
compile and cached start-up.
"""

import time

import numpy as np

from . import fq, fr, g1, msm, ntt, plonk, poly
from . import srs_kernels as sk
from .convert import fq_from_ints, fr_from_ints, fr_one, fr_scalar

__all__ = ["warmup"]


def _fields(size: int) -> None:
    for F, into in ((fr, fr_from_ints), (fq, fq_from_ints)):
        a = into(range(3, 3 + size))
        b = into(range(7, 7 + size))
        for op in (F.mul_vec, F.add_vec, F.sub_vec):
            op(a, b)
        for op in (F.sqr_vec, F.neg_vec, F.to_mont_vec, F.from_mont_vec, F.inv_vec):
            op(a)
        F.scale_vec(a, a[0])
        F.inv1(a[0])
        F.pow1(a[0], a[1])
        F.powers(a[0], 4)
    acc = np.zeros_like(a)
    plonk.axpy(acc, a, fr_one())


def _curve() -> None:
    gen = g1.points_to_array([(1, 2)])[0]
    table = sk.fixed_base_table(gen)
    pts = sk.fixed_base_affine(table, fr.from_mont_vec(fr_from_ints(range(1, 65))))
    J = g1.affine_to_jac(pts)
    g1.jac_to_affine(g1.add_vec(J, g1.double_vec(J)))
    g1.jac_to_affine(g1.add_mixed_vec(J, g1.neg_affine_vec(pts)))
    g1.scalar_mul(gen, fr.from_mont_vec(fr_from_ints([5]))[0])
    msm.msm(pts, fr.from_mont_vec(fr_from_ints(range(64))))


def _transforms() -> None:
    for size in (8, 1 << 14):
        a = fr_from_ints(range(size))
        ntt.intt(ntt.ntt(a))
        ntt.coset_intt(ntt.coset_ntt(a, fr_scalar(5)), fr_scalar(5))
        poly.evaluate(a, fr_scalar(3))
        poly.div_by_linear(a, fr_scalar(3))
    poly.mul_ntt(fr_from_ints([1, 2]), fr_from_ints([3, 4]))


def _plonk() -> None:
    n = 8
    v = fr_from_ints(range(1, n + 1))
    s = fr_scalar(2)
    num, den = plonk.permutation_fractions(v, v, v, v, v, v, v, s, s, s, s)
    plonk.grand_product(num, fr.inv_vec(den), fr_one())
    w = fr_from_ints(range(1, 4 * n + 1))
    plonk.quotient_evals(*([w] * 15), fr_from_ints([1, 2, 3, 4]), s, s, s, s, s, fr_one())
    plonk.add_const(w, s)


def warmup() -> float:
    """Run every kernel once; returns the seconds it took (compile or cache load included)."""
    t = time.perf_counter()
    _fields(4)
    _fields(fr.PARALLEL_MIN)
    _curve()
    _transforms()
    _plonk()
    return time.perf_counter() - t
