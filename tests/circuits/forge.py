"""A cheating prover for the settlement circuit: the same gates, but chosen hint values.

A prover's only freedom beyond the inputs is the value of each hint wire (bits,
inverses, quotients, the liquidation slots' selection bits): every other wire
follows from the inputs by the gates.  ``tapped(N, K)`` builds the settlement
circuit exactly as ``circuits.settlement`` does, and records for each hint the
rule label it was made under; ``forge(c, label, name, fn)`` then replaces the
hints made under ``label`` whose code calls ``name`` (e.g. ``_hint_negative``)
with ``fn(honest, *inputs)``, so a test can solve a witness in which exactly
those values are the cheater's and check that the circuit refuses it.
``same_gates`` shows a tapped circuit's constraint system is the honest one.
"""

from contextlib import contextmanager

from circuits.settlement import SettlementCircuit
from circuits.settlement_cipher import EncryptedSettlementCircuit

__all__ = ["forge", "same_gates", "tapped", "tapped_cipher"]


class _Tap:
    """Records (program index, label, hint function) for every hint the build makes."""

    def hint(self, fn, inputs, n_out: int = 1):
        if "_taps" not in self.__dict__:
            self._taps = []
        self._taps.append((len(self._program), ": ".join(self._labels), fn))
        return super().hint(fn, inputs, n_out)


class _TappedPlain(_Tap, SettlementCircuit):
    pass


class _TappedCipher(_Tap, EncryptedSettlementCircuit):
    pass


def _compiled(c):
    c.cs = c.compile()
    return c


def tapped(n_orders: int, n_accounts: int, n_liquidations: int = None):
    """The plain settlement circuit with its hints recorded (compiled system in ``.cs``)."""
    return _compiled(_TappedPlain(n_orders, n_accounts, n_liquidations))


def tapped_cipher(n_orders: int, n_accounts: int):
    """The encrypted settlement circuit with its hints recorded."""
    return _compiled(_TappedCipher(n_orders, n_accounts))


def same_gates(a, b) -> bool:
    """Both circuits have the same rows, selectors, wiring and public inputs."""
    x, y = a.compile(), b.compile()
    return all(getattr(x, f) == getattr(y, f) for f in
               ("n_vars", "n_public", "public_names", "a", "b", "c", "qm", "ql", "qr", "qo",
                "qc"))


@contextmanager
def forge(c, label: str, name: str, fn, nth=None):
    """Within the block, the hints made under exactly ``label`` whose code calls ``name`` (the
    ``nth`` of them only, when given) return ``fn(honest_fn, *inputs)``."""
    hits = [(i, f) for i, lab, f in c._taps if lab == label and name in f.__code__.co_names]
    if nth is not None:
        hits = hits[nth:nth + 1]
    if not hits:
        raise LookupError(f"no hint calling {name} under {label!r}")
    saved = {i: c._program[i] for i, _ in hits}
    try:
        for i, honest in hits:
            kind, outs, (_, ins) = c._program[i]
            c._program[i] = (kind, outs,
                             (lambda *v, honest=honest: fn(honest, *v), ins))
        yield
    finally:
        for i, step in saved.items():
            c._program[i] = step
