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
batch`` runs for a new or a stored block: the lock query, then
``run_two_phase`` in the round it names.  The lock query is never skipped,
even for a block the operator has just proven: an operator that lost its
home does not know which rounds the validators voted in, and a second
proposal in a round they saw would be its own equivocation.

``run_local(validators, block, round_, quorums)`` is the same round with
in-process ``RoundValidator``s (the demo, ``ledger.operator.scenario``).
Double votes caught by the round's ``RoundTally`` go to the operator's
store as pending evidence, which the next block carries
(``ledger.operator.proposal.gather_evidence``).
"""

import time
from dataclasses import dataclass, field

from ledger.core import keys
from ledger.core.block import block_from_json, block_to_json
from ledger.core.limits import ROUND_BOUND
from ledger.chain.finality import Quorum
from ledger.chain.rounds import RoundTally, choose_reproposal
from ledger.chain.votes import round_proposal_bytes, vote_from_json, vote_to_json
from ledger.node.client import DEFAULT_TIMEOUT, NodeClient, each, parse_attestation

__all__ = ["TwoPhase", "run_two_phase", "run_in_rounds", "run_local", "reproposal"]


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
    prevoted: list = field(default_factory=list)          # validators whose prevote counted
    precommitted: list = field(default_factory=list)      # validators whose precommit counted


def _ask(urls, phase, body, timeout):
    return each(urls, lambda u: NodeClient(u, timeout).round_vote(phase, body), timeout)


def _tally(answers, tally, phase, out):
    ok = []
    for url, (obj, err) in answers.items():
        if err is None:
            try:
                vote = vote_from_json(obj)
                tally.add(vote)
                ok.append(url)
                (out.prevoted if phase == "prevote" else out.precommitted).append(
                    vote.validator)
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
    refusals say so.  A validator that did not answer the lock query is left out of the round
    (so a hung one costs the round one timeout, not one per phase) and catches up later.  The
    final block is stored in ``quorum``'s store."""
    silent = {}
    nxt, pick = reproposal(urls, block.height, store, timeout=timeout, failed=silent)
    if pick is not None and pick[1].hash() != block.hash():
        out = TwoPhase(round=nxt)
        out.refusals["the lock query"] = (f"validators are locked on another block {block.height} "
                                f"({pick[1].hash()[:16]}…, round {pick[0]}): it must be "
                                "re-proposed, with its private states")
        return out
    pol_round, polka = (pick[0], pick[2]) if pick is not None else (None, ())
    out = run_two_phase([u for u in urls if u not in silent], block, nxt, op_key, store,
                        pol_round=pol_round, polka=polka, quorum=quorum, apply=True,
                        timeout=timeout)
    for url, why in silent.items():
        out.refusals[url] = f"lock query: {why}"
        out.finalize_errors[url] = "not sent: no answer to the lock query (it catches up)"
    return out


def run_local(validators, block, round_: int, quorums, *, op_key=None,
              on_validator=None) -> TwoPhase:
    """One round in this process (the demo's validators): each ``RoundValidator`` prevotes,
    precommits on the polka and attests the commit, as ``run_two_phase`` asks nodes to; every
    ``Quorum`` in ``quorums`` (one per node's store, the operator's first) counts the
    attestations and stores the block.  ``on_validator(name, seconds)`` follows each
    validator's last answer, with the time it spent in all three."""
    out, tally = TwoPhase(round=round_), RoundTally(quorums[0].store)
    h, bh, spent = block.height, block.hash(), {}
    sig = None if op_key is None else keys.sign(op_key, round_proposal_bytes(h, round_, bh))

    def ask(phase, names, call):
        done = []
        for v in validators:
            if v.name not in names:
                continue
            t = time.perf_counter()
            try:
                vote = call(v)
                if phase != "attest":
                    tally.add(vote)
                    (out.prevoted if phase == "prevote" else out.precommitted).append(v.name)
                else:
                    out.attestations[v.name] = vote
                done.append(v.name)
            except ValueError as e:
                out.refusals[v.name] = f"{phase}: {e}"
            spent[v.name] = spent.get(v.name, 0.0) + time.perf_counter() - t
        return done

    heard = ask("prevote", {v.name for v in validators},
                lambda v: v.prevote(block, round_, sig))
    got = tally.polka(h, round_)
    if got is None or got[0] != bh:
        return out
    out.polka = got[1]
    ask("precommit", set(heard), lambda v: v.precommit(block, round_, out.polka))
    got = tally.commit(h, round_)
    if got is None:
        return out
    out.commit = got[1]
    for name in ask("attest", set(heard), lambda v: v.attest_commit(block, round_, out.commit)):
        if on_validator is not None:
            on_validator(name, spent[name])
    out.evidence = tally.evidence
    for quorum in quorums:
        for att in out.attestations.values():
            quorum.add(att, block)
        quorum.finalize(block)
    out.block = quorums[0].store.get_block(h)
    return out


def reproposal(urls, height: int, store, *, timeout: float = DEFAULT_TIMEOUT, failed=None):
    """(next round, (pol_round, block, polka) to re-propose or None) (module docstring);
    ``failed`` (a dict) receives url → one line for each validator that gave no answer."""
    locks, top = [], -1
    for url, (obj, err) in each(list(dict.fromkeys(urls)),
                                lambda u: NodeClient(u, timeout).round_lock(height),
                                timeout).items():
        if err is not None and failed is not None:
            failed[url] = err
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
