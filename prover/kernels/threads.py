"""Parallel loops for ``nogil`` kernels on a small pool of Python threads.

Why not Numba's ``parallel=True`` / ``prange``: a parfor is compiled as a
gufunc plus the function that launches it (which links the gufunc and every
kernel under it again), and a size switch needed a serial twin of each
parallel kernel.  Measured on the 2-core dev VM, the parallel variants were
about a third of the ~60 s cold compile (the nine parallel Fr vector kernels
~6 s, the parallel MSM driver ~6.5 s, the NTT and PLONK regions ~8 s).

Instead every kernel is ONE ``@njit(cache=True, nogil=True)`` function over an
index range ``[lo, hi)`` (or over worker t of nt).  ``parallel_for`` splits
the range into chunks and runs them on a persistent pool of ``num_threads()``
workers; the GIL is released inside the kernels, so the chunks run on all
cores.  Chunks are queued and an idle worker takes the next one (dynamic
scheduling), so on a shared machine a preempted thread delays only its
current chunk.  A call from inside a worker runs serially (no nested pools).

The pool size is ``numba.config.NUMBA_NUM_THREADS`` (the ``NUMBA_NUM_THREADS``
environment variable, default the CPU count), read without starting Numba's
own threading layer.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import numba

__all__ = ["num_threads", "parallel_for", "run_each"]

_POOL = None
_LOCK = threading.Lock()
_LOCAL = threading.local()


def num_threads() -> int:
    """Worker threads used by ``parallel_for`` / ``run_each``."""
    return max(1, int(numba.config.NUMBA_NUM_THREADS))


def _mark_worker() -> None:
    _LOCAL.worker = True


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        with _LOCK:
            if _POOL is None:
                _POOL = ThreadPoolExecutor(num_threads(), thread_name_prefix="darkmatch-kernel",
                                           initializer=_mark_worker)
    return _POOL


def _serial() -> bool:
    return num_threads() == 1 or getattr(_LOCAL, "worker", False)


def run_each(kernel, arg_tuples) -> list:
    """``[kernel(*args) for args in arg_tuples]``, the calls spread over the pool."""
    arg_tuples = list(arg_tuples)
    if len(arg_tuples) <= 1 or _serial():
        return [kernel(*args) for args in arg_tuples]
    futures = [_pool().submit(kernel, *args) for args in arg_tuples]
    return [f.result() for f in futures]


def parallel_for(kernel, n: int, *args, chunks: int = 0) -> None:
    """``kernel(*args, lo, hi)`` over consecutive ranges covering ``[0, n)``.

    ``chunks`` ranges (default one per thread); with one range, one thread or
    from inside a worker, a single call ``kernel(*args, 0, n)`` on this thread.
    """
    k = min(chunks or num_threads(), n)
    if k <= 1 or _serial():
        if n > 0:
            kernel(*args, 0, n)
        return
    step = -(-n // k)
    run_each(kernel, [(*args, lo, min(n, lo + step)) for lo in range(0, n, step)])
