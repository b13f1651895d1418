"""The fused PLONK loops and the polynomial helpers on Python ints (``plonk.py``, ``poly.py``).

Same formulas as the kernels (see their module docstrings): the permutation
fractions and grand product of round 2, the quotient's numerator on one part
of the 4n coset and the parts' recombination (round 3), the linear
combinations of the opening, Horner evaluation and synthetic division by
(X − z).  Arrays are read into field values once
(``field.FR.values``) and written back once.
"""

from verifier.fields import R_MOD

from ..backend import implements
from .field import FR, limbs, words

__all__ = ["permutation_fractions", "grand_product", "quotient_part", "combine_parts", "axpy",
           "evaluate", "div_by_linear"]


@implements("plonk.permutation_fractions")
def permutation_fractions(a, b, c, s1, s2, s3, omegas, beta, gamma, k1, k2):
    r = R_MOD
    be, ga = FR.one_value(beta), FR.one_value(gamma)
    bk1, bk2 = be * FR.one_value(k1) % r, be * FR.one_value(k2) % r
    A, B, C, W = FR.values(a), FR.values(b), FR.values(c), FR.values(omegas)
    num = [(x + be * w + ga) * (y + bk1 * w + ga) % r * (z + bk2 * w + ga) % r
           for x, y, z, w in zip(A, B, C, W)]
    den = [(x + be * u + ga) * (y + be * v + ga) % r * (z + be * t + ga) % r
           for x, y, z, u, v, t in zip(A, B, C, FR.values(s1), FR.values(s2), FR.values(s3))]
    return FR.montgomery(num), FR.montgomery(den)


@implements("plonk.grand_product")
def grand_product(num, den_inv, one):
    r = R_MOD
    acc, z = FR.one_value(one), []
    for x, y in zip(FR.values(num), FR.values(den_inv)):
        z.append(acc)
        acc = acc * x % r * y % r
    return FR.montgomery(z).reshape(-1, 4), FR.montgomery([acc])[0]


@implements("plonk.quotient_part")
def quotient_part(a, b, c, z, qm, ql, qr, qo, qc, s1, s2, s3, l0, pub, pi, k, h, w,
                  beta, gamma, alpha, k1, k2, one):
    r = R_MOD
    n = a.shape[0]
    be, ga, al = FR.one_value(beta), FR.one_value(gamma), FR.one_value(alpha)
    bk1, bk2 = be * FR.one_value(k1) % r, be * FR.one_value(k2) % r
    o = FR.one_value(one)
    A, B, C, Zv = FR.values(a), FR.values(b), FR.values(c), FR.values(z)
    # part k reads the 4n arrays at rows 4j + k only: one strided slice each
    pre = [FR.values(x[k::4]) for x in (qm, ql, qr, qo, qc, s1, s2, s3)]
    L0 = FR.values(l0[k::4])
    if pi.shape[0]:
        P = FR.values(pi[k::4])
    else:                                   # Lᵢ(xⱼ) = L₀ at part row (j − i) mod n
        pubs = FR.values(pub)
        P = [sum(p * L0[(j - i) % n] for i, p in enumerate(pubs)) % r for j in range(n)]
    x, step = FR.one_value(h), FR.one_value(w)
    t = []
    for j, (ai, bi, ci, zi, m, lq, rq, oq, cq, u, v, s, pv, lv) in enumerate(zip(
            A, B, C, Zv, *pre, P, L0)):
        gate = ai * bi % r * m + ai * lq + bi * rq + ci * oq + pv + cq
        p1 = (ai + be * x + ga) * (bi + bk1 * x + ga) % r * (ci + bk2 * x + ga) % r * zi
        p2 = ((ai + be * u + ga) * (bi + be * v + ga) % r * (ci + be * s + ga) % r
              * Zv[j + 1 if j + 1 < n else 0])
        t.append((gate + al * ((p1 - p2 + al * ((zi - o) * lv % r)) % r)) % r)
        x = x * step % r
    return FR.montgomery(t)


@implements("plonk.combine_parts")
def combine_parts(u0, u1, u2, u3, w4inv, gs):
    r = R_MOD
    wi = FR.one_value(w4inv)
    g = FR.values(gs)
    t = []
    U = [FR.values(u) for u in (u0, u1, u2, u3)]
    e = [(x0 + x2) % r for x0, x2 in zip(U[0], U[2])]
    f = [(x0 - x2) % r for x0, x2 in zip(U[0], U[2])]
    s = [(x1 + x3) % r for x1, x3 in zip(U[1], U[3])]
    d = [wi * (x1 - x3) % r for x1, x3 in zip(U[1], U[3])]
    t += [(x + y) % r for x, y in zip(e, s)]
    t += [g[1] * (x + y) % r for x, y in zip(f, d)]
    t += [g[2] * (x - y) % r for x, y in zip(e, s)]
    t += [g[3] * (x - y) % r for x, y in zip(f, d)]
    return FR.montgomery(t)


@implements("plonk.axpy")
def axpy(acc, x, s):
    k = x.shape[0]
    sv = FR.one_value(s)                # ã + x̃·s is the Montgomery form of a + x·s
    acc[:k] = limbs([(u + v * sv) % R_MOD for u, v in zip(words(acc[:k]), words(x))])


@implements("poly.evaluate")
def evaluate(coeffs, z):
    r = R_MOD
    zv, acc = FR.one_value(z), 0
    for cv in reversed(words(coeffs)):      # Horner on the stored values: linear in them
        acc = (acc * zv + cv) % r
    return limbs([acc])[0]


@implements("poly.div_by_linear")
def div_by_linear(coeffs, z):
    r = R_MOD
    zv, s, q = FR.one_value(z), 0, []
    cs = words(coeffs)
    for cv in reversed(cs[1:]):             # s_i = c_i + z·s_(i+1), on the stored values
        s = (cv + zv * s) % r
        q.append(s)
    rem = (cs[0] + zv * s) % r if cs else 0
    out = limbs(q[::-1]) if q else limbs([]).reshape(0, 4)
    return out, limbs([rem])[0]
