"""Fr and Fq vector kernels on Python ints, and the limb-array ↔ int conversions they share.

A limb array holds x̃ = x·2²⁵⁶ mod p (Montgomery form) in four little-endian
uint64 words per element.  ``values`` reads the field values x out of one,
``montgomery`` writes values back; both take an optional per-element factor
folded into the one multiplication the conversion costs anyway.  Addition and
subtraction commute with the Montgomery factor, so those kernels work on the
stored integers directly.
"""

import numpy as np

from verifier.fields import Q_MOD, R_MOD

from ..backend import implements

__all__ = ["Field", "FR", "FQ", "words", "limbs", "batch_inverse", "tree_inverse"]

_R = 1 << 256


def words(a) -> list:
    """The stored integers (x̃, not x) of an (n, 4) or (4,) uint64 limb array."""
    raw = np.ascontiguousarray(a, dtype="<u8").tobytes()
    return [int.from_bytes(raw[i:i + 32], "little") for i in range(0, len(raw), 32)]


def limbs(xs) -> np.ndarray:
    """Integers in [0, 2²⁵⁶) → an (n, 4) uint64 array (stored as given)."""
    buf = bytearray(b"".join(x.to_bytes(32, "little") for x in xs))
    return np.frombuffer(buf, dtype="<u8").reshape(-1, 4).astype(np.uint64, copy=False)


class Field:
    """Conversions and constants for one prime p (Montgomery radix R = 2²⁵⁶)."""

    def __init__(self, p: int):
        self.p = p
        self.r_inv = pow(_R, -1, p)          #: R⁻¹: x̃ → x
        self.r = _R % p                      #: R: x → x̃
        self.r2 = _R * _R % p

    def values(self, a, factor: int = 1) -> list:
        """x·factor for each element of the Montgomery array ``a``."""
        p, f = self.p, self.r_inv * factor % self.p
        return [x * f % p for x in words(a)]

    def montgomery(self, xs, factor: int = 1) -> np.ndarray:
        """The Montgomery array of x·factor for the values ``xs``."""
        p, f = self.p, self.r * factor % self.p
        return limbs([x * f % p for x in xs])

    def one_value(self, s) -> int:
        """The value of one Montgomery element of shape (4,)."""
        return words(s)[0] * self.r_inv % self.p


FR = Field(R_MOD)
FQ = Field(Q_MOD)


def batch_inverse(xs, p: int) -> list:
    """x⁻¹ mod p for each x, 0 ↦ 0, with one modular inversion (``tree_inverse``)."""
    inv = iter(tree_inverse([x for x in xs if x], p))
    return [next(inv) if x else 0 for x in xs]


def tree_inverse(xs, p: int) -> list:
    """x⁻¹ mod p for non-zero xs, one inversion: products up a binary tree, inverses down it.

    The 3n multiplications of Montgomery's trick, done level by level as list
    comprehensions (a node's inverse times its sibling is its child's inverse)."""
    levels = [list(xs)]
    while len(levels[-1]) > 1:
        lv = levels[-1]
        up = [a * b % p for a, b in zip(lv[0::2], lv[1::2])]
        if len(lv) % 2:
            up.append(lv[-1])
        levels.append(up)
    inv = [pow(levels[-1][0], -1, p)] if levels[-1] else []
    for lv in reversed(levels[:-1]):
        pairs = len(lv) // 2
        down = [0] * len(lv)
        down[0:2 * pairs:2] = [i * b % p for i, b in zip(inv, lv[1::2])]
        down[1:2 * pairs:2] = [i * a % p for i, a in zip(inv, lv[0:2 * pairs:2])]
        if len(lv) % 2:
            down[-1] = inv[-1]
        inv = down
    return inv


def _register(tag: str, F: Field) -> None:
    p = F.p

    @implements(f"{tag}.add_vec")
    def add_vec(a, b):
        return limbs([(x + y) % p for x, y in zip(words(a), words(b))])

    @implements(f"{tag}.sub_vec")
    def sub_vec(a, b):
        return limbs([(x - y) % p for x, y in zip(words(a), words(b))])

    @implements(f"{tag}.neg_vec")
    def neg_vec(a):
        return limbs([-x % p for x in words(a)])

    @implements(f"{tag}.mul_vec")
    def mul_vec(a, b):
        return limbs([x * y % p for x, y in zip(words(a), F.values(b))])

    @implements(f"{tag}.sqr_vec")
    def sqr_vec(a):
        return limbs([x * y % p for x, y in zip(words(a), F.values(a))])

    @implements(f"{tag}.scale_vec")
    def scale_vec(a, s):
        k = F.one_value(s)
        return limbs([x * k % p for x in words(a)])

    @implements(f"{tag}.to_mont_vec")
    def to_mont_vec(a):
        return F.montgomery(words(a))

    @implements(f"{tag}.from_mont_vec")
    def from_mont_vec(a):
        return limbs(F.values(a))

    @implements(f"{tag}.inv_vec")
    def inv_vec(a):
        # (x̃)⁻¹ = x⁻¹·R⁻¹, so the Montgomery form of x⁻¹ is R²·(x̃)⁻¹
        return limbs([y * F.r2 % p for y in batch_inverse(words(a), p)])

    @implements(f"{tag}.powers")
    def powers(base, n):
        b, cur, out = F.one_value(base), F.r, []
        for _ in range(n):
            out.append(cur)
            cur = cur * b % p
        return limbs(out) if out else np.zeros((0, 4), dtype=np.uint64)


_register("fr", FR)
_register("fq", FQ)
