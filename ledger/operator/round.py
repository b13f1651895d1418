"""The legacy single-phase round, the operator's side: propose, collect a quorum, finalize; and
the price observations every batch collects first.

Every batch runs in the two-phase rounds (``ledger.operator.rounds``,
docs/liveness.md); ``run_round`` is what ``operator batch --single-phase``
sends, to nodes run with ``--single-phase`` (a height run that way can stop
for good if its proposal is lost: docs/liveness.md §Why single-phase is off).

``run_round(urls, block, quorum)`` proposes ``block`` to every validator at
once (``ledger.node.client.each``: a down, slow or faulty validator only
costs its own slot, never blocks the others), checks each attestation with
``quorum.add`` (``ledger.chain.finality.Quorum`` on the operator's store: a
forged one is refused, a double-sign or a signature on a bad proof is
evidence), and once the signers hold > 2/3 of the stake broadcasts
``POST /finalize`` with the signed block to every validator.  With
``apply=True`` it also stores the block in the quorum's own store.  It
returns a ``Round``: the signed block (None if no quorum), the attestations
and refusals per URL, and each node's answer to the finalize.

``collect_observations(urls, market_id, height)`` asks every validator at once
for its signed price (``GET /observations/<market>/<height>``) before the
operator builds the block; it returns the observations (one per validator
name, in URL order) and the failures per URL.  Whether they make an oracle
quorum is the chain's rule to decide (``ledger.chain.oracle_quorum``); the
operator's ``propose`` refuses to build a block without one.

**One timeout per round.**  Each request has ``timeout`` seconds and every
validator is asked at once, so a hung validator costs the proposal phase one
timeout; the finalize is then not sent to validators that gave no answer at
all to the proposal (unreachable or silent: ``finalize_errors`` says so) —
they fetch the block when they catch up — so it does not cost a second one.
"""

from dataclasses import dataclass, field

from ledger.node.client import DEFAULT_TIMEOUT, NetworkError, NodeClient, each, one_line

__all__ = ["Round", "run_round", "collect_observations"]


@dataclass
class Round:
    """What one ``run_round`` did, per validator URL."""

    block: object = None                                  # the signed block, or None
    attestations: dict = field(default_factory=dict)      # url → Attestation (accepted)
    refusals: dict = field(default_factory=dict)          # url → reason (one line)
    finalized: dict = field(default_factory=dict)         # url → node's answer
    finalize_errors: dict = field(default_factory=dict)   # url → reason
    stored_hash: str = None                               # apply=True: the local store's result


def run_round(urls, block, quorum, *, timeout: float = DEFAULT_TIMEOUT, apply: bool = False):
    """Propose ``block`` to every URL, collect a quorum, broadcast the finalize (module doc)."""
    urls = list(dict.fromkeys(urls))
    clients = {u: NodeClient(u, timeout) for u in urls}
    result, silent = Round(), set()

    def propose(url):
        try:
            return clients[url].propose(block)
        except NetworkError as e:
            if e.status == 0:                        # no answer: unreachable or timed out
                silent.add(url)
            raise

    for url, (att, err) in each(urls, propose, timeout).items():
        if att is None and err is not None and err.startswith("no answer within"):
            silent.add(url)
        if err is None:
            try:
                quorum.add(att, block)
            except ValueError as e:                  # forged, unknown, evidence (Misbehaviour)
                err = one_line(e)
        if err is None:
            result.attestations[url] = att
        else:
            result.refusals[url] = err
    if not quorum.is_final(block.height, block.hash()):
        return result
    result.block = quorum.signed_block(block)
    for url in urls:
        if url in silent:
            result.finalize_errors[url] = "not sent: no answer to the proposal (it catches up)"
    heard = [u for u in urls if u not in silent]
    for url, (ans, err) in each(heard, lambda u: clients[u].finalize(result.block),
                                 timeout).items():
        if err is None:
            result.finalized[url] = ans
        else:
            result.finalize_errors[url] = err
    if apply:
        result.stored_hash = quorum.finalize(block)
    return result


def collect_observations(urls, market_id: int, height: int, *,
                         timeout: float = DEFAULT_TIMEOUT) -> tuple:
    """(observations, {url: reason}) for block ``height`` of ``market_id`` (module doc)."""
    urls = list(dict.fromkeys(urls))
    clients = {u: NodeClient(u, timeout) for u in urls}
    got, failures, names = [], {}, set()
    answers = each(urls, lambda u: clients[u].observation(market_id, height), timeout)
    for url in urls:
        obs, err = answers[url]
        if err is None and obs.validator in names:
            err = f"a second observation by {obs.validator!r}"
        if err is None:
            names.add(obs.validator)
            got.append(obs)
        else:
            failures[url] = err
    return got, failures
