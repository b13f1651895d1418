"""Eight Fq Montgomery products at once with AVX-512 IFMA (radix 2⁵², R' = 2²⁶⁰).

Role: the building block for vectorised field arithmetic (the batch-affine MSM
additions are six Fq products each and the products are ~86 % of the MSM).
Measured on the 2-core Zen 5 dev VM (``benchmarks/kernels.py``): ~4 ns a
product against ~20 ns for the scalar 4×64-bit CIOS of ``fq.mul``, whose
speed is set by its ~60 carry-chained additions (an ADX/MULX inline-assembly
version ran at the same speed); IFMA has no carry flags.  Not used by the
prover yet: the vectorised MSM built on it is the next step.

Layout ("SoA groups"): a (m, 5, 8) uint64 array holds 8m elements; group g,
limb j, lane l is bits [52j, 52j + 52) of element 8g + l.  Values are
Montgomery residues x·R' mod q with R' = 2²⁶⁰, kept *lazily* reduced: every
limb < 2⁵² and the value < 2q.

Maths (per lane; CIOS in radix 2⁵²).  vpmadd52luq / vpmadd52huq add the low /
high 52 bits of the 104-bit product of two 52-bit limbs to a 64-bit
accumulator.  For i = 0 … 4:

    t += a·bᵢ                       (lo part into t_j, hi part into t_(j+1))
    m  = (t₀ mod 2⁵²)·q' mod 2⁵²    (q' = −q⁻¹ mod 2⁵²)
    t += m·q;  t = (t₀ >> 52 carried into t₁) shifted down one limb

then one carry pass leaves 52-bit limbs.  Bounds: each step adds < 4·2⁵² to a
limb, so the 64-bit accumulators never overflow; the result is < ab/R' + q,
and for a, b < 2q that is < 4q²/2²⁶⁰ + q < q/16 + q < 2q (4q < 2²⁵⁶), so
outputs can be inputs again.
The twin is ``twins/ifma.py`` (same limb arithmetic on Python ints).
"""

import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from verifier.fields import Q_MOD

from .threads import parallel_for

__all__ = ["available", "LIMB_BITS", "R_PRIME", "mul_groups", "mul", "to_groups", "from_groups",
           "to_mont", "from_mont"]

LIMB_BITS = 52
_MASK = (1 << LIMB_BITS) - 1
#: the Montgomery radix of this representation
R_PRIME = 1 << (5 * LIMB_BITS)
_Q52 = [(Q_MOD >> (LIMB_BITS * j)) & _MASK for j in range(5)]
_QINV52 = (-pow(Q_MOD, -1, 1 << LIMB_BITS)) % (1 << LIMB_BITS)

_V = ir.VectorType(ir.IntType(64), 8)
_I64 = ir.IntType(64)
_LO = "llvm.x86.avx512.vpmadd52l.uq.512"
_HI = "llvm.x86.avx512.vpmadd52h.uq.512"


def available() -> bool:
    """Whether this CPU (as Numba compiles for it) has AVX-512F and IFMA."""
    feats = llvm.get_host_cpu_features()
    return bool(feats.get("avx512f")) and bool(feats.get("avx512ifma"))


def _splat(x: int):
    return ir.Constant(_V, [ir.Constant(_I64, x)] * 8)


def _madd(builder, name, acc, x, y):
    fn = builder.module.globals.get(name)
    if fn is None:
        fn = ir.Function(builder.module, ir.FunctionType(_V, [_V, _V, _V]), name=name)
    return builder.call(fn, [acc, x, y])


def _mont8(builder, a, b):
    """The module docstring's CIOS on five <8 x i64> limb vectors each; returns five vectors."""
    zero = _splat(0)
    q = [_splat(x) for x in _Q52]
    qinv, mask, shift = _splat(_QINV52), _splat(_MASK), _splat(LIMB_BITS)
    t = [zero] * 6
    for i in range(5):
        for j in range(5):
            t[j] = _madd(builder, _LO, t[j], a[j], b[i])
            t[j + 1] = _madd(builder, _HI, t[j + 1], a[j], b[i])
        m = _madd(builder, _LO, zero, t[0], qinv)
        for j in range(5):
            t[j] = _madd(builder, _LO, t[j], m, q[j])
            t[j + 1] = _madd(builder, _HI, t[j + 1], m, q[j])
        t[1] = builder.add(t[1], builder.lshr(t[0], shift))
        t = t[1:] + [zero]
    for j in range(4):
        t[j + 1] = builder.add(t[j + 1], builder.lshr(t[j], shift))
        t[j] = builder.and_(t[j], mask)
    return t[:5]


