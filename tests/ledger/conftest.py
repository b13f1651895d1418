"""Fixtures shared by the ledger's liveness tests: one small proven chain per session."""

import pytest
from liveness_net import proven_chain


@pytest.fixture(scope="session")
def live_chain(tmp_path_factory):
    """``liveness_net.proven_chain``: blocks 1, 1' and 2 on the 2×2 circuit, an operator key."""
    return proven_chain(tmp_path_factory.mktemp("live-chain"))
