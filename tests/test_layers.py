"""Layering rules: ledger → prover → circuits → verifier; imports go downward only.

Inside ``ledger`` the packages are layered by role, lowest first (docs/design.md
§Roles): core ← exchange ← chain ← ethereum ← node ← operator ← cli.  A module may import
its own package and the packages below it; nothing imports ``ledger.cli``.
"""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
ORDER = ["verifier", "circuits", "prover", "ledger"]   # lowest first
LEDGER_ORDER = ["core", "exchange", "chain", "ethereum", "node", "operator", "cli"]   # lowest first


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


def _ledger_imports(path: pathlib.Path, root: pathlib.Path):
    """(ledger package imported, line) for each import of ``ledger.<package>`` in ``path``,
    relative imports resolved against the module's own package."""
    parts = path.relative_to(root).with_suffix("").parts        # ("ledger", pkg, module)
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(parts[:len(parts) - node.level])
                mod = ".".join(base + ([node.module] if node.module else []))
                names = [mod] if node.module else [f"{mod}.{a.name}" for a in node.names]
            elif node.module:
                names = [node.module] + ([f"{node.module}.{a.name}" for a in node.names]
                                         if node.module == "ledger" else [])
        for name in names:
            bits = name.split(".")
            if bits[0] == "ledger" and len(bits) > 1:
                yield bits[1], node.lineno


def ledger_violations(root: pathlib.Path):
    found = []
    for path in sorted((root / "ledger").rglob("*.py")):
        rel = path.relative_to(root / "ledger").parts
        if len(rel) < 2:                                     # ledger/__init__.py
            continue
        pkg = rel[0]
        if pkg not in LEDGER_ORDER:
            found.append(f"{path.relative_to(root)} is in no layer of {LEDGER_ORDER}")
            continue
        for target, line in _ledger_imports(path, root):
            if target not in LEDGER_ORDER:
                found.append(f"{path.relative_to(root)}:{line} imports ledger.{target} "
                             "(not a package of the ledger)")
            elif target == "cli" and pkg != "cli":
                found.append(f"{path.relative_to(root)}:{line} imports ledger.cli")
            elif LEDGER_ORDER.index(target) > LEDGER_ORDER.index(pkg):
                found.append(f"{path.relative_to(root)}:{line} imports ledger.{target} "
                             "(upward)")
    return found


def test_ledger_packages_import_downward_only():
    assert ledger_violations(ROOT) == []


def test_ledger_checker_catches_upward_and_cli_imports(tmp_path):
    for pkg in LEDGER_ORDER:
        (tmp_path / "ledger" / pkg).mkdir(parents=True)
    (tmp_path / "ledger" / "core" / "ok.py").write_text("from ledger.core import keys\n")
    (tmp_path / "ledger" / "chain" / "up.py").write_text("from ledger.node.client import x\n")
    (tmp_path / "ledger" / "node" / "rel.py").write_text("from ..operator import engine\n")
    (tmp_path / "ledger" / "operator" / "cli.py").write_text("import ledger.cli.main\n")
    (tmp_path / "ledger" / "exchange" / "flat.py").write_text("from ledger import store\n")
    (tmp_path / "ledger" / "misc").mkdir()
    (tmp_path / "ledger" / "misc" / "x.py").write_text("")
    assert ledger_violations(tmp_path) == [
        "ledger/chain/up.py:1 imports ledger.node (upward)",
        "ledger/exchange/flat.py:1 imports ledger.store (not a package of the ledger)",
        "ledger/misc/x.py is in no layer of ['core', 'exchange', 'chain', 'ethereum', 'node', "
        "'operator', 'cli']",
        "ledger/node/rel.py:1 imports ledger.operator (upward)",
        "ledger/operator/cli.py:1 imports ledger.cli",
    ]


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
