"""verifier.curve: group laws, validation of untrusted points, the pairing check.

Independent arithmetic here (plain ints: the curve equations, an Fq2 square
root) builds the bad inputs; py_ecc is reached only through verifier.curve.
"""

import random

import pytest

from verifier import curve
from verifier.curve import CurveError
from verifier.fields import Q_MOD as Q
from verifier.fields import R_MOD as R

G, H = curve.G1_GEN, curve.G2_GEN
RNG = random.Random(20240611)


# ------------------------------------------------------------ Fq2 = Fq[u]/(u²+1), plain ints

def f2_mul(a, b):
    return ((a[0] * b[0] - a[1] * b[1]) % Q, (a[0] * b[1] + a[1] * b[0]) % Q)


def f2_sqrt(a):
    """A square root in Fq2 (q ≡ 3 mod 4), or None: via the norm a0² + a1²."""
    norm = (a[0] * a[0] + a[1] * a[1]) % Q
    n = pow(norm, (Q + 1) // 4, Q)
    if n * n % Q != norm:
        return None
    for t in (n, -n):
        x0sq = (a[0] + t) * pow(2, -1, Q) % Q
        x0 = pow(x0sq, (Q + 1) // 4, Q)
        if x0 * x0 % Q == x0sq and x0 != 0:
            x = (x0, a[1] * pow(2 * x0, -1, Q) % Q)
            assert f2_mul(x, x) == (a[0] % Q, a[1] % Q)
            return x
    return None


def twist_point_outside_g2():
    """Try x = (i, 1) until x³ + b₂ is a square: a point on E'(Fq2), almost surely not of order r."""
    for i in range(1, 1000):
        x = (i, 1)
        rhs = f2_mul(f2_mul(x, x), x)
        rhs = ((rhs[0] + curve.B2[0]) % Q, (rhs[1] + curve.B2[1]) % Q)
        y = f2_sqrt(rhs)
        if y is not None:
            return (x, y)
    raise AssertionError("no twist point found")


# ------------------------------------------------------------ constants and group law

def test_generators_and_constants():
    assert curve.g1_is_on_curve(G) and (G[1] ** 2 - G[0] ** 3 - 3) % Q == 0
    assert curve.g2_is_on_curve(H) and curve.g2_in_subgroup(H)
    assert f2_mul(curve.B2, (9, 1)) == (3, 0)
    assert curve.g1_mul(G, R) is None and curve.g1_mul(G, 0) is None
    assert curve.g2_mul(H, R) is None


def test_g1_group_law():
    a, b = RNG.randrange(R), RNG.randrange(R)
    A, B = curve.g1_mul(G, a), curve.g1_mul(G, b)
    assert curve.g1_add(A, B) == curve.g1_mul(G, a + b)
    assert curve.g1_add(A, A) == curve.g1_mul(G, 2 * a)
    assert curve.g1_add(A, curve.g1_neg(A)) is None
    assert curve.g1_add(A, None) == A and curve.g1_add(None, None) is None
    assert curve.g1_mul(A, -1) == curve.g1_neg(A) == (A[0], Q - A[1])
    assert curve.g1_mul(A, R + 5) == curve.g1_mul(A, 5)
    assert curve.g1_sum([A, B, None, curve.g1_neg(A)]) == B
    assert curve.g1_sum([]) is None
    assert curve.g1_lincomb([A, B, None], [3, R - 1, 7]) == curve.g1_mul(G, 3 * a - b)
    with pytest.raises(ValueError):
        curve.g1_lincomb([A], [1, 2])


def test_g2_group_law():
    a = RNG.randrange(R)
    A = curve.g2_mul(H, a)
    assert curve.g2_is_on_curve(A) and curve.g2_in_subgroup(A)
    assert curve.g2_add(A, H) == curve.g2_mul(H, a + 1)
    assert curve.g2_add(A, curve.g2_neg(A)) is None
    assert curve.g2_neg(None) is None and curve.g2_add(None, A) == A


# ------------------------------------------------------------ validation

def test_g1_validate_accepts_and_rejects():
    P = curve.g1_mul(G, RNG.randrange(1, R))
    assert curve.g1_validate(*P) == P
    assert curve.g1_validate(0, 0, allow_infinity=True) is None
    bad = [
        ((0, 0), "infinity"),
        ((1, 3), "not on the curve"),
        ((P[0], (P[1] + 1) % Q), "not on the curve"),
        ((P[0] + Q, P[1]), "not in [0, q)"),
        ((P[0], P[1] + Q), "not in [0, q)"),
        ((-1, 2), "not in [0, q)"),
        ((1.0, 2), "integer"),
        ((True, 2), "integer"),
    ]
    for (x, y), why in bad:
        with pytest.raises(CurveError) as e:
            curve.g1_validate(x, y)
        assert why in str(e.value) and "\n" not in str(e.value)
    assert issubclass(CurveError, ValueError)


def test_g2_validate_rejects_off_curve_big_coords_and_outside_subgroup():
    Qp = curve.g2_mul(H, RNG.randrange(1, R))
    assert curve.g2_validate(*Qp) == Qp
    assert curve.g2_validate((0, 0), (0, 0), allow_infinity=True) is None
    with pytest.raises(CurveError, match="infinity"):
        curve.g2_validate((0, 0), (0, 0))
    (x0, x1), (y0, y1) = Qp
    with pytest.raises(CurveError, match="not on the twist"):
        curve.g2_validate((x0, x1), (y0, (y1 + 1) % Q))
    with pytest.raises(CurveError, match=r"not in \[0, q\)"):
        curve.g2_validate((x0 + Q, x1), (y0, y1))
    with pytest.raises(CurveError, match="pairs"):
        curve.g2_validate(x0, (y0, y1))
    T = twist_point_outside_g2()
    assert curve.g2_is_on_curve(T)
    assert not curve.g2_in_subgroup(T)
    with pytest.raises(CurveError, match="subgroup"):
        curve.g2_validate(*T)


# ------------------------------------------------------------ pairing

def test_pairing_check_bilinear_relation():
    a, b = RNG.randrange(1, R), RNG.randrange(1, R)
    aP, bQ = curve.g1_mul(G, a), curve.g2_mul(H, b)
    good = [(aP, bQ), (curve.g1_mul(G, -a * b), H)]
    assert curve.pairing_check(good) is True
    bad = [(aP, bQ), (curve.g1_mul(G, -a * b + 1), H)]
    assert curve.pairing_check(bad) is False


def test_pairing_check_swapped_sides_and_infinity():
    a = RNG.randrange(1, R)
    # e(aP, Q) = e(P, aQ)
    assert curve.pairing_check([(curve.g1_mul(G, a), H), (curve.g1_neg(G), curve.g2_mul(H, a))])
    # pairs with infinity contribute 1; a single nontrivial pairing is not 1
    assert curve.pairing_check([(None, H), (G, None), (None, None)]) is True
    assert curve.pairing_check([]) is True
    assert curve.pairing_check([(G, H), (None, H)]) is False


def test_pairing_check_rejects_off_curve():
    with pytest.raises(CurveError):
        curve.pairing_check([((1, 3), H)])
