"""Judging evidence and proposers: the rules that need only keys, not the ledger's accounts.

Part of the chain's rules (``ledger.chain.rules`` imports and re-exports each
function; ``view`` is its ``LedgerView``), kept apart so each file stays short:

* ``check_proposer``: when the genesis names an operator, a proposal must
  carry its signature over ``ledger.core.block.proposal_bytes`` (else
  ``NotProposer``, HTTP 403);
* ``check_evidence``: one ``ledger.core.evidence`` object against a view — a
  ``double-sign``, ``double-prevote`` or ``double-precommit`` names a
  registered, unslashed validator whose key verifies both of its signed
  messages (two attestations; two votes of that phase in the evidence's
  round, ``ledger.core.round_messages.vote_bytes``); an
  ``operator-equivocation`` or ``operator-round-equivocation`` needs the
  genesis operator's key to verify both proposal signatures (of the height,
  or of the evidence's round), at a height whose operator fault was not
  judged before;
* ``apply_evidence``: the validators and judged operator heights after it
  (a validator caught signing twice loses its whole stake; an operator
  fault records the height, once);
* ``select_evidence``: which of the evidence a node or the operator holds a
  block on a view can carry (well-formed, holding, one per key and
  validator, sorted, bounded).
"""

from dataclasses import replace

from verifier.errors import Rejected

from ledger.core import keys
from ledger.core.block import attestation_bytes, proposal_bytes
from ledger.core.codec import canonical_json
from ledger.core.evidence import (DOUBLE_PREVOTE, DOUBLE_SIGN, MAX_EVIDENCE,
                                  OPERATOR_EQUIVOCATION, OPERATOR_ROUND_EQUIVOCATION,
                                  VALIDATOR_KINDS, evidence_from_json, evidence_key)
from ledger.core.round_messages import PRECOMMIT, PREVOTE, round_proposal_bytes, vote_bytes

__all__ = ["NotProposer", "check_proposer", "check_evidence", "apply_evidence",
           "select_evidence"]


class NotProposer(Rejected):
    """A proposal the genesis operator did not sign (HTTP 403)."""

    http_status = 403


def check_proposer(operator_key, block) -> None:
    """``NotProposer`` unless ``block`` carries the operator's signature over its proposal
    bytes; a ledger whose genesis names no operator (``operator_key`` None) takes any."""
    if operator_key is None:
        return
    sig = block.operator_signature
    if sig is None:
        raise NotProposer(f"block {block.height} is not signed by the operator (this "
                          "ledger's genesis names one)")
    if not keys.verify(operator_key, block.proposal_bytes(), sig):
        raise NotProposer(f"block {block.height}: the operator signature does not verify "
                          "under the genesis operator key")


def _signed_message(ev):
    """(accused key kind, message(height, hash)) for evidence ``ev`` (a checked shape)."""
    kind, h = ev["kind"], ev["height"]
    if kind == DOUBLE_SIGN:
        return lambda bh: attestation_bytes(h, bh)
    if kind == OPERATOR_EQUIVOCATION:
        return lambda bh: proposal_bytes(h, bh)
    if kind == OPERATOR_ROUND_EQUIVOCATION:
        return lambda bh: round_proposal_bytes(h, ev["round"], bh)
    phase = PREVOTE if kind == DOUBLE_PREVOTE else PRECOMMIT
    return lambda bh: vote_bytes(phase, h, ev["round"], bh)


def check_evidence(view, ev: dict, label: str = "evidence", error=Rejected) -> None:
    """``error`` unless the (shape-checked) evidence ``ev`` holds against ``view`` (module doc)."""
    h = ev["height"]
    pairs = [(ev[s]["hash"], bytes.fromhex(ev[s]["signature"])) for s in ("first", "second")]
    where = f"height {h}" + (f" round {ev['round']}" if "round" in ev else "")
    if ev["kind"] in VALIDATOR_KINDS:
        rec = view.validators.get(ev["validator"])
        if rec is None:
            raise error(f"{label}: unknown validator {ev['validator']!r}")
        if rec.slashed:
            raise error(f"{label}: validator {ev['validator']!r} is already slashed")
        key, who = rec.public_key, f"validator {ev['validator']!r}"
    else:
        if view.operator is None:
            raise error(f"{label}: this ledger's genesis names no operator")
        if h in view.operator_faults:
            raise error(f"{label}: the operator's equivocation at height {h} is already judged")
        key, who = view.operator, "the operator"
    message = _signed_message(ev)
    for bh, sig in pairs:
        if not keys.verify(key, message(bh), sig):
            raise error(f"{label}: a {ev['kind']} signature by {who} at {where} does not "
                        "verify")


def apply_evidence(view, evidence) -> tuple:
    """(validators, operator_faults) after ``evidence`` (already checked)."""
    validators, faults = dict(view.validators), set(view.operator_faults)
    for ev in evidence:
        if ev["kind"] in VALIDATOR_KINDS:
            rec = validators[ev["validator"]]
            validators[rec.name] = replace(rec, stake=0, slashed=True,
                                           slashed_stake=rec.slashed_stake + rec.stake)
        else:
            faults.add(ev["height"])
    return validators, frozenset(faults)


def select_evidence(view, candidates, limit: int = MAX_EVIDENCE,
                    max_height: int = None) -> list:
    """The candidates (evidence objects, any order, duplicates allowed) that a block on
    ``view`` can carry: well-formed, holding against the view, one per key and at most one
    per validator, at most ``limit``, in ``evidence_key`` order.  ``max_height`` (default
    the view's height: the next block carries only evidence about heights below it) lets a
    node list the evidence it holds about the open height too."""
    max_height = view.height if max_height is None else max_height
    chosen, judged = {}, view
    for ev in sorted(candidates, key=lambda e: canonical_json(e)):
        try:
            evidence_from_json(ev)
            if evidence_key(ev) in chosen or ev["height"] > max_height:
                continue
            check_evidence(judged, ev)
        except ValueError:
            continue
        validators, faults = apply_evidence(judged, [ev])
        judged = replace(judged, validators=validators, operator_faults=faults)
        chosen[evidence_key(ev)] = ev
    return [chosen[k] for k in sorted(chosen)][:limit]
