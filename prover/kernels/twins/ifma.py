"""Pure-Python twin of ``ifma.py``: the same radix-2⁵² CIOS Montgomery product on Python ints.

One lane at a time, limb by limb, with the instructions' semantics spelled out:
``madd52lo(acc, x, y) = acc + (x·y mod 2⁵²)`` and ``madd52hi(acc, x, y) = acc +
⌊x·y / 2⁵²⌋`` (x, y taken mod 2⁵², acc mod 2⁶⁴).  Returns the five limbs the
kernel stores, so tests compare them exactly (not only mod q).
"""

from verifier.fields import Q_MOD

__all__ = ["mont", "LIMB_BITS"]

LIMB_BITS = 52
_M52 = (1 << 52) - 1
_M64 = (1 << 64) - 1
_Q = [(Q_MOD >> (52 * j)) & _M52 for j in range(5)]
_QINV = (-pow(Q_MOD, -1, 1 << 52)) % (1 << 52)


def _lo(acc, x, y):
    return (acc + ((x & _M52) * (y & _M52) & _M52)) & _M64


def _hi(acc, x, y):
    return (acc + (((x & _M52) * (y & _M52)) >> 52)) & _M64


def mont(a: list, b: list) -> list:
    """Five 52-bit limbs of a·b·2⁻²⁶⁰ mod q (lazily reduced, < 2q) for limb lists a, b."""
    t = [0] * 6
    for i in range(5):
        for j in range(5):
            t[j] = _lo(t[j], a[j], b[i])
            t[j + 1] = _hi(t[j + 1], a[j], b[i])
        m = _lo(0, t[0], _QINV)
        for j in range(5):
            t[j] = _lo(t[j], m, _Q[j])
            t[j + 1] = _hi(t[j + 1], m, _Q[j])
        t[1] = (t[1] + (t[0] >> 52)) & _M64
        t = t[1:] + [0]
    for j in range(4):
        t[j + 1] = (t[j + 1] + (t[j] >> 52)) & _M64
        t[j] &= _M52
    return t[:5]
