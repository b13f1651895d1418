"""AVX-512 IFMA Montgomery product (prover/kernels/ifma.py) vs its twin and vs Python ints.

The kernel needs a CPU with AVX-512 IFMA; elsewhere the kernel tests are skipped
(the twin and the conversions are still tested) and ``ifma.mul`` must refuse."""

import random

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from prover.kernels import ifma
from prover.kernels.twins import ifma as twin
from verifier.fields import Q_MOD as Q

HAVE = ifma.available()
needs_ifma = pytest.mark.skipif(not HAVE, reason="CPU without AVX-512 IFMA")
RP_INV = pow(ifma.R_PRIME, -1, Q)
M52 = (1 << 52) - 1
EDGES = [0, 1, 2, Q - 1, Q, Q + 1, 2 * Q - 1, ifma.R_PRIME % Q, M52, 1 << 52, (1 << 208) - 1]


def limbs(x):
    return [(x >> (52 * j)) & M52 for j in range(5)]


def run_kernel(xs, ys):
    A, B = ifma.to_groups(xs), ifma.to_groups(ys)
    out = np.empty_like(A)
    ifma.mul_groups(out, A, B, 0, A.shape[0])
    return out


def check(xs, ys):
    out = run_kernel(xs, ys)
    rows = out.transpose(0, 2, 1).reshape(-1, 5)
    vals = ifma.from_groups(out)
    for i, (x, y) in enumerate(zip(xs, ys)):
        assert [int(v) for v in rows[i]] == twin.mont(limbs(x), limbs(y)), (x, y)
        assert (vals[i] - x * y * RP_INV) % Q == 0, (x, y)
        assert vals[i] < 2 * Q
        assert all(int(v) <= M52 for v in rows[i])


def test_twin_is_montgomery_product():
    rng = random.Random(1)
    for x, y in [(a, b) for a in EDGES[:7] for b in EDGES[:7]] + [
            (rng.randrange(2 * Q), rng.randrange(2 * Q)) for _ in range(200)]:
        v = sum(t << (52 * j) for j, t in enumerate(twin.mont(limbs(x), limbs(y))))
        assert (v - x * y * RP_INV) % Q == 0 and v < 2 * Q


def test_conversions_round_trip():
    rng = random.Random(2)
    xs = [rng.randrange(Q) for _ in range(13)] + [0, Q - 1, 1]
    A = ifma.to_groups(xs)
    assert A.shape == (2, 5, 8) and A.dtype == np.uint64
    assert ifma.from_groups(A) == xs and len(xs) == 16
    assert ifma.from_mont(ifma.to_mont(xs)) == xs
    assert ifma.from_groups(ifma.to_mont([1]))[0] == ifma.R_PRIME % Q


@needs_ifma
def test_edges_all_pairs():
    xs = [a for a in EDGES for _ in EDGES]
    ys = [b for _ in EDGES for b in EDGES]
    check(xs, ys)


@needs_ifma
@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2 * Q - 1), min_size=1, max_size=40),
       st.integers(min_value=0, max_value=2**32))
def test_random_lazy_inputs(xs, seed):
    rng = random.Random(seed)
    check(xs, [rng.randrange(2 * Q) for _ in xs])


@needs_ifma
def test_outputs_chain_as_inputs():
    """A product's lazily reduced output (< 2q) is a valid input: 200 squarings stay exact."""
    rng = random.Random(3)
    xs = [rng.randrange(Q) for _ in range(16)]
    A = ifma.to_mont(xs)
    for _ in range(200):
        A = ifma.mul(A, A)
    want = [pow(x, 2 ** 200, Q) for x in xs]
    assert ifma.from_mont(A) == want


@needs_ifma
def test_parallel_wrapper_matches_groups():
    rng = random.Random(4)
    n = 8 * 3000                                     # enough groups for several chunks
    xs = [rng.randrange(Q) for _ in range(n)]
    ys = [rng.randrange(Q) for _ in range(n)]
    got = ifma.from_mont(ifma.mul(ifma.to_mont(xs), ifma.to_mont(ys)))
    assert got == [x * y % Q for x, y in zip(xs, ys)]


def test_mul_refuses_bad_shapes_or_cpu():
    a = np.zeros((2, 5, 8), dtype=np.uint64)
    if not HAVE:
        with pytest.raises(RuntimeError, match="IFMA"):
            ifma.mul(a, a)
        return
    with pytest.raises(ValueError, match="shape"):
        ifma.mul(a, np.zeros((3, 5, 8), dtype=np.uint64))
    with pytest.raises(ValueError, match="shape"):
        ifma.mul(np.zeros((2, 4, 8), dtype=np.uint64), np.zeros((2, 4, 8), dtype=np.uint64))
