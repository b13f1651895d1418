"""Bits, ranges and comparisons: in-circuit gadgets with their native twins.

Every in-circuit function takes the ``Circuit`` first; operands are wires
(``Var``) or ints (constants, folded into selectors where possible).  Each has a
plain-integer twin ``*_native`` (or ``bits_of``) that the tests compare against.

Maths and costs (vanilla rows qM·a·b + qL·a + qR·b + qO·c + qC = 0):

* ``range_check(x, n)``: x = Σ dᵢ·4ⁱ with base-4 digits dᵢ (one extra bit when n
  is odd).  A digit is valid iff d(d−1)(d−2)(d−3) = 0; with t = d² − 3d this is
  t·(t + 2) = 0, so a digit costs two rows (t = d·d − 3d, then t·t + 2t = 0) and
  one Horner row acc' = 4·acc + d; the last Horner row writes into x itself.
  Since Σ dᵢ4ⁱ < 2ⁿ ≤ 2²⁵³ < r the field equation is an integer equation, so
  the decomposition proves 0 ≤ x < 2ⁿ: 3n/2 − 1 rows (95 for n = 64).  For
  n ≥ 254 every field element is < r < 2ⁿ and nothing is constrained.
* ``to_bits(x, n)``: n boolean rows b·b − b = 0 and n − 1 Horner rows
  acc' = 2·acc + b.  For n ≥ 254 the bits could also encode x + r, so an alias
  check forces Σ bᵢ2ⁱ ≤ r − 1: scanning from the least significant bit,
  gtᵢ₊₁ = [prefix > prefix of r − 1] is bᵢ·gtᵢ where r−1 has a 1 and
  bᵢ + gtᵢ − bᵢ·gtᵢ where it has a 0 (one row each); the last must be 0.
* ``is_zero(x)``: hints inv and out; rows x·inv + out − 1 = 0 and x·out = 0
  force out = [x = 0] (the usual inverse technique).  Against a constant k the
  shift x − k folds into the selectors (``is_equal(x, k)``: two rows).
* ``lt(x, y, n)`` for x, y < 2ⁿ (the caller's duty), n ≤ 252: a boolean hint l
  and a range check of x − y + 2ⁿ·l to n bits; it passes only for l = [x < y]
  (x − y + 2ⁿ lies in [1, 2ⁿ⁺¹) and n + 1 ≤ 253 bits cannot wrap mod r).
  ``le`` is the same with y − x + 2ⁿ·(1 − l).
* ``select(f, a, b)`` = b + f·(a − b) for a boolean f (not checked here):
  one row when a or b is a constant, three otherwise.
* Signed values (docs/design.md §Statement) live in the field as x mod r.
  ``signed_to_offset(x, n)`` returns x + 2ⁿ⁻¹ range-checked to [0, 2ⁿ), i.e.
  −2ⁿ⁻¹ ≤ x < 2ⁿ⁻¹.  ``sign_abs(x, n)`` hints the sign s, checks s boolean and
  |x| = x − 2·s·x ∈ [0, 2ⁿ⁻¹): x and −x cannot both be small unless x = 0, so
  this proves |x| < 2ⁿ⁻¹ and the sign (s = 0 for x = 0 is not forced).

Hints call module-level functions (``_hint_*``) looked up when the witness is
solved, so a test can replace one to play a cheating prover.
"""

from verifier.fields import R_MOD

from .builder import Circuit, CircuitError, Var

__all__ = [
    "arith", "to_bits", "from_bits", "range_check", "is_zero", "is_equal", "lt", "le",
    "assert_lt", "assert_le", "select", "min_", "max_", "signed_to_offset", "sign_abs", "abs_",
    "bits_of", "from_bits_native", "range_check_native", "is_zero_native", "is_equal_native",
    "lt_native", "le_native", "select_native", "min_native", "max_native",
    "signed_to_offset_native", "abs_native", "to_signed", "MAX_CMP_BITS",
]

MAX_CMP_BITS = 252          # comparisons: x − y + 2ⁿ must stay below 2^253 < r
_FIELD_BITS = R_MOD.bit_length()    # 254


# ------------------------------------------------------------------ hints
def _hint_bits(v, n):
    return [(v >> i) & 1 for i in range(n)]


