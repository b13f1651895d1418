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

``Operator.propose(height, mark_price, params, account_states, observations=…)``
first asks the chain's rules what the block must carry
(``ledger.chain.market_state.plan_batch`` on the store's view: for an oracle
market the observations' stake-weighted median clamped to the last mark ±
band, the breaker's reduce-only flag, the funding index and the insurance
fund; ``mark_price`` only for a market without an oracle), picks the accounts
below maintenance to liquidate (``ledger.operator.liquidations``, on its own
unless ``liquidate`` names them), then runs
``ledger.exchange.matching.match_batch`` over the pending openings (in submission
order) with those inputs, builds the circuit witness (``account_states``: the operator's private
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

With ``encrypted=True`` the circuit is ``circuits.settlement_cipher``'s: each
proposal draws a fresh block key e and the block's public inputs also carry
every touched account's new opening encrypted to its registered key (the
ledger's ``encryption_keys``), so a trader recovers its state from the block
alone (docs/custody.md).

The operator cannot misprice, skip or invent fills: the proof would fail
(validators check it, ``ledger.chain.validator``).
"""

from dataclasses import dataclass

import secrets

from circuits import babyjub
from circuits.settlement_cipher import cipher_names, settlement_circuit
from circuits.settlement_data import AccountState
from prover import prove
from verifier.errors import BadInput, Conflict, Rejected

from ledger.core.block import Block
from ledger.core.limits import check_int
from ledger.core.orders import OrderOpening, SignedOrder, opening_matches
from ledger.exchange.matching import match_batch
from ledger.chain.market_state import MarketRejected, plan_batch
from ledger.chain.rules import check_order
from ledger.operator.liquidations import pick_liquidations

__all__ = ["Operator", "Proposal"]


@dataclass(frozen=True)
class Proposal:
    """A proven block and what it leaves: the accounts' new private states and the orders
    the engine refused, ``rejected`` = [(SignedOrder, reason)]; it unpacks as these three.
    Also the accounts liquidated, the liquidations postponed and the ``BatchPlan``."""

    block: Block
    new_states: dict
    rejected: list
    liquidated: tuple = ()      #: account ids liquidated in the block
    postponed: tuple = ()       #: (account id, reason): liquidations left for later
    plan: object = None         #: the ``BatchPlan`` the block follows

    def __iter__(self):
        return iter((self.block, self.new_states, self.rejected))


class Operator:
    """Order queue, matching and proving for one store; ``pk``/``vk`` of the N×K circuit."""

    def __init__(self, store, pk, vk, n_slots: int, k_slots: int, *, progress=None,
                 encrypted: bool = False):
        for name, v in (("n_slots", n_slots), ("k_slots", k_slots)):
            try:
                check_int(v, name, 1)
            except BadInput:
                raise BadInput(f"{name} must be a positive integer") from None
        self.store, self.pk, self.vk = store, pk, vk
        self.n_slots, self.k_slots = n_slots, k_slots
        self._circuit = None
        self.encrypted = bool(encrypted)        #: blocks carry encrypted openings
        self._pending = []                      # [(SignedOrder, OrderOpening)]
        self.progress = progress                #: callable(message) or None

    def _say(self, msg):
        if self.progress is not None:
            self.progress(msg)

    @property
    def circuit(self):
        if self._circuit is None:
            self._circuit = settlement_circuit(self.n_slots, self.k_slots,
                                               encrypted=self.encrypted)
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
                observations=(), liquidate=None, prove_progress=None, deposits=None,
                withdrawals=None) -> Proposal:
        """Match, prove and package the pending orders as block ``height``.

        ``observations``: the validators' signed prices for an oracle market;
        ``liquidate``: account ids to liquidate (default: every account the
        monitor finds below maintenance, as many as the account and liquidation slots allow);
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
        market = view.markets.get(params.market_id)
        if market is None:
            raise Rejected(f"unknown market {params.market_id}")
        observations = tuple(observations)
        try:
            plan = plan_batch(market.state, market.mark_price, params.band_bps, observations,
                              view.validators, view.chain_id, params.market_id, height,
                              mark_price)
        except MarketRejected as e:
            raise Rejected(f"block {height}: {e}") from None
        self._pending = [(o, op) for o, op in self._pending if not o.expired_at(height)]
        live = list(self._pending)
        openings = [op for _, op in live]
        if liquidate is None:
            liquidate = pick_liquidations(account_states, plan.funding_index, plan.mark, params,
                                          self.k_slots, busy={op.account for op in openings})
        self._say(f"matching {len(openings)} orders"
                  + (f", liquidating {list(liquidate)}" if liquidate else ""))
        deposits = dict(deposits or {})
        requests = {w.account: w for w in (withdrawals or ())}
        withdrawals = {a: w.amount for a, w in requests.items()}
        while True:
            res = match_batch(openings, account_states, plan.mark, params,
                              funding_index=plan.funding_index, liquidate=liquidate,
                              reduce_only=plan.reduce_only, insurance=plan.insurance,
                              deposits=deposits, withdrawals=withdrawals)
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
        expected = [int(v) for v in witness.public_inputs()]
        if self.encrypted:                       # a fresh block key e for every proposal
            e = 1 + secrets.randbelow(babyjub.L - 1)
            asg = self.circuit.assignment(witness, keys=dict(view.encryption_keys), e=e)
            expected += [asg[n] for n in cipher_names(self.k_slots)]
        else:
            asg = self.circuit.assignment(witness)
        proof, public = prove(self.pk, asg, progress=prove_progress)
        public = [int(v) for v in public]
        if public != expected:
            raise Rejected("the prover's public inputs differ from the witness's")
        new_states = {s.account: s for s in witness.new_accounts if s is not None}
        root = view.state_root({a: s.commitment() for a, s in new_states.items()})
        orders = [live[i][0] for i in res.active] + [None] * (self.n_slots - len(res.active))
        debited = [requests[a] for a in sorted(res.withdrawals or {})]
        block = Block(height, view.head_hash, self.n_slots, self.k_slots, public, proof.to_json(),
                      root, orders, observations=observations, withdrawals=debited)
        self._say(f"block {height} proposed ({block.hash()[:16]}…)")
        return Proposal(block, new_states, rejected, tuple(res.liquidated), tuple(res.postponed),
                        plan)
