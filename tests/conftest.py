"""Shared fixtures: the snarkjs reference tool and a development SRS.

snarkjs comes from npm (tests/package.json + lock).  The ``snarkjs`` fixture
installs it with ``npm ci`` when node is present and it is missing; without
node the interop tests skip — unless ``DARKMATCH_REQUIRE_SNARKJS=1`` (set by
``.ci/run``), which turns that skip into a failure.
"""

import atexit
import os
import pathlib
import shutil
import subprocess
import tempfile
import warnings

import pytest

TESTS = pathlib.Path(__file__).resolve().parent
VECTORS = TESTS / "vectors"

# The prover's proving-key cache (prover.snarkjs.keycache) goes to a folder of this
# run, not to the user's ~/.cache; every CLI the tests start inherits it.
if "DARKMATCH_CACHE_DIR" not in os.environ:
    os.environ["DARKMATCH_CACHE_DIR"] = tempfile.mkdtemp(prefix="darkmatch-test-cache-")
    atexit.register(shutil.rmtree, os.environ["DARKMATCH_CACHE_DIR"], True)


def _snarkjs_path():
    exe = TESTS / "node_modules" / ".bin" / "snarkjs"
    if exe.exists() and shutil.which("node"):
        return exe
    if shutil.which("npm") and shutil.which("node"):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=TESTS,
                       check=False, capture_output=True, timeout=600)
        if exe.exists():
            return exe
    return None


@pytest.fixture(scope="session")
def snarkjs():
    """Path of the snarkjs CLI; skips (or fails under DARKMATCH_REQUIRE_SNARKJS=1) without it."""
    exe = _snarkjs_path()
    if exe is None:
        msg = "snarkjs unavailable (needs node and npm; run `npm ci` in tests/)"
        if os.environ.get("DARKMATCH_REQUIRE_SNARKJS") == "1":
            pytest.fail(msg + " but DARKMATCH_REQUIRE_SNARKJS=1")
        pytest.skip(msg)
    return exe


def run_snarkjs(exe, *args, cwd=None, timeout=300):
    """Run a snarkjs command; returns (returncode, combined output)."""
    p = subprocess.run([str(exe), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout + p.stderr


@pytest.fixture(scope="session")
def srs():
    """A development SRS (power 8: circuits up to 256 rows)."""
    from prover.srs import dev_srs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dev_srs(8)