def _hint_digits(v, n_digits):
    return [(v >> (2 * i)) & 3 for i in range(n_digits)]


def _hint_inverse(v):
    return pow(v, -1, R_MOD) if v else 0


def _hint_is_zero(v):
    return 1 if v == 0 else 0


def _hint_lt(x, y):
    return 1 if x < y else 0


def _hint_negative(v):
    return 1 if v > R_MOD // 2 else 0


# ------------------------------------------------------------------ helpers
def arith(c: Circuit, a, b=None, qm=0, ql=0, qr=0, qc=0) -> Var:
    """One row: a new wire out = qM·a·b + qL·a + qR·b + qC (``b`` may be None)."""
    b_ = a if b is None and qm else b
    qm, ql, qr, qc = (int(k) % R_MOD for k in (qm, ql, qr, qc))

    def value(x, y=0):
        return (qm * x * y + ql * x + qr * y + qc) % R_MOD

    ins = [a] if b_ is None else [a, b_]
    out = c.hint(value, ins)
    c.gate(a, b_, out, qm=qm, ql=ql, qr=qr, qo=-1, qc=qc)
    return out


def _const(x) -> int:
    return int(x) % R_MOD


def _check_n(n, lo=0, hi=None):
    if isinstance(n, bool) or not isinstance(n, int) or n < lo or (hi is not None and n > hi):
        raise CircuitError(f"bit width must be an integer in [{lo}, {hi}], got {n!r}")


# ------------------------------------------------------------------ bits
def to_bits(c: Circuit, x, n: int) -> list:
    """Little-endian boolean wires b with Σ bᵢ2ⁱ = x (unique: < r when n ≥ 254)."""
    _check_n(n, 1)
    if not isinstance(x, Var):
        return [c.constant(b) for b in bits_of(_const(x), n)]
    if n == 1:
        c.assert_bool(x)
        return [x]
    bits = c.hint(lambda v: _hint_bits(v, n), [x], n_out=n)
    for b in bits:
        c.assert_bool(b)
    acc = bits[-1]                                # Horner from the most significant bit
    for i in range(n - 2, -1, -1):
        if i == 0:
            c.gate(acc, bits[0], x, ql=2, qr=1, qo=-1)
        else:
            acc = c.lincomb([(acc, 2), (bits[i], 1)])
    if n >= _FIELD_BITS:
        _assert_bits_le_const(c, bits, R_MOD - 1)
    return bits


def _assert_bits_le_const(c: Circuit, bits, bound: int) -> None:
    """Σ bᵢ2ⁱ ≤ bound for boolean wires (LSB-first scan of 'prefix greater')."""
    gt = 0                                        # constant 0 until the first 0-bit of bound
    last = len(bits) - 1
    for i, b in enumerate(bits):
        one = (bound >> i) & 1
        if isinstance(gt, int):                   # gt is the constant 0
            gt = 0 if one else b
            if i == last:
                c.assert_zero(gt)
            continue
        if i == last:                             # final prefix must not exceed: gt' = 0
            if one:
                c.gate(b, gt, None, qm=1)
            else:
                c.gate(b, gt, None, qm=-1, ql=1, qr=1)
        elif one:
            gt = c.mul(b, gt)
        else:
            gt = arith(c, b, gt, qm=-1, ql=1, qr=1)


def from_bits(c: Circuit, bits):
    """Σ bᵢ2ⁱ as a wire (no booleanity constraints)."""
    return c.lincomb([(b, 1 << i) for i, b in enumerate(bits)])


def range_check(c: Circuit, x, n: int) -> None:
    """Constrain 0 ≤ x < 2ⁿ (base-4 digits; 3n/2 − 1 rows)."""
    _check_n(n, 0)
    if not isinstance(x, Var):
        if _const(x) >> n:
            raise CircuitError(f"constant {_const(x)} is not below 2^{n}")
        return
    if n >= _FIELD_BITS:
        return
    if n == 0:
        c.assert_zero(x)
        return
    if n <= 2:
        (c.assert_bool if n == 1 else (lambda w: _assert_digit(c, w)))(x)
        return
    n_digits, odd = divmod(n, 2)
    n_parts = n_digits + odd                      # the odd top part is a single bit
    parts = c.hint(lambda v: _hint_digits(v, n_parts), [x], n_out=n_parts)
    for i, d in enumerate(parts):
        if odd and i == n_digits:
            c.assert_bool(d)
        else:
            _assert_digit(c, d)
    acc = parts[-1]                               # Horner from the most significant part
    for i in range(n_parts - 2, -1, -1):
        if i == 0:
            c.gate(acc, parts[0], x, ql=4, qr=1, qo=-1)
        else:
            acc = c.lincomb([(acc, 4), (parts[i], 1)])


