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
every *backed* round a validator reports voting in and every backed lock,
``choose_reproposal``'s pick: (pol_round, block, polka) of the highest lock
whose polka verifies, or None).  Each request has ``timeout`` seconds and
all validators are asked at once.  **A claim counts only when the operator
can check it**, so one faulty validator cannot make the operator skip to a
round near ``ROUND_BOUND`` and leave the height no rounds: a reported round
must come with the operator's own signed proposal of that round (an honest
validator records it before voting in the round, and the operator never
signs a round it did not open); a lock must hold a polka (> 2/3 of the
stake's prevotes) for a block at this height.  Anything else is ignored and
the validator listed in ``bad``.  On a ledger whose genesis names no
operator there is no signature to check: a round counts once more than a
third of the validators report it (so at least one honest one voted in it).

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
from ledger.chain.votes import (PREVOTE, check_certificate, round_proposal_bytes,
                                vote_from_json, vote_to_json)
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
    bad: dict = field(default_factory=dict)               # url → an unbacked lock-query claim


def _ask(urls, phase, body, timeout):
    return each(urls, lambda u: NodeClient(u, timeout).round_vote(phase, body), timeout)


def _tally(answers, tally, phase, out):
    ok = []
    for url, (obj, err) in answers.items():
        if err is None:
            try:
                vote = vote_from_json(obj)
                tally.add(vote)            # a copy of a vote already counted: the same vote
                ok.append(url)
                counted = out.prevoted if phase == "prevote" else out.precommitted
                if vote.validator not in counted:        # a vote counts for its signer
                    counted.append(vote.validator)
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
    silent, bad = {}, {}
    nxt, pick = reproposal(urls, block.height, store, timeout=timeout, failed=silent, bad=bad)
    if pick is not None and pick[1].hash() != block.hash():
        out = TwoPhase(round=nxt, bad=bad)
        out.refusals["the lock query"] = (f"validators are locked on another block {block.height} "
                                f"({pick[1].hash()[:16]}…, round {pick[0]}): that block must "
                                "be re-proposed (operator batch does it from the lock)")
        return out
    pol_round, polka = (pick[0], pick[2]) if pick is not None else (None, ())
    out = run_two_phase([u for u in urls if u not in silent], block, nxt, op_key, store,
                        pol_round=pol_round, polka=polka, quorum=quorum, apply=True,
                        timeout=timeout)
    out.bad = bad
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


def _backed_top(obj, height: int, operator_key):
    """The highest round a lock answer reports, once backed (module docstring): the
    operator's own signature over its proposal of that round, which an honest validator
    recorded before voting in it.  None: no round voted.  ``ValueError`` (one line): an
    unbacked or malformed claim."""
    top = obj.get("top_round")
    if top is None:
        return None
    if not isinstance(top, int) or isinstance(top, bool) or not 0 <= top < ROUND_BOUND - 1:
        raise ValueError(f"top_round {top!r} is not a round")
    if operator_key is None:
        return top                                       # judged by count (``reproposal``)
    p = obj.get("proposal")
    if not isinstance(p, dict) or p.get("round") != top:
        raise ValueError(f"round {top} is reported without the operator's proposal of it")
    try:
        msg, sig = round_proposal_bytes(height, top, p.get("hash")), bytes.fromhex(
            p.get("signature"))
    except (TypeError, ValueError):
        raise ValueError(f"round {top} is reported with a malformed proposal") from None
    if not keys.verify(operator_key, msg, sig):
        raise ValueError(f"round {top} is reported with a proposal the operator did not sign")
    return top


def _backed_lock(obj, height: int, records: dict):
    """(lock round, block, polka) of a lock answer, or None; ``ValueError`` (one line) for a
    lock whose polka does not verify or whose block (or the answer) is not at ``height``."""
    if type(obj.get("height")) is not int or obj["height"] != height:
        raise ValueError(f"an answer for height {obj.get('height')!r}, not {height}")
    lock = obj.get("lock")
    if lock is None:
        return None
    try:
        info = (lock["round"], block_from_json(lock["block"], "locked block"),
                [vote_from_json(v) for v in lock["polka"]])
    except (KeyError, TypeError, ValueError):
        raise ValueError("a malformed lock") from None
    if info[1].height != height:
        raise ValueError(f"a lock on a block at height {info[1].height}, not {height}")
    try:
        check_certificate(info[2], records, PREVOTE, height, info[0], info[1].hash())
    except (TypeError, ValueError) as e:
        raise ValueError(f"a lock whose polka does not verify: {e}") from None
    return info


def reproposal(urls, height: int, store, *, timeout: float = DEFAULT_TIMEOUT, failed=None,
               bad=None):
    """(next round, (pol_round, block, polka) to re-propose or None) (module docstring);
    ``failed`` (a dict) receives url → one line for each validator that gave no answer,
    ``bad`` url → one line for each whose round or lock claim is not backed (ignored)."""
    urls, failed = list(dict.fromkeys(urls)), {} if failed is None else failed
    bad = {} if bad is None else bad
    view, records = store.view(), {v.name: v for v in store.validators()}
    locks, tops = [], []
    for url, (obj, err) in each(urls, lambda u: NodeClient(u, timeout).round_lock(height),
                                timeout).items():
        if err is not None:
            failed[url] = err
            continue
        if not isinstance(obj, dict):
            bad[url] = "the lock answer is not an object"
            continue
        try:
            top = _backed_top(obj, height, view.operator)
            lock = _backed_lock(obj, height, records)
        except ValueError as e:
            bad[url] = f"ignored: {e}"
            continue
        if top is not None:
            tops.append(top)
        if lock is not None:
            locks.append(lock)
    if view.operator is None and tops:
        # no operator signature to check: a round counts once more than a third of the
        # validators report it (at least one honest one voted in it)
        need = len([r for r in records.values() if not r.slashed]) // 3 + 1
        tops = sorted(tops, reverse=True)
        tops = [tops[need - 1]] if len(tops) >= need else []
    pick = choose_reproposal(locks, records)
    top = max(tops + [-1] + ([pick[0]] if pick is not None else []))
    return top + 1, pick
