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
"""

from dataclasses import dataclass, field

from ledger.core import keys
from ledger.core.block import block_from_json, block_to_json
from ledger.core.limits import ROUND_BOUND
from ledger.chain.finality import Quorum
from ledger.chain.rounds import RoundTally, choose_reproposal
from ledger.chain.votes import round_proposal_bytes, vote_from_json, vote_to_json
from ledger.node.client import DEFAULT_TIMEOUT, NodeClient, each, parse_attestation

__all__ = ["TwoPhase", "run_two_phase", "reproposal"]


@dataclass
class TwoPhase:
    """What one ``run_two_phase`` got, per phase and URL."""

    block: object = None                                  # the signed, final block, or None
    polka: list = None                                    # the prevotes, once > 2/3
    commit: list = None                                   # the precommits, once > 2/3
    refusals: dict = field(default_factory=dict)          # (phase, url) → one line
    finalized: dict = field(default_factory=dict)         # url → node's answer
    evidence: list = field(default_factory=list)


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
            out.refusals[(phase, url)] = err
    return ok


def run_two_phase(urls, block, round_: int, op_key, store, *, pol_round=None, polka=(),
                  timeout: float = DEFAULT_TIMEOUT) -> TwoPhase:
    """One round (module docstring)."""
    urls, out, tally = list(dict.fromkeys(urls)), TwoPhase(), RoundTally(store)
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
    quorum = Quorum(store)
    for url, (obj, err) in each(heard, lambda u: NodeClient(u, timeout).round_vote(
            "attest", body), timeout).items():
        try:
            if err is None:
                quorum.add(parse_attestation(obj), block)
        except ValueError as e:
            err = str(e)
        if err is not None:
            out.refusals[("attest", url)] = err
    if not quorum.is_final(block.height, block.hash()):
        return out
    out.block = quorum.signed_block(block)
    for url, (ans, err) in each(heard, lambda u: NodeClient(u, timeout).finalize(out.block),
                                timeout).items():
        out.finalized[url] = ans if err is None else err
    return out


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
