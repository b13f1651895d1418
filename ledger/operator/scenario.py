"""A scripted market, end to end in one process: the ``darkmatch demo`` and the ledger benchmark.

``Market.create(folder, …)`` lays out a working folder::

    genesis.json              chain id, one market, the validators and their stakes, the traders
    verification_key.json     the N×K settlement circuit's key (snarkjs JSON)
    operator/node.db          the operator's copy of the ledger (SQLite, ``ledger.chain.store``)
    validators/vI/node.db     each validator's own ledger
    blocks/block-NNNNNN.json  every finalized block, with its validators' signatures
    proof.json, public.json   the last block's proof and public inputs (snarkjs formats)

and keeps in memory what each party holds privately: the traders' Ed25519
keys and order openings (sent only to the operator), the validators' keys,
and the operator's view of every account's state (cash, position, blinding —
the ledger holds only their commitments).  The SRS is a development one
(``prover.dev_srs``; the demo says so).

``Market.create(..., encrypted=True)`` is the self-custody variant
(docs/custody.md): every trader also holds a Baby Jubjub key registered in the
genesis, the operator proves with the encrypted circuit, the exit and
refusal circuits' keys are made too and the chain gets Escape; the
traders start with no cash (``start_cash`` says what each deposits on the vault
instead) and the insurance fund starts empty, so the vault backs every
account and the fund, and the traders can exit from a frozen contract.

The market is a perpetual one with an oracle (docs/perpetual.md): every
validator observes a simulated feed (``ledger.exchange.oracle.SimulatedFeed``,
seeded, a little noise per validator) and signs its price for each block
(``ledger.node.observer.Observer``); the feed takes a price shock
(``SHOCK``: −12 % at block 3), so the breaker trips and releases.  Trader 1
is leveraged (``LEVERED_CASH``) and opens a large long in block 1 against
trader 2: the shock pushes it under maintenance and the operator liquidates
it on its own.  The insurance fund starts at ``INSURANCE`` (set at genesis).

``Market.run_batch(height)`` is one batch as docs/life-of-an-order.md
follows it:

1. every trader commits to one order near the mark price, signs it and sends
   the signed order and its opening to the operator (``Operator.submit``);
   every validator signs its price observation and the operator collects them;
2. the operator matches and proves the batch (``Operator.propose``: mark,
   funding, liquidations and insurance by the chain's rules);
3. every validator checks the block against its own ledger and the proof, and
   votes in round 0 of the two-phase rounds (docs/liveness.md §Rounds):
   prevote, precommit on the polka, and its attestation on the commit
   (``ledger.operator.rounds.run_local``);
4. every node (the operator's and each validator's) collects the signatures
   (``chain.finality.Quorum``) and stores the block once more than 2/3 of the
   stake signed; the operator drops the settled orders and adopts the new
   states (``Market.settle``).

Steps 2–4 are the operator's one loop (``ledger.operator.loop.run_batch``);
``Market.batch(height, round_fn)`` runs it with any round, so a caller can
run steps 3–4 over HTTP instead (``ledger.operator.rounds.run_in_rounds``;
``benchmarks/ledger.py`` does), and ``Market.local_round`` is the in-process
one.
``run_batch`` returns a ``BatchReport``: clearing price, mark and index, volume,
orders included and rejected, the market's public figures after the block
(funding index, insurance fund, breaker), the accounts liquidated, the
circuit's gates, prove time, the validators' median verify time, and the
finality latency (block proposed → stored final on every node).
Orders expire at the batch's height, so an order the engine rejects is
dropped, not carried into the next batch.  Prices and sizes come from a
seeded ``random.Random`` (reproducible books); nonces, blindings and keys from
the OS CSPRNG.
"""

import dataclasses
import json
import os
import random
import statistics
import warnings
from dataclasses import dataclass

from circuits.encryption import keypair
from circuits.settlement_cipher import settlement_circuit
from circuits.settlement_data import MarketParams
from prover import dev_srs, setup
from prover import STEPS
from prover.setup import domain_power
from prover.srs import DevelopmentSRSWarning
from verifier.errors import BadInput, Rejected

from ledger.core import keys
from ledger.core.block import block_to_json
from ledger.chain.finality import Quorum
from ledger.core.genesis import (Genesis, GenesisAccount, GenesisMarket, GenesisValidator,
                                 PerpConfig, genesis_to_json)
from ledger.ethereum.anchor import block_flows
from ledger.ethereum.escape import exit_keys, refusal_keys
from ledger.exchange.oracle import SimulatedFeed
from ledger.node.observer import Observer
from ledger.operator.engine import Operator
from ledger.operator.loop import BatchResult, run_batch
from ledger.operator.rounds import run_local
from ledger.chain.rounds import RoundValidator
from ledger.core.limits import MAX_BATCH_SLOTS
from ledger.core.orders import new_order
from ledger.chain.store import Store
from ledger.chain.validator import Validator

