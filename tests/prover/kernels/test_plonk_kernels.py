"""The quotient kernels (``kernels.plonk``) against their pure-Python twin, and the quotient
computed part by part against the direct 4n-coset formula on Python ints."""

import random
import types

import numpy as np
import pytest

from prover import quotient
from prover.domain import COSET_SHIFT, Domain
from prover.kernels import convert as cv
from prover.kernels import plonk
from prover.kernels.twins import ntt as twin_ntt
from prover.kernels.twins import plonk as twin
from prover.polys import Preprocessed, ProofPolys
from verifier.fields import R_MOD, root_of_unity


def ints(a):
    a = a.reshape(-1, 4)
    assert all(x < R_MOD for x in cv.limbs_to_ints(a)), "non-canonical Montgomery limbs"
    return cv.fr_to_ints(a) if a.shape[0] else []


def arr(xs):
    return cv.fr_from_ints(xs).reshape(-1, 4)


def rand(n, rng):
    return [rng.randrange(R_MOD) for _ in range(n)]


@pytest.mark.parametrize("power,k,n_pub,full_pi", [
    (3, 0, 0, False), (3, 1, 1, False), (4, 3, 3, False), (3, 2, 0, True), (14, 2, 2, False)])
def test_quotient_part_matches_twin(power, k, n_pub, full_pi):
    rng = random.Random(power * 10 + k)
    n = 1 << power
    a, b, c, z = (rand(n, rng) for _ in range(4))
    pre = [rand(4 * n, rng) for _ in range(8)]
    l0 = rand(4 * n, rng)
    pub = rand(n_pub, rng)
    pi = rand(4 * n, rng) if full_pi else []
    h, w = rng.randrange(1, R_MOD), root_of_unity(power)
    beta, gamma, alpha, k1, k2 = rand(5, rng)
    got = plonk.quotient_part(
        *(arr(v) for v in (a, b, c, z)), *(arr(v) for v in pre), arr(l0),
        arr(pub) if pub else np.zeros((0, 4), np.uint64), arr(pi) if pi else np.zeros((0, 4), np.uint64),
        k, cv.fr_scalar(h), cv.fr_scalar(w), *(cv.fr_scalar(v) for v in (beta, gamma, alpha, k1, k2)),
        cv.fr_one())
    assert ints(got) == twin.quotient_part(a, b, c, z, pre, l0, pub, pi, k, h, w,
                                           beta, gamma, alpha, k1, k2)


@pytest.mark.parametrize("power", [3, 14])
def test_combine_parts_matches_twin(power):
    rng = random.Random(power)
    n = 1 << power
    u = [rand(n, rng) for _ in range(4)]
    w4inv = pow(root_of_unity(2), -1, R_MOD)
    gs = [1] + rand(3, rng)
    got = plonk.combine_parts(*(arr(x) for x in u), cv.fr_scalar(w4inv), arr(gs))
    assert ints(got) == twin.combine_parts(u, w4inv, gs)


def _direct_t(dom, polys, pre_coeffs, public, beta, gamma, alpha, k1, k2):
    """t = N/Z_H interpolated from the whole 4n coset, on ints (the method the parts replace)."""
    n, N = dom.n, 4 * dom.n
    g = COSET_SHIFT

    def on_coset(coeffs):
        return twin_ntt.coset_ntt(list(coeffs) + [0] * (N - len(coeffs)), g)

    a, b, c, z = (on_coset(p) for p in polys)
    qm, ql, qr, qo, qc, s1, s2, s3 = (on_coset(p) for p in pre_coeffs)
    pi_h = [-x % R_MOD for x in public] + [0] * (n - len(public))
    pi = on_coset(twin_ntt.intt(pi_h))
    l0 = on_coset([pow(n, -1, R_MOD)] * n)
    w4n = root_of_unity(dom.power + 2)
    t = []
    for i in range(N):
        x = g * pow(w4n, i, R_MOD) % R_MOD
        gate = a[i] * b[i] * qm[i] + a[i] * ql[i] + b[i] * qr[i] + c[i] * qo[i] + pi[i] + qc[i]
        p1 = (a[i] + beta * x + gamma) * (b[i] + beta * k1 * x + gamma) * (c[i] + beta * k2 * x + gamma) * z[i]
        zw = z[(i + 4) % N]
        p2 = (a[i] + beta * s1[i] + gamma) * (b[i] + beta * s2[i] + gamma) * (c[i] + beta * s3[i] + gamma) * zw
        num = gate + alpha * (p1 - p2) + alpha * alpha * (z[i] - 1) * l0[i]
        t.append(num * pow(pow(x, n, R_MOD) - 1, -1, R_MOD) % R_MOD)
    return twin_ntt.coset_intt(t, g)


@pytest.mark.parametrize("power,n_pub", [(3, 1), (4, 0), (4, 3), (4, quotient.PI_SHIFT_MAX + 1)])
def test_quotient_by_parts_equals_direct(power, n_pub, monkeypatch):
    """Folding, the four n-point parts, 1/Z_H inside the inverse NTTs and the recombination give
    exactly the coefficients of N/Z_H interpolated on the whole 4n coset (random, unsatisfied
    polynomials: the identity holds whether or not Z_H divides N)."""
    monkeypatch.setattr(quotient, "check_degree", lambda t, n: None)
    rng = random.Random(100 + power + n_pub)
    dom = Domain(power)
    n = dom.n
    polys = [rand(n + 2, rng), rand(n + 2, rng), rand(n + 2, rng), rand(n + 3, rng)]
    pre_coeffs = [rand(n, rng) for _ in range(8)]
    public = rand(n_pub, rng)
    beta, gamma, alpha = rand(3, rng)
    pk = types.SimpleNamespace(
        domain=dom, vk=types.SimpleNamespace(k1=2, k2=3),
        coset=Preprocessed(*(dom.to_coset(arr(p)) for p in pre_coeffs)))
    got = quotient.quotient(pk, ProofPolys(*(arr(p) for p in polys)), public, beta, gamma, alpha)
    assert ints(got) == _direct_t(dom, polys, pre_coeffs, public, beta, gamma, alpha, 2, 3)
