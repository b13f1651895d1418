"""The operator's one batch loop: propose → round → reconcile.

Every way of running the operator — the command (``darkmatch operator
batch``, ``ledger.cli.operator``), the demo (``ledger.operator.scenario``)
and the ledger benchmark (``benchmarks/ledger.py``) — runs a batch through
``run_batch``; they differ only in where the round runs (validators
in-process, ``ledger.operator.rounds.run_local``, or validator nodes over
HTTP, ``ledger.operator.rounds.run_in_rounds``: both the two-phase rounds of
docs/liveness.md) and in where the operator's private states live:

1. **propose**: ``Operator.propose`` matches the pending orders, proves the
   batch and packages the block (``ledger.operator.engine``) with the
   validators' price ``observations`` (collected beforehand: over HTTP with
   ``ledger.operator.round.collect_observations``, in process by the demo);
2. ``pending(proposal)``: the states the block would leave are recorded
   *before* the block leaves the operator (the operator home writes
   ``pending.json`` durably), so a crash after validators finalized it loses
   nothing; it may return the block to send instead (the operator command
   signs it and stores it as its sticky proposal, ``ledger.operator.proposal``);
3. **round**: ``round_fn(block)`` gathers validator signatures and returns a
   round result (``ledger.operator.rounds.TwoPhase``; the legacy single-phase
   ``ledger.operator.round.Round``) whose ``block`` is the signed, stored block
   once validators holding > 2/3 of the stake signed (None otherwise);
4. **reconcile**, only once final: the operator drops the settled orders
   (``Operator.settled``) and ``settle(proposal)`` adopts the new states.

``run_batch`` returns a ``BatchResult``: the proposal, the round, the prove
time and the finality time (block proposed → the round's end).
"""

import time
from dataclasses import dataclass

from ledger.operator.engine import Proposal

__all__ = ["BatchResult", "run_batch"]


@dataclass(frozen=True)
class BatchResult:
    proposal: Proposal
    round: object               #: the round's result (``block`` set once final)
    prove_s: float
    finality_s: float
    sent: object = None         #: the block sent to the round (signed, carrying evidence)

    @property
    def final(self) -> bool:
        return self.round.block is not None


def run_batch(operator, height: int, mark_price: int, params, states: dict, round_fn, *,
              observations=(), pending=None, settle=None, prove_progress=None, deposits=None,
              withdrawals=None) -> BatchResult:
    """One batch (module docstring); ``states``: account id → ``AccountState``;
    ``deposits`` (account → amount) and ``withdrawals`` (signed requests): the batch's
    collateral flows (``Operator.propose``)."""
    t = time.perf_counter()
    proposal = operator.propose(height, mark_price, params, states, observations=observations,
                                prove_progress=prove_progress, deposits=deposits,
                                withdrawals=withdrawals)
    prove_s = time.perf_counter() - t
    sent = proposal.block
    if pending is not None:
        sent = pending(proposal) or sent        # durable before the block leaves
    t = time.perf_counter()
    rnd = round_fn(sent)
    finality_s = time.perf_counter() - t
    if rnd.block is not None:
        operator.settled(proposal.block)
        if settle is not None:
            settle(proposal)
    return BatchResult(proposal, rnd, prove_s, finality_s, sent)
