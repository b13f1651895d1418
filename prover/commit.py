"""KZG commitments: [p(τ)]₁ = Σⱼ pⱼ·[τʲ]₁, one MSM over the SRS's powers of τ."""

import numpy as np

from .kernels import fr, g1, msm

__all__ = ["commit"]


def commit(srs_g1: np.ndarray, coeffs: np.ndarray):
    """Commit to Montgomery coefficients; returns an affine point (ints) or None (infinity)."""
    k = coeffs.shape[0]
    if k > srs_g1.shape[0]:
        raise ValueError(f"SRS too small: polynomial has {k} coefficients, SRS {srs_g1.shape[0]} points")
    scalars = fr.from_mont_vec(np.ascontiguousarray(coeffs))
    point = msm.msm(srs_g1[:k], scalars)
    return g1.array_to_points(point.reshape(1, 2, 4))[0]
