"""Gate counts of the gadgets, as a Markdown table kept in circuits/README.md.

Each entry of ``GADGETS`` is (name, builder): the builder receives a fresh
``Circuit`` and builds one instance of the gadget on private inputs; its cost
is the number of rows it adds (private inputs take none).  To add a gadget,
append an entry and run

    python -m circuits.gadget_table           # rewrites the table in circuits/README.md
    python -m circuits.gadget_table --check   # exit status 1 if the README is stale

The table sits between the markers ``<!-- gates:begin -->`` and
``<!-- gates:end -->``; tests/circuits/test_gadget_table.py fails when it is stale.
"""

import pathlib
import sys

from . import babyjub, bits, pedersen, poseidon, settlement
from .builder import Circuit

__all__ = ["GADGETS", "README", "BEGIN", "END", "count", "render", "updated_readme", "main"]

README = pathlib.Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- gates:begin -->", "<!-- gates:end -->"


def _inputs(c: Circuit, k: int) -> list:
    return [c.private(f"in{i}") for i in range(k)]


def _poseidon(k):
    return lambda c: poseidon.hash_gadget(c, _inputs(c, k))


GADGETS = [
    ("bits.range_check, 32 bits", lambda c: bits.range_check(c, *_inputs(c, 1), 32)),
    ("bits.range_check, 64 bits", lambda c: bits.range_check(c, *_inputs(c, 1), 64)),
    ("bits.range_check, 80 bits", lambda c: bits.range_check(c, *_inputs(c, 1), 80)),
    ("bits.to_bits, 64 bits", lambda c: bits.to_bits(c, *_inputs(c, 1), 64)),
    ("bits.to_bits, 254 bits (alias check)", lambda c: bits.to_bits(c, *_inputs(c, 1), 254)),
    ("bits.is_zero", lambda c: bits.is_zero(c, *_inputs(c, 1))),
    ("bits.is_equal (wire, constant)", lambda c: bits.is_equal(c, *_inputs(c, 1), 7)),
    ("bits.is_equal (two wires)", lambda c: bits.is_equal(c, *_inputs(c, 2))),
    ("bits.lt, 32 bits", lambda c: bits.lt(c, *_inputs(c, 2), 32)),
    ("bits.le, 64 bits", lambda c: bits.le(c, *_inputs(c, 2), 64)),
    ("bits.assert_le, 64 bits", lambda c: bits.assert_le(c, *_inputs(c, 2), 64)),
    ("bits.select (two wires)", lambda c: bits.select(c, *_inputs(c, 3))),
    ("bits.select (wire, constant)", lambda c: bits.select(c, *_inputs(c, 2), 5)),
    ("bits.min_, 32 bits", lambda c: bits.min_(c, *_inputs(c, 2), 32)),
    ("bits.signed_to_offset, 81 bits", lambda c: bits.signed_to_offset(c, *_inputs(c, 1), 81)),
    ("bits.abs_, 41 bits", lambda c: bits.abs_(c, *_inputs(c, 1), 41)),
    ("poseidon.hash_gadget, 1 input (t = 2)", _poseidon(1)),
    ("poseidon.hash_gadget, 2 inputs (t = 3)", _poseidon(2)),
    ("poseidon.hash_gadget, 3 inputs (t = 4)", _poseidon(3)),
    ("poseidon.hash_gadget, 4 inputs (t = 5)", _poseidon(4)),
    ("poseidon.hash_gadget, 5 inputs (t = 6)", _poseidon(5)),
    ("babyjub.add_gadget (unified, complete)",
     lambda c: (lambda v: babyjub.add_gadget(c, v[:2], v[2:]))(_inputs(c, 4))),
    ("babyjub.double_gadget", lambda c: babyjub.double_gadget(c, _inputs(c, 2))),
    ("babyjub.assert_on_curve", lambda c: babyjub.assert_on_curve(c, _inputs(c, 2))),
    ("babyjub.fixed_base_mul, 252 given bits (11 rows per 2-bit window)",
     lambda c: babyjub.fixed_base_mul(c, _inputs(c, 252), babyjub.BASE8)),
    ("babyjub.fixed_base_mul with bits.to_bits, 251-bit scalar (≤ 7.5 rows a bit)",
     lambda c: babyjub.fixed_base_mul(c, bits.to_bits(c, *_inputs(c, 1), 251), babyjub.BASE8)),
    ("babyjub.var_base_mul, 64 given bits (18 rows a bit)",
     lambda c: (lambda v: babyjub.var_base_mul(c, v[2:], v[:2]))(_inputs(c, 66))),
    ("pedersen.open_gadget, 185 + 251 scalar bits (≤ 7.5 rows a bit)",
     lambda c: (lambda v: pedersen.open_gadget(c, v[:2], *v[2:]))(_inputs(c, 9))),
    ("settlement circuit, 4 orders × 4 accounts, whole (public rows included; ÷ 4 per pair)",
     lambda c: settlement.build(c, 4, 4)),
    ("settlement circuit, 16 orders × 16 accounts, whole (public rows included; ÷ 16 per pair)",
     lambda c: settlement.build(c, 16, 16)),
]


def count(builder) -> int:
    """Rows a builder adds to a fresh circuit."""
    c = Circuit()
    before = c.n_gates
    builder(c)
    return c.n_gates - before


def render() -> str:
    lines = ["| gadget | rows |", "|---|---:|"]
    lines += [f"| {name} | {count(builder)} |" for name, builder in GADGETS]
    return "\n".join(lines)


def updated_readme(text: str) -> str:
    """``text`` with the table between the markers replaced by a fresh one."""
    if BEGIN not in text or END not in text:
        raise ValueError(f"{README.name} lacks the markers {BEGIN} / {END}")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{render()}\n{END}{tail}"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = README.read_text()
    new = updated_readme(text)
    if "--check" in argv:
        stale = new != text
        print(f"{README}: {'stale' if stale else 'up to date'}")
        return int(stale)
    README.write_text(new)
    print(f"wrote the gate table to {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
