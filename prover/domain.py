"""Evaluation domain H = {ωⁱ} of size n = 2^power and the 4n coset used for the quotient.

The quotient t(X) has degree ≤ 3n + 5 < 4n, so its values on any 4n points
determine it.  We evaluate on the coset g·H₄ₙ with g = 5 (the generator of Fr*,
so gⁿ·ω₄ⁱ ≠ 1 and Z_H never vanishes there), where

    xᵢ = g·ω₄ₙⁱ,   Z_H(xᵢ) = gⁿ·ω₄^(i mod 4) − 1   (four distinct values),
    L₀(X) = (Xⁿ − 1)/(n(X − 1)) = (1/n)·Σⱼ Xʲ   (coefficients all 1/n).

The points with i ≡ k (mod 4) form part k of the coset, the n-point coset
hₖ·H with hₖ = g·ω₄ₙᵏ (``part_shift``); Z_H is the constant hₖⁿ − 1 there, and
``to_coset_part`` evaluates a polynomial on it with one n-point NTT.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from verifier.fields import FR_GENERATOR, R_MOD, root_of_unity

from .kernels import fr, ntt, plonk
from .kernels.convert import fr_scalar

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
    def l0_coset(self) -> np.ndarray:
        """L₀ on the coset."""
        coeffs = np.zeros((4 * self.n, 4), dtype=np.uint64)
        coeffs[: self.n] = fr_scalar(pow(self.n, -1, R_MOD))
        return ntt.coset_ntt(coeffs, self.shift)

    def precompute(self) -> "Domain":
        """Compute the constants the prover reads (ωⁱ, L₀ on the coset) now, at setup,
        rather than in the first proof; snarkjs likewise keeps them in its zkey."""
        _ = (self.omegas, self.l0_coset)    # each cached on first access
        return self

    def to_coefficients(self, values: np.ndarray) -> np.ndarray:
        """Values on H → coefficients (length n)."""
        return ntt.intt(values)

    def to_coset(self, coeffs: np.ndarray) -> np.ndarray:
        """Coefficients (length ≤ 4n) → values on the 4n coset."""
        padded = np.zeros((4 * self.n, 4), dtype=np.uint64)
        padded[: coeffs.shape[0]] = coeffs
        return ntt.coset_ntt(padded, self.shift)

    def part_shift(self, k: int) -> int:
        """hₖ = g·ω₄ₙᵏ: the 4n coset's points 4j + k are hₖ·ωʲ, j < n (its part k)."""
        return COSET_SHIFT * pow(root_of_unity(self.power + 2), k, R_MOD) % R_MOD

    def to_coset_part(self, coeffs: np.ndarray, k: int) -> np.ndarray:
        """Coefficients (any length) → values at hₖ·ωʲ, j < n: one n-point coset NTT after
        folding coefficient n·m + i onto i with the factor hₖ^(nm) (on the part, Xⁿ = hₖⁿ)."""
        n, h = self.n, self.part_shift(k)
        if coeffs.shape[0] <= n:
            head = np.zeros((n, 4), dtype=np.uint64)
            head[: coeffs.shape[0]] = coeffs
        else:
            head = np.array(coeffs[:n])
            hn = pow(h, n, R_MOD)
            f = hn
            for m in range(n, coeffs.shape[0], n):
                plonk.axpy(head, np.ascontiguousarray(coeffs[m: m + n]), fr_scalar(f))
                f = f * hn % R_MOD
        return ntt.coset_ntt(head, fr_scalar(h))

    def from_coset(self, values: np.ndarray) -> np.ndarray:
        """Values on the 4n coset → coefficients (length 4n)."""
        return ntt.coset_intt(values, self.shift)
