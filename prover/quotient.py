"""Round 3: the quotient t(X) = (gate + α·permutation + α²·(z − 1)L₀) / Z_H, split in three.

t has degree ≤ 3n + 5 < 4n, so its values on the 4n coset g·H₄ₙ determine it.
That coset is four n-point cosets ("parts"): its points 4j + k are hₖ·ωʲ with
hₖ = g·ω₄ₙᵏ, and on part k

* a, b, c, z (n + 2 or n + 3 coefficients) take their values through ONE n-point
  coset NTT each, after folding the few coefficients above n down (Xⁿ = hₖⁿ there);
* Z_H(x) = xⁿ − 1 = hₖⁿ − 1 is one constant, so 1/Z_H costs nothing: it joins the
  1/n (and the 1/4 of the recombination) inside the part's inverse NTT;
* ``kernels.plonk.quotient_part`` evaluates the whole numerator in one pass, reading
  the proving key's coset values (4n arrays) at rows 4j + k.

The part's inverse NTT gives Uₖ = Σₘ (hₖⁿ)ᵐ·Tₘ, where Tₘ are the m-th n coefficients
of t; ``kernels.plonk.combine_parts`` inverts that 4 × 4 system (a 4-point DFT and a
scaling per index).  Sixteen n-point NTTs forward and four back replace four 4n-point
NTTs forward and one back, no 4n array of a, b, c or z is ever made, and no
multiplication by 1/Z_H is done.  The top n − 6 coefficients of t must then be zero,
which we assert (it fails only on a bug or an unsatisfied witness).  snarkjs's split,
blinded by b₁₀, b₁₁:

    T1 = t[0:n]  + b₁₀·Xⁿ
    T2 = t[n:2n] − b₁₀ + b₁₁·Xⁿ
    T3 = t[2n:]  − b₁₁            (n + 6 coefficients)

so that t = T1 + Xⁿ·T2 + X²ⁿ·T3 while each part alone reveals nothing.
"""

import numpy as np

from verifier.fields import R_MOD, root_of_unity

from .domain import COSET_SHIFT
from .kernels import fr, ntt, plonk
from .kernels.convert import fr_from_ints, fr_one, fr_scalar

__all__ = ["quotient", "split", "check_degree", "pi_on_coset", "PI_SHIFT_MAX"]

#: up to this many public inputs PI's coset values are shifted copies of L₀'s (else iNTT + NTT)
PI_SHIFT_MAX = 8

_EMPTY = np.zeros((0, 4), dtype=np.uint64)


def pi_on_coset(dom, public) -> np.ndarray:
    """PI(X) = −Σᵢ pubᵢ·Lᵢ(X) on the 4n coset xⱼ = g·ω₄ₙʲ.

    Lᵢ(X) = L₀(ω⁻ⁱX) and ω⁻ⁱxⱼ = x_(j−4i mod 4n), so Lᵢ's coset values are L₀'s rolled
    by 4i: a few public inputs cost a few multiply-adds a point instead of an iNTT on H
    and an NTT on the coset.  (The proof reads this array only beyond ``PI_SHIFT_MAX``
    public inputs; below, ``quotient_part`` does the same shifted sums row by row.)"""
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
    dom, cs = pk.domain, pk.coset
    n = dom.n
    if len(public) > PI_SHIFT_MAX:
        pub, pi = _EMPTY, pi_on_coset(dom, public)
    else:
        pub, pi = fr_from_ints([-x % R_MOD for x in public]).reshape(-1, 4), _EMPTY
    scalars = [fr_scalar(x) for x in (beta, gamma, alpha, pk.vk.k1, pk.vk.k2)]
    w = fr_scalar(dom.omega)
    gn = pow(COSET_SHIFT, n, R_MOD)
    w4 = root_of_unity(2)
    parts = []
    for k in range(4):
        h = dom.part_shift(k)
        ev = [dom.to_coset_part(p, k) for p in (polys.a, polys.b, polys.c, polys.z)]
        num = plonk.quotient_part(*ev, cs.qm, cs.ql, cs.qr, cs.qo, cs.qc, cs.s1, cs.s2, cs.s3,
                                  dom.l0_coset, pub, pi, k, fr_scalar(h), w, *scalars, fr_one())
        del ev
        zh = (gn * pow(w4, k, R_MOD) - 1) % R_MOD              # Z_H on part k: hₖⁿ − 1
        parts.append(ntt.coset_intt(num, fr_scalar(h), scale=pow(4 * zh, -1, R_MOD)))
    gs = fr_from_ints([pow(gn, -m, R_MOD) for m in range(4)])
    t = plonk.combine_parts(*parts, fr_scalar(pow(w4, -1, R_MOD)), gs)
    check_degree(t, n)
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
