"""Evaluation domain H = {ωⁱ} of size n = 2^power and the 4n coset used for the quotient.

The quotient t(X) has degree ≤ 3n + 5 < 4n, so its values on any 4n points
determine it.  We evaluate on the coset g·H₄ₙ with g = 5 (the generator of Fr*,
so gⁿ·ω₄ⁱ ≠ 1 and Z_H never vanishes there), where

    xᵢ = g·ω₄ₙⁱ,   Z_H(xᵢ) = gⁿ·ω₄^(i mod 4) − 1   (four distinct values),
    L₀(X) = (Xⁿ − 1)/(n(X − 1)) = (1/n)·Σⱼ Xʲ   (coefficients all 1/n).
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from verifier.fields import FR_GENERATOR, R_MOD, root_of_unity

from .kernels import fr, ntt
from .kernels.convert import fr_from_ints, fr_scalar

__all__ = ["Domain", "COSET_SHIFT"]

#: g, the shift of the quotient's evaluation coset.
COSET_SHIFT = FR_GENERATOR


@dataclass(frozen=True)
class Domain:
    power: int

    @property
    def n(self) -> int:
        return 1 << self.power

    @property
    def omega(self) -> int:
        return root_of_unity(self.power)

    @cached_property
    def omegas(self) -> np.ndarray:
        """ω⁰ … ωⁿ⁻¹ (Montgomery)."""
        return fr.powers(fr_scalar(self.omega), self.n)

    @cached_property
    def shift(self) -> np.ndarray:
        return fr_scalar(COSET_SHIFT)

    @cached_property
    def omega4(self) -> np.ndarray:
        """ω₄ₙ, the step between consecutive coset points (Montgomery, shape (4,))."""
        return fr_scalar(root_of_unity(self.power + 2))

    @cached_property
    def zh_inv(self) -> np.ndarray:
        """1/Z_H(xᵢ) for i mod 4 = 0 … 3."""
        gn = pow(COSET_SHIFT, self.n, R_MOD)
        w4 = root_of_unity(2)
        return fr_from_ints([pow(gn * pow(w4, i, R_MOD) - 1, -1, R_MOD) for i in range(4)])

    @cached_property
    def l0_coset(self) -> np.ndarray:
        """L₀ on the coset."""
        coeffs = np.zeros((4 * self.n, 4), dtype=np.uint64)
        coeffs[: self.n] = fr_scalar(pow(self.n, -1, R_MOD))
        return ntt.coset_ntt(coeffs, self.shift)

    def precompute(self) -> "Domain":
        """Compute the constants the prover reads (ωⁱ, L₀ on the coset, 1/Z_H) now, at setup,
        rather than in the first proof; snarkjs likewise keeps them in its zkey."""
        _ = (self.omegas, self.l0_coset, self.zh_inv, self.omega4)    # each cached on first access
        return self

    def to_coefficients(self, values: np.ndarray) -> np.ndarray:
        """Values on H → coefficients (length n)."""
        return ntt.intt(values)

    def to_coset(self, coeffs: np.ndarray) -> np.ndarray:
        """Coefficients (length ≤ 4n) → values on the 4n coset."""
        padded = np.zeros((4 * self.n, 4), dtype=np.uint64)
        padded[: coeffs.shape[0]] = coeffs
        return ntt.coset_ntt(padded, self.shift)

    def from_coset(self, values: np.ndarray) -> np.ndarray:
        """Values on the 4n coset → coefficients (length 4n)."""
        return ntt.coset_intt(values, self.shift)
