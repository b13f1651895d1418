"""circom's and snarkjs's files (.r1cs, .wtns, PLONK .zkey) and ``plonk setup`` / ``prove`` on them.

    from prover.snarkjs import plonk_setup, read_zkey, read_wtns, prove_zkey
    plonk_setup("circuit.r1cs", "pot.ptau", "circuit.zkey")      # = snarkjs plonk setup
    proof, public = prove_zkey(read_zkey("circuit.zkey"), read_wtns("witness.wtns"))

Large files are memory-mapped (``binfile``); every malformed or mismatched
file raises ``binfile.FormatError`` (a ``verifier.errors.BadInput``) with one
line naming the file and the fault.  Names are imported on first use, so
proving never loads the setup side (.r1cs, .ptau).  ``plonkify`` is imported
here: it shares its name with its submodule, which the import system would
otherwise leave in its place.
"""

import importlib

from .plonkify import PlonkGates, plonkify

__all__ = ["FormatError", "PlonkGates", "plonkify", "R1CS", "read_r1cs", "write_r1cs",
           "plonk_setup", "ZKey", "read_zkey", "vk_json_text", "ZkeyCircuit", "prove_zkey",
           "proving_key", "read_wtns", "write_wtns"]

#: public name → the submodule that defines it
_SOURCES = {"FormatError": ".binfile", "R1CS": ".r1cs", "read_r1cs": ".r1cs", "write_r1cs": ".r1cs",
            "plonk_setup": ".setup", "ZKey": ".zkey", "read_zkey": ".zkey",
            "vk_json_text": ".zkey", "ZkeyCircuit": ".prove", "prove_zkey": ".prove",
            "proving_key": ".prove", "read_wtns": ".wtns", "write_wtns": ".wtns"}


def __getattr__(name):
    src = _SOURCES.get(name)
    if src is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(src, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
