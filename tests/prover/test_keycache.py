"""The proving key's cached coset values (prover.snarkjs.keycache): equal to computing them, and
a stale, corrupt, truncated or unwritable cache never changes a proof.

The reference for the values is Python-int Horner evaluation of the zkey's own coefficients
at the coset points g·ω₄ₙʲ, not our NTT.
"""

import numpy as np
import pytest

from conftest import VECTORS
from prover.kernels.convert import fr_to_ints
from prover.snarkjs import plonk_setup, prove_zkey, proving_key, read_wtns, read_zkey, write_wtns
from prover.snarkjs import keycache
from prover.steps import prove
from verifier import verify
from verifier.fields import FR_GENERATOR, R_MOD, root_of_unity

R1CS = VECTORS / "ptau" / "circuit.r1cs"
PTAU = VECTORS / "ptau" / "knowntau_pot5.ptau"
NAMES = ("qm", "ql", "qr", "qo", "qc", "s1", "s2", "s3")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny")
    plonk_setup(R1CS, PTAU, d / "c.zkey")
    write_wtns(d / "w.wtns", [1, 30, 5])
    return d


@pytest.fixture
def cache(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("DARKMATCH_CACHE_DIR", str(d))
    monkeypatch.delenv("DARKMATCH_KEY_CACHE", raising=False)
    return d


def _reference(pk):
    """Each polynomial at every coset point, by Python-int Horner on its coefficients."""
    n = pk.domain.n
    w4 = root_of_unity(pk.domain.power + 2)
    xs = [FR_GENERATOR * pow(w4, j, R_MOD) % R_MOD for j in range(4 * n)]
    out = {}
    for name in NAMES:
        c = fr_to_ints(np.ascontiguousarray(getattr(pk.coeffs, name)))
        vals = []
        for x in xs:
            acc = 0
            for a in reversed(c):
                acc = (acc * x + a) % R_MOD
            vals.append(acc)
        out[name] = vals
    inv_n = pow(n, -1, R_MOD)
    out["l0"] = [sum(pow(x, i, R_MOD) for i in range(n)) * inv_n % R_MOD for x in xs]
    return out


def _values(pk):
    got = {name: fr_to_ints(np.ascontiguousarray(getattr(pk.coset, name))) for name in NAMES}
    got["l0"] = fr_to_ints(np.ascontiguousarray(pk.domain.l0_coset))
    return got


def test_cached_values_equal_python_int_evaluation(files, cache):
    first = proving_key(read_zkey(files / "c.zkey"))          # computes and stores
    assert len(list(cache.glob("coset-*.npy"))) == 1
    second = proving_key(read_zkey(files / "c.zkey"))         # loads
    ref = _reference(first)
    assert _values(first) == ref
    assert _values(second) == ref


def test_proof_from_a_cached_key_verifies(files, cache):
    zk = read_zkey(files / "c.zkey")
    proving_key(zk)                                            # fill the cache
    assert list(cache.glob("coset-*.npy"))
    zk = read_zkey(files / "c.zkey")
    proof, public = prove_zkey(zk, read_wtns(files / "w.wtns"))
    assert public == [30] and verify(zk.vk, public, proof)


def _only_file(cache):
    (path,) = cache.glob("coset-*.npy")
    return path


def test_corrupt_cache_file_is_recomputed_and_rewritten(files, cache):
    ref = _values(proving_key(read_zkey(files / "c.zkey")))
    path = _only_file(cache)
    arr = np.load(path)
    arr[0] = 0                                                 # qM's block zeroed
    np.save(path, arr)
    pk = proving_key(read_zkey(files / "c.zkey"))
    assert _values(pk) == ref
    assert np.array_equal(np.load(path)[0], np.ascontiguousarray(pk.coset.qm))


def test_truncated_cache_file_is_recomputed(files, cache):
    ref = _values(proving_key(read_zkey(files / "c.zkey")))
    path = _only_file(cache)
    path.write_bytes(path.read_bytes()[:200])
    assert _values(proving_key(read_zkey(files / "c.zkey"))) == ref


def test_wrong_shape_cache_file_is_recomputed(files, cache):
    ref = _values(proving_key(read_zkey(files / "c.zkey")))
    path = _only_file(cache)
    np.save(path, np.load(path)[:8])                           # L₀ missing
    assert _values(proving_key(read_zkey(files / "c.zkey"))) == ref


def test_fingerprint_follows_every_coefficient(files):
    pk = proving_key(read_zkey(files / "c.zkey"))
    base = keycache.fingerprint(pk.domain.n, pk.coeffs)
    for name in NAMES:
        c = {k: np.array(getattr(pk.coeffs, k)) for k in NAMES}
        c[name][-1, 0] ^= np.uint64(1)
        assert keycache.fingerprint(pk.domain.n, type(pk.coeffs)(**c)) != base, name
    assert keycache.fingerprint(2 * pk.domain.n, pk.coeffs) != base


def test_cache_off_writes_nothing(files, cache, monkeypatch):
    monkeypatch.setenv("DARKMATCH_KEY_CACHE", "0")
    assert keycache.cache_dir() is None
    pk = proving_key(read_zkey(files / "c.zkey"))
    assert not cache.exists()
    assert _values(pk) == _reference(pk)


def test_unwritable_cache_directory_still_proves(files, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("DARKMATCH_CACHE_DIR", str(blocker / "cache"))
    zk = read_zkey(files / "c.zkey")
    proof, public = prove(proving_key(zk), read_wtns(files / "w.wtns"))
    assert verify(zk.vk, public, proof)


def test_wires_and_witness_limbs_unchanged_by_cache(files, cache):
    """The cache holds coset values only: H values and wire maps still come from the zkey."""
    zk = read_zkey(files / "c.zkey")
    a, b = proving_key(zk), proving_key(read_zkey(files / "c.zkey"))
    for name in ("s1", "s2", "s3"):
        assert np.array_equal(getattr(a.sigma_h, name), getattr(b.sigma_h, name))
    assert all(np.array_equal(getattr(a.wires, w), getattr(b.wires, w)) for w in "abc")


def test_cache_keeps_only_the_most_recently_used_keys(files, cache, monkeypatch):
    import os
    monkeypatch.setattr(keycache, "MAX_FILES", 2)
    cache.mkdir()
    for i in range(3):                                         # three other keys, oldest first
        f = cache / f"coset-{'0' * 31}{i}.npy"
        f.write_bytes(b"x")
        os.utime(f, ns=(10 ** 18 + i, 10 ** 18 + i))
    proving_key(read_zkey(files / "c.zkey"))                   # stores a fourth, evicts two
    kept = sorted(p.name for p in cache.glob("coset-*.npy"))
    assert len(kept) == 2 and f"coset-{'0' * 31}2.npy" in kept
    assert any(not name.startswith("coset-000") for name in kept)   # this key's file
