"""The node's ledger store: SQLite, one file per node, one transaction per block.

**File.**  WAL journal (readers never block the writer), ``synchronous=FULL``
(a committed block survives power loss, not only a process crash),
``foreign_keys=ON``.  Every change — a block, genesis, evidence with its
slashing, a parameter change — is one ``BEGIN IMMEDIATE … COMMIT``
transaction that re-reads what it depends on (the head, the nullifiers, the
account commitments) after taking the write lock, so a crash at any point
leaves the last committed block intact and ``Store.open`` resumes from it,
and a rejected block changes nothing.  ``:memory:`` is refused (no WAL).

**Tables.**

    meta(key, value)               schema_version, chain_id, genesis (canonical JSON), genesis_hash
    markets(market_id, im/mm/fee/band_bps, mark_price)     current parameters, last mark price
    market_perp(market_id → markets, liquidation_bps, insurance_bps, state)
                                   state: JSON of ``ledger.chain.market_state.MarketState``
                                   (funding index, insurance fund, shortfall, index,
                                   breaker, validators' rewards)
    accounts(account_id, public_key, market_id, commitment, height)   commitment: 64 hex digits
    validators(name, public_key, stake, slashed, slashed_stake)
    blocks(height, hash, parent_hash, body)                body: canonical block JSON
    nullifiers(nullifier, height → blocks, slot)
    evidence(id, validator → validators, kind, height, body), one per (validator, kind, height)
    pending_evidence(key, kind, validator, height, body)   seen here, not yet in a block
    operator_faults(height, block, body)                   operator equivocations judged by a block
    param_changes(id, height, body, approval)   see ``apply_param_change``

The validator, evidence and parameter-change methods (``validators``,
``total_stake``, ``slash``, ``record_evidence``, ``evidence``,
``apply_param_change``, ``param_changes``) come from
``ledger.chain.governance.GovernanceTables``, which documents their rules.

**Only commitments.**  The ledger keeps each account's Ed25519 key and its
current state *commitment* (Poseidon, ``AccountState.commitment``), never its
cash or position: the public never sees a balance (docs/design.md §Privacy).
The trader and the operator keep the openings.

**Loads and saves; the rules decide.**  ``view()`` (and ``_view`` inside a
transaction) reads the ledger as a ``ledger.chain.rules.LedgerView``: the
head, the accounts, the markets, the validators, and the spent nullifiers
looked up on demand.  ``check_block`` runs ``rules.check_block`` on a read
snapshot; ``apply_block`` runs it again on the state read *inside* its write
transaction (with ``expected_parent``, the caller's view of the head, so two
writers cannot both extend it) and then saves the block, its nullifiers, the
accounts' new commitments and the market's mark.  The checks and their order
are docs/design.md §Block checks; the state root is ``rules.state_root``.
Not checked here: the proof (``rules.check_proof`` with ``verifier``) and
validator signatures and quorum (``ledger.chain.finality``).

Errors are ``StoreError`` (a ``Conflict``) and ``BlockRejected`` (a
``Rejected``, from ``ledger.chain.rules``), one line each.
"""

import json
import os
import sqlite3
import threading
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import replace

from circuits.settlement_data import MarketParams

from ledger.core.block import Block, block_from_json, block_to_json
from ledger.core.codec import canonical_json
from ledger.core.genesis import Genesis, genesis_from_json, genesis_hash, genesis_to_json
from ledger.chain.governance import EVIDENCE_KINDS, GovernanceTables, StoreError
from ledger.chain.market_state import initial_state, state_from_json, state_to_json
from ledger.chain.rules import (Account, BlockRejected, LedgerView, Market, ValidatorRecord,
                                check_block_state, encryption_keys, state_root)

__all__ = [
    "Store", "StoreError", "BlockRejected", "ValidatorRecord", "SCHEMA_VERSION",
    "EVIDENCE_KINDS",
]

