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

import numba
import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from verifier.fields import Q_MOD

from .threads import parallel_for

__all__ = ["available", "LIMB_BITS", "R_PRIME", "mont_at", "scale16_at", "mul_groups", "mul", "to_groups",
           "from_groups", "to_mont", "from_mont"]

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
    """Whether Numba compiles for a CPU with AVX-512F and IFMA: the host's features, unless
    NUMBA_CPU_NAME / NUMBA_CPU_FEATURES name another target (then those features decide)."""
    if numba.config.CPU_FEATURES is not None:
        feats = numba.config.CPU_FEATURES.split(",")
        return "+avx512f" in feats and "+avx512ifma" in feats
    if numba.config.CPU_NAME not in (None, "host"):
        return False
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


_ARR = types.Array(types.uint64, 3, "C")


def _group_ptr(context, builder, ary, g, j):
    """Pointer to limb vector j of group g of an (m, 5, 8) array (as <8 x i64>*)."""
    base = builder.mul(g, ir.Constant(_I64, 40))
    p = builder.gep(ary.data, [builder.add(base, ir.Constant(_I64, 8 * j))])
    return builder.bitcast(p, _V.as_pointer())


def _load_group(context, builder, sig, args, k):
    ary = context.make_array(_ARR)(context, builder, args[k])
    g = context.cast(builder, args[k + 1], sig.args[k + 1], types.intp)
    return [builder.load(_group_ptr(context, builder, ary, g, j), align=8) for j in range(5)]


def _store_group(context, builder, sig, args, k, vecs):
    ary = context.make_array(_ARR)(context, builder, args[k])
    g = context.cast(builder, args[k + 1], sig.args[k + 1], types.intp)
    for j, v in enumerate(vecs):
        builder.store(v, _group_ptr(context, builder, ary, g, j), align=8)


@intrinsic
def mont_at(typingctx, out, io, a, ia, b, ib):
    """out[io] = a[ia]·b[ib]·R'⁻¹ on (m, 5, 8) arrays (any group indices; out may alias a or b)."""
    if not (out == _ARR and a == _ARR and b == _ARR
            and all(isinstance(t, types.Integer) for t in (io, ia, ib))):
        return None

    def codegen(context, builder, sig, args):
        av = _load_group(context, builder, sig, args, 2)
        bv = _load_group(context, builder, sig, args, 4)
        _store_group(context, builder, sig, args, 0, _mont8(builder, av, bv))
        return context.get_dummy_value()

    return types.void(out, io, a, ia, b, ib), codegen


@intrinsic
def scale16_at(typingctx, out, io, a, ia):
    """out[io] = 16·a[ia] as an integer (limbs re-split at 52 bits): for a < 2q the result is
    < 32q < 2²⁶⁰, a valid operand of a product whose other factor is < 2q."""
    if not (out == _ARR and a == _ARR and isinstance(io, types.Integer) and isinstance(ia, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        av = _load_group(context, builder, sig, args, 2)
        mask, four, back = _splat(_MASK), _splat(4), _splat(LIMB_BITS - 4)
        res = []
        for j in range(5):
            v = builder.and_(builder.shl(av[j], four), mask)
            if j:
                v = builder.or_(v, builder.lshr(av[j - 1], back))
            res.append(v)
        _store_group(context, builder, sig, args, 0, res)
        return context.get_dummy_value()

    return types.void(out, io, a, ia), codegen


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
