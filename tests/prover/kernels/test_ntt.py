"""NTT kernels against the pure-Python twin (definition and radix-2) and against galois."""

import random

import galois
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from prover.kernels import convert as cv
from prover.kernels import ntt
from prover.kernels.twins import ntt as twin
from verifier.fields import R_MOD, root_of_unity

# Passing the known generator (checked in verifier.fields) skips galois's slow search;
# np.fft.fft on a GF array then uses ω = 5^((r−1)/n), the same root as ours.
GF = galois.GF(R_MOD, primitive_element=5, verify=False)
elem = st.integers(min_value=0, max_value=R_MOD - 1)
nonzero = st.integers(min_value=1, max_value=R_MOD - 1)


def ints(a):
    """Field values of a kernel output, after checking its limbs are canonical (< r)."""
    assert a.dtype == np.uint64 and a.ndim == 2 and a.shape[1] == 4
    assert all(x < R_MOD for x in cv.limbs_to_ints(a)), "non-canonical Montgomery limbs"
    return cv.fr_to_ints(a)


def rand(n, seed):
    rng = random.Random(seed)
    return [rng.randrange(R_MOD) for _ in range(n)]


def galois_eval(coeffs, points):
    """p(x) for each x, by galois's own polynomial arithmetic."""
    p = galois.Poly(GF(coeffs), order="asc")
    return [int(v) for v in p(GF(points))]


def test_twin_fft_matches_definition():
    for k in range(6):
        a = rand(1 << k, k)
        w = root_of_unity(k)
        assert twin.fft(a, w) == twin.dft(a, w)
        assert twin.intt(twin.ntt(a)) == a


@pytest.mark.parametrize("k", range(0, 7))
def test_ntt_matches_definition(k):
    a = rand(1 << k, 10 + k)
    w = root_of_unity(k)
    assert ints(ntt.ntt(cv.fr_from_ints(a))) == twin.dft(a, w)
    assert ints(ntt.intt(cv.fr_from_ints(a))) == [
        x * pow(1 << k, -1, R_MOD) % R_MOD for x in twin.dft(a, pow(w, -1, R_MOD))]


@pytest.mark.parametrize("k", [1, 3, 8])
def test_root_is_five_to_the_cofactor(k):
    """Evaluations sit at (5^((r−1)/n))^i, computed by galois from scratch."""
    n = 1 << k
    a = rand(n, 20 + k)
    w = GF(5) ** ((R_MOD - 1) // n)
    assert ints(ntt.ntt(cv.fr_from_ints(a))) == galois_eval(a, [w ** i for i in range(n)])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 7).flatmap(lambda k: st.lists(elem, min_size=1 << k, max_size=1 << k)),
       nonzero)
def test_against_galois(a, g):
    n = len(a)
    A = cv.fr_from_ints(a)
    assert ints(ntt.ntt(A)) == [int(v) for v in np.fft.fft(GF(a))]
    assert ints(ntt.intt(A)) == [int(v) for v in np.fft.ifft(GF(a))]
    w = root_of_unity(n.bit_length() - 1)
    coset = [g * pow(w, i, R_MOD) % R_MOD for i in range(n)]
    assert ints(ntt.coset_ntt(A, cv.fr_scalar(g))) == galois_eval(a, coset)
    # coset_intt(e) is the polynomial whose values on the coset are e
    back = ints(ntt.coset_intt(A, cv.fr_scalar(g)))
    assert galois_eval(back, coset) == a


@pytest.mark.parametrize("k", range(0, 13))
def test_roundtrip(k):
    a = cv.fr_from_ints(rand(1 << k, 30 + k))
    g = cv.fr_scalar(7)
    assert np.array_equal(ntt.intt(ntt.ntt(a)), a)
    assert np.array_equal(ntt.ntt(ntt.intt(a)), a)
    assert np.array_equal(ntt.coset_intt(ntt.coset_ntt(a, g), g), a)


# The parallel path (load+blocks, then column groups) with tiny blocks so that small
# sizes exercise it, and with the real block size at 2^14 / 2^15.
@pytest.mark.parametrize("block_log,width,k", [
    (1, 1, 3), (2, 2, 5), (3, 4, 9), (4, 16, 10), (2, 1, 8), (None, None, 14), (None, None, 15)])
def test_parallel_path_matches_twin(monkeypatch, block_log, width, k):
    if block_log is not None:
        monkeypatch.setattr(ntt, "BLOCK_LOG", block_log)
        monkeypatch.setattr(ntt, "COLUMN_WIDTH", width)
    assert k > ntt.BLOCK_LOG
    a = rand(1 << k, 40 + k)
    g = 5
    A = cv.fr_from_ints(a)
    assert ints(ntt.ntt(A)) == twin.ntt(a)
    assert ints(ntt.intt(A)) == twin.intt(a)
    assert ints(ntt.coset_ntt(A, cv.fr_scalar(g))) == twin.coset_ntt(a, g)
    assert ints(ntt.coset_intt(A, cv.fr_scalar(g))) == twin.coset_intt(a, g)


