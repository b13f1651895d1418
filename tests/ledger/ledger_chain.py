"""Test helpers for the ledger: a small genesis with its keys, and blocks built against a store.

The store does not open account-state commitments (that is the proof's job),
so test blocks use random field elements as new commitments and a placeholder
proof object; everything the store does check (height, parent, signatures,
expiry, nullifiers, old commitments, market parameters, state root) is real.
"""

import secrets
import sqlite3

from circuits.settlement_data import ACCOUNT_FLOW, FUNDING_OFFSET, GLOBALS, MarketParams
from ledger.core import keys
from ledger.core.block import Block
from ledger.core.genesis import (
    Genesis,
    GenesisAccount,
    GenesisMarket,
    GenesisValidator,
    genesis_hash,
)
from ledger.core.orders import NO_EXPIRY, new_order
from ledger.chain.rules import state_root
from verifier.fields import R_MOD

__all__ = ["PARAMS", "PROOF", "make_genesis", "make_orders", "build_block", "MemoryLedger",
           "snapshot"]

PARAMS = MarketParams(market_id=0, im_bps=1000, mm_bps=500, fee_bps=10, band_bps=500)
#: a proof in the canonical spelling blocks require (every point the generator of G1, every
#: evaluation 1); it does not verify, and the store does not verify proofs
PROOF = {**{k: ["1", "2", "1"] for k in ("A", "B", "C", "Z", "T1", "T2", "T3", "Wxi", "Wxiw")},
         **{k: "1" for k in ("eval_a", "eval_b", "eval_c", "eval_s1", "eval_s2", "eval_zw")},
         "protocol": "plonk", "curve": "bn128"}


def make_genesis(n_accounts=4, n_validators=3, chain_id="test-chain", cash=1_000_000):
    """(Genesis, {account id: private key}, {validator name: private key})."""
    account_keys = {a: keys.generate() for a in range(1, n_accounts + 1)}
    validator_keys = {f"v{i}": keys.generate() for i in range(n_validators)}
    g = Genesis(chain_id, [GenesisMarket(PARAMS, 100)],
                [GenesisValidator(n, 10, keys.public_key_hex(k))
                 for n, k in validator_keys.items()],
                [GenesisAccount(a, keys.public_key_hex(k), cash) for a, k in account_keys.items()])
    return g, account_keys, validator_keys


def make_orders(account_keys, specs, market=0, expiry=NO_EXPIRY):
    """Signed orders for specs [(account, side, price, size), ...]."""
    return [new_order(account_keys[a], a, market, side, price, size, expiry)[0]
            for a, side, price, size in specs]


def build_block(store, orders, *, accounts=None, height=None, parent=None, params=PARAMS,
                price=100, mark=100, volume=None, new=None, old=None, n_orders=None,
                n_accounts=None, state_root=None, proof=PROOF):
    """A block extending ``store``'s head (each field overridable to make bad blocks).

    ``accounts``: the active account slots (default: the orders' accounts);
    ``new``/``old``: account id → commitment (defaults: random / the ledger's).
    """
    head_h, head_hash = store.head()
    height = head_h + 1 if height is None else height
    parent = head_hash if parent is None else parent
    accounts = sorted({o.account for o in orders}) if accounts is None else list(accounts)
    new = {a: secrets.randbelow(R_MOD) for a in accounts} if new is None else dict(new)
    old = {a: store.account_commitment(a) if a in store.account_ids() else 0
           for a in accounts} if old is None else dict(old)
    n_orders = len(orders) if n_orders is None else n_orders
    n_accounts = len(accounts) if n_accounts is None else n_accounts
    header = dict(market_id=params.market_id, height=height, P=price, M=mark,
                  V=sum(o is not None for o in orders) if volume is None else volume,
                  im_bps=params.im_bps, mm_bps=params.mm_bps, fee_bps=params.fee_bps,
                  band_bps=params.band_bps, liquidation_bps=params.liquidation_bps,
                  insurance_bps=params.insurance_bps, funding_index=FUNDING_OFFSET)
    pi = [header.get(name, 0) for name in GLOBALS]     # no liquidation, funding or fund
    slots = list(orders) + [None] * (n_orders - len(orders))
    for o in slots:
        pi += [0, 0, 0, 0] if o is None else [1, o.account, *o.commitment]
    for a in accounts:
        pi += [1, a, old[a], new[a]]
    pi += [0, 0, 0, 0] * (n_accounts - len(accounts))
    pi += [0] * len(ACCOUNT_FLOW) * n_accounts         # no liquidations, deposits, withdrawals
    if state_root is None:
        state_root = store.state_root_after({a: new[a] for a in accounts})
    return Block(height, parent, n_orders, n_accounts, pi, proof, state_root, slots)


class MemoryLedger:
    """An in-memory stand-in for ``Store`` that ``build_block`` can build against: an
    independent model of the head and the account commitments (no checks, no disk)."""

    def __init__(self, genesis):
        self._head = (0, genesis_hash(genesis))
        self.commitments = {a.account_id: a.initial_state().commitment()
                            for a in genesis.accounts}

    def head(self):
        return self._head

    def account_ids(self):
        return sorted(self.commitments)

    def account_commitment(self, account_id):
        return self.commitments[account_id]

    def state_root_after(self, updates):
        return state_root({**self.commitments, **updates}.items())

    def apply(self, block):
        for slot in block.account_slots:
            if slot.active:
                self.commitments[slot.account] = slot.new
        self._head = (block.height, block.hash())


def snapshot(store):
    """Every table's rows (what a rejected or killed block must leave unchanged)."""
    c = sqlite3.connect(store.path)
    try:
        return {t: c.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                for t in ("meta", "blocks", "nullifiers", "accounts", "markets", "market_perp", "validators",
                          "evidence", "param_changes")}
    finally:
        c.close()
