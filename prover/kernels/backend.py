"""Which implementation the prover's kernel functions run: the Numba kernels or Python ints.

Every public kernel function that the PLONK steps call (the field vectors, the
NTTs, the MSM, the fused PLONK loops, the polynomial helpers) is wrapped by
``switchable``.  By default it runs its Numba kernel.  Inside ``with
python_kernels():`` it runs the implementation that ``prover.kernels.pyint``
registered under the same name instead: the same arguments and results (uint64
Montgomery limb arrays), computed on Python ints, so nothing is compiled.

Why: a Numba kernel is compiled on its first call in a fresh environment (the
prover's kernels take tens of seconds together), while a small circuit (a
2^11 domain: the exit and refusal statements) proves on Python ints in about
a second.  The step logic (``prover.steps``) is the same either way; only the
kernel layer is dispatched.

The switch is a context variable: it holds for the current thread (and the
code it calls) until the ``with`` block ends; other threads keep the Numba
kernels.
"""

import contextlib
import contextvars
import functools
import importlib

__all__ = ["switchable", "python_kernels", "using_python", "implements", "registered"]

_PYTHON = contextvars.ContextVar("darkmatch_python_kernels", default=False)
_IMPL = {}


def implements(name: str):
    """Register the decorated function as the Python-int version of kernel ``name``
    (``"<module>.<function>"`` inside ``prover.kernels``, e.g. ``"fr.add_vec"``)."""
    def register(fn):
        if name in _IMPL:
            raise ValueError(f"two Python-int implementations of {name}")
        _IMPL[name] = fn
        return fn
    return register


def registered() -> dict:
    """name → Python-int implementation, for every registered kernel (loads them)."""
    importlib.import_module("prover.kernels.pyint")
    return dict(_IMPL)


def _implementation(name: str):
    if name not in _IMPL:
        importlib.import_module("prover.kernels.pyint")
    try:
        return _IMPL[name]
    except KeyError:
        raise NotImplementedError(f"kernel {name} has no Python-int implementation") from None


def switchable(fn):
    """Wrap a kernel function so that ``python_kernels()`` reroutes it (see the module doc)."""
    name = f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"

    @functools.wraps(fn)
    def run(*args, **kwargs):
        if _PYTHON.get():
            return _implementation(name)(*args, **kwargs)
        return fn(*args, **kwargs)

    run.kernel_name = name
    return run


def using_python() -> bool:
    """Whether kernel calls on this thread run on Python ints right now."""
    return _PYTHON.get()


@contextlib.contextmanager
def python_kernels():
    """Within the block, every ``switchable`` kernel function runs on Python ints."""
    token = _PYTHON.set(True)
    try:
        yield
    finally:
        _PYTHON.reset(token)
