"""Pure-Python twin of ``plonk.py``'s quotient kernels, on Python ints.

``quotient_part`` evaluates the numerator of round 3 at the n points
xⱼ = h·wʲ of one part of the 4n coset, the preprocessed values read at row
4j + k, exactly as written in ``plonk.py``'s docstring:

    N(x) = a·b·qM + a·qL + b·qR + c·qO + PI + qC
         + α[(a+βx+γ)(b+βk₁x+γ)(c+βk₂x+γ)·z(x) − (a+βσ₁+γ)(b+βσ₂+γ)(c+βσ₃+γ)·z(xω)
             + α(z(x) − 1)·L₀(x)]

``combine_parts`` turns the parts' inverse transforms U₀ … U₃ into t:
t[m·n + j] = gsₘ·Σₖ ω₄^(−km)·Uₖ[j], with ω₄^(−1) given.
"""

from verifier.fields import R_MOD

__all__ = ["quotient_part", "combine_parts"]


def quotient_part(a, b, c, z, pre, l0, pub, pi, k, h, w, beta, gamma, alpha, k1, k2) -> list:
    """``pre``: the eight 4n lists qM qL qR qO qC σ₁ σ₂ σ₃; ``pub``: −pubᵢ (used when
    ``pi`` is empty); ``pi``: PI on the 4n coset (or empty)."""
    n = len(a)
    qm, ql, qr, qo, qc, s1, s2, s3 = pre
    out = []
    for j in range(n):
        r = 4 * j + k
        x = h * pow(w, j, R_MOD) % R_MOD
        if pi:
            p = pi[r]
        else:
            p = sum(pub[i] * l0[4 * ((j - i) % n) + k] for i in range(len(pub)))
        gate = a[j] * b[j] * qm[r] + a[j] * ql[r] + b[j] * qr[r] + c[j] * qo[r] + p + qc[r]
        p1 = ((a[j] + beta * x + gamma) * (b[j] + beta * k1 * x + gamma)
              * (c[j] + beta * k2 * x + gamma) * z[j])
        p2 = ((a[j] + beta * s1[r] + gamma) * (b[j] + beta * s2[r] + gamma)
              * (c[j] + beta * s3[r] + gamma) * z[(j + 1) % n])
        out.append((gate + alpha * (p1 - p2 + alpha * (z[j] - 1) * l0[r])) % R_MOD)
    return out


def combine_parts(u, w4inv: int, gs) -> list:
    """``u``: the four lists U₀ … U₃ (length n each); ``gs``: four scalars."""
    n = len(u[0])
    t = [0] * (4 * n)
    for m in range(4):
        for j in range(n):
            t[m * n + j] = gs[m] * sum(pow(w4inv, k * m, R_MOD) * u[k][j] for k in range(4)) % R_MOD
    return t
