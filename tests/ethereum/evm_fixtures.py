"""Fixtures of the contract tests (imported by each module): the in-process py-evm chain, a real
anvil node, solcjs, and the snarkjs helpers of tests/conftest.py.

``anvil`` starts the npm ``@foundry-rs/anvil`` binary on 127.0.0.1 and a free
port for the test module and stops it afterwards.  Without node / the npm
packages the anvil and solc tests skip — unless ``DARKMATCH_REQUIRE_SNARKJS=1``
(set by ``.ci/run``), which turns that skip into a failure, as for snarkjs.
"""

import os
import warnings

import pytest

from ledger.ethereum.chain import Anvil, anvil_path, in_process
from ledger.ethereum.solc import solcjs_path


def need(tool_ok: bool, what: str):
    if not tool_ok:
        msg = f"{what} unavailable (needs node and `npm ci` in tests/)"
        if os.environ.get("DARKMATCH_REQUIRE_SNARKJS") == "1":
            pytest.fail(msg + " but DARKMATCH_REQUIRE_SNARKJS=1")
        pytest.skip(msg)


@pytest.fixture(scope="module")
def anvil():
    """A Web3 on a fresh anvil node (module scope; the process is stopped after)."""
    need(anvil_path() is not None, "anvil")
    node = Anvil()
    w3 = node.start(timeout=30)
    try:
        yield w3
    finally:
        node.stop()


@pytest.fixture(scope="module")
def pyevm():
    """A Web3 on a fresh in-process py-evm chain."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return in_process()


@pytest.fixture(scope="session")
def solc():
    need(solcjs_path() is not None, "solcjs")
    from ledger.ethereum.solc import compile_sources
    return compile_sources