__all__ = ["Market", "BatchReport", "MARKET", "PERP", "MARK_PRICE", "CASH", "STAKE",
           "LEVERED_CASH", "LEVERED_LOTS", "INSURANCE", "SHOCK", "start_cash"]

#: the demo's market: 10 % initial, 5 % maintenance margin, 0.1 % fee, ±5 % price band,
#: 1 % liquidation penalty, half the fees to the insurance fund
MARKET = MarketParams(market_id=1, im_bps=1000, mm_bps=500, fee_bps=10, band_bps=500,
                      liquidation_bps=100, insurance_bps=5000)
INSURANCE = 1_000_000          #: the insurance fund at genesis
#: oracle quorum; funding moves 10 % of the premium P − I per block, capped at 0.1 % of I
PERP = PerpConfig(oracle=True, funding_rate_bps=1000, funding_cap_bps=10, insurance=INSURANCE)
MARK_PRICE = 50_000            #: ticks
CASH = 10_000_000              #: each trader's genesis collateral
LEVERED_CASH = 600_000         #: trader 1's collateral: 100 lots at 50 000 is 8x leverage
LEVERED_LOTS = 100
STAKE = 100                    #: each validator's stake
SHOCK = (3, -1200)             #: the feed jumps −12 % at block 3


def start_cash(account: int) -> int:
    """Trader ``account``'s collateral at the start (trader 1 is the leveraged one)."""
    return LEVERED_CASH if account == 1 else CASH


@dataclass(frozen=True)
class BatchReport:
    height: int
    block_hash: str
    price: int
    mark_price: int
    index: int
    volume: int
    included: int              #: orders in the block's slots
    rejected: int              #: orders the engine refused (dropped: they expire)
    gates: int
    prove_s: float
    verify_s: float            #: median over the validators of check (state + proof) and vote
    finality_s: float          #: block proposed → stored final on every node
    signers: int
    funding_index: int = 0     #: F after the block (for the next one)
    insurance: int = 0         #: the insurance fund after the block
    breaker: bool = False      #: the index lay outside the band (reduce-only batch)
    liquidated: tuple = ()     #: accounts liquidated in the block
    penalties: int = 0
    deficits: int = 0
    gas: int = None            #: gas of ``settle`` on the settlement contract (with a chain)
    hard_s: float = None       #: stored final → settled on-chain (hard finality)
    deposits: int = 0          #: deposits the block credited
    withdrawals: int = 0       #: withdrawals the block debited


def _json_file(path, obj) -> None:
    keys.atomic_write(path, (json.dumps(obj, indent=1) + "\n").encode(), mode=0o644,
                      overwrite=True)


