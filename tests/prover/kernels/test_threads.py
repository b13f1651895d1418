"""threads: parallel_for covers [0, n) exactly once in any chunking, run_each keeps order,
errors propagate, and a call from inside a worker runs serially (no nested pool)."""

import threading

import numpy as np
import pytest

from prover.kernels import fr, threads
from prover.kernels.convert import fr_from_ints, fr_to_ints
from verifier.fields import R_MOD


def mark(out, lo, hi):
    out[lo:hi] += 1


@pytest.mark.parametrize("n,chunks", [(0, 0), (1, 0), (5, 3), (7, 7), (10, 64), (1000, 0), (1001, 13)])
def test_parallel_for_covers_each_index_once(n, chunks):
    out = np.zeros(n, dtype=np.int64)
    threads.parallel_for(mark, n, out, chunks=chunks)
    assert (out == 1).all()


def test_run_each_keeps_order_and_propagates_errors():
    got = threads.run_each(lambda a, b: a * b, [(i, i + 1) for i in range(9)])
    assert got == [i * (i + 1) for i in range(9)]

    def boom(i):
        if i == 3:
            raise ValueError("boom")
        return i
    with pytest.raises(ValueError, match="boom"):
        threads.run_each(boom, [(i,) for i in range(6)])


def test_nested_calls_run_serially_inside_a_worker():
    seen = []

    def inner(lo, hi):
        seen.append((threading.current_thread().name, lo, hi))

    def outer(i):
        threads.parallel_for(inner, 10, chunks=5)     # from a worker: one serial call
        return threading.current_thread().name

    names = threads.run_each(outer, [(0,), (1,)])
    assert sorted(seen) == sorted((name, 0, 10) for name in names)


def test_vector_kernels_agree_across_the_parallel_threshold(monkeypatch):
    xs = [R_MOD - 1 - 7 * i for i in range(300)]
    a = fr_from_ints(xs)
    serial = fr_to_ints(fr.mul_vec(a, a))
    monkeypatch.setattr(fr, "PARALLEL_MIN", 4)
    assert fr_to_ints(fr.mul_vec(a, a)) == serial == [x * x % R_MOD for x in xs]
    assert fr_to_ints(fr.inv_vec(a)) == [pow(x, -1, R_MOD) for x in xs]
