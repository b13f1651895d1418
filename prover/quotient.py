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

from verifier.fields import R_MOD

from .kernels import fr, plonk
from .kernels.convert import fr_from_ints, fr_one, fr_scalar

__all__ = ["quotient", "split", "check_degree", "pi_on_coset", "PI_SHIFT_MAX"]

#: up to this many public inputs PI's coset values are shifted copies of L₀'s (else iNTT + NTT)
PI_SHIFT_MAX = 8


def pi_on_coset(dom, public) -> np.ndarray:
    """PI(X) = −Σᵢ pubᵢ·Lᵢ(X) on the 4n coset xⱼ = g·ω₄ₙʲ.

    Lᵢ(X) = L₀(ω⁻ⁱX) and ω⁻ⁱxⱼ = x_(j−4i mod 4n), so Lᵢ's coset values are L₀'s rolled
    by 4i: a few public inputs cost a few multiply-adds a point instead of an iNTT on H
    and an NTT on the coset."""
    if len(public) > PI_SHIFT_MAX:
        values = np.zeros((dom.n, 4), dtype=np.uint64)
        values[: len(public)] = fr_from_ints([-x for x in public])
        return dom.to_coset(dom.to_coefficients(values))
    acc = np.zeros((4 * dom.n, 4), dtype=np.uint64)
    for i, x in enumerate(public):
        if x % R_MOD:
            plonk.axpy(acc, np.roll(dom.l0_coset, 4 * i, axis=0), fr_scalar(-x % R_MOD))
    return acc


def quotient(pk, polys, public, beta: int, gamma: int, alpha: int) -> np.ndarray:
    """Coefficients of t (length 4n) from the blinded a, b, c, z of ``polys`` (a ``ProofPolys``)
    and the public inputs."""
    dom = pk.domain
    cs = pk.coset
    ev = [dom.to_coset(p) for p in (polys.a, polys.b, polys.c, polys.z)]
    t_evals = plonk.quotient_evals(
        *ev, cs.qm, cs.ql, cs.qr, cs.qo, cs.qc, cs.s1, cs.s2, cs.s3,
        pi_on_coset(dom, public), dom.l0_coset, dom.shift, dom.omega4, dom.zh_inv,
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
