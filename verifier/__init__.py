"""Base layer, pure Python: BN254 constants and groups, pairing, transcript, verify().

Nothing here uses Numba, so a validator can check proofs with py_ecc alone.
"""

from . import fields

__all__ = ["fields"]
