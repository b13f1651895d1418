"""The evaluate and open steps: evaluations at ζ, the linearisation polynomial and the KZG openings.

snarkjs's linearisation keeps the constant r₀ inside, so R(ζ) = 0.  Its scalars
come from ``verifier.linearisation.linearise``, the function the verifier uses
for [D]₁, so the formula is written once:

  R(X) = Σ scalarₖ·termₖ + r₀   over qM qL qR qO qC z σ₃ T1 T2 T3

  Wζ  = [R + v(a − ā) + v²(b − b̄) + v³(c − c̄) + v⁴(σ₁ − s̄₁) + v⁵(σ₂ − s̄₂)] / (X − ζ)
  Wζω = (z − z̄ω) / (X − ζω)
"""

import numpy as np

from verifier.fields import R_MOD
from verifier.linearisation import Linearisation
from verifier.proof import Evaluations

from .kernels import plonk, poly
from .kernels.convert import fr_scalar, fr_to_ints

__all__ = ["evaluate", "evaluations", "linearisation", "open_at", "check_exact"]


def evaluate(coeffs: np.ndarray, x: int) -> int:
    return fr_to_ints(poly.evaluate(coeffs, fr_scalar(x)))[0]


def evaluations(pk, polys, zeta: int) -> Evaluations:
    """ā b̄ c̄ s̄₁ s̄₂ at ζ and z̄ω at ζω of the blinded ``polys`` (a ``ProofPolys``)."""
    at_zeta = [evaluate(p, zeta) for p in (polys.a, polys.b, polys.c, pk.coeffs.s1, pk.coeffs.s2)]
    return Evaluations(*at_zeta, evaluate(polys.z, zeta * pk.domain.omega % R_MOD))


def _combine(length: int, terms) -> np.ndarray:
    acc = np.zeros((length, 4), dtype=np.uint64)
    for s, p in terms:
        plonk.axpy(acc, p, fr_scalar(s % R_MOD))
    return acc


def linearisation(pk, polys, lin: Linearisation) -> np.ndarray:
    """Coefficients of R(X) (length n + 6) from the shared scalars ``lin``."""
    q = pk.coeffs
    R = _combine(pk.domain.n + 6, [
        (lin.qm, q.qm), (lin.ql, q.ql), (lin.qr, q.qr), (lin.qo, q.qo), (lin.qc, q.qc),
        (lin.z, polys.z), (lin.s3, q.s3), (lin.T1, polys.T1), (lin.T2, polys.T2),
        (lin.T3, polys.T3)])
    plonk.add_const(R, fr_scalar(lin.r0))
    return R


def open_at(R, polys, pk, ev: Evaluations, zeta: int, v: int):
    """(Wζ, Wζω) coefficient arrays; asserts both divisions are exact."""
    n = pk.domain.n
    vs = [pow(v, k, R_MOD) for k in range(1, 6)]
    num = _combine(n + 6, [(1, R)] + list(zip(vs, (polys.a, polys.b, polys.c,
                                                     pk.coeffs.s1, pk.coeffs.s2))))
    const = -sum(x * e for x, e in zip(vs, ev.values()[:5]))
    plonk.add_const(num, fr_scalar(const % R_MOD))
    w_zeta, rem = poly.div_by_linear(num, fr_scalar(zeta))
    zw = np.array(polys.z, copy=True)
    plonk.add_const(zw, fr_scalar(-ev.eval_zw % R_MOD))
    w_zeta_omega, rem2 = poly.div_by_linear(zw, fr_scalar(zeta * pk.domain.omega % R_MOD))
    check_exact(rem, rem2)
    return w_zeta, w_zeta_omega


def check_exact(*remainders) -> None:
    """Both openings divide exactly (R(ζ) = 0 and the claimed evaluations are the real ones)."""
    if any(np.asarray(r).any() for r in remainders):
        raise ValueError("opening division is not exact: inconsistent evaluations")