SCHEMA_VERSION = 3

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS markets (market_id INTEGER PRIMARY KEY,
        im_bps INTEGER NOT NULL, mm_bps INTEGER NOT NULL, fee_bps INTEGER NOT NULL,
        band_bps INTEGER NOT NULL, mark_price INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS market_perp (market_id INTEGER PRIMARY KEY
        REFERENCES markets(market_id), liquidation_bps INTEGER NOT NULL,
        insurance_bps INTEGER NOT NULL, state TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS accounts (account_id INTEGER PRIMARY KEY,
        public_key TEXT NOT NULL, market_id INTEGER NOT NULL REFERENCES markets(market_id),
        commitment TEXT NOT NULL, height INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS validators (name TEXT PRIMARY KEY,
        public_key TEXT NOT NULL UNIQUE, stake INTEGER NOT NULL CHECK (stake >= 0),
        slashed INTEGER NOT NULL DEFAULT 0 CHECK (slashed IN (0, 1)),
        slashed_stake INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS blocks (height INTEGER PRIMARY KEY CHECK (height >= 1),
        hash TEXT NOT NULL UNIQUE, parent_hash TEXT NOT NULL, body TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS nullifiers (nullifier TEXT PRIMARY KEY,
        height INTEGER NOT NULL REFERENCES blocks(height), slot INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS nullifiers_height ON nullifiers(height)",
    """CREATE TABLE IF NOT EXISTS evidence (id INTEGER PRIMARY KEY AUTOINCREMENT,
        validator TEXT NOT NULL REFERENCES validators(name), kind TEXT NOT NULL,
        height INTEGER NOT NULL, body TEXT NOT NULL, UNIQUE (validator, kind, height))""",
    """CREATE TABLE IF NOT EXISTS pending_evidence (key TEXT PRIMARY KEY, kind TEXT NOT NULL,
        validator TEXT NOT NULL, height INTEGER NOT NULL, body TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS operator_faults (height INTEGER PRIMARY KEY,
        block INTEGER NOT NULL, body TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS param_changes (id INTEGER PRIMARY KEY AUTOINCREMENT,
        height INTEGER NOT NULL, body TEXT NOT NULL, approval TEXT NOT NULL DEFAULT '[]')""",
]


class _Nullifiers(Mapping):
    """The spent nullifiers (nullifier → height), read from the store on demand: through
    the transaction's connection, or through the store's own reads."""

    def __init__(self, source):
        self._source = source

    def _rows(self, sql, args=()):
        if isinstance(self._source, Store):
            with self._source._read() as c:
                return c.execute(sql, args).fetchall()
        return self._source.execute(sql, args).fetchall()

    def __getitem__(self, nullifier):
        rows = self._rows("SELECT height FROM nullifiers WHERE nullifier = ?", (nullifier,))
        if not rows:
            raise KeyError(nullifier)
        return rows[0][0]

    def __iter__(self):
        return iter([r[0] for r in self._rows("SELECT nullifier FROM nullifiers")])

    def __len__(self):
        return self._rows("SELECT COUNT(*) FROM nullifiers")[0][0]


def _hex(c: int) -> str:
    return c.to_bytes(32, "big").hex()


class Store(GovernanceTables):
    """One node's ledger; ``Store.open(path)``, then ``init_genesis`` once."""

    def __init__(self, conn: sqlite3.Connection, path: str):
        self._conn, self.path, self._lock = conn, path, threading.RLock()

    # ------------------------------------------------------------ opening
    @classmethod
    def open(cls, path) -> "Store":
        path = os.fspath(path)
        if path == ":memory:" or path.startswith("file:"):
            raise StoreError("the store needs a file path (WAL mode)")
        conn = None
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                   timeout=10)
            conn.execute("PRAGMA foreign_keys = ON")
            if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
                raise StoreError(f"cannot switch {path} to WAL mode")
            conn.execute("PRAGMA synchronous = FULL")
            store = cls(conn, path)
            with store._write() as c:
                for stmt in _SCHEMA:
                    c.execute(stmt)
                row = c.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                if row is None:
                    c.execute("INSERT INTO meta VALUES ('schema_version', ?)",
                              (str(SCHEMA_VERSION),))
                elif row[0] != str(SCHEMA_VERSION):
                    raise StoreError(f"store {path} has schema version {row[0]}, "
                                     f"this program reads {SCHEMA_VERSION}")
            return store
        except sqlite3.Error as e:
            if conn is not None:
                conn.close()
            raise StoreError(f"cannot open store {path}: {e}") from None
        except StoreError:
            if conn is not None:
                conn.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @contextmanager
    def _write(self):
        with self._lock:
            c = self._conn
            try:
                c.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise StoreError(f"store {self.path} is busy or unwritable: {e}") from None
            try:
                yield c
                c.execute("COMMIT")
            except BaseException as e:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                if isinstance(e, sqlite3.IntegrityError):
                    raise StoreError(f"store constraint failed: {e}") from None
                if isinstance(e, sqlite3.Error):
                    raise StoreError(f"store error: {e}") from None
                raise

    @contextmanager
    def _read(self):
        with self._lock:
            c = self._conn
            c.execute("BEGIN")            # one snapshot for every statement inside
            try:
                yield c
            finally:
                c.execute("COMMIT")

    # ------------------------------------------------------------ genesis
    def _meta(self, c, key):
        row = c.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def init_genesis(self, genesis: Genesis) -> str:
        """Store the genesis (a no-op if this very genesis is there); returns its hash."""
        if not isinstance(genesis, Genesis):
            raise StoreError("init_genesis needs a Genesis")
        gh = genesis_hash(genesis)
        with self._write() as c:
            have = self._meta(c, "genesis_hash")
            if have == gh:
                return gh
            if have is not None:
                raise StoreError(f"store already holds another genesis ({have[:16]}…)")
            meta = {"chain_id": genesis.chain_id, "genesis_hash": gh,
                    "genesis": canonical_json(genesis_to_json(genesis)).decode()}
            c.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            c.executemany("INSERT INTO markets VALUES (?, ?, ?, ?, ?, ?)", [
                (m.params.market_id, m.params.im_bps, m.params.mm_bps, m.params.fee_bps,
                 m.params.band_bps, m.mark_price) for m in genesis.markets])
            c.executemany("INSERT INTO market_perp VALUES (?, ?, ?, ?)", [
                (m.params.market_id, m.params.liquidation_bps, m.params.insurance_bps,
                 state_to_json(initial_state(m))) for m in genesis.markets])
            c.executemany("INSERT INTO validators (name, public_key, stake) VALUES (?, ?, ?)",
                          [(v.name, v.public_key, v.stake) for v in genesis.validators])
            c.executemany("INSERT INTO accounts VALUES (?, ?, ?, ?, 0)", [
                (a.account_id, a.public_key, a.market_id, _hex(a.initial_state().commitment()))
                for a in genesis.accounts])
        return gh

    def _genesis_hash(self, c) -> str:
        gh = self._meta(c, "genesis_hash")
        if gh is None:
            raise StoreError(f"store {self.path} has no genesis yet")
        return gh

    def genesis_hash(self) -> str:
        with self._read() as c:
            return self._genesis_hash(c)

    def genesis(self) -> Genesis:
        with self._read() as c:
            self._genesis_hash(c)
            return genesis_from_json(json.loads(self._meta(c, "genesis")))

    # ------------------------------------------------------------ reading
    def _head(self, c):
        gh = self._genesis_hash(c)
        row = c.execute("SELECT height, hash FROM blocks ORDER BY height DESC LIMIT 1").fetchone()
        return (0, gh) if row is None else (row[0], row[1])

    def head(self):
        """(height, hash) of the last block; (0, genesis hash) before the first."""
        with self._read() as c:
            return self._head(c)

    def get_block(self, height: int):
        """The block at ``height``, or None."""
        with self._read() as c:
            row = c.execute("SELECT body FROM blocks WHERE height = ?", (height,)).fetchone()
        return None if row is None else block_from_json(json.loads(row[0]))

    def block_hash(self, height: int):
        """The hash of the block at ``height`` (the genesis hash at 0), or None."""
        with self._read() as c:
            if height == 0:
                return self._genesis_hash(c)
            row = c.execute("SELECT hash FROM blocks WHERE height = ?", (height,)).fetchone()
        return None if row is None else row[0]

    def _commitments(self, c) -> dict:
        return {a: int(h, 16) for a, h in c.execute("SELECT account_id, commitment FROM accounts")}

    def state_root(self) -> str:
        with self._read() as c:
            return state_root(self._commitments(c).items())

    def state_root_after(self, updates: dict) -> str:
        """The root once ``updates`` (account id → new commitment) apply (for block builders)."""
        with self._read() as c:
            current = self._commitments(c)
        return state_root({**current, **updates}.items())

    def account_commitment(self, account_id: int) -> int:
        with self._read() as c:
            row = c.execute("SELECT commitment FROM accounts WHERE account_id = ?",
                            (account_id,)).fetchone()
        if row is None:
            raise StoreError(f"unknown account {account_id}")
        return int(row[0], 16)

    def account_public_key(self, account_id: int) -> str:
        with self._read() as c:
            row = c.execute("SELECT public_key FROM accounts WHERE account_id = ?",
                            (account_id,)).fetchone()
        if row is None:
            raise StoreError(f"unknown account {account_id}")
        return row[0]

    def account_market(self, account_id: int) -> int:
        """The one market the account trades (``ledger.core.genesis``: one market per account)."""
        with self._read() as c:
            row = c.execute("SELECT market_id FROM accounts WHERE account_id = ?",
                            (account_id,)).fetchone()
        if row is None:
            raise StoreError(f"unknown account {account_id}")
        return row[0]

    def account_ids(self) -> list:
        with self._read() as c:
            return [r[0] for r in c.execute("SELECT account_id FROM accounts ORDER BY account_id")]

    def market(self, market_id: int):
        """(MarketParams, last mark price) of a market."""
        with self._read() as c:
            m = self._markets(c).get(market_id)
        if m is None:
            raise StoreError(f"unknown market {market_id}")
        return m.params, m.mark_price

    def market_state(self, market_id: int):
        """The market's public ``MarketState`` (funding, insurance, rewards, breaker)."""
        with self._read() as c:
            m = self._markets(c).get(market_id)
        if m is None:
            raise StoreError(f"unknown market {market_id}")
        return m.state

    def _markets(self, c) -> dict:
        return {r[0]: Market(MarketParams(*r[:5], r[6], r[7]), r[5], state_from_json(r[8]))
                for r in c.execute("SELECT m.market_id, m.im_bps, m.mm_bps, m.fee_bps, "
                                   "m.band_bps, m.mark_price, p.liquidation_bps, "
                                   "p.insurance_bps, p.state FROM markets m JOIN market_perp p "
                                   "ON m.market_id = p.market_id")}

    def spent_at(self, nullifier: str):
        """The height of the block that spent ``nullifier``, or None."""
        with self._read() as c:
            row = c.execute("SELECT height FROM nullifiers WHERE nullifier = ?",
                            (nullifier,)).fetchone()
        return None if row is None else row[0]

    # ------------------------------------------------------------ blocks
    def _view(self, c) -> LedgerView:
        """The ledger's state as the rules see it, read in the transaction ``c``."""
        height, head_hash = self._head(c)
        accounts = {a: Account(k, m, int(h, 16)) for a, k, m, h in
                    c.execute("SELECT account_id, public_key, market_id, commitment FROM accounts")}
        markets = self._markets(c)
        validators = {r[0]: ValidatorRecord(r[0], r[1], r[2], bool(r[3]), r[4])
                      for r in c.execute("SELECT * FROM validators")}
        faults = frozenset(r[0] for r in c.execute("SELECT height FROM operator_faults"))
        return LedgerView(height, head_hash, accounts, markets, _Nullifiers(c), validators,
                          chain_id=self._meta(c, "chain_id") or "",
                          encryption_keys=self._encryption_keys(c), operator=self._operator(c),
                          operator_faults=faults)

    def _encryption_keys(self, c) -> dict:
        """The genesis-registered encryption keys (read once: the genesis never changes)."""
        if self.__dict__.get("_enc_keys") is None:
            self._enc_keys = encryption_keys(genesis_from_json(json.loads(
                self._meta(c, "genesis"))))
        return self._enc_keys

    def _operator(self, c):
        """The genesis operator's public key (hex) or None, read once."""
        if "_operator_key" not in self.__dict__:
            self._operator_key = json.loads(self._meta(c, "genesis") or "{}").get("operator")
        return self._operator_key

    def view(self) -> LedgerView:
        """A snapshot of the ledger for the rules (``ledger.chain.rules``); its nullifiers
        are looked up on demand, so use it while the head is still ``view.height``."""
        with self._read() as c:
            v = self._view(c)
        return replace(v, nullifiers=_Nullifiers(self))

    def _check(self, c, block: Block, expected_parent: str):
        """``rules.check_block_state`` on the state read in ``c``: (account updates, the
        market's state after the block)."""
        return check_block_state(self._view(c), block, expected_parent)

    def check_block(self, block: Block, *, expected_parent: str) -> None:
        """Run every state check of ``block`` without storing it; ``BlockRejected`` if one fails."""
        with self._read() as c:
            self._check(c, block, expected_parent)

    def apply_block(self, block: Block, *, expected_parent: str) -> str:
        """Check and store ``block`` in one transaction; returns its hash.

        On ``BlockRejected`` (or any error, or a crash) nothing of the block is stored.
        """
        with self._write() as c:
            updates, market_after = self._check(c, block, expected_parent)
            bh = block.hash()
            c.execute("INSERT INTO blocks VALUES (?, ?, ?, ?)",
                      (block.height, bh, block.parent_hash,
                       canonical_json(block_to_json(block)).decode()))
            c.executemany("INSERT INTO nullifiers VALUES (?, ?, ?)",
                          [(o.nullifier(), block.height, j) for j, o in enumerate(block.orders)
                           if o is not None])
            c.executemany("UPDATE accounts SET commitment = ?, height = ? WHERE account_id = ?",
                          [(_hex(v), block.height, a) for a, v in updates.items()])
            c.execute("UPDATE markets SET mark_price = ? WHERE market_id = ?",
                      (block.mark_price, block.market_id))
            c.execute("UPDATE market_perp SET state = ? WHERE market_id = ?",
                      (state_to_json(market_after), block.market_id))
            self._apply_evidence(c, block)
        return bh
