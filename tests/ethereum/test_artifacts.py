"""The committed contract artifacts are what the pinned solc builds from contracts/ (CI: fresh)."""

import importlib.util
import pathlib

from evm_fixtures import solc  # noqa: F401 (fixture)
from ledger.ethereum.artifacts import DEPLOYABLE, load, sources

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _build_tool():
    spec = importlib.util.spec_from_file_location("build_contracts", ROOT / "tools" / "build_contracts.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_artifacts_load_without_a_compiler():
    for name in DEPLOYABLE:
        art = load(name)
        assert art["solc"] == "0.8.28" and len(art["bytecode"]) > 100 and art["abi"]
    assert "PlonkMath.sol" in sources()


def test_committed_sources_are_the_contracts_folder():
    srcs = sources()
    on_disk = {p.name: p.read_text() for p in (ROOT / "contracts").glob("*.sol")}
    assert srcs == on_disk


def test_committed_artifacts_are_not_stale(solc):
    tool = _build_tool()
    assert tool.stale(tool.build()) == []
