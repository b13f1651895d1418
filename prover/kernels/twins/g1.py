"""Pure-Python twin of ``g1.py``: BN254 G1 formulas on plain Python ints mod q.

Same formulas, same case analysis as the kernels, written out one line per
step (values are ordinary residues, not Montgomery form; a test converts the
kernel's Montgomery limbs before comparing).  Affine points are ``(x, y)``
tuples with ``None`` for infinity; Jacobian points are ``(X, Y, Z)`` meaning
(X/Z², Y/Z³) with Z = 0 for infinity.

  dbl-2009-l (2M + 5S), madd-2007-bl (7M + 4S), add-2007-bl (11M + 5S),
  affine chord/tangent: λ = (y₂ − y₁)/(x₂ − x₁) or 3x₁²/(2y₁),
  x₃ = λ² − x₁ − x₂, y₃ = λ(x₁ − x₃) − y₁.
"""

from verifier.fields import Q_MOD as Q

__all__ = [
    "INF_J", "jdouble", "jadd", "jadd_mixed", "to_affine", "batch_to_affine",
    "affine_add", "affine_neg", "scalar_mul",
]

#: Jacobian infinity (1 : 1 : 0)
INF_J = (1, 1, 0)


def jdouble(P):
    """dbl-2009-l."""
    X, Y, Z = P
    if Z == 0:
        return INF_J
    A = X * X % Q
    B = Y * Y % Q
    C = B * B % Q
    D = 2 * ((X + B) ** 2 - A - C) % Q
    E = 3 * A % Q
    F = E * E % Q
    X3 = (F - 2 * D) % Q
    Y3 = (E * (D - X3) - 8 * C) % Q
    Z3 = 2 * Y * Z % Q
    return (X3, Y3, Z3)


def jadd_mixed(P, q):
    """madd-2007-bl: Jacobian P plus affine q (None = infinity)."""
    if q is None:
        return P
    X1, Y1, Z1 = P
    x2, y2 = q
    if Z1 == 0:
        return (x2, y2, 1)
    Z1Z1 = Z1 * Z1 % Q
    U2 = x2 * Z1Z1 % Q
    S2 = y2 * Z1 * Z1Z1 % Q
    H = (U2 - X1) % Q
    r = 2 * (S2 - Y1) % Q
    if H == 0:
        return jdouble(P) if r == 0 else INF_J
    HH = H * H % Q
    I = 4 * HH % Q
    J = H * I % Q
    V = X1 * I % Q
    X3 = (r * r - J - 2 * V) % Q
    Y3 = (r * (V - X3) - 2 * Y1 * J) % Q
    Z3 = ((Z1 + H) ** 2 - Z1Z1 - HH) % Q
    return (X3, Y3, Z3)


def jadd(P, R):
    """add-2007-bl: Jacobian plus Jacobian."""
    X1, Y1, Z1 = P
    X2, Y2, Z2 = R
    if Z1 == 0:
        return R
    if Z2 == 0:
        return P
    Z1Z1 = Z1 * Z1 % Q
    Z2Z2 = Z2 * Z2 % Q
    U1 = X1 * Z2Z2 % Q
    U2 = X2 * Z1Z1 % Q
    S1 = Y1 * Z2 * Z2Z2 % Q
    S2 = Y2 * Z1 * Z1Z1 % Q
    H = (U2 - U1) % Q
    r = 2 * (S2 - S1) % Q
    if H == 0:
        return jdouble(P) if r == 0 else INF_J
    I = (2 * H) ** 2 % Q
    J = H * I % Q
    V = U1 * I % Q
    X3 = (r * r - J - 2 * V) % Q
    Y3 = (r * (V - X3) - 2 * S1 * J) % Q
    Z3 = ((Z1 + Z2) ** 2 - Z1Z1 - Z2Z2) * H % Q
    return (X3, Y3, Z3)


def to_affine(P):
    X, Y, Z = P
    if Z == 0:
        return None
    zi = pow(Z, -1, Q)
    return (X * zi * zi % Q, Y * zi * zi * zi % Q)


def batch_to_affine(Ps):
    """Montgomery's trick: prefix products of the nonzero Z, one inversion, unwind."""
    prefix, acc = [], 1
    for _, _, Z in Ps:
        prefix.append(acc)
        if Z:
            acc = acc * Z % Q
    inv = pow(acc, -1, Q)
    out = [None] * len(Ps)
    for i in range(len(Ps) - 1, -1, -1):
        X, Y, Z = Ps[i]
        if Z == 0:
            continue
        zi = inv * prefix[i] % Q
        inv = inv * Z % Q
        out[i] = (X * zi * zi % Q, Y * zi * zi * zi % Q)
    return out


def affine_neg(p):
    return None if p is None else (p[0], -p[1] % Q)


def affine_add(p, q):
    """Chord-and-tangent addition in affine coordinates (one inversion)."""
    if p is None:
        return q
    if q is None:
        return p
    (x1, y1), (x2, y2) = p, q
    if x1 == x2:
        if (y1 + y2) % Q == 0:
            return None
        lam = 3 * x1 * x1 * pow(2 * y1, -1, Q) % Q
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, Q) % Q
    x3 = (lam * lam - x1 - x2) % Q
    return (x3, (lam * (x1 - x3) - y1) % Q)


def scalar_mul(p, k: int):
    """Left-to-right double-and-add over the 256 bits of k (as the kernel): Jacobian result."""
    acc = INF_J
    for b in range(255, -1, -1):
        acc = jdouble(acc)
        if (k >> b) & 1:
            acc = jadd_mixed(acc, p)
    return acc
