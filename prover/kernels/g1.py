"""BN254 G1 kernels (y² = x³ + 3 over Fq) on Montgomery uint64 limbs.

Role: point arithmetic for the MSM and for everything that moves G1 points
inside the prover.  Coordinates are Fq elements in Montgomery form (``fq.py``).

Layouts
  affine   ``(n, 2, 4)`` uint64: [x, y]; infinity is all-zero (x = y = 0 is not
           on the curve since b = 3 ≠ 0, so the encoding is unambiguous).
  Jacobian ``(n, 3, 4)`` uint64: [X, Y, Z] meaning (X/Z², Y/Z³); infinity is Z = 0.
Scalar-level kernels pass one coordinate as a 4-tuple of limbs and a point as a
tuple of coordinates (they stay in registers after inlining).  The one-line
helpers (``_m``, ``_load_a``, ``_store``, …) are ``inline="always"``: Numba
splices them into their callers instead of compiling each as a function of its
own (every compiled function costs ~0.1 s of cold start).

Formulas (Explicit-Formulas Database, short Weierstrass a = 0, Jacobian):
  dbl-2009-l    A=X², B=Y², C=B², D=2((X+B)²−A−C), E=3A, F=E²,
                X3=F−2D, Y3=E(D−X3)−8C, Z3=2YZ                      (2M + 5S)
  madd-2007-bl  Z1Z1=Z1², U2=X2·Z1Z1, S2=Y2·Z1·Z1Z1, H=U2−X1, HH=H², I=4HH,
                J=H·I, r=2(S2−Y1), V=X1·I, X3=r²−J−2V, Y3=r(V−X3)−2Y1·J,
                Z3=(Z1+H)²−Z1Z1−HH                                  (7M + 4S)
  add-2007-bl   U1=X1·Z2Z2, U2=X2·Z1Z1, S1=Y1·Z2·Z2Z2, S2=Y2·Z1·Z1Z1, H=U2−U1,
                I=(2H)², J=H·I, r=2(S2−S1), V=U1·I, X3=r²−J−2V,
                Y3=r(V−X3)−2S1·J, Z3=((Z1+Z2)²−Z1Z1−Z2Z2)·H        (11M + 5S)
The add formulas are incomplete: H = 0 means equal x, so P = Q (r = 0: double)
or P = −Q (result infinity); both cases are branched on explicitly.
Normalisation to affine batches the Z inversions with Montgomery's trick.
"""

import numpy as np
from numba import njit

from . import convert, fq

__all__ = [
    "INF_J", "jdouble", "jadd", "jadd_mixed", "to_affine1",
    "affine_to_jac", "jac_to_affine", "add_vec", "add_mixed_vec", "double_vec",
    "neg_affine_vec", "scalar_mul", "points_to_array", "array_to_points",
]

_Z = np.uint64(0)
_ONE = np.uint64(1)
_F1 = (fq.ONE0, fq.ONE1, fq.ONE2, fq.ONE3)     # Montgomery 1
_F0 = (_Z, _Z, _Z, _Z)
#: Jacobian infinity (1 : 1 : 0)
INF_J = (_F1, _F1, _F0)


# ----------------------------------------------------------------- Fq on 4-tuples

@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _m(a, b):
    return fq.mul_ti(a, b)


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _s(a):
    return fq.sqr_ti(a)


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _a(a, b):
    return fq.add(a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3])


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _d(a, b):
    return fq.sub(a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3])


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _x2(a):
    return fq.add(a[0], a[1], a[2], a[3], a[0], a[1], a[2], a[3])


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _z(a):
    return (a[0] | a[1] | a[2] | a[3]) == _Z


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _inv(a):
    return fq.inv(a[0], a[1], a[2], a[3])


# ----------------------------------------------------------------- scalar level

@njit(cache=True)
def jdouble(P):
    """2P, dbl-2009-l; infinity (Z = 0) stays infinity (no 2-torsion on G1)."""
    X, Y, Z = P
    if _z(Z):
        return INF_J
    A = _s(X)
    B = _s(Y)
    C = _s(B)
    D = _x2(_d(_d(_s(_a(X, B)), A), C))
    E = _a(_x2(A), A)
    F = _s(E)
    X3 = _d(F, _x2(D))
    C8 = _x2(_x2(_x2(C)))
    Y3 = _d(_m(E, _d(D, X3)), C8)
    Z3 = _x2(_m(Y, Z))
    return (X3, Y3, Z3)


