"""Layering rule: ledger → prover → circuits → verifier; imports go downward only."""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
ORDER = ["verifier", "circuits", "prover", "ledger"]   # lowest first


def _imports(path: pathlib.Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno


def violations(root: pathlib.Path):
    found = []
    for layer_idx, layer in enumerate(ORDER):
        for path in sorted((root / layer).rglob("*.py")):
            for top, line in _imports(path):
                if top in ORDER and ORDER.index(top) > layer_idx:
                    found.append(f"{path.relative_to(root)}:{line} imports {top} (upward)")
    return found


def test_layers_import_downward_only():
    assert violations(ROOT) == []


def test_checker_catches_an_upward_import(tmp_path):
    for layer in ORDER:
        (tmp_path / layer).mkdir()
    (tmp_path / "verifier" / "bad.py").write_text("from prover import kernels\n")
    (tmp_path / "prover" / "ok.py").write_text("import verifier.fields\n")
    assert violations(tmp_path) == ["verifier/bad.py:1 imports prover (upward)"]


def test_verifier_needs_no_jit():
    """A validator checks proofs without Numba: the base layer never imports it."""
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "verifier").rglob("*.py")
                 if "numba" in {t for t, _ in _imports(p)}]
    assert offenders == []


def test_cli_parser_loads_no_prover():
    """`darkmatch validator run`, `verify`, `order …` start without Numba: building the
    command line imports no prover, numba or py_ecc (commands load what they need)."""
    code = ("import sys; from ledger.cli.main import build_parser; build_parser(); "
            "print(sorted(m for m in ('prover', 'numba', 'py_ecc') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.strip()
    assert out == "[]"
