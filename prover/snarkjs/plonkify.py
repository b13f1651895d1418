"""R1CS → PLONK gates and additions, by exactly the rules of ``snarkjs plonk setup`` (0.7).

A PLONK gate is qM·a·b + qL·a + qR·b + qO·c + qC = 0 over three wires.  The
gate list starts with one row per public signal s = 1 … nPublic:
(a, b, c) = (s, 0, 0), qL = 1, everything else 0.  Then each R1CS constraint
⟨A,w⟩·⟨B,w⟩ = ⟨C,w⟩ becomes one gate, by the kind of A and B — "0" (no term),
"k" (only the constant wire 0) or "n" (n ≥ 1 signal terms):

    A or B is "0"      ⟨C,w⟩ = 0                      → a sum gate of C
    A is "k" (A = k)   k·⟨B,w⟩ − ⟨C,w⟩ = 0            → a sum gate of that combination
    B is "k"           k·⟨A,w⟩ − ⟨C,w⟩ = 0            → a sum gate
    otherwise          a multiplication gate: A, B, C each reduced to ONE signal
                       term plus a constant (a = kA + cA·x, …):
                       qM = cA·cB, qL = cA·kB, qR = kA·cB, qO = −cC, qC = kA·kB − kC

A combination with more signal terms than the gate has room for (3 for a sum,
1 per side of a multiplication) is shortened by *additions*: taking its terms
in ascending wire order as a queue, the first two (s₁, c₁), (s₂, c₂) are
replaced by a fresh variable v = c₁·w[s₁] + c₂·w[s₂] appended at the end with
coefficient 1, and the gate −c₁·a − c₂·b + c = 0 on (s₁, s₂, v) is emitted
first.  Fresh variables are numbered from nVars up, in order of creation; the
prover recomputes them from the witness (``zkey`` section 3).

Two details of snarkjs's code are kept because they shape the bytes: a
coefficient that is zero is never dropped (its comparison with ``0n`` is always
false on field-element buffers), so a term with coefficient 0 still takes a
wire; and a combination's terms are visited in ascending wire order (the
iteration order of integer keys of a JavaScript object).
"""

from collections import deque
from dataclasses import dataclass, field

from verifier.fields import R_MOD

__all__ = ["PlonkGates", "plonkify"]


@dataclass
class PlonkGates:
    n_vars: int                 #: R1CS wires + one per addition
    n_public: int
    a: list = field(default_factory=list)
    b: list = field(default_factory=list)
    c: list = field(default_factory=list)
    qm: list = field(default_factory=list)
    ql: list = field(default_factory=list)
    qr: list = field(default_factory=list)
    qo: list = field(default_factory=list)
    qc: list = field(default_factory=list)
    additions: list = field(default_factory=list)   #: (s₁, s₂, c₁, c₂)

    def __len__(self) -> int:
        return len(self.a)

    def gate(self, a, b, c, qm, ql, qr, qo, qc) -> None:
        self.a.append(a)
        self.b.append(b)
        self.c.append(c)
        self.qm.append(qm % R_MOD)
        self.ql.append(ql % R_MOD)
        self.qr.append(qr % R_MOD)
        self.qo.append(qo % R_MOD)
        self.qc.append(qc % R_MOD)


def _kind(lc: dict) -> str:
    if any(s != 0 for s in lc):
        return "n"
    return "k" if 0 in lc else "0"


def _join(lc1: dict, k: int, lc2: dict) -> dict:
    """k·lc1 − lc2."""
    res = {s: k * v % R_MOD for s, v in lc1.items()}
    for s, v in lc2.items():
        res[s] = (res.get(s, 0) - v) % R_MOD
    return res


def _reduce(g: PlonkGates, lc: dict, room: int):
    """(constant, [wires], [coefficients]) with at most ``room`` terms, adding gates as needed."""
    k = 0
    terms = deque()
    for s in sorted(lc):
        if s == 0:
            k = (k + lc[s]) % R_MOD
        else:
            terms.append((s, lc[s]))
    while len(terms) > room:
        s1, c1 = terms.popleft()
        s2, c2 = terms.popleft()
        v = g.n_vars
        g.n_vars += 1
        g.gate(s1, s2, v, 0, -c1, -c2, 1, 0)
        g.additions.append((s1, s2, c1, c2))
        terms.append((v, 1))
    wires = [s for s, _ in terms] + [0] * (room - len(terms))
    coefs = [c for _, c in terms] + [0] * (room - len(terms))
    return k, wires, coefs


def _sum_gate(g: PlonkGates, lc: dict) -> None:
    k, s, c = _reduce(g, lc, 3)
    g.gate(s[0], s[1], s[2], 0, c[0], c[1], c[2], k)


def _mul_gate(g: PlonkGates, lc_a: dict, lc_b: dict, lc_c: dict) -> None:
    ka, (sa,), (ca,) = _reduce(g, lc_a, 1)
    kb, (sb,), (cb,) = _reduce(g, lc_b, 1)
    kc, (sc,), (cc,) = _reduce(g, lc_c, 1)
    g.gate(sa, sb, sc, ca * cb, ca * kb, ka * cb, -cc, ka * kb - kc)


def plonkify(r1cs) -> PlonkGates:
    """The gate list and additions snarkjs derives from ``r1cs`` (a ``prover.snarkjs.R1CS``)."""
    g = PlonkGates(n_vars=r1cs.n_vars, n_public=r1cs.n_public)
    for s in range(1, r1cs.n_public + 1):
        g.gate(s, 0, 0, 0, 1, 0, 0, 0)
    for lc_a, lc_b, lc_c in r1cs.constraints:
        ka, kb = _kind(lc_a), _kind(lc_b)
        if ka == "0" or kb == "0":
            _sum_gate(g, lc_c)
        elif ka == "k":
            _sum_gate(g, _join(lc_b, lc_a[0], lc_c))
        elif kb == "k":
            _sum_gate(g, _join(lc_a, lc_b[0], lc_c))
        else:
            _mul_gate(g, lc_a, lc_b, lc_c)
    return g
