"""Completing a circom witness in Montgomery limbs: snarkjs's PLONK additions.

``snarkjs plonk setup`` folds linear combinations into "additions": variable
m + i (m = the .wtns length) is c₁·w[s₁] + c₂·w[s₂], listed in order, where an
addition may read an earlier one.  ``apply_additions`` fills them in place on
the (n_vars, 4) Montgomery witness: the zkey stores c₁, c₂ in Montgomery form,
and the Montgomery product of two Montgomery values is the Montgomery form of
their product, so no conversion to Python ints is needed (that conversion of
the whole witness and back was most of a 2^16 proof's single-threaded
``solve``).  One sequential loop (each row may depend on the previous ones):
two products and an addition per row.  Twin: ``twins/witness.py``.
"""

import numpy as np
from numba import njit

from .fr import add, mul

__all__ = ["apply_additions"]


@njit(cache=True, nogil=True)
def _additions(w, ids, factors, m):
    for i in range(ids.shape[0]):
        s1, s2 = ids[i, 0], ids[i, 1]
        x0, x1, x2, x3 = mul(factors[i, 0, 0], factors[i, 0, 1], factors[i, 0, 2],
                             factors[i, 0, 3], w[s1, 0], w[s1, 1], w[s1, 2], w[s1, 3])
        y0, y1, y2, y3 = mul(factors[i, 1, 0], factors[i, 1, 1], factors[i, 1, 2],
                             factors[i, 1, 3], w[s2, 0], w[s2, 1], w[s2, 2], w[s2, 3])
        r0, r1, r2, r3 = add(x0, x1, x2, x3, y0, y1, y2, y3)
        j = m + i
        w[j, 0] = r0
        w[j, 1] = r1
        w[j, 2] = r2
        w[j, 3] = r3


def apply_additions(w: np.ndarray, ids, factors, m: int) -> None:
    """w[m + i] = c₁ᵢ·w[s₁ᵢ] + c₂ᵢ·w[s₂ᵢ] in order, in place (w: (≥ m + k, 4) Montgomery;
    ids: (k, 2) variable indices, each < m + i; factors: (k, 2, 4) Montgomery)."""
    k = ids.shape[0]
    if k == 0:
        return
    if w.shape[0] < m + k or not w.flags.c_contiguous or w.dtype != np.uint64:
        raise ValueError("apply_additions: w must be a C-contiguous uint64 (≥ m + k, 4) array")
    _additions(w, np.ascontiguousarray(ids, dtype=np.int64),
               np.ascontiguousarray(factors, dtype=np.uint64), np.int64(m))