@njit(cache=True)
def jadd_mixed(P, Q):
    """P + Q for Jacobian P and affine Q = (x, y) (all-zero = infinity), madd-2007-bl."""
    X1, Y1, Z1 = P
    x2, y2 = Q
    if _z(x2) and _z(y2):
        return P
    if _z(Z1):
        return (x2, y2, _F1)
    Z1Z1 = _s(Z1)
    U2 = _m(x2, Z1Z1)
    S2 = _m(y2, _m(Z1, Z1Z1))
    H = _d(U2, X1)
    R = _x2(_d(S2, Y1))
    if _z(H):
        if _z(R):
            return jdouble(P)
        return INF_J
    HH = _s(H)
    I = _x2(_x2(HH))
    J = _m(H, I)
    V = _m(X1, I)
    X3 = _d(_d(_s(R), J), _x2(V))
    Y3 = _d(_m(R, _d(V, X3)), _x2(_m(Y1, J)))
    Z3 = _d(_d(_s(_a(Z1, H)), Z1Z1), HH)
    return (X3, Y3, Z3)


@njit(cache=True)
def jadd(P, Q):
    """P + Q for Jacobian P, Q, add-2007-bl."""
    X1, Y1, Z1 = P
    X2, Y2, Z2 = Q
    if _z(Z1):
        return Q
    if _z(Z2):
        return P
    Z1Z1 = _s(Z1)
    Z2Z2 = _s(Z2)
    U1 = _m(X1, Z2Z2)
    U2 = _m(X2, Z1Z1)
    S1 = _m(Y1, _m(Z2, Z2Z2))
    S2 = _m(Y2, _m(Z1, Z1Z1))
    H = _d(U2, U1)
    R = _x2(_d(S2, S1))
    if _z(H):
        if _z(R):
            return jdouble(P)
        return INF_J
    I = _s(_x2(H))
    J = _m(H, I)
    V = _m(U1, I)
    X3 = _d(_d(_s(R), J), _x2(V))
    Y3 = _d(_m(R, _d(V, X3)), _x2(_m(S1, J)))
    Z3 = _m(_d(_d(_s(_a(Z1, Z2)), Z1Z1), Z2Z2), H)
    return (X3, Y3, Z3)


@njit(cache=True)
def to_affine1(P):
    """One Jacobian point → affine (x, y) tuple; infinity → (0, 0).  One inversion."""
    X, Y, Z = P
    if _z(Z):
        return (_F0, _F0)
    zi = _inv(Z)
    zi2 = _s(zi)
    return (_m(X, zi2), _m(Y, _m(zi2, zi)))


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _load_j(J, i):
    return ((J[i, 0, 0], J[i, 0, 1], J[i, 0, 2], J[i, 0, 3]),
            (J[i, 1, 0], J[i, 1, 1], J[i, 1, 2], J[i, 1, 3]),
            (J[i, 2, 0], J[i, 2, 1], J[i, 2, 2], J[i, 2, 3]))


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _load_a(P, i):
    return ((P[i, 0, 0], P[i, 0, 1], P[i, 0, 2], P[i, 0, 3]),
            (P[i, 1, 0], P[i, 1, 1], P[i, 1, 2], P[i, 1, 3]))


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _store(out, i, pt):
    for c in range(len(pt)):
        for k in range(4):
            out[i, c, k] = pt[c][k]


# ----------------------------------------------------------------- vectors

@njit(cache=True)
def affine_to_jac(P):
    """(n, 2, 4) affine → (n, 3, 4) Jacobian (Z = 1, or Z = 0 for infinity)."""
    n = P.shape[0]
    out = np.zeros((n, 3, 4), dtype=np.uint64)
    for i in range(n):
        x, y = _load_a(P, i)
        if _z(x) and _z(y):
            _store(out, i, INF_J)
        else:
            _store(out, i, (x, y, _F1))
    return out


