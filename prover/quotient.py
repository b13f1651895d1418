"""Round 3: the quotient t(X) = (gate + α·permutation + α²·(z − 1)L₀) / Z_H, split in three.

t has degree ≤ 3n + 5.  It is computed from exact evaluations on the 4n coset
(``kernels.plonk.quotient_evals``) and interpolated back; the top n − 6
coefficients must then be zero, which we assert (it fails only on a bug or an
unsatisfied witness).  snarkjs's split, blinded by b₁₀, b₁₁:

    T1 = t[0:n]  + b₁₀·Xⁿ
    T2 = t[n:2n] − b₁₀ + b₁₁·Xⁿ
    T3 = t[2n:]  − b₁₁            (n + 6 coefficients)

so that t = T1 + Xⁿ·T2 + X²ⁿ·T3 while each part alone reveals nothing.
"""

import numpy as np

from .kernels import fr, plonk
from .kernels.convert import fr_one, fr_scalar

__all__ = ["quotient", "split", "check_degree"]


def quotient(pk, a, b, c, z, pi, beta: int, gamma: int, alpha: int) -> np.ndarray:
    """Coefficients of t (length 4n) from the blinded a, b, c, z and PI coefficients."""
    dom = pk.domain
    cs = pk.coset
    ev = [dom.to_coset(p) for p in (a, b, c, z, pi)]
    t_evals = plonk.quotient_evals(
        *ev[:4], cs["qm"], cs["ql"], cs["qr"], cs["qo"], cs["qc"], cs["s1"], cs["s2"], cs["s3"],
        ev[4], dom.l0_coset, dom.coset_x, dom.zh_inv,
        fr_scalar(beta), fr_scalar(gamma), fr_scalar(alpha),
        fr_scalar(pk.vk.k1), fr_scalar(pk.vk.k2), fr_one())
    t = dom.from_coset(t_evals)
    check_degree(t, dom.n)
    return t


def check_degree(t: np.ndarray, n: int) -> None:
    """deg t ≤ 3n + 5, i.e. Z_H divided the numerator exactly; fails on an unsatisfied witness."""
    if t[3 * n + 6:].any():
        raise ValueError("quotient is not a polynomial: the witness does not satisfy the circuit")


def split(t: np.ndarray, n: int, b10: int, b11: int):
    """(T1, T2, T3) with snarkjs's blinding."""
    T1 = np.zeros((n + 1, 4), dtype=np.uint64)
    T1[:n] = t[:n]
    T1[n] = fr_scalar(b10)
    T2 = np.zeros((n + 1, 4), dtype=np.uint64)
    T2[:n] = t[n:2 * n]
    T2[n] = fr_scalar(b11)
    T2[:1] = fr.sub_vec(T2[:1], fr_scalar(b10).reshape(1, 4))
    T3 = np.ascontiguousarray(t[2 * n: 3 * n + 6].copy())
    T3[:1] = fr.sub_vec(T3[:1], fr_scalar(b11).reshape(1, 4))
    return T1, T2, T3
