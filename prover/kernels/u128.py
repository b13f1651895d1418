"""Exact 64×64→128-bit limb primitives as Numba intrinsics.

Numba has no 128-bit integer type, and building a 64×64 product from 32-bit
halves costs about 2.3× more per field multiply.  These intrinsics emit LLVM IR
that widens to ``i128``, multiplies/adds, and splits the result into two
``uint64`` limbs; LLVM lowers that to a single ``mul``/``adc``/``sbb`` chain.

All three take and return ``uint64`` only.  They are the sole place in the
project where LLVM IR is written by hand; every field kernel is built on them.

``montgomery_mul`` builds, for one modulus, the field multiply itself as
intrinsics (4-limb CIOS Montgomery product, "no-carry" variant, on the same
widened ``mul``/``add`` as ``mac``).  An intrinsic's IR is emitted into its
caller, so the product is always inlined: as an ``@njit`` function of ~150
instructions LLVM kept it out of line and every multiply paid a call with
numba's calling convention (arguments and result through memory), which cost
about a third of the multiply.  Variants: eight limbs in / a 4-tuple out
(``mul``, ``sqr`` on four limbs), and on 4-tuples (``mul_t``, ``sqr_t``).
"""

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["mac", "adc", "sbb", "montgomery_mul"]

_U64 = types.uint64
_I64 = ir.IntType(64)
_I128 = ir.IntType(128)


def _widen(builder, args):
    return [builder.zext(v, _I128) for v in args]


def _split(context, builder, signature, wide):
    lo = builder.trunc(wide, _I64)
    hi = builder.trunc(builder.lshr(wide, ir.Constant(_I128, 64)), _I64)
    return lo, hi


@intrinsic
def mac(typingctx, a, b, c, d):
    """``(hi, lo)`` of ``a·b + c + d``; never overflows 128 bits."""
    sig = types.UniTuple(_U64, 2)(_U64, _U64, _U64, _U64)

    def codegen(context, builder, signature, args):
        x = _widen(builder, args)
        wide = builder.add(builder.add(builder.mul(x[0], x[1]), x[2]), x[3])
        lo, hi = _split(context, builder, signature, wide)
        return context.make_tuple(builder, signature.return_type, (hi, lo))

    return sig, codegen


@intrinsic
def adc(typingctx, a, b, carry):
    """``(a + b + carry mod 2⁶⁴, carry_out ∈ {0, 1})``."""
    sig = types.UniTuple(_U64, 2)(_U64, _U64, _U64)

    def codegen(context, builder, signature, args):
        x = _widen(builder, args)
        wide = builder.add(builder.add(x[0], x[1]), x[2])
        lo, hi = _split(context, builder, signature, wide)
        return context.make_tuple(builder, signature.return_type, (lo, hi))

    return sig, codegen


@intrinsic
def sbb(typingctx, a, b, borrow):
    """``(a − b − borrow mod 2⁶⁴, borrow_out ∈ {0, 1})``."""
    sig = types.UniTuple(_U64, 2)(_U64, _U64, _U64)

    def codegen(context, builder, signature, args):
        x = _widen(builder, args)
        wide = builder.sub(builder.sub(x[0], x[1]), x[2])
        lo = builder.trunc(wide, _I64)
        out = builder.trunc(builder.lshr(wide, ir.Constant(_I128, 127)), _I64)
        return context.make_tuple(builder, signature.return_type, (lo, out))

    return sig, codegen


def _cios(builder, a, b, q, inv):
    """a·b·R⁻¹ mod p on four i64 limbs each (CIOS, no-carry: p's top limb < 2⁶³ − 1),
    then one branch-free conditional subtraction of p; returns four i64 limbs."""
    zero = ir.Constant(_I64, 0)

    def mac(x, y, c, d):                       # (hi, lo) of x·y + c + d
        w = builder.add(builder.add(builder.mul(builder.zext(x, _I128), builder.zext(y, _I128)),
                                    builder.zext(c, _I128)), builder.zext(d, _I128))
        return builder.trunc(builder.lshr(w, ir.Constant(_I128, 64)), _I64), builder.trunc(w, _I64)

    t = [zero] * 4
    for i in range(4):
        A, t[0] = mac(a[0], b[i], t[0], zero)
        m = builder.mul(t[0], inv)
        C, _ = mac(m, q[0], t[0], zero)
        for j in range(1, 4):
            A, t[j] = mac(a[j], b[i], t[j], A)
            C, t[j - 1] = mac(m, q[j], t[j], C)
        t[3] = builder.add(C, A)
    s, borrow = [], ir.Constant(_I128, 0)
    for j in range(4):                         # s = t − p, borrow out of the top limb
        w = builder.sub(builder.sub(builder.zext(t[j], _I128), builder.zext(q[j], _I128)), borrow)
        s.append(builder.trunc(w, _I64))
        borrow = builder.lshr(w, ir.Constant(_I128, 127))
    keep = builder.icmp_unsigned("!=", borrow, ir.Constant(_I128, 0))     # t < p: keep t
    return [builder.select(keep, t[j], s[j]) for j in range(4)]


def montgomery_mul(modulus_limbs, inv):
    """(mul, sqr, mul_t, sqr_t) intrinsics for the modulus p (four little-endian uint64
    limbs, top limb < 2⁶³ − 1) with inv = −p⁻¹ mod 2⁶⁴, all in Montgomery form:

        mul(a0, a1, a2, a3, b0, b1, b2, b3) → (c0, c1, c2, c3) = a·b·R⁻¹ mod p
        sqr(a0, a1, a2, a3)                 → a²·R⁻¹ mod p
        mul_t(a, b), sqr_t(a)               the same on 4-tuples of uint64
    """
    q = [ir.Constant(_I64, int(x)) for x in modulus_limbs]
    minv = ir.Constant(_I64, int(inv))
    limb = types.UniTuple(_U64, 4)

    def emit(context, builder, signature, a, b):
        return context.make_tuple(builder, signature.return_type, _cios(builder, a, b, q, minv))

    def limbs_of(builder, tup):
        return [builder.extract_value(tup, k) for k in range(4)]

    @intrinsic
    def mul(typingctx, a0, a1, a2, a3, b0, b1, b2, b3):
        if any(x != _U64 for x in (a0, a1, a2, a3, b0, b1, b2, b3)):
            return None
        return limb(*([_U64] * 8)), lambda ctx, bld, sig, args: emit(ctx, bld, sig, args[:4], args[4:])

    @intrinsic
    def sqr(typingctx, a0, a1, a2, a3):
        if any(x != _U64 for x in (a0, a1, a2, a3)):
            return None
        return limb(*([_U64] * 4)), lambda ctx, bld, sig, args: emit(ctx, bld, sig, args, args)

    @intrinsic
    def mul_t(typingctx, a, b):
        if a != limb or b != limb:
            return None
        return limb(limb, limb), lambda ctx, bld, sig, args: emit(
            ctx, bld, sig, limbs_of(bld, args[0]), limbs_of(bld, args[1]))

    @intrinsic
    def sqr_t(typingctx, a):
        if a != limb:
            return None

        def codegen(ctx, bld, sig, args):
            x = limbs_of(bld, args[0])
            return emit(ctx, bld, sig, x, x)
        return limb(limb), codegen

    return mul, sqr, mul_t, sqr_t
