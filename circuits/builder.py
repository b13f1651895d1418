"""Circuit builder, witness solver and satisfiability check for vanilla PLONK gates.

Every row is one gate over three wires (a, b, c) and five selectors:

    qM·a·b + qL·a + qR·b + qO·c + qC (+ PI) = 0

Public inputs follow snarkjs: public input j occupies wire a of row j with
qL = 1 and all other selectors 0, and the prover's PI(X) = −Σ pubⱼ·Lⱼ(X)
cancels it, so rows 0…ℓ−1 read ``a − pubⱼ = 0``.  Gates created by the user
follow the public rows, in creation order.

Variables are numbered; variable 0 is the dummy "unused wire" slot (snarkjs
sets it to 0) and only ever sits where its selector coefficient is 0.  Each
variable other than the inputs has exactly one producer in the solver program
(a linear combination, a product, or a native ``hint``), so ``solve`` derives
the full witness from the inputs, and the gates then check it.

A wire reused in several gates becomes a copy constraint, enforced by the
permutation argument (``prover.setup`` derives σ from the wire lists).
"""

from contextlib import contextmanager
from dataclasses import dataclass

from verifier.errors import BadInput, Rejected
from verifier.fields import R_MOD

__all__ = ["Var", "Circuit", "ConstraintSystem", "UnsatisfiedError", "CircuitError"]


class CircuitError(BadInput):
    """Misuse of the builder or a bad assignment (unknown/missing input)."""


class UnsatisfiedError(Rejected):
    """An assignment that violates a gate; names the first failing gate."""

    def __init__(self, row: int, label):
        self.row, self.label = row, label
        where = f"gate {row}" + (f" ({label})" if label else "")
        super().__init__(f"assignment does not satisfy the circuit: {where} fails")


