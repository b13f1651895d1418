"""circuits.bits: each gadget against its native twin, edge values, cheating provers, a proof."""

import random
import warnings

import pytest
from hypothesis import given, settings, strategies as st

from circuits import Circuit, CircuitError, UnsatisfiedError
from circuits import bits as B
from prover import prove
from prover.setup import setup
from verifier import verify
from verifier.fields import R_MOD as R

FEW = settings(max_examples=12, deadline=None)


def circuit_of(build, n_inputs=1):
    """A circuit on private inputs x0, x1, …; ``build`` returns the wires to read back."""
    c = Circuit()
    xs = [c.private(f"x{i}") for i in range(n_inputs)]
    outs = build(c, *xs)
    return c, outs


def run(c, outs, *values):
    """Witness values of ``outs`` (a wire or a list of wires), after checking every row."""
    w = c.check({f"x{i}": v for i, v in enumerate(values)})
    return [w[o.index] for o in outs] if isinstance(outs, (list, tuple)) else w[outs.index]


def assert_every_wire_pinned(c, values, skip=()):
    """Changing any single wire of a satisfying witness breaks some row (no free wire)."""
    cs = c.compile()
    w = c.check({f"x{i}": v for i, v in enumerate(values)}, cs)
    for i in range(1, len(w)):
        if i in skip:
            continue
        bad = list(w)
        bad[i] = (bad[i] + 1) % R
        assert c.first_failure(bad, cs) is not None, f"wire {i} is not constrained"


# ------------------------------------------------------------------ to_bits / from_bits
@pytest.mark.parametrize("n", [1, 2, 8, 64, 253, 254, 256])
def test_to_bits_matches_bits_of_on_edges(n):
    c, outs = circuit_of(lambda c, x: B.to_bits(c, x, n))
    for v in [0, 1, (1 << min(n, 253)) - 1, R - 1, 2 ** (n - 1) % R]:
        if v < (1 << n):
            assert run(c, outs, v) == B.bits_of(v, n)
        else:
            assert not c.is_satisfied({"x0": v})
    if n < 254:
        assert not c.is_satisfied({"x0": 1 << n})


@FEW
@given(st.integers(0, R - 1), st.sampled_from([3, 31, 64, 200, 254]))
def test_to_bits_random(v, n):
    c, outs = circuit_of(lambda c, x: B.to_bits(c, x, n))
    if v < (1 << n):
        assert run(c, outs, v) == B.bits_of(v, n)
        assert B.from_bits_native(B.bits_of(v, n)) == v
    else:
        assert not c.is_satisfied({"x0": v})


def test_to_bits_alias_check_refuses_the_bits_of_x_plus_r(monkeypatch):
    """For n ≥ 254 the bits of x + r are boolean and sum to x mod r: the alias check stops them."""
    n, x = 254, 12345
    forged = B.bits_of(x + R, n)
    assert sum(b << i for i, b in enumerate(forged)) % R == x
    c, _ = circuit_of(lambda c, x: B.to_bits(c, x, n))
    assert c.is_satisfied({"x0": x})
    monkeypatch.setattr(B, "_hint_bits", lambda v, n: B.bits_of(v + R, n))
    w = c.solve({"x0": x})
    row = c.first_failure(w)
    assert row is not None and row >= 2 * n - 1          # booleans and the sum hold; the scan fails


def test_to_bits_refuses_a_non_boolean_decomposition(monkeypatch):
    c, _ = circuit_of(lambda c, x: B.to_bits(c, x, 8))
    monkeypatch.setattr(B, "_hint_bits", lambda v, n: [v] + [0] * (n - 1))   # sums to v, not bits
    assert not c.is_satisfied({"x0": 9})


def test_from_bits_and_constants():
    c, out = circuit_of(lambda c, a, b, d: B.from_bits(c, [a, b, 1, d]), 3)
    assert run(c, out, 1, 0, 1) == 1 + 4 + 8
    c = Circuit()
    consts = B.to_bits(c, 6, 4)
    assert [c.solve({})[b.index] for b in consts] == [0, 1, 1, 0]
    with pytest.raises(ValueError):
        B.bits_of(16, 4)
    with pytest.raises(ValueError):
        B.bits_of(-1, 4)


# ------------------------------------------------------------------ range_check
@pytest.mark.parametrize("n", [0, 1, 2, 3, 8, 63, 64, 80, 252, 253])
def test_range_check_edges(n):
    c, _ = circuit_of(lambda c, x: B.range_check(c, x, n))
    for v in [0, 1, 2, 3, (1 << n) - 1, 1 << n, (1 << n) + 1, 1 << (n + 1), R - 1, R - (1 << n)]:
        v %= R
        assert c.is_satisfied({"x0": v}) == B.range_check_native(v, n), (n, v)