def _assert_digit(c: Circuit, d: Var) -> None:
    """d ∈ {0, 1, 2, 3}: t = d² − 3d, t·(t + 2) = 0."""
    t = arith(c, d, d, qm=1, ql=-3)
    c.gate(t, t, None, qm=1, ql=2)


# ------------------------------------------------------------------ zero / equality
def _is_zero_shifted(c: Circuit, x: Var, k: int) -> Var:
    """[x = k] with the shift folded into both rows."""
    k = _const(k)
    inv = c.hint(lambda v: _hint_inverse((v - k) % R_MOD), [x])
    out = c.hint(lambda v: _hint_is_zero((v - k) % R_MOD), [x])
    c.gate(x, inv, out, qm=1, qr=-k, qo=1, qc=-1)       # (x − k)·inv + out − 1 = 0
    c.gate(x, out, None, qm=1, qr=-k)                   # (x − k)·out = 0
    return out


def is_zero(c: Circuit, x):
    """1 if x = 0 else 0 (two rows)."""
    if not isinstance(x, Var):
        return is_zero_native(x)
    return _is_zero_shifted(c, x, 0)


def is_equal(c: Circuit, x, y):
    """1 if x = y else 0 (two rows against a constant, three between wires)."""
    if not isinstance(x, Var):
        x, y = y, x
    if not isinstance(x, Var):
        return is_equal_native(x, y)
    if not isinstance(y, Var):
        return _is_zero_shifted(c, x, y)
    return _is_zero_shifted(c, c.sub(x, y), 0)


# ------------------------------------------------------------------ comparisons
def _cmp(c: Circuit, x, y, n: int, strict: bool):
    _check_n(n, 1, MAX_CMP_BITS)
    if not isinstance(x, Var) and not isinstance(y, Var):
        return (lt_native if strict else le_native)(_const(x), _const(y), n)
    if strict:                                    # l = [x < y]; x − y + 2ⁿ·l ∈ [0, 2ⁿ)
        bit = c.hint(lambda a, b: _hint_lt(a, b), [x, y])
        c.assert_bool(bit)
        lo = c.lincomb([(x, 1), (y, -1), (bit, 1 << n)])
    else:                                         # l = [x ≤ y] = 1 − [y < x]
        bit = c.hint(lambda a, b: 1 - _hint_lt(b, a), [x, y])
        c.assert_bool(bit)
        lo = c.lincomb([(y, 1), (x, -1), (bit, -(1 << n))], const=1 << n)
    range_check(c, lo, n)
    return bit


def lt(c: Circuit, x, y, n: int):
    """[x < y] for x, y already known to be in [0, 2ⁿ), n ≤ 252."""
    return _cmp(c, x, y, n, strict=True)


def le(c: Circuit, x, y, n: int):
    """[x ≤ y] for x, y already known to be in [0, 2ⁿ), n ≤ 252."""
    return _cmp(c, x, y, n, strict=False)


def assert_lt(c: Circuit, x, y, n: int) -> None:
    """x < y for x, y in [0, 2ⁿ): y − x − 1 ∈ [0, 2ⁿ)."""
    _check_n(n, 1, MAX_CMP_BITS)
    range_check(c, c.lincomb([(y, 1), (x, -1)], const=-1), n)


def assert_le(c: Circuit, x, y, n: int) -> None:
    """x ≤ y for x, y in [0, 2ⁿ): y − x ∈ [0, 2ⁿ)."""
    _check_n(n, 1, MAX_CMP_BITS)
    range_check(c, c.lincomb([(y, 1), (x, -1)]), n)


