"""verifier.pairing against py_ecc (the reference nobody here wrote).

Field arithmetic is compared element by element through the basis change to
py_ecc's FQ12 = Fq[w]/(w¹² − 18w⁶ + 82) (same w, w⁶ = 9 + u); the pairing value
e(P, Q) is compared with py_ecc's e(P, Q)^m (m = 2u(6u² + 3u + 1), the multiple
the Fuentes-Castañeda hard part computes); verdicts of pairing_product_is_one
are checked on true and false products of 1–4 pairs.  Points are made with
py_ecc directly, so no code under test builds the test's inputs.
"""

import random

import pytest
from py_ecc import optimized_bn128 as bn

from verifier import curve
from verifier import pairing as pr
from verifier.fields import BN_U, Q_MOD as Q, R_MOD as R

RNG = random.Random(20260611)


def to_py(x):
    """Our flat Fq12 tuple → py_ecc FQ12: c·wᵏ (c = c0 + c1·u, u = w⁶ − 9) → (c0 − 9c1)wᵏ + c1·wᵏ⁺⁶."""
    c = [0] * 12
    for i, k in enumerate((0, 2, 4, 1, 3, 5)):
        c0, c1 = x[2 * i], x[2 * i + 1]
        c[k] = (c0 - 9 * c1) % Q
        c[k + 6] = c1 % Q
    return bn.FQ12(c)


def g1(k):
    x, y = bn.normalize(bn.multiply(bn.G1, k % R))
    return (int(x.n), int(y.n))


def g2(k):
    x, y = bn.normalize(bn.multiply(bn.G2, k % R))
    return (tuple(int(c) for c in x.coeffs), tuple(int(c) for c in y.coeffs))


def py_pairing(p, q):
    P = (bn.FQ(p[0]), bn.FQ(p[1]), bn.FQ.one())
    Qp = (bn.FQ2(list(q[0])), bn.FQ2(list(q[1])), bn.FQ2.one())
    return bn.pairing(Qp, P)


def rand_f12():
    return tuple(RNG.randrange(Q) for _ in range(12))


def f12_pow(x, e):
    out = pr.ONE
    for bit in bin(e)[2:]:
        out = pr.f12_sqr(out)
        if bit == "1":
            out = pr.f12_mul(out, x)
    return out


# ------------------------------------------------------------ Fq12 arithmetic

def test_field_operations_match_py_ecc():
    for _ in range(3):
        a, b = rand_f12(), rand_f12()
        A, B = to_py(a), to_py(b)
        assert to_py(pr.f12_mul(a, b)) == A * B
        assert to_py(pr.f12_sqr(a)) == A * A
        assert to_py(pr.f12_inv(a)) == A.inv()
    assert to_py(pr.f12_conj(a)) == A ** (Q ** 6)
    for n in (1, 2, 3):
        assert to_py(pr.f12_frob(a, n)) == A ** (Q ** n)
    assert pr.f12_mul(pr.ONE, a) == a and to_py(pr.ONE) == bn.FQ12.one()


def test_cyclotomic_square_equals_square_in_the_subgroup():
    a = rand_f12()
    c = pr.f12_mul(pr.f12_conj(a), pr.f12_inv(a))
    c = pr.f12_mul(pr.f12_frob(c, 2), c)           # a^((q⁶−1)(q²+1)): cyclotomic
    assert pr.f12_mul(c, pr.f12_conj(c)) == pr.ONE
    assert pr.f12_cyc_sqr(c) == pr.f12_sqr(c)
    assert pr.f12_cyc_sqr(a) != pr.f12_sqr(a)      # the shortcut is wrong outside it


def test_inverse_of_zero_raises():
    with pytest.raises(ZeroDivisionError):
        pr.f12_inv((0,) * 12)