class Var:
    """A wire value in a circuit (an index into the witness)."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index

    def __repr__(self):
        return f"Var({self.index})"


@dataclass(frozen=True)
class ConstraintSystem:
    """The compiled circuit: one entry per row, public rows first."""

    n_vars: int
    n_public: int
    public_names: tuple
    a: list
    b: list
    c: list
    qm: list
    ql: list
    qr: list
    qo: list
    qc: list
    labels: list

    @property
    def n_rows(self) -> int:
        return len(self.a)


class Circuit:
    """Build a PLONK circuit gate by gate; operands are ``Var``s or ints (constants)."""

    def __init__(self):
        self._n_vars = 1                         # variable 0: the dummy wire
        self._inputs = {}                        # name → Var
        self._public = []                        # Vars of public inputs, declaration order
        self._rows = ([], [], [], [], [], [], [], [], [])   # a b c qm ql qr qo qc label
        self._program = []                       # solver steps, in dependency order
        self._labels = []
        self._consts = {}

    # ---------------------------------------------------------------- wires
    def _new_var(self) -> Var:
        v = Var(self._n_vars)
        self._n_vars += 1
        return v

    def _input(self, name: str, public: bool) -> Var:
        if not isinstance(name, str) or not name:
            raise CircuitError("input names must be non-empty strings")
        if name in self._inputs:
            raise CircuitError(f"input {name!r} declared twice")
        v = self._new_var()
        self._inputs[name] = v
        if public:
            self._public.append(v)
        return v

    def private(self, name: str) -> Var:
        """A witness value supplied at proving time and kept secret."""
        return self._input(name, public=False)

    def public(self, name: str) -> Var:
        """A public input (part of public.json, in declaration order)."""
        return self._input(name, public=True)

    @contextmanager
    def labelled(self, label: str):
        """Gates created inside carry ``label``; the prover names it when one fails.

        Labels nest: a gadget's label inside a rule's reads "R3: range check".
        """
        self._labels.append(label)
        try:
            yield
        finally:
            self._labels.pop()

    # ---------------------------------------------------------------- gates
    def gate(self, a=None, b=None, c=None, qm=0, ql=0, qr=0, qo=0, qc=0, label=None) -> None:
        """A raw row qM·a·b + qL·a + qR·b + qO·c + qC = 0 (wires: Var or None)."""
        rows = self._rows
        for col, w in zip(rows[:3], (a, b, c)):
            col.append(0 if w is None else self._index(w))
        for col, q in zip(rows[3:8], (qm, ql, qr, qo, qc)):
            col.append(int(q) % R_MOD)
        parts = self._labels + ([label] if label is not None else [])
        rows[8].append(": ".join(parts) if parts else None)

    def _index(self, w) -> int:
        if not isinstance(w, Var) or not 0 < w.index < self._n_vars:
            raise CircuitError(f"not a wire of this circuit: {w!r}")
        return w.index

    def hint(self, fn, inputs, n_out: int = 1):
        """New wires computed natively by ``fn(*input_values) -> value(s)``; NOT constrained.

        Gadgets use hints for values that are cheap to check but awkward to
        express as gates (bits, inverses, quotients) and then constrain them.
        """
        ins = [w if isinstance(w, Var) else int(w) % R_MOD for w in inputs]
        outs = [self._new_var() for _ in range(n_out)]
        self._program.append(("hint", [o.index for o in outs], (fn, ins)))
        return outs[0] if n_out == 1 else outs

    def lincomb(self, terms, const: int = 0):
        """Σ kᵢ·xᵢ + const as a new wire; ints in ``terms`` fold into the constant.

        Up to two wire terms take one gate; longer sums chain gates.
        """
        wires, k0 = [], int(const)
        for x, k in terms:
            k = int(k) % R_MOD
            if isinstance(x, Var):
                if k:
                    wires.append((x, k))
            else:
                k0 += int(x) * k
        k0 %= R_MOD
        if not wires:
            return k0
        if len(wires) == 1 and wires[0][1] == 1 and k0 == 0:
            return wires[0][0]
        acc, k_acc = wires[0]
        rest = wires[1:]
        while True:
            nxt = rest[:1]
            rest = rest[1:]
            out = self._new_var()
            if nxt:
                (y, ky), = nxt
                c0 = k0 if not rest else 0
                self.gate(acc, y, out, ql=k_acc, qr=ky, qo=-1, qc=c0)
                self._program.append(("lin", out.index, ((acc.index, k_acc), (y.index, ky), c0)))
            else:
                self.gate(acc, None, out, ql=k_acc, qo=-1, qc=k0)
                self._program.append(("lin", out.index, ((acc.index, k_acc), (0, 0), k0)))
            if not rest:
                return out
            acc, k_acc = out, 1

    def add(self, x, y):
        return self.lincomb([(x, 1), (y, 1)])

    def sub(self, x, y):
        return self.lincomb([(x, 1), (y, -1)])

    def neg(self, x):
        return self.lincomb([(x, -1)])

    def mul(self, x, y, k: int = 1):
        """k·x·y as a new wire (a scaling when either operand is an int)."""
        if not isinstance(x, Var) or not isinstance(y, Var):
            if isinstance(x, Var):
                x, y = y, x
            return self.lincomb([(y, int(x) * k)]) if isinstance(y, Var) else int(x) * int(y) * k % R_MOD
        out = self._new_var()
        self.gate(x, y, out, qm=k, qo=-1)
        self._program.append(("mul", out.index, (x.index, y.index, int(k) % R_MOD)))
        return out

    def constant(self, k: int) -> Var:
        """A wire fixed to k by a gate (qL·a + qC = 0)."""
        k = int(k) % R_MOD
        if k not in self._consts:
            out = self._new_var()
            self.gate(out, None, None, ql=1, qc=-k)
            self._program.append(("lin", out.index, ((0, 0), (0, 0), k)))
            self._consts[k] = out
        return self._consts[k]

    def as_var(self, x) -> Var:
        return x if isinstance(x, Var) else self.constant(x)

    def assert_equal(self, x, y) -> None:
        if not isinstance(x, Var) and not isinstance(y, Var):
            if (int(x) - int(y)) % R_MOD:
                raise CircuitError(f"assert_equal of unequal constants {x} and {y}")
            return
        if not isinstance(x, Var):
            x, y = y, x
        if isinstance(y, Var):
            self.gate(x, y, None, ql=1, qr=-1)
        else:
            self.gate(x, None, None, ql=1, qc=-int(y))

    def assert_zero(self, x) -> None:
        self.assert_equal(x, 0)

    def assert_bool(self, x) -> None:
        """x·x − x = 0, i.e. x ∈ {0, 1}."""
        self.gate(x, x, None, qm=1, ql=-1)

    def assert_mul(self, x, y, z) -> None:
        """x·y = z over three existing wires."""
        self.gate(x, y, z, qm=1, qo=-1)

    # ---------------------------------------------------------------- results
    @property
    def n_public(self) -> int:
        return len(self._public)

    @property
    def n_gates(self) -> int:
        """Rows including the public-input rows."""
        return len(self._public) + len(self._rows[0])

    @property
    def public_names(self) -> tuple:
        by_index = {v.index: k for k, v in self._inputs.items()}
        return tuple(by_index[v.index] for v in self._public)

    def compile(self) -> ConstraintSystem:
        a, b, c, qm, ql, qr, qo, qc, labels = self._rows
        pub = [v.index for v in self._public]
        z = [0] * len(pub)
        return ConstraintSystem(
            n_vars=self._n_vars, n_public=len(pub), public_names=self.public_names,
            a=pub + a, b=z + b, c=z + c, qm=z + qm, ql=[1] * len(pub) + ql, qr=z + qr,
            qo=z + qo, qc=z + qc, labels=[f"public input {n!r}" for n in self.public_names] + labels)

    def solve(self, assignment: dict) -> list:
        """Full witness (list of ints mod r, index = variable) from the inputs' values."""
        if not isinstance(assignment, dict):
            raise CircuitError("assignment must be a dict of input name → integer")
        unknown = sorted(set(assignment) - set(self._inputs))
        if unknown:
            raise CircuitError(f"unknown input {unknown[0]!r}")
        missing = [k for k in self._inputs if k not in assignment]
        if missing:
            raise CircuitError(f"missing value for input {missing[0]!r}")
        w = [0] * self._n_vars
        for name, v in self._inputs.items():
            x = assignment[name]
            if isinstance(x, bool) or not isinstance(x, int):
                raise CircuitError(f"input {name!r} must be an integer")
            w[v.index] = x % R_MOD
        for kind, out, args in self._program:
            if kind == "lin":
                (i, ki), (j, kj), k0 = args
                w[out] = (ki * w[i] + kj * w[j] + k0) % R_MOD
            elif kind == "mul":
                i, j, k = args
                w[out] = k * w[i] * w[j] % R_MOD
            else:
                fn, ins = args
                vals = fn(*[w[x.index] if isinstance(x, Var) else x for x in ins])
                vals = vals if isinstance(vals, (list, tuple)) else [vals]
                if len(vals) != len(out):
                    raise CircuitError("hint returned the wrong number of values")
                for o, val in zip(out, vals):
                    w[o] = int(val) % R_MOD
        return w

    def public_values(self, witness: list) -> list:
        return [witness[v.index] for v in self._public]

    def first_failure(self, witness: list, cs: ConstraintSystem = None):
        """Row index of the first violated gate, or None."""
        cs = cs or self.compile()
        pub = self.public_values(witness)
        for i in range(cs.n_rows):
            wa, wb, wc = witness[cs.a[i]], witness[cs.b[i]], witness[cs.c[i]]
            s = cs.qm[i] * wa * wb + cs.ql[i] * wa + cs.qr[i] * wb + cs.qo[i] * wc + cs.qc[i]
            if i < cs.n_public:
                s -= pub[i]
            if s % R_MOD:
                return i
        return None

    def check(self, assignment: dict, cs: ConstraintSystem = None) -> list:
        """Solve and check; raises ``UnsatisfiedError`` naming the first failing gate."""
        cs = cs or self.compile()
        w = self.solve(assignment)
        row = self.first_failure(w, cs)
        if row is not None:
            raise UnsatisfiedError(row, cs.labels[row])
        return w

    def is_satisfied(self, assignment: dict) -> bool:
        try:
            self.check(assignment)
        except (UnsatisfiedError, CircuitError):
            return False
        return True
