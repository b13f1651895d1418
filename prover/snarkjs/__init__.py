"""circom's and snarkjs's files (.r1cs, .wtns, PLONK .zkey) and ``plonk setup`` / ``prove`` on them.

    from prover.snarkjs import plonk_setup, read_zkey, read_wtns, prove_zkey
    plonk_setup("circuit.r1cs", "pot.ptau", "circuit.zkey")      # = snarkjs plonk setup
    proof, public = prove_zkey(read_zkey("circuit.zkey"), read_wtns("witness.wtns"))

Large files are memory-mapped (``binfile``); every malformed or mismatched
file raises ``binfile.FormatError`` (a ``verifier.errors.BadInput``) with one
line naming the file and the fault.
"""

from .binfile import FormatError
from .plonkify import PlonkGates, plonkify
from .prove import ZkeyCircuit, prove_zkey, proving_key
from .r1cs import R1CS, read_r1cs, write_r1cs
from .setup import plonk_setup
from .wtns import read_wtns, write_wtns
from .zkey import ZKey, read_zkey, vk_json_text

__all__ = ["FormatError", "PlonkGates", "plonkify", "R1CS", "read_r1cs", "write_r1cs",
           "plonk_setup", "ZKey", "read_zkey", "vk_json_text", "ZkeyCircuit", "prove_zkey",
           "proving_key", "read_wtns", "write_wtns"]
