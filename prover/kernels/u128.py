"""Exact 64×64→128-bit limb primitives as Numba intrinsics.

Numba has no 128-bit integer type, and building a 64×64 product from 32-bit
halves costs about 2.3× more per field multiply.  These intrinsics emit LLVM IR
that widens to ``i128``, multiplies/adds, and splits the result into two
``uint64`` limbs; LLVM lowers that to a single ``mul``/``adc``/``sbb`` chain.

All three take and return ``uint64`` only.  They are the sole place in the
project where LLVM IR is written by hand; every field kernel is built on them.
"""

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["mac", "adc", "sbb"]

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
