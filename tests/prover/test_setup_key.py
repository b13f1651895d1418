"""Setup for a verifying key made earlier (``setup(..., vk=)``) and the unchecked powers reader
(``ptau_powers``): what the exit prover builds its key from on a trader's machine."""

import dataclasses
import warnings

import numpy as np
import pytest

from circuits import Circuit
from prover import dev_srs, export_ptau, load_ptau, prove, setup
from prover.srs import PtauError, ptau_powers
from verifier import verify
from verifier.curve import G2_GEN, g2_mul


def _circuit(n_public=1):
    c = Circuit()
    x = c.private("x")
    y = c.add(c.mul(x, x), 5)
    c.assert_equal(y, c.public("out"))
    for i in range(n_public - 1):
        c.public(f"extra{i}")
    return c


@pytest.fixture(scope="module")
def srs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dev_srs(4)


def test_setup_with_the_key_equals_the_full_setup(srs):
    c = _circuit()
    pk, vk = setup(c, srs)
    pk2, vk2 = setup(_circuit(), srs, vk=vk)
    assert vk2 is vk
    for name in ("qm", "ql", "qr", "qo", "qc", "s1", "s2", "s3"):
        assert np.array_equal(getattr(pk.coeffs, name), getattr(pk2.coeffs, name))
        assert np.array_equal(getattr(pk.coset, name), getattr(pk2.coset, name))
    proof, public = prove(pk2, {"x": 3, "out": 14})
    assert verify(vk, public, proof)


@pytest.mark.parametrize("change, named", [
    (dict(power=5), "domain power"), (dict(n_public=2), "public input count"),
    (dict(k1=5), "k1"), (dict(X_2=g2_mul(G2_GEN, 7)), r"\[tau\]_2")])
def test_a_key_of_another_shape_is_refused(srs, change, named):
    _, vk = setup(_circuit(), srs)
    with pytest.raises(ValueError, match=named):
        setup(_circuit(), srs, vk=dataclasses.replace(vk, **change))


def test_a_key_with_other_commitments_makes_proofs_its_verifier_rejects(srs):
    """The commitments are not re-derived: a key from another circuit of the same shape is
    accepted by setup, and the proof fails against it (the exit prover verifies first)."""
    _, vk = setup(_circuit(), srs)
    other = Circuit()
    x = other.private("x")
    other.assert_equal(other.add(other.mul(x, x), 6), other.public("out"))
    _, vk_other = setup(other, srs)
    pk, _ = setup(_circuit(), srs, vk=vk_other)
    proof, public = prove(pk, {"x": 3, "out": 14})
    assert not verify(vk_other, public, proof)


def test_ptau_powers_reads_what_setup_needs(srs, tmp_path):
    path = tmp_path / "s.ptau"
    export_ptau(srs, path)
    got = ptau_powers(path, 3)
    assert got.power == 3 and got.g1.shape == (8 + 6, 2, 4)
    assert np.array_equal(got.g1, srs.g1[:14]) and got.g2 == srs.g2
    assert np.array_equal(ptau_powers(path, 4).g1, load_ptau(path).g1[:22])
    with pytest.raises(PtauError, match="2\\^4 powers; 2\\^5 are needed"):
        ptau_powers(path, 5)
    data = path.read_bytes()
    (tmp_path / "cut.ptau").write_bytes(data[:-10])
    with pytest.raises(PtauError, match="truncated|trailing|bytes"):
        ptau_powers(tmp_path / "cut.ptau", 3)
