"""Evidence of misbehaviour: its one JSON form, shared by nodes, blocks and the rules.

Five kinds, each a pair of signatures by one key on two different block
hashes where an honest signer signs one — something an honest signer never
produces:

* ``double-sign``: a validator's two attestations at one height
  (``ledger.core.block.attestation_bytes``)::

      {"kind": "double-sign", "validator": name, "height": h,
       "first": {"hash": hex64, "signature": hex128},
       "second": {"hash": hex64, "signature": hex128}}

* ``operator-equivocation``: the operator's two proposal signatures at one
  height (``ledger.core.block.proposal_bytes``), the same object without
  ``"validator"``;
* ``double-prevote`` and ``double-precommit``: a validator's two votes of
  one phase in one round of one height
  (``ledger.core.round_messages.vote_bytes``), the ``double-sign`` object
  with ``"round": r`` (0 ≤ r < ``ROUND_BOUND``);
* ``operator-round-equivocation``: the operator's two round proposals in one
  round (``round_proposal_bytes``), the ``operator-equivocation`` object with
  ``"round"``.

The validator kinds (``VALIDATOR_KINDS``) slash the validator, the operator
kinds (``OPERATOR_KINDS``) record the height as the operator's fault, when a
block carrying them is final (``ledger.chain.judge``).

**One spelling.**  ``first.hash`` < ``second.hash`` (as hex strings), so one
pair of signatures has exactly one evidence object and one hash inside a
block; ``make_evidence`` sorts, ``evidence_from_json`` refuses the other
order.  The shape is checked here; whether the signatures verify under the
ledger's keys, and what applying the evidence does, is
``ledger.chain.rules`` (``check_evidence``).
"""

from ledger.core import keys
from ledger.core.codec import CodecError, check_fields, get_hex, get_int, get_str
from ledger.core.genesis import NAME_PATTERN
from ledger.core.limits import HEIGHT_BOUND, ROUND_BOUND

__all__ = ["DOUBLE_SIGN", "OPERATOR_EQUIVOCATION", "DOUBLE_PREVOTE", "DOUBLE_PRECOMMIT",
           "OPERATOR_ROUND_EQUIVOCATION", "EVIDENCE_KINDS", "VALIDATOR_KINDS",
           "OPERATOR_KINDS", "ROUND_KINDS", "make_evidence", "evidence_from_json",
           "evidence_key", "MAX_EVIDENCE"]

DOUBLE_SIGN = "double-sign"
OPERATOR_EQUIVOCATION = "operator-equivocation"
DOUBLE_PREVOTE = "double-prevote"
DOUBLE_PRECOMMIT = "double-precommit"
OPERATOR_ROUND_EQUIVOCATION = "operator-round-equivocation"
EVIDENCE_KINDS = (DOUBLE_SIGN, OPERATOR_EQUIVOCATION, DOUBLE_PREVOTE, DOUBLE_PRECOMMIT,
                  OPERATOR_ROUND_EQUIVOCATION)
#: kinds about a validator (they name it and slash it)
VALIDATOR_KINDS = (DOUBLE_SIGN, DOUBLE_PREVOTE, DOUBLE_PRECOMMIT)
#: kinds about the operator (judged once per height)
OPERATOR_KINDS = (OPERATOR_EQUIVOCATION, OPERATOR_ROUND_EQUIVOCATION)
#: kinds about one round of a height (they carry "round")
ROUND_KINDS = (DOUBLE_PREVOTE, DOUBLE_PRECOMMIT, OPERATOR_ROUND_EQUIVOCATION)
#: most evidence items one block carries
MAX_EVIDENCE = 64


def make_evidence(kind: str, height: int, one: tuple, two: tuple, validator: str = None,
                  round_: int = None) -> dict:
    """The evidence object for two (hash hex, signature bytes) pairs, in canonical order."""
    (h1, s1), (h2, s2) = sorted([one, two])
    obj = {"kind": kind, "height": height, "first": {"hash": h1, "signature": s1.hex()},
           "second": {"hash": h2, "signature": s2.hex()}}
    if kind in VALIDATOR_KINDS:
        obj["validator"] = validator
    if kind in ROUND_KINDS:
        obj["round"] = round_
    return evidence_from_json(obj)


def evidence_from_json(obj, what: str = "evidence") -> dict:
    """``obj`` checked to be one evidence object in its one spelling; a one-line ``CodecError``."""
    if not isinstance(obj, dict) or obj.get("kind") not in EVIDENCE_KINDS:
        raise CodecError(f"{what}: kind must be one of {', '.join(EVIDENCE_KINDS)}")
    kind = obj["kind"]
    names = ("kind", "height", "first", "second")
    names += ("validator",) if kind in VALIDATOR_KINDS else ()
    names += ("round",) if kind in ROUND_KINDS else ()
    check_fields(obj, what, names)
    if kind in VALIDATOR_KINDS:
        get_str(obj, "validator", what, NAME_PATTERN)
    get_int(obj, "height", what, 1, HEIGHT_BOUND)
    if kind in ROUND_KINDS:
        get_int(obj, "round", what, 0, ROUND_BOUND)
    for side in ("first", "second"):
        w = f"{what}: {side}"
        check_fields(obj[side], w, ("hash", "signature"))
        get_hex(obj[side], "hash", w, 32)
        get_hex(obj[side], "signature", w, keys.SIGNATURE_BYTES)
    if not obj["first"]["hash"] < obj["second"]["hash"]:
        raise CodecError(f"{what}: first.hash must sort before second.hash (two different "
                         "blocks, in one order)")
    return obj


def evidence_key(obj: dict) -> tuple:
    """(kind, validator or "", height): at most one evidence per key counts."""
    return obj["kind"], obj.get("validator", ""), obj["height"]