@pytest.mark.parametrize("k", [0, 3, 14])
def test_coset_intt_scale_matches_twin(k):
    """``scale`` multiplies every coefficient (folded into the 1/n factor), serial and parallel."""
    a = rand(1 << k, 50 + k)
    A = cv.fr_from_ints(a)
    for scale in (1, 3, R_MOD - 2):
        got = ints(ntt.coset_intt(A, cv.fr_scalar(5), scale=scale))
        assert got == twin.coset_intt(a, 5, scale)
        assert got == [x * scale % R_MOD for x in twin.coset_intt(a, 5)]


@pytest.mark.parametrize("k", [0, 1, 4, 14])
def test_constant_inputs(k):
    n = 1 << k
    zero = np.zeros((n, 4), dtype=np.uint64)
    for f in (ntt.ntt, ntt.intt):
        assert ints(f(zero)) == [0] * n
    assert ints(ntt.coset_ntt(zero, cv.fr_scalar(3))) == [0] * n
    # all r − 1 = −1: the transform of a constant c is (n·c, 0, …, 0)
    minus = cv.fr_from_ints([R_MOD - 1] * n)
    assert ints(ntt.ntt(minus)) == [(-n) % R_MOD] + [0] * (n - 1)
    assert ints(ntt.intt(minus)) == [R_MOD - 1] + [0] * (n - 1)
    # evaluations of the constant −1 are all −1
    assert ints(ntt.ntt(ntt.intt(minus))) == [R_MOD - 1] * n
    assert ints(ntt.coset_ntt(cv.fr_from_ints([R_MOD - 1] + [0] * (n - 1)), cv.fr_scalar(9))) == [
        R_MOD - 1] * n


def test_sizes_one_and_two():
    a, b, g = 123456789, R_MOD - 5, 11
    one = cv.fr_from_ints([a])
    for f in (ntt.ntt, ntt.intt):
        assert ints(f(one)) == [a]
    assert ints(ntt.coset_ntt(one, cv.fr_scalar(g))) == [a]
    assert ints(ntt.coset_intt(one, cv.fr_scalar(g))) == [a]
    two = cv.fr_from_ints([a, b])
    assert root_of_unity(1) == R_MOD - 1
    assert ints(ntt.ntt(two)) == [(a + b) % R_MOD, (a - b) % R_MOD]
    half = pow(2, -1, R_MOD)
    assert ints(ntt.intt(two)) == [(a + b) * half % R_MOD, (a - b) * half % R_MOD]
    assert ints(ntt.coset_ntt(two, cv.fr_scalar(g))) == [(a + g * b) % R_MOD, (a - g * b) % R_MOD]


def test_input_untouched_and_output_fresh():
    a = cv.fr_from_ints(rand(1 << 14, 5))
    before = a.copy()
    for out in (ntt.ntt(a), ntt.intt(a), ntt.coset_ntt(a, cv.fr_scalar(3)),
                ntt.coset_intt(a, cv.fr_scalar(3))):
        assert not np.shares_memory(out, a)
    assert np.array_equal(a, before)


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="power of two"):
        ntt.ntt(np.zeros((3, 4), dtype=np.uint64))
    with pytest.raises(ValueError, match="power of two"):
        ntt.intt(np.zeros((0, 4), dtype=np.uint64))
    with pytest.raises(ValueError, match="uint64"):
        ntt.ntt(np.zeros((4, 4), dtype=np.int64))
    with pytest.raises(ValueError, match="uint64"):
        ntt.ntt(np.zeros(4, dtype=np.uint64))
    with pytest.raises(ValueError, match="non-zero"):
        ntt.coset_intt(np.zeros((4, 4), dtype=np.uint64), np.zeros(4, dtype=np.uint64))
    with pytest.raises(ValueError, match="shift"):
        ntt.coset_ntt(np.zeros((4, 4), dtype=np.uint64), np.zeros(3, dtype=np.uint64))


def test_twiddle_table_layout():
    k = 6
    tw = ntt.twiddles(k)
    vals = ints(tw)
    assert vals[0] == 1
    m = 1
    while m < 1 << k:
        w2m = root_of_unity(m.bit_length())            # ω_{2m}
        assert vals[m:2 * m] == [pow(w2m, j, R_MOD) for j in range(m)]
        m *= 2


def test_bitrev_permute_matches_twin():
    for k in (0, 1, 5):
        a = rand(1 << k, 7)
        out = ints(ntt.bitrev_permute(cv.fr_from_ints(a)))
        assert out == [a[twin.bitrev(i, k)] for i in range(1 << k)]
