"""The operator: collects signed orders with their private openings, matches a batch, proves it.

Role (docs/design.md §Roles): traders send the operator their ``SignedOrder``
and, privately, its ``OrderOpening``.  ``Operator.submit`` checks each one
before queueing it, with the rules the next block will be checked against:

1. ``ledger.chain.rules.check_order`` at the next block's height (head + 1)
   on the store's view: the order's account exists and trades the order's
   market (one market per account, ``ledger.core.genesis``), its signature
   verifies under the account's key, it has not expired, its nullifier is
   not spent;
2. its nullifier is not already pending here (``Conflict``);
3. the opening opens the commitment (same account, market, and
   Pedersen opening — rule O1 of the circuit).

Each failure is one line (``Rejected``, ``Conflict`` or ``BadInput``) and
leaves the queue unchanged.

``Operator.propose(height, mark_price, params, account_states)`` runs
``ledger.exchange.matching.match_batch`` over the pending openings (in submission
order), builds the circuit witness (``account_states``: the operator's private
view, account id → ``AccountState`` whose commitments the ledger holds; fresh
new blindings from ``secrets``), proves it with ``prover.prove`` and returns a
``Proposal(block, new_states, rejected)``: a ``Block`` extending the store's head, whose public
inputs are the witness's, with the proof's snarkjs JSON and the state root
after the batch, and the accounts' new private states.  Orders the engine
rejected (with the engine's reason) stay pending for a later batch, orders
expired at ``height`` are dropped; the included ones leave the queue only when
``settled(block)`` is called after the block is final (so a block that fails
to finalize loses nothing).  More matched orders than N order slots (or
accounts than K) is a one-line ``Rejected``: the caller proposes smaller
batches; the engine's output is not truncated, since dropping a filled order
would change the clearing price.

The operator cannot misprice, skip or invent fills: the proof would fail
(validators check it, ``ledger.chain.validator``).
"""

from typing import NamedTuple

from circuits.settlement import settlement_circuit
from circuits.settlement_data import AccountState
from prover import prove
from verifier.errors import BadInput, Conflict, Rejected

from ledger.core.block import Block
from ledger.core.limits import check_int
from ledger.core.orders import OrderOpening, SignedOrder, opening_matches
from ledger.exchange.matching import match_batch
from ledger.chain.rules import check_order

__all__ = ["Operator", "Proposal"]


class Proposal(NamedTuple):
    """A proven block and what it leaves: the accounts' new private states and the orders
    the engine refused, ``rejected`` = [(SignedOrder, reason)]."""

    block: Block
    new_states: dict
    rejected: list


