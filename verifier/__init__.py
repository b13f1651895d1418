"""Base layer, pure Python: BN254 constants and groups, pairing, transcript, the PLONK verifier.

Nothing here uses Numba, so a validator can check proofs with py_ecc alone.

    from verifier import check, verify, parse_proof, canonical_json
    verdict = check(vk, public, proof)     # Verdict(ok, reason); never raises on bad input

Modules: ``fields`` (Fr, Fq) → ``curve`` / ``lincomb`` / ``pairing`` (groups) →
``proof`` (the objects and their checks) → ``marshal`` (their one JSON form) →
``transcript`` (the challenge schedule) → ``linearisation`` (R's scalars, shared
with the prover) → ``plonk`` (``check``, ``verify``); ``errors`` (the error kinds).
"""

from . import fields
from .errors import BadInput, Conflict, DarkmatchError, Misbehaviour, Rejected
from .marshal import canonical_json, parse_proof, parse_public, parse_verifying_key
from .plonk import Verdict, check, verify
from .proof import Evaluations, FormatError, Proof, VerifyingKey

__all__ = ["fields", "verify", "check", "Verdict", "Proof", "VerifyingKey", "Evaluations",
           "FormatError", "parse_proof", "parse_verifying_key", "parse_public", "canonical_json",
           "DarkmatchError", "BadInput", "Conflict", "Rejected", "Misbehaviour"]
