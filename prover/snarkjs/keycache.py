"""The proving key's 4n-coset values, computed once per zkey and kept in a cache file.

A snarkjs zkey stores each selector and σ as n coefficients and 4n values on
the plain 4n-th roots of unity; our quotient round reads them on the coset
g·H₄ₙ instead (Z_H vanishes on every 4th plain root).  Turning a zkey into a
proving key therefore costs eight 4n-point coset NTTs, plus L₀ on the coset:
at 2^16 that was more than the rest of the command's start.  Users prove many
times with one zkey, so the nine arrays are written once to

    $DARKMATCH_CACHE_DIR, else $XDG_CACHE_HOME/darkmatch, else ~/.cache/darkmatch
        coset-<fingerprint>.npy        (9, 4n, 4) uint64, Montgomery

and memory-mapped (copy-on-write) by later proofs.  The fingerprint is a
BLAKE2b digest of n and the eight polynomials' coefficient bytes, exactly what
the cached values are computed from, so an edited or different zkey never
matches a stale file.  A loaded file must have the right shape, and at one
random point per polynomial its value must equal the coefficients evaluated
there (Horner); otherwise it is recomputed and rewritten.  A single corrupted
entry that escapes this check cannot yield a bad proof either: the quotient
would not divide exactly and ``prover.quotient.check_degree`` refuses it.

The directory keeps the ``MAX_FILES`` most recently used keys (a load marks a
file used; a store removes the least recently used beyond that): 72 MiB a key
at 2^16, 1.1 GiB at 2^20.  ``DARKMATCH_KEY_CACHE=0`` turns the cache off; an
unwritable cache directory only means the values are recomputed each time.
"""

import hashlib
import os
import pathlib
import secrets

import numpy as np

from verifier.fields import R_MOD, root_of_unity

from ..domain import COSET_SHIFT
from ..kernels import poly
from ..kernels.convert import fr_scalar
from ..polys import Preprocessed

__all__ = ["cache_dir", "fingerprint", "coset_values", "ENTRIES", "MAX_FILES"]

#: the cached arrays, in file order: the eight preprocessed polynomials, then L₀
ENTRIES = ("qm", "ql", "qr", "qo", "qc", "s1", "s2", "s3", "l0")
#: cached keys kept per directory (least recently used removed first)
MAX_FILES = 8


def cache_dir():
    """The cache directory (``pathlib.Path``), or None when the cache is off."""
    if os.environ.get("DARKMATCH_KEY_CACHE", "1") == "0":
        return None
    d = os.environ.get("DARKMATCH_CACHE_DIR")
    if d:
        return pathlib.Path(d)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "darkmatch"


def fingerprint(n: int, coeffs: Preprocessed) -> str:
    """BLAKE2b-128 of n and the coefficient bytes of the eight polynomials, in ENTRIES order."""
    h = hashlib.blake2b(digest_size=16, person=b"dm-coset-v1")
    h.update(n.to_bytes(8, "little"))
    for name in ENTRIES[:8]:
        h.update(np.ascontiguousarray(getattr(coeffs, name)))
    return h.hexdigest()


def _compute(dom, coeffs: Preprocessed) -> np.ndarray:
    out = np.empty((len(ENTRIES), 4 * dom.n, 4), dtype=np.uint64)
    for i, name in enumerate(ENTRIES[:8]):
        out[i] = dom.to_coset(getattr(coeffs, name))
    out[8] = dom.l0_coset
    return out


def _spot_check(values: np.ndarray, dom, coeffs: Preprocessed) -> bool:
    """At one random coset point per polynomial, value = coefficients evaluated there."""
    w4 = root_of_unity(dom.power + 2)
    l0 = np.zeros((dom.n, 4), dtype=np.uint64)
    l0[:] = fr_scalar(pow(dom.n, -1, R_MOD))
    for i, name in enumerate(ENTRIES):
        j = secrets.randbelow(4 * dom.n)
        x = fr_scalar(COSET_SHIFT * pow(w4, j, R_MOD) % R_MOD)
        c = l0 if name == "l0" else getattr(coeffs, name)
        if not np.array_equal(poly.evaluate(c, x).reshape(4), values[i, j]):
            return False
    return True


def _load(path: pathlib.Path, dom, coeffs: Preprocessed):
    try:
        values = np.load(path, mmap_mode="c", allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if values.dtype != np.uint64 or values.shape != (len(ENTRIES), 4 * dom.n, 4) \
            or not values.flags.c_contiguous:
        return None
    values = values.view(np.ndarray)
    if not _spot_check(values, dom, coeffs):
        return None
    try:
        os.utime(path)                       # most recently used (for _evict)
    except OSError:
        pass
    return values


def _store(path: pathlib.Path, values: np.ndarray) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            np.save(f, values, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass
        return
    _evict(path.parent)


def _evict(d: pathlib.Path) -> None:
    """Remove the least recently used cache files beyond ``MAX_FILES``."""
    files = []
    for f in d.glob("coset-*.npy"):
        try:
            files.append((f.stat().st_mtime_ns, f))
        except OSError:
            pass
    for _, f in sorted(files, reverse=True)[MAX_FILES:]:
        try:
            f.unlink()
        except OSError:
            pass


def coset_values(dom, coeffs: Preprocessed):
    """(the eight polynomials on the 4n coset as a ``Preprocessed``, L₀ on the coset), from
    the cache when it holds this key, else computed (and stored)."""
    d = cache_dir()
    path = d / f"coset-{fingerprint(dom.n, coeffs)}.npy" if d is not None else None
    values = _load(path, dom, coeffs) if path is not None and path.exists() else None
    if values is None:
        values = _compute(dom, coeffs)
        if path is not None:
            _store(path, values)
    return Preprocessed(*values[:8]), values[8]