class Operator:
    """Order queue, matching and proving for one store; ``pk``/``vk`` of the N×K circuit."""

    def __init__(self, store, pk, vk, n_slots: int, k_slots: int, *, progress=None):
        for name, v in (("n_slots", n_slots), ("k_slots", k_slots)):
            try:
                check_int(v, name, 1)
            except BadInput:
                raise BadInput(f"{name} must be a positive integer") from None
        self.store, self.pk, self.vk = store, pk, vk
        self.n_slots, self.k_slots = n_slots, k_slots
        self._circuit = None
        self._pending = []                      # [(SignedOrder, OrderOpening)]
        self.progress = progress                #: callable(message) or None

    def _say(self, msg):
        if self.progress is not None:
            self.progress(msg)

    @property
    def circuit(self):
        if self._circuit is None:
            self._circuit = settlement_circuit(self.n_slots, self.k_slots)
        return self._circuit

    def pending(self) -> list:
        """The queued (order, opening) pairs, in submission order."""
        return list(self._pending)

    # ------------------------------------------------------------ intake
    def submit(self, order, opening) -> str:
        """Queue one order (checks in the module docstring); returns its nullifier."""
        if not isinstance(order, SignedOrder):
            raise BadInput("submit needs a SignedOrder")
        if not isinstance(opening, OrderOpening):
            raise BadInput("submit needs an OrderOpening")
        view = self.store.view()
        nf = check_order(view, order, view.height + 1,      # the next block's rules
                         f"order of account {order.account}")
        if any(o.nullifier() == nf for o, _ in self._pending):
            raise Conflict(f"order already pending (nullifier {nf[:16]}…)")
        if not opening_matches(order, opening):
            raise Rejected("opening does not open the order's commitment")
        self._pending.append((order, opening))
        return nf

    def settled(self, block: Block) -> None:
        """Drop the orders a finalized ``block`` included from the queue."""
        spent = set(block.nullifiers())
        self._pending = [(o, op) for o, op in self._pending if o.nullifier() not in spent]

    # ------------------------------------------------------------ batch
    def propose(self, height: int, mark_price: int, params, account_states: dict, *,
                prove_progress=None, deposits=None, withdrawals=None) -> Proposal:
        """Match, prove and package the pending orders as block ``height``.

        ``prove_progress(step, i, n)`` follows the prover's named steps
        (``prover.prove``'s ``progress``).  ``deposits`` (account → amount) and
        ``withdrawals`` (signed ``WithdrawalRequest``s, carried by the block) are the
        batch's collateral flows (``ledger.operator.onchain`` takes them
        from the settlement contract's queue, in queue order, and the traders' signed
        requests); a withdrawal that would break margin is dropped by the engine, and
        when the accounts outgrow the K slots the queue's last deposits wait for a later
        block (the ones kept stay a prefix of the queue).
        """
        view = self.store.view()
        if height != view.height + 1:
            raise Conflict(f"height {height} does not follow the head ({view.height})")
        for a, s in account_states.items():
            if not isinstance(s, AccountState) or s.account != a:
                raise BadInput(f"account {a}: state must be its AccountState")
        self._pending = [(o, op) for o, op in self._pending if not o.expired_at(height)]
        live = list(self._pending)
        openings = [op for _, op in live]
        self._say(f"matching {len(openings)} orders")
        deposits = dict(deposits or {})
        requests = {w.account: w for w in (withdrawals or ())}
        withdrawals = {a: w.amount for a, w in requests.items()}
        while True:
            res = match_batch(openings, account_states, mark_price, params, deposits=deposits,
                              withdrawals=withdrawals)
            if len(res.participants) <= self.k_slots or not deposits:
                break
            deposits.pop(list(deposits)[-1])       # the queue's last entry waits (order kept)
        rejected = [(live[i][0], why) for i, why in res.rejected]
        if len(res.active) > self.n_slots:
            raise Rejected(f"{len(res.active)} orders do not fit {self.n_slots} order slots")
        if len(res.participants) > self.k_slots:
            raise Rejected(f"{len(res.participants)} accounts do not fit {self.k_slots} "
                           "account slots")
        witness = res.to_witness(height, self.n_slots, self.k_slots, openings=openings)
        self._say(f"proving {self.n_slots}x{self.k_slots} batch at P={res.price} V={res.volume}")
        proof, public = prove(self.pk, self.circuit.assignment(witness),
                              progress=prove_progress)
        public = [int(v) for v in public]
        if public != [int(v) for v in witness.public_inputs()]:
            raise Rejected("the prover's public inputs differ from the witness's")
        new_states = {s.account: s for s in witness.new_accounts if s is not None}
        root = view.state_root({a: s.commitment() for a, s in new_states.items()})
        orders = [live[i][0] for i in res.active] + [None] * (self.n_slots - len(res.active))
        debited = [requests[a] for a in sorted(res.withdrawals or {})]
        block = Block(height, view.head_hash, self.n_slots, self.k_slots, public, proof.to_json(),
                      root, orders, withdrawals=debited)
        self._say(f"block {height} proposed ({block.hash()[:16]}…)")
        return Proposal(block, new_states, rejected)
