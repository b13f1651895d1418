"""Base layer, pure Python: BN254 constants and groups, pairing, transcript, verify().

Nothing here uses Numba, so a validator can check proofs with py_ecc alone.
"""

from . import fields
from .errors import BadInput, Conflict, DarkmatchError, Misbehaviour, Rejected
from .marshal import FormatError, Proof, VerifyingKey
from .verify import Verdict, check, verify

__all__ = ["fields", "verify", "check", "Verdict", "Proof", "VerifyingKey", "FormatError",
           "DarkmatchError", "BadInput", "Conflict", "Rejected", "Misbehaviour"]