@FEW
@given(st.integers(0, R - 1), st.sampled_from([5, 32, 64, 81, 160]))
def test_range_check_random(v, n):
    c, _ = circuit_of(lambda c, x: B.range_check(c, x, n))
    for val in (v, v >> (254 - n)):                       # a random field element, then a small one
        assert c.is_satisfied({"x0": val}) == B.range_check_native(val, n)


def test_range_check_cost_and_wide_widths():
    c, _ = circuit_of(lambda c, x: B.range_check(c, x, 64))
    assert c.n_gates <= 140
    c, _ = circuit_of(lambda c, x: B.range_check(c, x, 254))  # vacuous: every element is < r
    assert c.n_gates == 0 and c.is_satisfied({"x0": R - 1})
    c, _ = circuit_of(lambda c, x: B.range_check(c, x, 33))
    assert_every_wire_pinned(c, [2 ** 33 - 5])


def test_range_check_refuses_forged_digits(monkeypatch):
    """Digits that sum to x but include a 4 are caught by the digit rows."""
    c, _ = circuit_of(lambda c, x: B.range_check(c, x, 16))
    monkeypatch.setattr(B, "_hint_digits", lambda v, k: [4, (v - 4) >> 2] + [0] * (k - 2))
    assert sum(d << (2 * i) for i, d in enumerate(B._hint_digits(20, 8))) == 20
    assert not c.is_satisfied({"x0": 20})


def test_range_check_of_constants():
    c = Circuit()
    B.range_check(c, 255, 8)
    with pytest.raises(CircuitError, match="not below 2"):
        B.range_check(c, 256, 8)
    with pytest.raises(CircuitError, match="bit width"):
        B.range_check(c, c.private("x"), -1)


# ------------------------------------------------------------------ zero / equality
@pytest.mark.parametrize("v", [0, 1, 2, R - 1, 123456789])
def test_is_zero_and_is_equal(v):
    c, outs = circuit_of(lambda c, x, y: [B.is_zero(c, x), B.is_equal(c, x, y), B.is_equal(c, x, 7),
                                          B.is_equal(c, 0, x)], 2)
    for y in (v, v + 1, 7):
        assert run(c, outs, v, y) == [B.is_zero_native(v), B.is_equal_native(v, y),
                                      B.is_equal_native(v, 7), B.is_zero_native(v)]
    assert B.is_zero(Circuit(), 0) == 1 and B.is_equal(Circuit(), 3, 4) == 0


@pytest.mark.parametrize("v", [0, 5])
def test_is_zero_refuses_a_wrong_answer(monkeypatch, v):
    c, _ = circuit_of(lambda c, x: B.is_zero(c, x))
    monkeypatch.setattr(B, "_hint_is_zero", lambda u: 1 - (u == 0))
    assert not c.is_satisfied({"x0": v})
    monkeypatch.undo()
    c, _ = circuit_of(lambda c, x: B.is_equal(c, x, 5))
    monkeypatch.setattr(B, "_hint_is_zero", lambda u: 1 - (u == 0))
    assert not c.is_satisfied({"x0": v})


# ------------------------------------------------------------------ comparisons
def _cmp_circuit(n):
    return circuit_of(lambda c, x, y: [B.lt(c, x, y, n), B.le(c, x, y, n), B.min_(c, x, y, n),
                                       B.max_(c, x, y, n)], 2)


def _cmp_native(x, y, n):
    return [B.lt_native(x, y, n), B.le_native(x, y, n), B.min_native(x, y, n),
            B.max_native(x, y, n)]


@pytest.mark.parametrize("n", [1, 2, 32, 64, 252])
def test_comparisons_on_edges(n):
    c, outs = _cmp_circuit(n)
    top = (1 << n) - 1
    pairs = [(0, 0), (0, 1), (1, 0), (top, top), (0, top), (top, 0), (top - 1, top), (top, top - 1)]
    for x, y in pairs:
        x, y = x % (1 << n), y % (1 << n)
        assert run(c, outs, x, y) == _cmp_native(x, y, n)


@FEW
@given(st.data(), st.sampled_from([8, 32, 64, 100]))
def test_comparisons_random(data, n):
    x = data.draw(st.integers(0, (1 << n) - 1))
    y = data.draw(st.sampled_from([x, x + 1, x - 1, data.draw(st.integers(0, (1 << n) - 1))]))
    y = min(max(y, 0), (1 << n) - 1)
    c, outs = _cmp_circuit(n)
    assert run(c, outs, x, y) == _cmp_native(x, y, n)
    c, _ = circuit_of(lambda c, a, b: B.assert_lt(c, a, b, n), 2)
    assert c.is_satisfied({"x0": x, "x1": y}) == (x < y)
    c, _ = circuit_of(lambda c, a, b: B.assert_le(c, a, b, n), 2)
    assert c.is_satisfied({"x0": x, "x1": y}) == (x <= y)


