"""Polynomial kernels against the pure-Python twin and galois.Poly."""

import random

import galois
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from prover.kernels import convert as cv
from prover.kernels import ntt, poly
from prover.kernels.twins import poly as twin
from verifier.fields import R_MOD, root_of_unity

GF = galois.GF(R_MOD, primitive_element=5, verify=False)   # known generator: no slow search
elem = st.integers(min_value=0, max_value=R_MOD - 1)
coeff_lists = st.lists(elem, min_size=0, max_size=40)
EDGE_POINTS = [0, 1, R_MOD - 1, 2, (R_MOD - 1) // 2]


def arr(xs):
    return cv.fr_from_ints(xs) if len(xs) else np.zeros((0, 4), dtype=np.uint64)


def ints(a):
    """Field values of a kernel output, after checking its limbs are canonical (< r)."""
    a = a.reshape(-1, 4)
    assert a.dtype == np.uint64
    assert all(x < R_MOD for x in cv.limbs_to_ints(a)), "non-canonical Montgomery limbs"
    return cv.fr_to_ints(a) if a.shape[0] else []


def one(a):
    assert a.shape == (4,)
    return ints(a)[0]


def gpoly(c):
    return galois.Poly(GF(c), order="asc") if c else galois.Poly([0], field=GF)


def rand(n, seed):
    rng = random.Random(seed)
    return [rng.randrange(R_MOD) for _ in range(n)]


@settings(max_examples=30, deadline=None)
@given(coeff_lists, elem)
def test_evaluate_against_twin_and_galois(c, z):
    got = one(poly.evaluate(arr(c), cv.fr_scalar(z)))
    assert got == twin.evaluate(c, z)
    assert got == int(gpoly(c)(GF(z)))


@pytest.mark.parametrize("n", [16383, 16384, 16385, 50_001])
def test_evaluate_long_parallel_path(n):
    c = rand(n, n)
    for z in [rand(1, n + 1)[0], 0, 1, R_MOD - 1]:
        assert one(poly.evaluate(arr(c), cv.fr_scalar(z))) == twin.evaluate(c, z)


@settings(max_examples=30, deadline=None)
@given(coeff_lists, elem)
def test_div_by_linear(c, z):
    q, rem = poly.div_by_linear(arr(c), cv.fr_scalar(z))
    qi, ri = ints(q), one(rem)
    assert (qi, ri) == twin.div_by_linear(c, z)
    assert ri == twin.evaluate(c, z)
    # q·(X − z) + ρ = p
    assert twin.add(twin.mul(qi, [(-z) % R_MOD, 1]), [ri]) == twin.add([x % R_MOD for x in c], [0])
    if len(c) >= 2:
        gq, gr = divmod(gpoly(c), galois.Poly(GF([1, (-z) % R_MOD])))
        assert gpoly(qi) == gq and int(gr.coeffs[-1]) == ri


@pytest.mark.parametrize("z", EDGE_POINTS)
def test_div_by_linear_exact_quotient(z):
    c = rand(257, z % 1000)
    p = twin.sub(c, [twin.evaluate(c, z)])                    # p(z) = 0
    q, rem = poly.div_by_linear(arr(p), cv.fr_scalar(z))
    assert one(rem) == 0
    assert twin.mul(ints(q), [(-z) % R_MOD, 1]) == p


def test_div_by_linear_short_inputs():
    q, rem = poly.div_by_linear(arr([]), cv.fr_scalar(5))
    assert q.shape == (0, 4) and one(rem) == 0
    q, rem = poly.div_by_linear(arr([7]), cv.fr_scalar(5))
    assert q.shape == (0, 4) and one(rem) == 7
    q, rem = poly.div_by_linear(arr([7, 3]), cv.fr_scalar(5))    # 3X + 7 = 3(X − 5) + 22
    assert ints(q) == [3] and one(rem) == 22


@settings(max_examples=20, deadline=None)
@given(st.lists(elem, min_size=0, max_size=70), st.lists(elem, min_size=0, max_size=70))
def test_mul_ntt_against_schoolbook_and_galois(a, b):
    got = ints(poly.mul_ntt(arr(a), arr(b)))
    assert got == twin.mul(a, b)
    if a and b:
        assert gpoly(got) == gpoly(a) * gpoly(b)


@pytest.mark.parametrize("la,lb", [(1, 1), (1, 16), (8, 9), (9, 9), (16, 17), (300, 1000)])
def test_mul_ntt_sizes_at_power_of_two_boundaries(la, lb):
    a, b = rand(la, la), rand(lb, lb + 1)
    got = ints(poly.mul_ntt(arr(a), arr(b)))
    assert len(got) == la + lb - 1
    assert got == twin.mul(a, b)


def test_mul_ntt_all_minus_one():
    a = [R_MOD - 1] * 33
    assert ints(poly.mul_ntt(arr(a), arr(a))) == twin.mul(a, a)


@settings(max_examples=20, deadline=None)
@given(coeff_lists, coeff_lists, elem)
def test_add_sub_scale(a, b, s):
    assert ints(poly.add(arr(a), arr(b))) == twin.add(a, b)
    assert ints(poly.sub(arr(a), arr(b))) == twin.sub(a, b)
    assert ints(poly.scale(arr(a), cv.fr_scalar(s))) == twin.scale(a, s)


def test_add_sub_long_parallel_path():
    a, b = rand(20_000, 1), rand(17_000, 2)
    assert ints(poly.add(arr(a), arr(b))) == twin.add(a, b)
    assert ints(poly.sub(arr(b), arr(a))) == twin.sub(b, a)


def test_eval_vanishing():
    for n in [0, 1, 4, 1 << 20]:
        for z in EDGE_POINTS + [12345]:
            assert one(poly.eval_vanishing(n, cv.fr_scalar(z))) == twin.eval_vanishing(n, z)
    w = root_of_unity(10)
    assert one(poly.eval_vanishing(1 << 10, cv.fr_scalar(w))) == 0
    assert one(poly.eval_vanishing(1 << 9, cv.fr_scalar(w))) == R_MOD - 2      # ω^(n/2) = −1
    with pytest.raises(ValueError):
        poly.eval_vanishing(-1, cv.fr_scalar(2))


@pytest.mark.parametrize("n,N", [(1, 1), (1, 8), (4, 4), (4, 16), (8, 32), (2048, 8192), (4096, 32768)])
def test_divide_by_vanishing_on_coset(n, N):
    g = 7
    c = rand(N, n + N)
    e = ntt.coset_ntt(arr(c), cv.fr_scalar(g))
    got = ints(poly.divide_by_vanishing_on_coset(e, n, cv.fr_scalar(g)))
    if N <= 32:
        assert got == twin.divide_by_vanishing_on_coset(ints(e), n, g)
    else:   # spot-check a few points directly
        w = root_of_unity(N.bit_length() - 1)
        ev = ints(e)
        for i in [0, 1, N // 2, N - 1]:
            x = g * pow(w, i, R_MOD) % R_MOD
            assert got[i] * twin.eval_vanishing(n, x) % R_MOD == ev[i]


def test_divide_by_vanishing_rejects():
    e = cv.fr_from_ints(list(range(8)))
    with pytest.raises(ValueError, match="meets the domain"):
        poly.divide_by_vanishing_on_coset(e, 4, cv.fr_scalar(root_of_unity(3)))
    with pytest.raises(ValueError, match="meets the domain"):
        twin.divide_by_vanishing_on_coset(ints(e), 4, root_of_unity(3))
    with pytest.raises(ValueError, match="powers of two"):
        poly.divide_by_vanishing_on_coset(e, 16, cv.fr_scalar(7))
    with pytest.raises(ValueError, match="powers of two"):
        poly.divide_by_vanishing_on_coset(e, 3, cv.fr_scalar(7))
    with pytest.raises(ValueError, match="powers of two"):
        poly.divide_by_vanishing_on_coset(cv.fr_from_ints(list(range(6))), 2, cv.fr_scalar(7))
