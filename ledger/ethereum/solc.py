"""Compile Solidity with the pinned solcjs (npm ``solc``, tests/package.json) — build time only.

Running darkmatch never compiles: the deployable contracts are prebuilt into
``artifacts/*.json`` by ``tools/build_contracts.py``.  This module is what that
script and the tests use: solc's standard-JSON interface through
``tests/node_modules/.bin/solcjs --standard-json``, with the project's one set
of compiler settings (``SETTINGS``), so a rebuild reproduces the committed
bytecode byte for byte.
"""

import json
import pathlib
import shutil
import subprocess
import tempfile

from verifier.errors import BadInput

__all__ = ["SolcError", "SOLC_VERSION", "SETTINGS", "solcjs_path", "compile_sources"]

ROOT = pathlib.Path(__file__).resolve().parents[2]
#: the solc release the artifacts are built with (pinned in tests/package.json)
SOLC_VERSION = "0.8.28"
#: compiler settings; evmVersion paris runs on every EVM chain of the last years
SETTINGS = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "paris",
    "metadata": {"bytecodeHash": "none", "appendCBOR": False},
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
}


class SolcError(BadInput):
    """solcjs missing, or the sources do not compile (the first error's message)."""


def solcjs_path():
    """The pinned solcjs CLI, or None without node / npm packages."""
    exe = ROOT / "tests" / "node_modules" / ".bin" / "solcjs"
    return exe if exe.exists() and shutil.which("node") else None


def compile_sources(sources: dict, *, timeout: int = 300) -> dict:
    """{file name: Solidity text} → {contract name: {"abi", "bytecode", "deployedBytecode"}}."""
    exe = solcjs_path()
    if exe is None:
        raise SolcError("solcjs unavailable (needs node and `npm ci` in tests/)")
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True,
                             timeout=60).stdout.strip()
    if not version.startswith(SOLC_VERSION + "+"):
        raise SolcError(f"solcjs {version!r} is not the pinned {SOLC_VERSION}")
    request = {"language": "Solidity",
               "sources": {name: {"content": text} for name, text in sources.items()},
               "settings": SETTINGS}
    # stdout to a file: solcjs exits before flushing more than 64 KiB into a pipe
    # and stdin from a file: node's synchronous read of a large piped stdin can fail with EAGAIN
    with tempfile.TemporaryFile("w+") as sink, tempfile.TemporaryFile("w+") as source:
        source.write(json.dumps(request))
        source.seek(0)
        p = subprocess.run([str(exe), "--standard-json"], stdin=source, stdout=sink,
                           stderr=subprocess.PIPE, text=True, timeout=timeout)
        sink.seek(0)
        text = sink.read()
    try:   # solcjs may print notes before the JSON line
        out = json.loads(next(line for line in text.splitlines() if line.startswith("{")))
    except (ValueError, StopIteration):
        raise SolcError(f"solcjs failed: {(p.stderr or text).strip()[:300]}") from None
    errors = [e for e in out.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise SolcError(errors[0].get("formattedMessage", errors[0].get("message", "?")).strip())
    result = {}
    for fname, contracts in out.get("contracts", {}).items():
        for cname, c in contracts.items():
            result[cname] = {"abi": c["abi"], "bytecode": "0x" + c["evm"]["bytecode"]["object"],
                             "deployedBytecode": "0x" + c["evm"]["deployedBytecode"]["object"]}
    return result
