"""The operator's side of the two-phase rounds (docs/liveness.md §Rounds), over HTTP.

``run_two_phase(urls, block, round_, op_key, store)`` runs one round of
height ``block.height``: it signs the round proposal
(``ledger.chain.votes.round_proposal_bytes``), asks every validator at once
for its prevote (``POST /round/prevote``, with ``pol_round`` and the polka
when it re-proposes a locked block), and on a polka asks for precommits
(``POST /round/precommit``); on a commit it asks for today's attestations
(``POST /round/attest``), counts them with a ``ledger.chain.finality.Quorum``
on ``store`` and broadcasts ``POST /finalize`` with the signed block, as
``ledger.operator.round.run_round`` does.  Every vote is checked
(``RoundTally``: forged votes refused, double votes kept as evidence).  It
returns a ``TwoPhase`` with what each phase got.

``reproposal(urls, height, store)`` asks every validator for its lock
(``GET /round/lock/<height>``) and answers (the round to open: one above
every round a validator reports voting in, ``choose_reproposal``'s pick:
(pol_round, block, polka) of the highest lock whose polka verifies, or None).
Each request has ``timeout`` seconds and all validators are asked at once.

``run_in_rounds(urls, block, op_key, store, quorum)`` is what ``operator
batch --rounds`` runs for a new or a stored block: the lock query, then
``run_two_phase`` in the round it names.
"""

from dataclasses import dataclass, field

from ledger.core import keys
from ledger.core.block import block_from_json, block_to_json
from ledger.core.limits import ROUND_BOUND
from ledger.chain.finality import Quorum
from ledger.chain.rounds import RoundTally, choose_reproposal
from ledger.chain.votes import round_proposal_bytes, vote_from_json, vote_to_json
from ledger.node.client import DEFAULT_TIMEOUT, NodeClient, each, parse_attestation

__all__ = ["TwoPhase", "run_two_phase", "run_in_rounds", "reproposal"]


@dataclass
class TwoPhase:
    """What one ``run_two_phase`` got, per phase and URL."""

    block: object = None                                  # the signed, final block, or None
    round: int = 0
    polka: list = None                                    # the prevotes, once > 2/3
    commit: list = None                                   # the precommits, once > 2/3
    refusals: dict = field(default_factory=dict)          # url → "phase: one line"
    attestations: dict = field(default_factory=dict)      # url → Attestation (on the commit)
    finalized: dict = field(default_factory=dict)         # url → node's answer
    finalize_errors: dict = field(default_factory=dict)   # url → one line
    evidence: list = field(default_factory=list)
    stored_hash: str = None                               # apply=True: the local store's result


def _ask(urls, phase, body, timeout):
    return each(urls, lambda u: NodeClient(u, timeout).round_vote(phase, body), timeout)


def _tally(answers, tally, phase, out):
    ok = []
    for url, (obj, err) in answers.items():
        if err is None:
            try:
                tally.add(vote_from_json(obj))
                ok.append(url)
            except ValueError as e:
                err = str(e)
        if err is not None:
            out.refusals[url] = f"{phase}: {err}"
    return ok


def run_two_phase(urls, block, round_: int, op_key, store, *, pol_round=None, polka=(),
                  quorum=None, apply: bool = False,
                  timeout: float = DEFAULT_TIMEOUT) -> TwoPhase:
    """One round (module docstring); ``quorum`` (default: a new one on ``store``) counts the
    attestations, and with ``apply=True`` the final block is stored in its store."""
    urls, out, tally = list(dict.fromkeys(urls)), TwoPhase(round=round_), RoundTally(store)
    body = {"block": block_to_json(block.with_operator_signature(None)
                                   if block.operator_signature else block), "round": round_}
    if op_key is not None:
        body["operator_signature"] = keys.sign(
            op_key, round_proposal_bytes(block.height, round_, block.hash())).hex()
    if pol_round is not None:
        body["pol_round"], body["polka"] = pol_round, [vote_to_json(v) for v in polka]
    heard = _tally(_ask(urls, "prevote", body, timeout), tally, "prevote", out)
    got = tally.polka(block.height, round_)
    if got is None or got[0] != block.hash():
        out.evidence = tally.evidence
        return out
    out.polka = got[1]
    body = {"block": body["block"], "round": round_, "polka": [vote_to_json(v) for v in got[1]]}
    _tally(_ask(heard, "precommit", body, timeout), tally, "precommit", out)
    out.evidence = tally.evidence
    got = tally.commit(block.height, round_)
    if got is None:
        return out
    out.commit = got[1]
    body = {"block": body["block"], "round": round_,
            "commit": [vote_to_json(v) for v in got[1]]}
    quorum = Quorum(store) if quorum is None else quorum
    for url, (obj, err) in each(heard, lambda u: NodeClient(u, timeout).round_vote(
            "attest", body), timeout).items():
        try:
            if err is None:
                att = parse_attestation(obj)
                quorum.add(att, block)
                out.attestations[url] = att
        except ValueError as e:
            err = str(e)
        if err is not None:
            out.refusals[url] = f"attest: {err}"
    if not quorum.is_final(block.height, block.hash()):
        return out
    out.block = quorum.signed_block(block)
    for url, (ans, err) in each(heard, lambda u: NodeClient(u, timeout).finalize(out.block),
                                timeout).items():
        if err is None:
            out.finalized[url] = ans
        else:
            out.finalize_errors[url] = err
    if apply:
        out.stored_hash = quorum.finalize(block)
    return out


def run_in_rounds(urls, block, op_key, store, quorum, *, timeout: float = DEFAULT_TIMEOUT):
    """``block`` in the next round of its height (``reproposal``): re-proposed with the polka
    of the highest lock when the validators are locked on it; not sent when they are locked on
    another block (whose private states this operator does not hold): a ``TwoPhase`` whose
    refusals say so.  The final block is stored in ``quorum``'s store."""
    nxt, pick = reproposal(urls, block.height, store, timeout=timeout)
    if pick is not None and pick[1].hash() != block.hash():
        out = TwoPhase(round=nxt)
        out.refusals["the lock query"] = (f"validators are locked on another block {block.height} "
                                f"({pick[1].hash()[:16]}…, round {pick[0]}): it must be "
                                "re-proposed, with its private states")
        return out
    pol_round, polka = (pick[0], pick[2]) if pick is not None else (None, ())
    return run_two_phase(urls, block, nxt, op_key, store, pol_round=pol_round, polka=polka,
                         quorum=quorum, apply=True, timeout=timeout)


def reproposal(urls, height: int, store, *, timeout: float = DEFAULT_TIMEOUT):
    """(next round, (pol_round, block, polka) to re-propose or None) (module docstring)."""
    locks, top = [], -1
    for obj, err in each(list(dict.fromkeys(urls)),
                         lambda u: NodeClient(u, timeout).round_lock(height), timeout).values():
        try:
            if err is None and isinstance(obj, dict) and isinstance(obj.get("top_round"), int) \
                    and not isinstance(obj["top_round"], bool) \
                    and 0 <= obj["top_round"] < ROUND_BOUND - 1:
                top = max(top, obj["top_round"])
            lock = obj["lock"] if err is None and isinstance(obj, dict) else None
            if lock is not None:
                locks.append((lock["round"], block_from_json(lock["block"], "locked block"),
                              [vote_from_json(v) for v in lock["polka"]]))
        except (ValueError, KeyError, TypeError):
            continue                                     # a garbled answer: no lock counted
    pick = choose_reproposal(locks, {v.name: v for v in store.validators()})
    return top + 1, pick