@njit(cache=True)
def jac_to_affine(J):
    """(n, 3, 4) Jacobian → (n, 2, 4) affine with ONE inversion (Montgomery's trick)."""
    n = J.shape[0]
    out = np.zeros((n, 2, 4), dtype=np.uint64)
    pre = np.empty((n, 4), dtype=np.uint64)
    acc = _F1
    for i in range(n):                    # pre[i] = product of the nonzero Z before i
        for k in range(4):
            pre[i, k] = acc[k]
        Z = (J[i, 2, 0], J[i, 2, 1], J[i, 2, 2], J[i, 2, 3])
        if not _z(Z):
            acc = _m(acc, Z)
    inv = _inv(acc)
    for i in range(n - 1, -1, -1):
        X, Y, Z = _load_j(J, i)
        if _z(Z):
            continue                      # infinity stays all-zero
        zi = _m(inv, (pre[i, 0], pre[i, 1], pre[i, 2], pre[i, 3]))
        inv = _m(inv, Z)
        zi2 = _s(zi)
        _store(out, i, (_m(X, zi2), _m(Y, _m(zi2, zi))))
    return out


@njit(cache=True)
def add_vec(J1, J2):
    """Elementwise Jacobian + Jacobian."""
    out = np.empty_like(J1)
    for i in range(J1.shape[0]):
        _store(out, i, jadd(_load_j(J1, i), _load_j(J2, i)))
    return out


@njit(cache=True)
def add_mixed_vec(J, P):
    """Elementwise Jacobian + affine."""
    out = np.empty_like(J)
    for i in range(J.shape[0]):
        _store(out, i, jadd_mixed(_load_j(J, i), _load_a(P, i)))
    return out


@njit(cache=True)
def double_vec(J):
    out = np.empty_like(J)
    for i in range(J.shape[0]):
        _store(out, i, jdouble(_load_j(J, i)))
    return out


@njit(cache=True)
def neg_affine_vec(P):
    """(x, y) → (x, −y); infinity (0, 0) stays (0, 0) since −0 = 0."""
    out = np.empty_like(P)
    for i in range(P.shape[0]):
        x, y = _load_a(P, i)
        _store(out, i, (x, fq.neg(y[0], y[1], y[2], y[3])))
    return out


@njit(cache=True)
def scalar_mul(P, k):
    """[k]P for affine P (2, 4) and plain (non-Montgomery) scalar limbs k (4,): (3, 4) Jacobian.

    Left-to-right double-and-add with mixed additions.  k is used as given
    (any 256-bit value); [k]P for k ≥ r equals [k mod r]P anyway.
    """
    Q = ((P[0, 0], P[0, 1], P[0, 2], P[0, 3]), (P[1, 0], P[1, 1], P[1, 2], P[1, 3]))
    acc = INF_J
    for w in range(3, -1, -1):
        limb = k[w]
        for b in range(63, -1, -1):
            acc = jdouble(acc)
            if (limb >> np.uint64(b)) & _ONE:
                acc = jadd_mixed(acc, Q)
    out = np.empty((3, 4), dtype=np.uint64)
    for c in range(3):
        for j in range(4):
            out[c, j] = acc[c][j]
    return out


# ----------------------------------------------------------------- object boundary

def points_to_array(points) -> np.ndarray:
    """list of ``verifier.curve`` G1 points (None = infinity) → (n, 2, 4) Montgomery affine."""
    coords = []
    for p in points:
        coords.extend((0, 0) if p is None else (int(p[0]), int(p[1])))
    if not coords:
        return np.zeros((0, 2, 4), dtype=np.uint64)
    return convert.fq_from_ints(coords).reshape(-1, 2, 4)


def array_to_points(arr) -> list:
    """(n, 2, 4) or (2, 4) Montgomery affine → list of (x, y) int tuples, None for all-zero."""
    a = np.ascontiguousarray(arr, dtype=np.uint64).reshape(-1, 2, 4)
    if a.shape[0] == 0:
        return []
    ints = convert.fq_to_ints(a.reshape(-1, 4))
    return [None if ints[2 * i] == 0 and ints[2 * i + 1] == 0 else (ints[2 * i], ints[2 * i + 1])
            for i in range(a.shape[0])]
