"""Optimal-ate pairing check on BN254 in pure Python, on plain ints.

Role: the fast path behind ``verifier.curve.pairing_check`` (py_ecc's FQ12
objects take ~1 s for a two-pair check; this takes a few tens of ms).  No
classes in the hot paths: field elements are tuples of ints, and products are
left unreduced until the last step of each routine (lazy reduction: a
``% q`` costs about two multiplications).

Tower (the one of gnark-crypto, arkworks, and EIP-197 implementations)::

    Fq2  = Fq[u]  / (u² + 1)          (c0, c1)            = c0 + c1·u
    Fq6  = Fq2[v] / (v³ − ξ), ξ = 9 + u
    Fq12 = Fq6[w] / (w² − v)           so w⁶ = ξ

An Fq12 element g + h·w (g, h ∈ Fq6, g = g0 + g1·v + g2·v²) is the flat
12-tuple (g0, g1, g2, h0, h1, h2) of Fq2 pairs; gᵢ is the coefficient of w²ⁱ
and hᵢ of w²ⁱ⁺¹.  Since py_ecc's FQ12 = Fq[w]/(w¹² − 18w⁶ + 82) uses the same
w (w⁶ = 9 + u), c·wᵏ with c = c0 + c1·u maps to (c0 − 9c1)·wᵏ + c1·wᵏ⁺⁶ there.

G2 lives on the D-twist E': y² = x³ + b/ξ; ψ(x, y) = (x·w², y·w³) maps it into
E(Fq12).  Miller loop (Aranha–Karabina–Longa–Gebotys–López, "Faster explicit
formulas for computing pairings over ordinary curves", Eurocrypt 2011, with
homogeneous projective T = (X : Y : Z) on E'):

* doubling: line ℓ = −2YZ·y_P + 3X²·x_P·w + (3b'Z² − Y²)·w³,
* addition T + Q: ℓ = λ·y_P − θ·x_P·w + (θ·x_Q − λ·y_Q)·w³ with
  θ = Y − y_Q·Z, λ = X − x_Q·Z,

i.e. the affine tangent/chord line at ψ(T) scaled by factors in Fq2, which the
final exponentiation kills.  Lines are sparse (coefficients of 1, w, w³) and
are multiplied into f directly.  Several pairs share ONE f (multi-Miller loop:
f squared once per step, every pair's line multiplied in), over the signed
digits (NAF) of 6u + 2; a −1 digit adds −Q.  BN's optimal ate then adds
π(Q) and −π²(Q), π the q-power Frobenius on the twist:
π(x, y) = (x̄·ξ^((q−1)/3), ȳ·ξ^((q−1)/2)).

Final exponentiation f^((q¹² − 1)/r):

* easy part f^((q⁶ − 1)(q² + 1)) = (f̄ / f)^(q²) · (f̄ / f), f̄ = f^(q⁶) the
  conjugate g − h·w; the result is in the cyclotomic subgroup (inverse =
  conjugate), and every Fq6 or Fq4 factor dropped from the lines becomes 1;
* hard part (q⁴ − q² + 1)/r by Fuentes-Castañeda, Knapp and Rodríguez-Henríquez
  ("Faster hashing to G2", SAC 2011), in the addition chain of arkworks
  (ark-ec ``bn::final_exponentiation``):  it raises to
  λ = λ₀ + λ₁q + λ₂q² + λ₃q³ with λ₃ = 12u³ + 6u² + 4u − 1,
  λ₂ = 12u³ + 6u² + 6u, λ₁ = 12u³ + 6u² + 4u, λ₀ = 12u³ + 12u² + 6u + 1,
  and λ = m·(q⁴ − q² + 1)/r with m = 2u(6u² + 3u + 1), prime to r.

So ``pairing(P, Q)`` here is py_ecc's e(P, Q) to the power m (checked at import
on the integers, and against py_ecc in tests/verifier/test_pairing.py); being a
power prime to r it decides Π e(Pᵢ, Qᵢ) = 1 identically.  Points must be on
their curves and Q in G2 (``verifier.curve`` checks); nothing here raises on
valid input, and a zero Miller value (impossible for valid input) reads as
"not one".
"""