class Market:
    """The parties of one scripted market; build it with ``Market.create``."""

    def __init__(self, folder, genesis, trader_keys, validator_keys, pk, vk, n_slots, k_slots,
                 seed, custody=None):
        self.folder, self.genesis = folder, genesis
        self.trader_keys, self.validator_keys = trader_keys, validator_keys
        self.pk, self.vk, self.n_slots, self.k_slots = pk, vk, n_slots, k_slots
        self.rng = random.Random(seed)
        #: the self-custody keys (``create(encrypted=True)``): {"secrets": account → Baby
        #: Jubjub secret, "exit_pk", "exit_vk", "exit_srs", "refusal_pk", "refusal_vk"}, or None
        self.custody = custody
        self.operator = Operator(self._store("operator"), pk, vk, n_slots, k_slots,
                                 encrypted=custody is not None)
        self.nodes = [self.operator.store] + [self._store(os.path.join("validators", name))
                                              for name in validator_keys]
        self.quorums = [Quorum(s, vk) for s in self.nodes]
        self.validators = [Validator(key, store, vk, proof_verdict=q.proof_verdict)
                           for key, store, q in zip(validator_keys.values(), self.nodes[1:],
                                                    self.quorums[1:])]
        #: the validators' side of the two-phase rounds (round logs in memory)
        self.round_validators = [RoundValidator(v) for v in self.validators]
        self.states = {a.account_id: a.initial_state() for a in genesis.accounts}
        self.mark = genesis.market(MARKET.market_id).mark_price
        self.feeds = {}
        self.observers = []
        for (name, key), store in zip(validator_keys.items(), self.nodes[1:]):
            feed = SimulatedFeed(seed, self.mark, noise_bps=5, noise_seed=name)
            feed.shock(*SHOCK)
            self.observers.append(Observer(key, name, store, feed))
        self.chain = None       #: ``MarketChain`` once ``attach_chain``

    def attach_chain(self, w3):
        """Deploy this ledger's settlement contract on ``w3`` (``market_chain.MarketChain``);
        every batch then takes the contract's deposits and settles on it."""
        from ledger.operator.market_chain import MarketChain
        self.chain = MarketChain(self, w3)
        return self.chain

    def _store(self, sub):
        os.makedirs(os.path.join(self.folder, sub), exist_ok=True)
        store = Store.open(os.path.join(self.folder, sub, "node.db"))
        store.init_genesis(self.genesis)
        return store

    @classmethod
    def create(cls, folder, *, traders=8, validators=4, n_slots=None, k_slots=None, seed=1,
               progress=None, encrypted=False):
        """A fresh genesis, keys, SRS and circuit keys in ``folder`` (which must not hold a ledger)."""
        if not 2 <= traders <= MAX_BATCH_SLOTS:
            raise BadInput(f"traders must be between 2 and {MAX_BATCH_SLOTS}")
        if not 1 <= validators <= 32:
            raise BadInput("validators must be between 1 and 32")
        n_slots = traders if n_slots is None else n_slots
        k_slots = traders if k_slots is None else k_slots
        if n_slots < traders or k_slots < traders:
            raise BadInput(f"{traders} traders need at least {traders} order and account slots")
        if os.path.exists(os.path.join(folder, "genesis.json")):
            raise BadInput(f"{folder} already holds a ledger (genesis.json); "
                             "choose another folder or remove it")
        say = progress or (lambda msg: None)
        trader_keys = {a: keys.generate() for a in range(1, traders + 1)}
        validator_keys = {f"v{i}": keys.generate() for i in range(validators)}
        enc = {a: keypair() for a in trader_keys} if encrypted else {}
        perp = dataclasses.replace(PERP, insurance=0) if encrypted else PERP
        genesis = Genesis(
            "darkmatch-demo", [GenesisMarket(MARKET, MARK_PRICE, perp)],
            [GenesisValidator(n, STAKE, keys.public_key_hex(k)) for n, k in validator_keys.items()],
            [GenesisAccount(a, keys.public_key_hex(k), 0 if encrypted else start_cash(a),
                            MARKET.market_id, enc[a][1] if encrypted else None)
             for a, k in trader_keys.items()])
        say(f"building the {n_slots}x{k_slots} settlement circuit"
            + (" with encrypted openings" if encrypted else ""))
        circuit = settlement_circuit(n_slots, k_slots, encrypted=encrypted)
        power = domain_power(circuit)
        say(f"development SRS 2^{power} (NOT for production) and circuit keys")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DevelopmentSRSWarning)
            srs = dev_srs(power)
            pk, vk = setup(circuit, srs)
            custody = None
            if encrypted:
                say("the exit circuit's keys (development SRS 2^11)")
                exit_srs = dev_srs(11)
                _, exit_pk, exit_vk = exit_keys(exit_srs)
                _, refusal_pk, refusal_vk = refusal_keys(exit_srs)
                custody = {"secrets": {a: k[0] for a, k in enc.items()}, "exit_pk": exit_pk,
                           "exit_vk": exit_vk, "exit_srs": exit_srs, "refusal_pk": refusal_pk,
                           "refusal_vk": refusal_vk}
        os.makedirs(os.path.join(folder, "blocks"), exist_ok=True)
        _json_file(os.path.join(folder, "genesis.json"), genesis_to_json(genesis))
        _json_file(os.path.join(folder, "verification_key.json"), vk.to_json())
        return cls(folder, genesis, trader_keys, validator_keys, pk, vk, n_slots, k_slots, seed,
                   custody)

    @property
    def gates(self) -> int:
        return self.operator.circuit.n_gates

    # ------------------------------------------------------------ one batch
    def _orders(self, height):
        """Each trader's order for this batch: a side, 1–20 lots, and a limit from 0.5 % on the
        passive side to 1 % on the aggressive side of the mark (so most books cross).  In
        block 1 trader 1 buys ``LEVERED_LOTS`` from trader 2; trader 1 then waits."""
        out = []
        for account, key in self.trader_keys.items():
            if account in (1, 2) and height == 1:
                side = "buy" if account == 1 else "sell"
                limit = self.mark + self.mark // 100 * (1 if account == 1 else -1)
                out.append(new_order(key, account, MARKET.market_id, side, limit,
                                     LEVERED_LOTS, height))
                continue
            if account == 1:
                continue
            side = self.rng.choice(("buy", "sell"))
            offset = self.rng.randint(-self.mark // 200, self.mark // 100)
            offset = offset if side == "buy" else -offset
            size = self.rng.randint(1, 20)
            out.append(new_order(key, account, MARKET.market_id, side, self.mark + offset, size,
                                 height))
        return out

    def _submit_orders(self, height, note=None):
        """Step 1: every trader's order for this batch (near the last mark), sent to the
        operator."""
        self.operator.progress = note
        self.mark = self.operator.store.market(MARKET.market_id)[1]
        for order, opening in self._orders(height):
            self.operator.submit(order, opening)

    def observations(self, height) -> list:
        """Every validator's signed price for block ``height`` (in process; over HTTP the
        operator uses ``ledger.operator.round.collect_observations``)."""
        return [o.observe(MARKET.market_id, height) for o in self.observers]

    def settle(self, proposal):
        """After finality: write the stored block's files and adopt the new states."""
        block = proposal.block
        stored = self.operator.store.get_block(block.height)
        if stored is None or stored.hash() != block.hash():
            raise Rejected(f"block {block.height} is not final on the operator's node")
        _json_file(os.path.join(self.folder, "blocks", f"block-{block.height:06d}.json"),
                   block_to_json(stored))
        _json_file(os.path.join(self.folder, "proof.json"), stored.proof)
        _json_file(os.path.join(self.folder, "public.json"),
                   [str(v) for v in stored.public_inputs])
        self.states.update(proposal.new_states)
        return stored

    def batch(self, height, round_fn, note=None, prove_progress=None,
              observations=None) -> BatchResult:
        """One batch through the operator's loop (``ledger.operator.loop.run_batch``) with
        any round: ``round_fn(block)`` → a round result with ``block`` set once final
        (``ledger.operator.rounds.run_in_rounds`` over HTTP in ``benchmarks/ledger.py``;
        ``local_round`` in ``run_batch``).
        ``observations``: the validators' signed prices (default: the in-process
        validators'; over HTTP, ``ledger.operator.round.collect_observations``)."""
        self._submit_orders(height, note)
        if observations is None:
            observations = self.observations(height)
        flows = self.chain.flows() if self.chain is not None else {}
        return run_batch(self.operator, height, None, MARKET, self.states, round_fn,
                         observations=observations, settle=self.settle,
                         prove_progress=prove_progress, **flows)

    def local_round(self, block, step=None, verify_times=None):
        """Steps 3–4 in this process, in round 0 of the two-phase rounds
        (``ledger.operator.rounds.run_local``): every validator checks the block (state +
        proof) and prevotes, precommits on the polka and attests the commit; every node
        collects the attestations and stores the block once final."""
        step = step or (lambda name: None)

        def done(name, seconds):
            if verify_times is not None:
                verify_times.append(seconds)
            step(f"validator {name} checked and signed")

        return run_local(self.round_validators, block, 0, self.quorums, on_validator=done)

    def run_batch(self, height, step=None, note=None) -> BatchReport:
        """One batch end to end with the in-process validators (module docstring).

        ``step(name)`` marks each step as it starts or ends (``steps_per_batch``
        calls: the prover's six, one when the block is proven, one per
        validator, one when final); ``note(message)`` receives the operator's
        messages (matching, proving).
        """
        step = step or (lambda name: None)
        verify_times = []

        def round_fn(block):
            step("batch matched and proven")
            rnd = self.local_round(block, step, verify_times)
            step("final on every node")
            return rnd

        res = self.batch(height, round_fn, note,
                         lambda name, i, n: step(f"proving: {name} ({i + 1}/{n})"))
        block = res.proposal.block
        gas = hard_s = None
        if self.chain is not None:
            done = self.chain.settle(res.round.block)
            gas, hard_s = done.gas, done.seconds
            step("settled on-chain")
        flows = block_flows(block)
        state = self.operator.store.market_state(MARKET.market_id)
        h = block.header
        return BatchReport(height, block.hash(), block.price, block.mark_price, state.index,
                           block.volume, len(block.active_orders()), len(res.proposal.rejected),
                           self.gates, res.prove_s, statistics.median(verify_times),
                           res.finality_s, len(res.round.block.signatures), state.funding_index,
                           state.insurance, state.breaker, res.proposal.liquidated,
                           h["penalties"], h["deficits"], gas=gas, hard_s=hard_s,
                           deposits=sum(flows[0].values()), withdrawals=sum(flows[1].values()))

    def steps_per_batch(self) -> int:
        """How many times ``run_batch`` calls ``step`` (for a progress bar's total)."""
        return len(STEPS) + 2 + len(self.validators) + (self.chain is not None)

    def close(self) -> None:
        for s in self.nodes:
            s.close()