@pytest.mark.parametrize("x,y", [(3, 9), (9, 3), (5, 5)])
def test_comparison_refuses_the_flipped_answer(monkeypatch, x, y):
    monkeypatch.setattr(B, "_hint_lt", lambda a, b: int(not a < b))
    for gadget in (B.lt, B.le):
        c, _ = circuit_of(lambda c, a, b: gadget(c, a, b, 8), 2)
        assert not c.is_satisfied({"x0": x, "x1": y})


def test_comparisons_with_constants_and_bad_widths():
    c, outs = circuit_of(lambda c, x: [B.lt(c, x, 10, 8), B.le(c, 10, x, 8), B.max_(c, x, 10, 8)])
    assert run(c, outs, 10) == [0, 1, 10] and run(c, outs, 3) == [1, 0, 10]
    assert B.lt(Circuit(), 2, 3, 4) == 1
    with pytest.raises(CircuitError):
        B.lt(Circuit(), 1, 2, 253)
    with pytest.raises(ValueError):
        B.lt_native(16, 1, 4)


# ------------------------------------------------------------------ select
@pytest.mark.parametrize("flag", [0, 1])
def test_select_all_operand_kinds(flag):
    def build(c, f, a, b):
        return [B.select(c, f, a, b), B.select(c, f, a, 11), B.select(c, f, 11, b),
                B.select(c, f, 11, 12), B.select(c, f, a, a), B.select(c, 1, a, b)]
    c, outs = circuit_of(build, 3)
    a, b = 5, R - 3
    assert run(c, outs, flag, a, b) == [B.select_native(flag, a, b), B.select_native(flag, a, 11),
                                        B.select_native(flag, 11, b), B.select_native(flag, 11, 12),
                                        a, a]


# ------------------------------------------------------------------ signed values
@pytest.mark.parametrize("n", [2, 41, 81])
def test_signed_offset_and_abs_edges(n):
    half = 1 << (n - 1)
    c, outs = circuit_of(lambda c, x: [B.signed_to_offset(c, x, n), *B.sign_abs(c, x, n)])
    for v in [0, 1, -1, half - 1, -(half - 1)]:
        off, sign, ab = run(c, outs, v % R)
        assert (off, ab) == (B.signed_to_offset_native(v, n), B.abs_native(v, n))
        assert sign == int(v < 0)
    for v in [half, -half - 1, R // 2]:
        assert not c.is_satisfied({"x0": v % R})
    c, off = circuit_of(lambda c, x: B.signed_to_offset(c, x, n))
    assert run(c, off, (-half) % R) == 0          # −2ⁿ⁻¹ has an offset but no |·| < 2ⁿ⁻¹
    with pytest.raises(ValueError):
        B.abs_native(-half, n)
    with pytest.raises(ValueError):
        B.signed_to_offset_native(half, n)


@FEW
@given(st.integers(-(1 << 79) + 1, (1 << 79) - 1))
def test_signed_random(v):
    c, outs = circuit_of(lambda c, x: [B.signed_to_offset(c, x, 80), B.abs_(c, x, 80)])
    assert run(c, outs, v % R) == [B.signed_to_offset_native(v, 80), B.abs_native(v, 80)]
    assert B.to_signed(v % R) == v


@pytest.mark.parametrize("v", [7, -7])
def test_abs_refuses_the_wrong_sign(monkeypatch, v):
    c, _ = circuit_of(lambda c, x: B.abs_(c, x, 16))
    monkeypatch.setattr(B, "_hint_negative", lambda u: 1 - (u > R // 2))
    assert not c.is_satisfied({"x0": v % R})


def test_sign_abs_of_a_constant():
    assert B.sign_abs(Circuit(), (-5) % R, 8) == (1, 5)


# ------------------------------------------------------------------ structure and a real proof
def test_every_wire_of_the_gadgets_is_pinned():
    c, _ = circuit_of(lambda c, x: B.to_bits(c, x, 254))
    assert_every_wire_pinned(c, [R - 2])
    c, _ = circuit_of(lambda c, x, y: [B.lt(c, x, y, 16), B.le(c, y, x, 16), B.min_(c, x, y, 16),
                                       B.signed_to_offset(c, x, 20), B.abs_(c, y, 20)], 2)
    assert_every_wire_pinned(c, [1000, 70])


def test_range_and_comparison_circuit_proves(srs):
    c = Circuit()
    x, y = c.private("x"), c.private("y")
    B.range_check(c, x, 64)
    B.range_check(c, y, 32)
    c.assert_equal(B.lt(c, x, y, 64), c.public("x_lt_y"))
    assert c.n_gates <= 256
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pk, vk = setup(c, srs)
    x_val, y_val = random.getrandbits(31), (1 << 32) - 1
    proof, public = prove(pk, {"x": x_val, "y": y_val, "x_lt_y": int(x_val < y_val)})
    assert verify(vk, public, proof)
    assert not verify(vk, [1 - public[0]], proof)
    with pytest.raises(UnsatisfiedError):
        prove(pk, {"x": 1 << 64, "y": 0, "x_lt_y": 0})