from .fields import BN_U, Q_MOD, R_MOD

__all__ = [
    "pairing_product_is_one", "miller_loop", "final_exponentiation", "pairing",
    "f12_mul", "f12_sqr", "f12_cyc_sqr", "f12_inv", "f12_conj", "f12_frob",
    "ONE", "ATE_NAF", "HARD_PART_M",
]

Q = Q_MOD
ONE = (1, 0) + (0,) * 10
B2 = (19485874751759354771024239261021720505790618469301721065564631296452457478373,
      266929791119991161246907387137283842545076965332900288569378510910307636690)


def _f2_mul(a0, a1, b0, b1):
    return (a0 * b0 - a1 * b1) % Q, (a0 * b1 + a1 * b0) % Q


def _f2_pow(a, e):
    r = (1, 0)
    while e:
        if e & 1:
            r = _f2_mul(*r, *a)
        a = _f2_mul(*a, *a)
        e >>= 1
    return r


def _naf(k):
    """Signed digits of k, least significant first, no two adjacent non-zero."""
    out = []
    while k:
        d = (2 - (k & 3)) if k & 1 else 0   # k ≡ 1 mod 4 → 1, k ≡ 3 mod 4 → −1
        out.append(d)
        k -= d
        k >>= 1
    return out


XI = (9, 1)
#: FROB[n][k] = ξ^(k(qⁿ − 1)/6): wᵏ ↦ FROB[n][k]·wᵏ under the qⁿ-power Frobenius
FROB = [None] + [[_f2_pow(XI, k * (Q ** n - 1) // 6) for k in range(6)] for n in (1, 2, 3)]
ATE_NAF = _naf(6 * BN_U + 2)
_U_NAF = _naf(BN_U)
HARD_PART_M = 2 * BN_U * (6 * BN_U * BN_U + 3 * BN_U + 1)


# ----------------------------------------------------------------- Fq6 / Fq12

def _m6(a00, a01, a10, a11, a20, a21, b00, b01, b10, b11, b20, b21):
    """Unreduced Fq6 product (Karatsuba over Fq2; ξ·(t0 + t1u) = (9t0 − t1) + (t0 + 9t1)u)."""
    v00 = a00 * b00 - a01 * b01
    v01 = a00 * b01 + a01 * b00
    v10 = a10 * b10 - a11 * b11
    v11 = a10 * b11 + a11 * b10
    v20 = a20 * b20 - a21 * b21
    v21 = a20 * b21 + a21 * b20
    s0, s1, r0, r1 = a10 + a20, a11 + a21, b10 + b20, b11 + b21
    t0 = s0 * r0 - s1 * r1 - v10 - v20
    t1 = s0 * r1 + s1 * r0 - v11 - v21
    c00, c01 = v00 + 9 * t0 - t1, v01 + t0 + 9 * t1
    s0, s1, r0, r1 = a00 + a10, a01 + a11, b00 + b10, b01 + b11
    c10 = s0 * r0 - s1 * r1 - v00 - v10 + 9 * v20 - v21
    c11 = s0 * r1 + s1 * r0 - v01 - v11 + v20 + 9 * v21
    s0, s1, r0, r1 = a00 + a20, a01 + a21, b00 + b20, b01 + b21
    c20 = s0 * r0 - s1 * r1 - v00 + v10 - v20
    c21 = s0 * r1 + s1 * r0 - v01 + v11 - v21
    return c00, c01, c10, c11, c20, c21


def f12_mul(x, y):
    """x·y: Karatsuba over Fq6, (g + hw)(g' + h'w) = gg' + hh'v + ((g+h)(g'+h') − gg' − hh')w."""
    g, h, g2, h2 = x[:6], x[6:], y[:6], y[6:]
    a = _m6(*g, *g2)
    b = _m6(*h, *h2)
    s = _m6(*(i + j for i, j in zip(g, h)), *(i + j for i, j in zip(g2, h2)))
    b00, b01, b10, b11, b20, b21 = b
    return ((a[0] + 9 * b20 - b21) % Q, (a[1] + b20 + 9 * b21) % Q,
            (a[2] + b00) % Q, (a[3] + b01) % Q, (a[4] + b10) % Q, (a[5] + b11) % Q,
            (s[0] - a[0] - b00) % Q, (s[1] - a[1] - b01) % Q, (s[2] - a[2] - b10) % Q,
            (s[3] - a[3] - b11) % Q, (s[4] - a[4] - b20) % Q, (s[5] - a[5] - b21) % Q)


def f12_sqr(x):
    """x²: (g + hw)² = (g + h)(g + vh) − gh − v·gh + 2gh·w (two Fq6 products)."""
    g00, g01, g10, g11, g20, g21, h00, h01, h10, h11, h20, h21 = x
    c00, c01, c10, c11, c20, c21 = _m6(g00, g01, g10, g11, g20, g21, h00, h01, h10, h11, h20, h21)
    d = _m6(g00 + h00, g01 + h01, g10 + h10, g11 + h11, g20 + h20, g21 + h21,
            g00 + 9 * h20 - h21, g01 + h20 + 9 * h21, g10 + h00, g11 + h01, g20 + h10, g21 + h11)
    return ((d[0] - c00 - 9 * c20 + c21) % Q, (d[1] - c01 - c20 - 9 * c21) % Q,
            (d[2] - c10 - c00) % Q, (d[3] - c11 - c01) % Q,
            (d[4] - c20 - c10) % Q, (d[5] - c21 - c11) % Q,
            2 * c00 % Q, 2 * c01 % Q, 2 * c10 % Q, 2 * c11 % Q, 2 * c20 % Q, 2 * c21 % Q)


def f12_cyc_sqr(x):
    """x² for x in the cyclotomic subgroup (Granger–Scott, PKC 2010, §3.2; arkworks' order).

    Over Fq4 = Fq2[s]/(s² − ξ), s = w³, Fq12 = Fq4[w]/(w³ − s) and x = A + B·w + C·w²
    with A = g0 + h1·s, B = h0 + g2·s, C = g1 + h2·s.  In the subgroup
    x² = (3A² − 2Ā) + (3s·C² + 2B̄)·w + (3B² − 2C̄)·w², bar = conjugation over Fq2:
    three Fq4 squarings instead of two Fq6 products.
    """
    g00, g01, g10, g11, g20, g21, h00, h01, h10, h11, h20, h21 = x

    def sq4(a0, a1, b0, b1):   # (a + b s)², s² = ξ: returns (a² + ξb², 2ab), unreduced
        t0, t1 = (a0 + a1) * (a0 - a1), 2 * a0 * a1
        u0, u1 = (b0 + b1) * (b0 - b1), 2 * b0 * b1
        return t0 + 9 * u0 - u1, t1 + u0 + 9 * u1, 2 * (a0 * b0 - a1 * b1), 2 * (a0 * b1 + a1 * b0)

    a0, a1, b0, b1 = sq4(g00, g01, h10, h11)       # (g0 + h1 s)²
    c0, c1, d0, d1 = sq4(h00, h01, g20, g21)       # (h0 + g2 s)²
    e0, e1, f0, f1 = sq4(g10, g11, h20, h21)       # (g1 + h2 s)²
    return ((3 * a0 - 2 * g00) % Q, (3 * a1 - 2 * g01) % Q,
            (3 * c0 - 2 * g10) % Q, (3 * c1 - 2 * g11) % Q,
            (3 * e0 - 2 * g20) % Q, (3 * e1 - 2 * g21) % Q,
            (3 * (9 * f0 - f1) + 2 * h00) % Q, (3 * (f0 + 9 * f1) + 2 * h01) % Q,
            (3 * b0 + 2 * h10) % Q, (3 * b1 + 2 * h11) % Q,
            (3 * d0 + 2 * h20) % Q, (3 * d1 + 2 * h21) % Q)


def f12_conj(x):
    """x^(q⁶) = g − h·w (the inverse, for x in the cyclotomic subgroup)."""
    return x[:6] + tuple(-c % Q for c in x[6:])


def f12_inv(x):
    """x⁻¹ = (g − hw)/(g² − v·h²); raises ZeroDivisionError on 0."""
    g, h = x[:6], x[6:]
    a, b = _m6(*g, *g), _m6(*h, *h)
    n0, n1, n2 = ((a[0] - 9 * b[4] + b[5], a[1] - b[4] - 9 * b[5]),
                  (a[2] - b[0], a[3] - b[1]), (a[4] - b[2], a[5] - b[3]))
    n0, n1, n2 = [(c0 % Q, c1 % Q) for c0, c1 in (n0, n1, n2)]
    # Fq6 inverse of n = n0 + n1 v + n2 v²: t0 = n0² − ξn1n2, t1 = ξn2² − n0n1, t2 = n1² − n0n2
    t0 = _f2_sub(_f2_mul(*n0, *n0), _f2_xi(_f2_mul(*n1, *n2)))
    t1 = _f2_sub(_f2_xi(_f2_mul(*n2, *n2)), _f2_mul(*n0, *n1))
    t2 = _f2_sub(_f2_mul(*n1, *n1), _f2_mul(*n0, *n2))
    d0, d1 = _f2_mul(*n0, *t0)
    e0, e1 = _f2_xi(_f2_add(_f2_mul(*n2, *t1), _f2_mul(*n1, *t2)))
    d0, d1 = (d0 + e0) % Q, (d1 + e1) % Q
    norm = (d0 * d0 + d1 * d1) % Q
    if norm == 0:
        raise ZeroDivisionError("inverse of zero in Fq12")
    ni = pow(norm, -1, Q)
    di = (d0 * ni % Q, -d1 * ni % Q)
    m = [c for t in (t0, t1, t2) for c in _f2_mul(*t, *di)]
    gi = _m6(*m, *g)
    hi = _m6(*m, *h)
    return tuple(c % Q for c in gi) + tuple(-c % Q for c in hi)


def _f2_add(a, b):
    return (a[0] + b[0]) % Q, (a[1] + b[1]) % Q


def _f2_sub(a, b):
    return (a[0] - b[0]) % Q, (a[1] - b[1]) % Q


def _f2_xi(a):
    return (9 * a[0] - a[1]) % Q, (a[0] + 9 * a[1]) % Q


def f12_frob(x, n):
    """x^(qⁿ), n ∈ {1, 2, 3}: c·wᵏ ↦ c^(qⁿ)·FROB[n][k]·wᵏ (c^(qⁿ) = c̄ for odd n)."""
    gam = FROB[n]
    sign = -1 if n & 1 else 1
    out = []
    for i, k in enumerate((0, 2, 4, 1, 3, 5)):
        c0, c1 = x[2 * i], sign * x[2 * i + 1]
        out.extend(_f2_mul(c0, c1, *gam[k]))
    return tuple(out)


# ----------------------------------------------------------------- Miller loop

B3 = ((3 * B2[0]) % Q, (3 * B2[1]) % Q)


def _mul_line(f, l00, l01, l10, l11, l30, l31):
    """f · (l0 + l1·w + l3·w³), the sparse product; with L = l1 + l3·v (w³ = v·w):
    (g + hw)(l0 + Lw) = (g·l0 + v·h·L) + (g·L + h·l0)w."""
    g00, g01, g10, g11, g20, g21, h00, h01, h10, h11, h20, h21 = f
    # h·L = (h0 l1 + ξ h2 l3) + (h0 l3 + h1 l1)v + (h1 l3 + h2 l1)v², unreduced
    p0, p1 = h20 * l30 - h21 * l31, h20 * l31 + h21 * l30
    e00 = h00 * l10 - h01 * l11 + 9 * p0 - p1
    e01 = h00 * l11 + h01 * l10 + p0 + 9 * p1
    e10 = h00 * l30 - h01 * l31 + h10 * l10 - h11 * l11
    e11 = h00 * l31 + h01 * l30 + h10 * l11 + h11 * l10
    e20 = h10 * l30 - h11 * l31 + h20 * l10 - h21 * l11
    e21 = h10 * l31 + h11 * l30 + h20 * l11 + h21 * l10
    p0, p1 = g20 * l30 - g21 * l31, g20 * l31 + g21 * l30
    return ((g00 * l00 - g01 * l01 + 9 * e20 - e21) % Q,
            (g00 * l01 + g01 * l00 + e20 + 9 * e21) % Q,
            (g10 * l00 - g11 * l01 + e00) % Q, (g10 * l01 + g11 * l00 + e01) % Q,
            (g20 * l00 - g21 * l01 + e10) % Q, (g20 * l01 + g21 * l00 + e11) % Q,
            (g00 * l10 - g01 * l11 + 9 * p0 - p1 + h00 * l00 - h01 * l01) % Q,
            (g00 * l11 + g01 * l10 + p0 + 9 * p1 + h00 * l01 + h01 * l00) % Q,
            (g00 * l30 - g01 * l31 + g10 * l10 - g11 * l11 + h10 * l00 - h11 * l01) % Q,
            (g00 * l31 + g01 * l30 + g10 * l11 + g11 * l10 + h10 * l01 + h11 * l00) % Q,
            (g10 * l30 - g11 * l31 + g20 * l10 - g21 * l11 + h20 * l00 - h21 * l01) % Q,
            (g10 * l31 + g11 * l30 + g20 * l11 + g21 * l10 + h20 * l01 + h21 * l00) % Q)


def _dbl(T, xp, yp):
    """T ← 2T on E' (homogeneous projective), and the tangent line's (l0, l1, l3) at P."""
    X0, X1, Y0, Y1, Z0, Z1 = T
    a0, a1 = X0 * Y0 - X1 * Y1, X0 * Y1 + X1 * Y0                   # A = XY (halved below)
    b0, b1 = (Y0 + Y1) * (Y0 - Y1) % Q, 2 * Y0 * Y1 % Q              # B = Y²
    c0, c1 = (Z0 + Z1) * (Z0 - Z1) % Q, 2 * Z0 * Z1 % Q              # C = Z²
    e0, e1 = (B3[0] * c0 - B3[1] * c1) % Q, (B3[0] * c1 + B3[1] * c0) % Q   # E = 3b'C
    f0, f1 = 3 * e0, 3 * e1                                            # F = 3E
    g0, g1 = (b0 + f0) * _INV2 % Q, (b1 + f1) * _INV2 % Q             # G = (B + F)/2
    h0, h1 = 2 * (Y0 * Z0 - Y1 * Z1) % Q, 2 * (Y0 * Z1 + Y1 * Z0) % Q   # H = 2YZ
    j0, j1 = (X0 + X1) * (X0 - X1), 2 * X0 * X1                        # J = X²
    a0, a1 = a0 % Q * _INV2, a1 % Q * _INV2
    d0, d1 = b0 - f0, b1 - f1
    ee0, ee1 = (e0 + e1) * (e0 - e1), 2 * e0 * e1
    T[0], T[1] = (a0 * d0 - a1 * d1) % Q, (a0 * d1 + a1 * d0) % Q      # X = A(B − F)
    T[2] = ((g0 + g1) * (g0 - g1) - 3 * ee0) % Q                       # Y = G² − 3E²
    T[3] = (2 * g0 * g1 - 3 * ee1) % Q
    T[4], T[5] = (b0 * h0 - b1 * h1) % Q, (b0 * h1 + b1 * h0) % Q      # Z = BH
    return (-h0 * yp % Q, -h1 * yp % Q, 3 * j0 * xp % Q, 3 * j1 * xp % Q,
            (e0 - b0) % Q, (e1 - b1) % Q)


def _add(T, x0, x1, y0, y1, xp, yp):
    """T ← T + (x, y) (affine on E'), and the chord's (l0, l1, l3) at P."""
    X0, X1, Y0, Y1, Z0, Z1 = T
    t0, t1 = (Y0 - (y0 * Z0 - y1 * Z1)) % Q, (Y1 - (y0 * Z1 + y1 * Z0)) % Q   # θ = Y − yZ
    l0, l1 = (X0 - (x0 * Z0 - x1 * Z1)) % Q, (X1 - (x0 * Z1 + x1 * Z0)) % Q   # λ = X − xZ
    c0, c1 = (t0 + t1) * (t0 - t1) % Q, 2 * t0 * t1 % Q                      # C = θ²
    d0, d1 = (l0 + l1) * (l0 - l1) % Q, 2 * l0 * l1 % Q                      # D = λ²
    e0, e1 = (l0 * d0 - l1 * d1) % Q, (l0 * d1 + l1 * d0) % Q                # E = λD
    f0, f1 = (Z0 * c0 - Z1 * c1) % Q, (Z0 * c1 + Z1 * c0) % Q                # F = ZC
    g0, g1 = (X0 * d0 - X1 * d1) % Q, (X0 * d1 + X1 * d0) % Q                # G = XD
    h0, h1 = (e0 + f0 - 2 * g0) % Q, (e1 + f1 - 2 * g1) % Q                  # H = E + F − 2G
    T[0], T[1] = (l0 * h0 - l1 * h1) % Q, (l0 * h1 + l1 * h0) % Q            # X = λH
    k0, k1 = g0 - h0, g1 - h1
    T[2] = (t0 * k0 - t1 * k1 - (e0 * Y0 - e1 * Y1)) % Q                     # Y = θ(G − H) − EY
    T[3] = (t0 * k1 + t1 * k0 - (e0 * Y1 + e1 * Y0)) % Q
    T[4], T[5] = (Z0 * e0 - Z1 * e1) % Q, (Z0 * e1 + Z1 * e0) % Q            # Z = ZE
    return (l0 * yp % Q, l1 * yp % Q, -t0 * xp % Q, -t1 * xp % Q,
            (t0 * x0 - t1 * x1 - (l0 * y0 - l1 * y1)) % Q,                   # θx − λy
            (t0 * x1 + t1 * x0 - (l0 * y1 + l1 * y0)) % Q)


_INV2 = pow(2, -1, Q)


def miller_loop(pairs):
    """Π f_{6u+2,Qᵢ}(Pᵢ) · ℓ(π(Qᵢ)) · ℓ(−π²(Qᵢ)) with one shared f (no final exponentiation).

    ``pairs``: (P, Q) with P = (x, y) on E(Fq), Q = ((x0, x1), (y0, y1)) in G2, neither infinity.
    """
    work = []
    for (xp, yp), ((x0, x1), (y0, y1)) in pairs:
        work.append(([x0, x1, y0, y1, 1, 0], (x0, x1, y0, y1), (x0, x1, -y0 % Q, -y1 % Q), xp, yp))
    f = ONE
    for i in range(len(ATE_NAF) - 2, -1, -1):
        f = f12_sqr(f)
        for T, _, _, xp, yp in work:
            f = _mul_line(f, *_dbl(T, xp, yp))
        d = ATE_NAF[i]
        if d:
            for T, pos, neg, xp, yp in work:
                f = _mul_line(f, *_add(T, *(pos if d > 0 else neg), xp, yp))
    g12, g13, g22, g23 = FROB[1][2], FROB[1][3], FROB[2][2], FROB[2][3]
    for T, (x0, x1, y0, y1), _, xp, yp in work:
        q1 = (*_f2_mul(x0, -x1, *g12), *_f2_mul(y0, -y1, *g13))              # π(Q)
        x2, y2 = _f2_mul(x0, x1, *g22), _f2_mul(y0, y1, *g23)
        f = _mul_line(f, *_add(T, *q1, xp, yp))
        f = _mul_line(f, *_add(T, *x2, -y2[0] % Q, -y2[1] % Q, xp, yp))     # −π²(Q)
    return f


def _cyc_exp_u(f):
    """f^u for f in the cyclotomic subgroup (NAF of u; f⁻¹ = conjugate)."""
    fc = f12_conj(f)
    r = f
    for i in range(len(_U_NAF) - 2, -1, -1):
        r = f12_cyc_sqr(r)
        d = _U_NAF[i]
        if d:
            r = f12_mul(r, f if d > 0 else fc)
    return r


def final_exponentiation(f):
    """f^(m(q¹² − 1)/r), m = HARD_PART_M (see the module docstring)."""
    f = f12_mul(f12_conj(f), f12_inv(f))          # f^(q⁶ − 1)
    f = f12_mul(f12_frob(f, 2), f)                # ^(q² + 1): now cyclotomic
    # hard part, arkworks' chain; y0 = f^(−u) etc., exponents in the comments
    y0 = f12_conj(_cyc_exp_u(f))                  # −u
    y1 = f12_cyc_sqr(y0)                          # −2u
    y2 = f12_cyc_sqr(y1)                          # −4u
    y3 = f12_mul(y2, y1)                          # −6u
    y4 = f12_conj(_cyc_exp_u(y3))                 # 6u²
    y5 = f12_cyc_sqr(y4)                          # 12u²
    y6 = _cyc_exp_u(y5)                           # 12u³  (= conj of f^(−12u³))
    y3 = f12_conj(y3)                             # 6u
    y7 = f12_mul(y6, y4)                          # 12u³ + 6u²
    y8 = f12_mul(y7, y3)                          # 12u³ + 6u² + 6u
    y9 = f12_mul(y8, y1)                          # 12u³ + 6u² + 4u
    y10 = f12_mul(y8, y4)                         # 12u³ + 12u² + 6u
    y11 = f12_mul(y10, f)                         # 12u³ + 12u² + 6u + 1
    y13 = f12_mul(f12_frob(y9, 1), y11)           # + q(12u³ + 6u² + 4u)
    y14 = f12_mul(f12_frob(y8, 2), y13)           # + q²(12u³ + 6u² + 6u)
    y15 = f12_frob(f12_mul(f12_conj(f), y9), 3)   # q³(12u³ + 6u² + 4u − 1)
    return f12_mul(y15, y14)


def pairing(p, q):
    """e(P, Q)^m in Fq12 (m = HARD_PART_M); 1 when either point is infinity."""
    if p is None or q is None:
        return ONE
    return final_exponentiation(miller_loop([(p, q)]))


def pairing_product_is_one(pairs) -> bool:
    """True iff Π e(Pᵢ, Qᵢ) = 1; pairs with P or Q = None (infinity) are skipped."""
    live = [(p, q) for p, q in pairs if p is not None and q is not None]
    if not live:
        return True
    f = miller_loop(live)
    if not any(f):
        return False
    return final_exponentiation(f) == ONE


def _check():
    u, q, r = BN_U, Q_MOD, R_MOD
    phi = q ** 4 - q ** 2 + 1
    lam = [12 * u ** 3 + 12 * u ** 2 + 6 * u + 1, 12 * u ** 3 + 6 * u ** 2 + 4 * u,
           12 * u ** 3 + 6 * u ** 2 + 6 * u, 12 * u ** 3 + 6 * u ** 2 + 4 * u - 1]
    assert phi % r == 0 and sum(c * q ** i for i, c in enumerate(lam)) == HARD_PART_M * (phi // r)
    assert HARD_PART_M % r != 0, "hard-part multiple must be prime to r"
    assert sum(d << i for i, d in enumerate(ATE_NAF)) == 6 * u + 2 and ATE_NAF[-1] == 1
    assert sum(d << i for i, d in enumerate(_U_NAF)) == u and _U_NAF[-1] == 1
    assert FROB[2][3] == (q - 1, 0), "ξ^((q²−1)/2) must be −1"
    assert _f2_mul(*B2, *XI) == (3, 0), "b' must be 3/ξ"


_check()
