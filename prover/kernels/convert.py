"""Conversions between Python ints / bytes and ``(n, 4)`` uint64 limb arrays.

The boundary between the object world (ints, ``verifier.curve`` points) and the
kernels.  Limbs are little-endian 64-bit words; ``*_mont`` functions also move
into or out of Montgomery form via the field kernels.  These run in numpy, not
Numba: the per-element cost is one ``int.to_bytes``.
"""

import numpy as np

from verifier.fields import Q_MOD, R_MOD

from . import fq, fr

__all__ = [
    "ints_to_limbs", "limbs_to_ints", "fr_from_ints", "fr_to_ints", "fq_from_ints", "fq_to_ints",
    "fr_one", "fr_scalar",
]


def ints_to_limbs(xs) -> np.ndarray:
    """Non-negative ints < 2²⁵⁶ → (n, 4) uint64 plain limbs."""
    buf = b"".join(int(x).to_bytes(32, "little") for x in xs)
    return np.frombuffer(buf, dtype="<u8").reshape(-1, 4).astype(np.uint64)


def limbs_to_ints(a: np.ndarray) -> list:
    """(n, 4) or (4,) uint64 plain limbs → list of ints."""
    raw = np.ascontiguousarray(a.reshape(-1, 4), dtype="<u8").tobytes()
    return [int.from_bytes(raw[i:i + 32], "little") for i in range(0, len(raw), 32)]


def _below(limbs: np.ndarray, modulus: np.ndarray) -> bool:
    """Every row of plain limbs (n, 4) is < modulus (4,), compared from the top limb down."""
    lt = np.zeros(limbs.shape[0], dtype=bool)
    eq = np.ones(limbs.shape[0], dtype=bool)
    for k in (3, 2, 1, 0):
        lt |= eq & (limbs[:, k] < modulus[k])
        eq &= limbs[:, k] == modulus[k]
    return bool(lt.all())


def fr_from_ints(xs) -> np.ndarray:
    """Ints (any sign/size) reduced mod r → Montgomery (n, 4).

    Fast path for a witness (a long list of Python ints already in [0, r)): the bytes
    without a per-element ``% r``, then one vectorised check that every value is < r;
    anything else (negative, ≥ r, not a Python int) takes the reducing path."""
    if isinstance(xs, list):
        try:
            buf = b"".join([x.to_bytes(32, "little") for x in xs])
        except (AttributeError, OverflowError, TypeError):
            buf = None
        if buf is not None:
            limbs = np.frombuffer(buf, dtype="<u8").reshape(-1, 4).astype(np.uint64)
            if _below(limbs, fr.MODULUS_LIMBS):
                return fr.to_mont_vec(limbs)
    return fr.to_mont_vec(ints_to_limbs(int(x) % R_MOD for x in xs))


def fr_to_ints(a: np.ndarray) -> list:
    return limbs_to_ints(fr.from_mont_vec(np.ascontiguousarray(a.reshape(-1, 4))))


def fq_from_ints(xs) -> np.ndarray:
    return fq.to_mont_vec(ints_to_limbs(int(x) % Q_MOD for x in xs))


def fq_to_ints(a: np.ndarray) -> list:
    return limbs_to_ints(fq.from_mont_vec(np.ascontiguousarray(a.reshape(-1, 4))))


def fr_scalar(x: int) -> np.ndarray:
    """One Fr element as a Montgomery (4,) array."""
    return fr_from_ints([x])[0]


def fr_one() -> np.ndarray:
    return fr.ONE_LIMBS.copy()