@intrinsic
def _mul_group(typingctx, out, a, b, g):
    """out[g] = a[g]·b[g]·R'⁻¹ for (m, 5, 8) uint64 C arrays (one group: eight products)."""
    arr = types.Array(types.uint64, 3, "C")
    if not (out == arr and a == arr and b == arr and isinstance(g, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        out_a, a_a, b_a = (context.make_array(arr)(context, builder, v) for v in args[:3])
        base = builder.mul(context.cast(builder, args[3], sig.args[3], types.intp),
                           ir.Constant(_I64, 40))

        def ptr(ary, j):
            p = builder.gep(ary.data, [builder.add(base, ir.Constant(_I64, 8 * j))])
            return builder.bitcast(p, _V.as_pointer())
        av = [builder.load(ptr(a_a, j), align=8) for j in range(5)]
        bv = [builder.load(ptr(b_a, j), align=8) for j in range(5)]
        for j, v in enumerate(_mont8(builder, av, bv)):
            builder.store(v, ptr(out_a, j), align=8)
        return context.get_dummy_value()

    return types.void(out, a, b, g), codegen


@njit(cache=True, nogil=True)
def mul_groups(out, a, b, lo, hi):
    """out[g] = a[g]·b[g]·R'⁻¹ (lazily reduced) for groups lo ≤ g < hi; (m, 5, 8) arrays."""
    for g in range(lo, hi):
        _mul_group(out, a, b, g)


def mul(a, b):
    """Group-wise Montgomery product of two (m, 5, 8) arrays, on all threads."""
    if not available():
        raise RuntimeError("ifma.mul needs a CPU with AVX-512 IFMA")
    a = np.ascontiguousarray(a, dtype=np.uint64)
    b = np.ascontiguousarray(b, dtype=np.uint64)
    if a.ndim != 3 or a.shape[1:] != (5, 8) or b.shape != a.shape:
        raise ValueError(f"ifma.mul: operands must both have shape (m, 5, 8), got {a.shape}, {b.shape}")
    out = np.empty_like(a)
    parallel_for(mul_groups, a.shape[0], out, a, b)
    return out


# ----------------------------------------------------------------- conversions (NumPy, for tests and callers)

def to_groups(values) -> np.ndarray:
    """Ints in [0, 2²⁶⁰) (count padded with zeros to a multiple of 8) → (m, 5, 8) limbs."""
    values = [int(v) for v in values]
    values += [0] * (-len(values) % 8)
    limbs = np.array([[(v >> (LIMB_BITS * j)) & _MASK for j in range(5)] for v in values],
                     dtype=np.uint64)
    return np.ascontiguousarray(limbs.reshape(-1, 8, 5).transpose(0, 2, 1))


def from_groups(arr) -> list:
    """(m, 5, 8) limbs → the 8m ints they hold (not reduced)."""
    rows = np.asarray(arr, dtype=np.uint64).transpose(0, 2, 1).reshape(-1, 5)
    return [sum(int(x) << (LIMB_BITS * j) for j, x in enumerate(r)) for r in rows]


def to_mont(values) -> np.ndarray:
    """Ints (reduced mod q first) → (m, 5, 8) Montgomery form x·R' mod q."""
    return to_groups(int(v) % Q_MOD * R_PRIME % Q_MOD for v in values)


def from_mont(arr) -> list:
    """(m, 5, 8) Montgomery (lazily reduced) → canonical ints mod q."""
    rinv = pow(R_PRIME, -1, Q_MOD)
    return [v * rinv % Q_MOD for v in from_groups(arr)]


def _check() -> None:
    """Import-time check of the constants (Python ints)."""
    assert sum(x << (LIMB_BITS * j) for j, x in enumerate(_Q52)) == Q_MOD
    assert (Q_MOD * _QINV52 + 1) % (1 << LIMB_BITS) == 0
    assert 4 * Q_MOD < R_PRIME >> 4, "the < 2q output bound needs q < 2^254"


_check()
