"""The gate-count table in circuits/README.md is the one the gadgets give today."""

import pytest

from circuits import gadget_table


def test_readme_table_is_up_to_date():
    text = gadget_table.README.read_text()
    assert gadget_table.updated_readme(text) == text, \
        "circuits/README.md is stale: run `python -m circuits.gadget_table`"


def test_table_lists_every_gadget_once_with_a_positive_count():
    names = [name for name, _ in gadget_table.GADGETS]
    assert len(names) == len(set(names))
    table = gadget_table.render()
    for name, builder in gadget_table.GADGETS:
        n = gadget_table.count(builder)
        assert n > 0 and f"| {name} | {n} |" in table


def test_count_is_rows_added_and_markers_are_required():
    assert gadget_table.count(lambda c: c.mul(c.private("a"), c.private("b"))) == 1
    assert gadget_table.count(lambda c: None) == 0
    with pytest.raises(ValueError, match="markers"):
        gadget_table.updated_readme("no markers here")
    begin, end = gadget_table.BEGIN, gadget_table.END
    fresh = gadget_table.updated_readme(f"intro\n{begin}\nold\n{end}\nrest\n")
    assert fresh.startswith("intro\n") and fresh.endswith("rest\n") and "old" not in fresh
