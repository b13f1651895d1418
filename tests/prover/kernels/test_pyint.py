"""The Python-int kernels (``prover.kernels.pyint``) against the Numba kernels and the twins.

Each switchable kernel function is run both ways on the same random and edge
inputs and the limb arrays must be equal (outputs are canonical Montgomery
limbs, so equal values are equal arrays); the MSM is also checked against
py_ecc sums and the twin Pippenger.  The switch itself: it holds inside
``python_kernels()`` only, every switchable kernel has an implementation, and a
whole exit-size proof in a fresh process with an empty Numba cache compiles
nothing and verifies."""

import json
import os
import random
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from prover.kernels import backend, convert as cv, fq, fr, g1, msm, ntt, plonk, poly
from prover.kernels.backend import python_kernels, using_python
from prover.kernels.twins import msm as twin_msm, ntt as twin_ntt, poly as twin_poly
from verifier import curve
from verifier.fields import Q_MOD, R_MOD

RNG = random.Random(29)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MODULES = (fr, fq, msm, ntt, plonk, poly)


def both(fn, *args):
    """fn(*args) with the Numba kernels and with the Python-int ones (fresh copies of arrays)."""
    copy = lambda: [a.copy() if isinstance(a, np.ndarray) else a for a in args]   # noqa: E731
    want = fn(*copy())
    with python_kernels():
        got = fn(*copy())
    return want, got


def same(want, got):
    if isinstance(want, tuple):
        assert len(want) == len(got) and all(same(w, g) for w, g in zip(want, got))
        return True
    assert isinstance(got, np.ndarray) and got.dtype == np.uint64
    assert want.shape == got.shape and np.array_equal(want, got)
    return True


def fr_arr(n, zeros=0):
    xs = [RNG.randrange(R_MOD) for _ in range(n)]
    for i in RNG.sample(range(n), min(zeros, n)):
        xs[i] = 0
    if n > 1:
        xs[-1] = R_MOD - 1
    return cv.fr_from_ints(xs)


def test_switch_scope():
    assert not using_python()
    with python_kernels():
        assert using_python()
        with python_kernels():
            assert using_python()
        assert using_python()
    assert not using_python()
    with pytest.raises(RuntimeError):
        with python_kernels():
            raise RuntimeError
    assert not using_python()


def test_every_switchable_kernel_has_an_implementation_and_back():
    switchable = {getattr(m, name).kernel_name for m in MODULES for name in dir(m)
                  if hasattr(getattr(m, name), "kernel_name")}
    assert switchable == set(backend.registered())
    assert {"msm.msm_affine", "ntt._transform", "plonk.quotient_part", "plonk.combine_parts", "fr.inv_vec"} <= switchable


@pytest.mark.parametrize("field, ints, p", [(fr, cv.fr_from_ints, R_MOD), (fq, cv.fq_from_ints, Q_MOD)])
@pytest.mark.parametrize("n", [1, 2, 7, 64])
def test_field_vectors(field, ints, p, n):
    a = ints([RNG.randrange(p) for _ in range(n - 1)] + [p - 1])
    b = ints([0] + [RNG.randrange(p) for _ in range(n - 1)])
    s = ints([RNG.randrange(p)])[0]
    for fn, args in ((field.add_vec, (a, b)), (field.sub_vec, (a, b)), (field.mul_vec, (a, b)),
                     (field.neg_vec, (b,)), (field.sqr_vec, (a,)), (field.scale_vec, (a, s)),
                     (field.inv_vec, (b,)), (field.from_mont_vec, (a,)),
                     (field.to_mont_vec, (field.from_mont_vec(a),)), (field.powers, (s, n)),
                     (field.powers, (s, 0))):
        assert same(*both(fn, *args)), fn.__name__


@pytest.mark.parametrize("logn", [0, 1, 2, 3, 6, 9])
def test_ntt_variants(logn):
    a = fr_arr(1 << logn, zeros=2)
    g = cv.fr_scalar(5)
    for fn, args in ((ntt.ntt, (a,)), (ntt.intt, (a,)), (ntt.coset_ntt, (a, g)),
                     (ntt.coset_intt, (a, g))):
        assert same(*both(fn, *args)), fn.__name__
    vals = cv.fr_to_ints(a)
    with python_kernels():
        assert cv.fr_to_ints(ntt.ntt(a)) == twin_ntt.ntt(vals)
        assert cv.fr_to_ints(ntt.coset_intt(a, g)) == twin_ntt.coset_intt(vals, 5)


def _points(n):
    base = [curve.g1_mul(curve.G1_GEN, RNG.randrange(1, R_MOD)) for _ in range(min(n, 6))]
    out, acc = [], None
    for i in range(n):
        acc = base[0] if acc is None else curve.g1_add(acc, base[i % len(base)])
        out.append(acc)
    return out


def _msm_both(points, scalars, c=0):
    P = g1.points_to_array(points)
    K = cv.ints_to_limbs(scalars) if scalars else np.zeros((0, 4), np.uint64)
    want, got = both(msm.msm, P, K, c)
    assert same(want, got)
    return g1.array_to_points(got)[0]


@pytest.mark.parametrize("n, c", [(1, 2), (3, 3), (17, 4), (70, 0), (300, 0), (600, 0)])
def test_msm_random(n, c):
    pts = _points(n)
    ks = [RNG.randrange(R_MOD) for _ in range(n)]
    assert _msm_both(pts, ks, c) == curve.g1_lincomb(pts, ks) == twin_msm.msm(pts, ks, c)


