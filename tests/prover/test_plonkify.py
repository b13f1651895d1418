"""R1CS → PLONK conversion (``prover.snarkjs.plonkify``): sound on random systems, snarkjs's bytes
on the odd corners circom rarely emits (zero coefficients, constant-only sides, repeated wires,
long combinations)."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import VECTORS, run_snarkjs
from prover.snarkjs import R1CS, plonkify, write_r1cs
from verifier.fields import R_MOD


def _lc(rng, n_vars, terms, const=None, zero_coef=False):
    lc = {}
    for _ in range(terms):
        lc[rng.randrange(1, n_vars)] = 0 if zero_coef and rng.random() < 0.2 else \
            rng.choice([1, R_MOD - 1, rng.randrange(R_MOD)])
    if const is not None:
        lc[0] = const
    return lc


def _dot(lc, w):
    return sum(c * w[s] for s, c in lc.items()) % R_MOD


def random_r1cs(seed: int, n_vars=12, n_constraints=10, n_out=1, n_pub=1, zero_coef=False):
    """A random R1CS satisfied by the returned witness (w[0] = 1): multiplications, linear
    constraints (A or B empty) and constant-times-combination constraints, with constants."""
    rng = random.Random(seed)
    w = [1] + [rng.randrange(R_MOD) for _ in range(n_vars - 1)]
    cons = []
    for _ in range(n_constraints):
        kind = rng.choice(["mul", "mul", "linear", "const_a", "const_b"])
        c = _lc(rng, n_vars, rng.randrange(0, 6), zero_coef=zero_coef)
        if kind == "mul":
            a = _lc(rng, n_vars, rng.randrange(1, 5), rng.choice([None, rng.randrange(R_MOD)]),
                    zero_coef)
            b = _lc(rng, n_vars, rng.randrange(1, 5), rng.choice([None, 7]), zero_coef)
        elif kind == "linear":
            a, b = {}, _lc(rng, n_vars, 2)
        elif kind == "const_a":
            a, b = {0: rng.randrange(1, R_MOD)}, _lc(rng, n_vars, rng.randrange(1, 5))
        else:
            a, b = _lc(rng, n_vars, rng.randrange(1, 5)), {0: rng.randrange(1, R_MOD)}
        target = _dot(a, w) * _dot(b, w) % R_MOD if a and b else 0
        c[0] = (c.get(0, 0) + target - _dot(c, w)) % R_MOD
        cons.append((a, b, c))
        assert _dot(a, w) * _dot(b, w) % R_MOD == _dot(c, w)
    return R1CS(n_vars, n_out, n_pub, n_vars - 1 - n_out - n_pub, n_vars, cons), w


def gate_failures(g, w):
    """Rows whose gate does not hold once the additions are computed from w (as the prover does)."""
    w = list(w) + [0] * (g.n_vars - len(w))
    m = g.n_vars - len(g.additions)
    for i, (s1, s2, c1, c2) in enumerate(g.additions):
        w[m + i] = (c1 * w[s1] + c2 * w[s2]) % R_MOD
    bad = []
    for row in range(len(g)):
        a, b, c = w[g.a[row]], w[g.b[row]], w[g.c[row]]
        s = g.qm[row] * a * b + g.ql[row] * a + g.qr[row] * b + g.qo[row] * c + g.qc[row]
        if row < g.n_public:
            s -= w[row + 1]
        if s % R_MOD:
            bad.append(row)
    return bad


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.booleans())
def test_satisfied_r1cs_gives_satisfied_gates(seed, zero_coef):
    r1cs, w = random_r1cs(seed, zero_coef=zero_coef)
    g = plonkify(r1cs)
    assert len(g) == r1cs.n_public + len(r1cs.constraints) + len(g.additions)
    assert gate_failures(g, w) == []


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.integers(0, 9))
def test_unsatisfied_r1cs_gives_a_failing_gate(seed, which):
    r1cs, w = random_r1cs(seed)
    a, b, c = r1cs.constraints[which]
    c = dict(c)
    c[0] = (c.get(0, 0) + 1) % R_MOD           # constraint `which` is now false for w
    r1cs.constraints[which] = (a, b, c)
    assert gate_failures(plonkify(r1cs), w) != []


def test_public_rows_come_first():
    r1cs, _ = random_r1cs(1, n_out=2, n_pub=3)
    g = plonkify(r1cs)
    for s in range(1, 6):
        row = s - 1
        assert (g.a[row], g.b[row], g.c[row]) == (s, 0, 0)
        assert (g.qm[row], g.ql[row], g.qr[row], g.qo[row], g.qc[row]) == (0, 1, 0, 0, 0)


def test_long_combination_is_split_by_additions_in_wire_order():
    # 5·x1 + 6·x2 + 7·x3 + 8·x4 = out  →  two additions, then one sum gate
    lc = {1: R_MOD - 1, 2: 5, 3: 6, 4: 7, 5: 8}
    g = plonkify(R1CS(6, 1, 0, 4, 6, [({}, {}, lc)]))
    assert g.additions == [(1, 2, R_MOD - 1, 5), (3, 4, 6, 7)]
    assert g.n_vars == 8
    assert (g.a[-1], g.b[-1], g.c[-1]) == (5, 6, 7)          # x5, v6 = add₀, v7 = add₁
    assert (g.ql[-1], g.qr[-1], g.qo[-1]) == (8, 1, 1)


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_setup_equals_snarkjs_on_odd_r1cs(snarkjs, tmp_path, seed):
    """Zero coefficients, constant-only A or B, repeated wires, long sums: snarkjs's bytes."""
    from prover.snarkjs import plonk_setup
    r1cs, _ = random_r1cs(seed, n_vars=16, n_constraints=6, zero_coef=True)
    assert len(plonkify(r1cs)) <= 32                  # fits the power-5 .ptau
    write_r1cs(tmp_path / "odd.r1cs", r1cs)
    ptau = VECTORS / "ptau" / "knowntau_pot5.ptau"
    rc, out = run_snarkjs(snarkjs, "plonk", "setup", tmp_path / "odd.r1cs", ptau,
                          tmp_path / "theirs.zkey")
    assert rc == 0 and "ERROR" not in out, out
    plonk_setup(tmp_path / "odd.r1cs", ptau, tmp_path / "ours.zkey")
    assert (tmp_path / "ours.zkey").read_bytes() == (tmp_path / "theirs.zkey").read_bytes()
