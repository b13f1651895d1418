"""The committed, prebuilt contract artifacts (ABI + bytecode), read at run time.

``artifacts/<Contract>.json`` holds ``{"contract", "solc", "settings", "abi",
"bytecode", "deployedBytecode"}``; ``artifacts/sources.json`` the Solidity
sources they were built from (``darkmatch evm verifier`` writes its stand-alone
verifier from the ``PlonkMath.sol`` kept there).  ``tools/build_contracts.py``
writes them with the pinned solc and a test rebuilds them to check they are not
stale, so running darkmatch needs no compiler.
"""

import json
import pathlib
from functools import lru_cache

from verifier.errors import BadInput

__all__ = ["ARTIFACTS", "DEPLOYABLE", "ArtifactError", "load", "sources"]

ARTIFACTS = pathlib.Path(__file__).resolve().parent / "artifacts"
#: the contracts whose artifacts are committed
DEPLOYABLE = ("PlonkKeyVerifier", "Settlement", "Escape", "TestToken")


class ArtifactError(BadInput):
    """A contract artifact is missing or unreadable."""


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    """The artifact of contract ``name``: {"abi": [...], "bytecode": "0x…", …}."""
    path = ARTIFACTS / f"{name}.json"
    try:
        art = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ArtifactError(f"contract artifact {name}: {e}") from None
    if not art.get("bytecode", "").startswith("0x") or not isinstance(art.get("abi"), list):
        raise ArtifactError(f"contract artifact {name}: no abi/bytecode")
    return art


@lru_cache(maxsize=None)
def sources() -> dict:
    """{file name: Solidity source} the artifacts were built from."""
    try:
        return json.loads((ARTIFACTS / "sources.json").read_text())
    except (OSError, ValueError) as e:
        raise ArtifactError(f"contract sources: {e}") from None