def test_hard_part_exponent_is_a_multiple_prime_to_r():
    u = BN_U
    lam = (12 * u**3 + 12 * u**2 + 6 * u + 1) + (12 * u**3 + 6 * u**2 + 4 * u) * Q \
        + (12 * u**3 + 6 * u**2 + 6 * u) * Q**2 + (12 * u**3 + 6 * u**2 + 4 * u - 1) * Q**3
    phi = Q**4 - Q**2 + 1
    assert lam == pr.HARD_PART_M * (phi // R) and phi % R == 0
    assert pr.HARD_PART_M == 2 * u * (6 * u * u + 3 * u + 1) and pr.HARD_PART_M % R != 0
    assert sum(d << i for i, d in enumerate(pr.ATE_NAF)) == 6 * u + 2
    assert all(not (a and b) for a, b in zip(pr.ATE_NAF, pr.ATE_NAF[1:]))


def test_final_exponentiation_matches_py_ecc():
    f = rand_f12()
    assert to_py(pr.final_exponentiation(f)) == bn.final_exponentiate(to_py(f)) ** pr.HARD_PART_M


# ------------------------------------------------------------ the pairing value

@pytest.mark.parametrize("a,b", [(1, 1), (RNG.randrange(1, R), RNG.randrange(1, R))],
                         ids=["generators", "random"])
def test_pairing_value_is_py_ecc_pairing_to_the_m(a, b):
    p, q = g1(a), g2(b)
    ours = pr.pairing(p, q)
    ref = py_pairing(p, q)
    assert to_py(ours) == ref ** pr.HARD_PART_M
    assert ours != pr.ONE and f12_pow(ours, R) == pr.ONE      # non-degenerate, order r


def test_pairing_with_infinity_is_one():
    assert pr.pairing(None, g2(3)) == pr.ONE and pr.pairing(g1(3), None) == pr.ONE


# ------------------------------------------------------------ product-is-one verdicts

def test_bilinearity_true_and_false():
    a, b = RNG.randrange(1, R), RNG.randrange(1, R)
    P, Qg = g1(1), g2(1)
    aP, bQ = g1(a), g2(b)
    assert pr.pairing_product_is_one([(aP, bQ), (g1(-a * b), Qg)])
    assert not pr.pairing_product_is_one([(aP, bQ), (g1(-a * b + 1), Qg)])
    assert not pr.pairing_product_is_one([(aP, bQ), (g1(a * b), Qg)])
    assert pr.pairing_product_is_one([(aP, bQ), (P, g2(-a * b))])


def test_three_and_four_pairs():
    a, b, c = (RNG.randrange(1, R) for _ in range(3))
    Q1, Q2 = g2(c), g2(c * 7 + 1)
    P = g1(1)
    four = [(g1(a), Q1), (g1(b), Q2), (g1(-1), g2(a * c)), (g1(-1), g2(b * (c * 7 + 1)))]
    assert pr.pairing_product_is_one(four)
    assert not pr.pairing_product_is_one(four[:3] + [(g1(-2), g2(b * (c * 7 + 1)))])
    # e(aP, Q) e(bP, Q) e(−(a+b)P, Q) = 1
    three = [(g1(a), Q1), (g1(b), Q1), (g1(-(a + b)), Q1)]
    assert pr.pairing_product_is_one(three)
    assert not pr.pairing_product_is_one(three[:2] + [(g1(-(a + b)), Q2)])
    assert not pr.pairing_product_is_one([(P, Q1), (P, Q1), (g1(-1), Q1)])


def test_infinity_pairs_are_skipped():
    P, Qg = g1(5), g2(9)
    assert pr.pairing_product_is_one([])
    assert pr.pairing_product_is_one([(None, Qg), (P, None), (None, None)])
    assert not pr.pairing_product_is_one([(P, Qg), (None, Qg)])          # e(P, Q) ≠ 1
    assert not pr.pairing_product_is_one([(P, Qg)])
    assert pr.pairing_product_is_one([(P, Qg), (None, Qg), (g1(-5), g2(9))])


def test_verdicts_agree_with_py_ecc_on_random_products():
    """A random 2-pair product: py_ecc's product and ours give the same verdict and value^m."""
    p1, q1, p2, q2 = g1(RNG.randrange(R)), g2(RNG.randrange(R)), g1(RNG.randrange(R)), g2(RNG.randrange(R))
    ref = py_pairing(p1, q1) * py_pairing(p2, q2)
    ours = pr.final_exponentiation(pr.miller_loop([(p1, q1), (p2, q2)]))
    assert to_py(ours) == ref ** pr.HARD_PART_M
    assert ref != bn.FQ12.one()
    assert pr.pairing_product_is_one([(p1, q1), (p2, q2)]) is False
    # and a true product built from the same points: e(P1, Q1)·e(−P1, Q1) = 1
    assert pr.pairing_product_is_one([(p1, q1), (p2, q2), ((p1[0], -p1[1] % Q), q1)]) \
        is (py_pairing(p2, q2) == bn.FQ12.one())


def test_curve_pairing_check_uses_it_and_still_checks_curves():
    P, Qg = g1(11), g2(13)
    assert curve.pairing_check([(P, Qg), (g1(-11), Qg)])
    assert not curve.pairing_check([(P, Qg), (g1(-10), Qg)])
    assert curve.pairing_check([(None, Qg), (P, None)])
    with pytest.raises(curve.CurveError):
        curve.pairing_check([((P[0], (P[1] + 1) % Q), Qg)])
    with pytest.raises(curve.CurveError):
        curve.pairing_check([(P, (Qg[0], (Qg[1][0] + 1, Qg[1][1])))])