@pytest.fixture(params=["here", "forked", "no fork"])
def split(request, monkeypatch):
    """The Python MSM with every window here, with half of them in a forked process, and when
    no process can be forked (both halves here)."""
    from prover.kernels.pyint import msm as py_msm
    monkeypatch.setattr(py_msm, "FORK_MIN", 10**9 if request.param == "here" else 1)
    if request.param == "no fork":
        def refuse():
            raise OSError("no more processes")
        monkeypatch.setattr(py_msm.os, "fork", refuse)
    return request.param


def test_msm_edges(split):
    P, S = _points(2)
    nP = curve.g1_neg(P)
    k = RNG.randrange(1, R_MOD)
    cases = [([P] * 9, [k] * 9),                       # P + P at every level of the tree
             ([P, nP] * 4, [k] * 8),                   # P + (−P): infinity inside a bucket
             ([P, None, S, None], [k, 5, 7, 0]),       # infinity points
             ([P, S], [0, 0]), ([P, S], [R_MOD - 1, 1]), ([P], [1]), ([], [])]
    for pts, ks in cases:
        want = twin_msm.msm_naive(pts, ks) if pts else None
        for c in (2, 3, 0):
            assert _msm_both(pts, ks, c) == want


@pytest.mark.parametrize("n", [8, 64])
def test_plonk_loops(n):
    arrs = [fr_arr(n) for _ in range(7)]
    ch = [cv.fr_scalar(RNG.randrange(R_MOD)) for _ in range(4)]
    num, den = plonk.permutation_fractions(*arrs, *ch[:2], cv.fr_scalar(2), cv.fr_scalar(3))
    assert same(*both(plonk.permutation_fractions, *arrs, *ch[:2], cv.fr_scalar(2),
                      cv.fr_scalar(3)))
    assert same(*both(plonk.grand_product, num, fr.inv_vec(den), cv.fr_one()))
    wires = [fr_arr(n) for _ in range(4)]
    pre = [fr_arr(4 * n) for _ in range(9)]                  # qM … σ₃, L₀ on the 4n coset
    pub, empty = fr_arr(3), fr_arr(0).reshape(0, 4)
    for k in range(4):
        for pub_k, pi in ((pub, empty), (empty, fr_arr(4 * n))):   # PI summed, or read
            args = (*wires, *pre, pub_k, pi, k, cv.fr_scalar(RNG.randrange(R_MOD)),
                    cv.fr_scalar(RNG.randrange(R_MOD)), *ch[:3], cv.fr_scalar(2),
                    cv.fr_scalar(3), cv.fr_one())
            assert same(*both(plonk.quotient_part, *args))
    parts = [fr_arr(n) for _ in range(4)]
    assert same(*both(plonk.combine_parts, *parts, cv.fr_scalar(RNG.randrange(R_MOD)),
                      fr_arr(4)))
    acc, x = fr_arr(n + 3), fr_arr(n)

    def axpy(acc, x, s):
        plonk.axpy(acc, x, s)
        return acc
    assert same(*both(axpy, acc, x, ch[3]))


@pytest.mark.parametrize("n", [0, 1, 2, 9, 100])
def test_poly_helpers(n):
    c = fr_arr(n) if n else np.zeros((0, 4), np.uint64)
    z = cv.fr_scalar(RNG.randrange(R_MOD))
    assert same(*both(poly.evaluate, c, z))
    assert same(*both(poly.div_by_linear, c, z))
    with python_kernels():
        q, rem = poly.div_by_linear(c, z)
        want_q, want_rem = twin_poly.div_by_linear(cv.fr_to_ints(c) if n else [],
                                                   cv.fr_to_ints(z)[0])
        assert (cv.fr_to_ints(q) if n > 1 else []) == want_q
        assert cv.fr_to_ints(rem)[0] == want_rem


_FRESH = textwrap.dedent("""
    import json, warnings
    from numba.core import event
    compiled = []
    class Seen(event.Listener):
        def on_start(self, e): pass
        def on_end(self, e): compiled.append(e.data["dispatcher"].py_func.__qualname__)
    event.register("numba:compile", Seen())
    from circuits.account_state import Opening
    from circuits.exit import ExitCircuit
    from prover import prove, setup
    from prover.kernels.backend import python_kernels
    from prover.srs import ptau_powers
    from verifier import verify
    from verifier.marshal import VerifyingKey
    vk = VerifyingKey.from_json(json.load(open("vk.json")))
    c = ExitCircuit()
    with python_kernels():
        pk, _ = setup(c, ptau_powers("exit.ptau", vk.power), vk=vk)
        proof, public = prove(pk, c.assignment(7, Opening(-2_000_000, 300, 40, 9), 10_000, 52, 7, 1, 2))
    print(json.dumps({"ok": verify(vk, public, proof), "compiled": compiled}))
""")


def test_exit_proof_in_a_fresh_process_compiles_nothing(tmp_path):
    """The trader's path: powers from a .ptau, the deployed key, setup and prove on Python ints,
    with an empty Numba cache: no kernel is compiled and the proof verifies."""
    from circuits.exit import ExitCircuit
    from prover import dev_srs, export_ptau, setup
    from prover.setup import domain_power
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        srs = dev_srs(domain_power(ExitCircuit()))
    export_ptau(srs, tmp_path / "exit.ptau")
    _, vk = setup(ExitCircuit(), srs)
    (tmp_path / "vk.json").write_text(json.dumps(vk.to_json()))
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"), PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", _FRESH], cwd=tmp_path, env=env, check=True,
                         capture_output=True, text=True, timeout=600).stdout
    assert json.loads(out.strip().splitlines()[-1]) == {"ok": True, "compiled": []}
