"""Pure-Python twin of ``fr.py``/``fq.py``: Montgomery arithmetic on Python ints.

The kernels compute in Montgomery form x̃ = x·R mod p with R = 2²⁵⁶; this twin
does the same reduction the slow, obvious way (REDC by the textbook formula),
so tests can compare the limb-level results, not only the field values.
"""

__all__ = ["R", "to_mont", "from_mont", "redc", "mont_mul", "limbs", "from_limbs"]

R = 1 << 256
_MASK = (1 << 64) - 1


def limbs(x: int) -> list:
    """Four little-endian 64-bit words of x."""
    return [(x >> (64 * i)) & _MASK for i in range(4)]


def from_limbs(words) -> int:
    return sum(int(w) << (64 * i) for i, w in enumerate(words))


def redc(t: int, p: int) -> int:
    """Montgomery reduction t·R⁻¹ mod p, for 0 ≤ t < p·R: m = t·(−p⁻¹) mod R, (t + m·p)/R."""
    m = (t * (-pow(p, -1, R))) % R
    u = (t + m * p) >> 256
    return u - p if u >= p else u


def to_mont(x: int, p: int) -> int:
    return x * R % p


def from_mont(x: int, p: int) -> int:
    return redc(x, p)


def mont_mul(a: int, b: int, p: int) -> int:
    """ã·b̃·R⁻¹ mod p: the Montgomery-form product of two Montgomery-form inputs."""
    return redc(a * b, p)
