"""The permutation argument (GWC19 §5, §8.1 round 2): σ from copy constraints, and z.

Identity labels.  Position (column j, row i) is labelled kⱼ·ωⁱ with
k₀ = 1, k₁ = 2, k₂ = 3 (snarkjs's k1, k2: 2 and 3 lie in no coset of H).

σ.  Walking positions row by row, (a,0), (b,0), (c,0), (a,1), …, each
position's σ is the label of the previous position holding the same
variable, and a variable's first position takes the label of its last — one
cycle per variable, exactly snarkjs's rule, so equal gate lists give equal S1,
S2, S3 commitments.

z.  z₀ = 1, zᵢ₊₁ = zᵢ·Πⱼ(wⱼᵢ + β·kⱼωⁱ + γ)/Πⱼ(wⱼᵢ + β·σⱼᵢ + γ); the product over
all rows is 1 iff the wire values respect every cycle.
"""

import numpy as np

from .kernels import fr, plonk
from .kernels.convert import fr_one, fr_scalar

__all__ = ["K1", "K2", "sigma_values", "grand_product", "wire_values"]

K1 = 2
K2 = 3


def sigma_values(a_vars, b_vars, c_vars, omegas: np.ndarray):
    """σ₁, σ₂, σ₃ as (n, 4) arrays of labels on H (Montgomery), given each row's variables."""
    n = omegas.shape[0]
    var = np.stack([a_vars, b_vars, c_vars], axis=1).reshape(-1)          # position p = 3·row + col
    labels = np.concatenate([omegas, fr.scale_vec(omegas, fr_scalar(K1)),
                             fr.scale_vec(omegas, fr_scalar(K2))])        # label index col·n + row
    pos = np.arange(3 * n)
    label_index = (pos % 3) * n + pos // 3
    order = np.argsort(var, kind="stable")
    sv = var[order]
    first = np.ones(3 * n, dtype=bool)
    first[1:] = sv[1:] != sv[:-1]
    prev = np.empty(3 * n, dtype=np.int64)
    prev[1:] = order[:-1]
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], 3 * n) - 1
    prev[starts] = order[ends]                 # first of each cycle → its last
    sigma = np.empty(3 * n, dtype=np.int64)
    sigma[order] = label_index[prev]
    sig = labels[sigma].reshape(n, 3, 4)
    return (np.ascontiguousarray(sig[:, 0]), np.ascontiguousarray(sig[:, 1]),
            np.ascontiguousarray(sig[:, 2]))


def grand_product(a, b, c, s1, s2, s3, omegas, beta: int, gamma: int):
    """z on H as an (n, 4) array; raises if the product over all rows is not 1."""
    num, den = plonk.permutation_fractions(
        a, b, c, s1, s2, s3, omegas, fr_scalar(beta), fr_scalar(gamma), fr_scalar(K1), fr_scalar(K2))
    z, total = plonk.grand_product(num, fr.inv_vec(den), fr_one())
    if not np.array_equal(total, fr_one()):
        raise ValueError("copy constraints do not hold: the permutation product is not 1")
    return z


def wire_values(witness_m: np.ndarray, vars_: np.ndarray, n: int) -> np.ndarray:
    """Column values on H: witness rows gathered by variable index, padded with 0."""
    out = np.zeros((n, 4), dtype=np.uint64)
    out[: len(vars_)] = witness_m[vars_]
    return out