def select(c: Circuit, flag, a, b):
    """flag ? a : b for a boolean flag (booleanity is the caller's duty)."""
    if not isinstance(flag, Var):
        return a if _const(flag) else b
    av, bv = isinstance(a, Var), isinstance(b, Var)
    if not av and not bv:
        return c.lincomb([(flag, _const(a) - _const(b))], const=_const(b))
    if av and not bv:                             # f·a − k·f + k
        return arith(c, flag, a, qm=1, ql=-_const(b), qc=_const(b))
    if bv and not av:                             # b + k·f − f·b
        return arith(c, flag, b, qm=-1, ql=_const(a), qr=1)
    if a.index == b.index:
        return a
    return c.add(c.mul(flag, c.sub(a, b)), b)


def min_(c: Circuit, x, y, n: int):
    """min(x, y) for x, y in [0, 2ⁿ)."""
    return select(c, lt(c, x, y, n), x, y)


def max_(c: Circuit, x, y, n: int):
    """max(x, y) for x, y in [0, 2ⁿ)."""
    return select(c, lt(c, x, y, n), y, x)


# ------------------------------------------------------------------ signed values
def signed_to_offset(c: Circuit, x, n: int):
    """x + 2ⁿ⁻¹ range-checked to [0, 2ⁿ): proves −2ⁿ⁻¹ ≤ x < 2ⁿ⁻¹ (x as x mod r)."""
    _check_n(n, 1, MAX_CMP_BITS + 1)
    y = c.lincomb([(x, 1)], const=1 << (n - 1))
    range_check(c, y, n)
    return y


def sign_abs(c: Circuit, x, n: int):
    """(s, |x|) with s = [x < 0] and |x| < 2ⁿ⁻¹ proven; s is 0 or 1 for x = 0."""
    _check_n(n, 1, MAX_CMP_BITS + 1)
    if not isinstance(x, Var):
        v = to_signed(_const(x))
        return int(v < 0), abs_native(v, n)
    s = c.hint(lambda v: _hint_negative(v), [x])
    c.assert_bool(s)
    out = arith(c, s, x, qm=-2, qr=1)             # x − 2·s·x
    range_check(c, out, n - 1)
    return s, out


def abs_(c: Circuit, x, n: int):
    """|x| for a signed x with |x| < 2ⁿ⁻¹ (proven)."""
    return sign_abs(c, x, n)[1]


# ------------------------------------------------------------------ native twins
def to_signed(v: int) -> int:
    """A field element as the signed integer in (−r/2, r/2]."""
    v %= R_MOD
    return v - R_MOD if v > R_MOD // 2 else v


def bits_of(value: int, n: int) -> list:
    """Little-endian bits of 0 ≤ value < 2ⁿ; ValueError otherwise."""
    if value < 0 or value >> n:
        raise ValueError(f"{value} does not fit in {n} bits")
    return [(value >> i) & 1 for i in range(n)]


def from_bits_native(bits) -> int:
    return sum(int(b) << i for i, b in enumerate(bits)) % R_MOD


def range_check_native(x: int, n: int) -> bool:
    return 0 <= x < (1 << n)


def is_zero_native(x: int) -> int:
    return int(x % R_MOD == 0)


def is_equal_native(x: int, y: int) -> int:
    return int((x - y) % R_MOD == 0)


def _need_range(x, n):
    if not 0 <= x < (1 << n):
        raise ValueError(f"{x} is not in [0, 2^{n})")


def lt_native(x: int, y: int, n: int) -> int:
    _need_range(x, n)
    _need_range(y, n)
    return int(x < y)


def le_native(x: int, y: int, n: int) -> int:
    _need_range(x, n)
    _need_range(y, n)
    return int(x <= y)


def select_native(flag: int, a: int, b: int) -> int:
    return a if flag else b


def min_native(x: int, y: int, n: int) -> int:
    return x if lt_native(x, y, n) else y


def max_native(x: int, y: int, n: int) -> int:
    return y if lt_native(x, y, n) else x


def signed_to_offset_native(x: int, n: int) -> int:
    """x + 2ⁿ⁻¹ for a signed −2ⁿ⁻¹ ≤ x < 2ⁿ⁻¹; ValueError otherwise."""
    y = x + (1 << (n - 1))
    _need_range(y, n)
    return y


def abs_native(x: int, n: int) -> int:
    """|x| for a signed x with |x| < 2ⁿ⁻¹; ValueError otherwise."""
    if abs(x) >> (n - 1):
        raise ValueError(f"|{x}| is not below 2^{n - 1}")
    return abs(x)
