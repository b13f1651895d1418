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
    accounts(account_id, public_key, market_id, commitment, height)   commitment: 64 hex digits
    validators(name, public_key, stake, slashed, slashed_stake)
    blocks(height, hash, parent_hash, body)                body: canonical block JSON
    nullifiers(nullifier, height → blocks, slot)
    evidence(id, validator → validators, kind, height, body), one per (validator, kind, height)
    param_changes(id, height, body, approval)   see ``apply_param_change``

The validator, evidence and parameter-change methods (``validators``,
``total_stake``, ``slash``, ``record_evidence``, ``evidence``,
``apply_param_change``, ``param_changes``) come from
``ledger.governance.GovernanceTables``, which documents their rules.

**Only commitments.**  The ledger keeps each account's Ed25519 key and its
current state *commitment* (Poseidon, ``AccountState.commitment``), never its
cash or position: the public never sees a balance (DESIGN §1).  The trader
and the operator keep the openings.

**State root**: ``ledger.state.state_root`` over every account's commitment.

**Block checks** (``check_block``; ``apply_block`` repeats them inside its
transaction), in DESIGN §7's order: height = head + 1, parent hash = the
head's hash = ``expected_parent`` (the caller's view of the head, so two
writers cannot both extend it); each order's account exists, its signature
verifies under the account's key and height ≤ its expiry height; its
nullifier is unspent; the market exists with exactly the block's parameters
and the mark price moves at most the band from the last mark (``mark_move_ok``);
every active account slot names an existing account of the block's market
whose commitment is the slot's old commitment; the block's state root equals the root after
replacing those commitments by the new ones.  Not checked here: the proof
(``verifier``) and validator signatures and quorum (the finality layer).

Errors are ``StoreError`` (``BlockRejected`` for a refused block), each a
one-line ``ValueError``.
"""

import json
import os
import sqlite3
import threading
from contextlib import contextmanager

from circuits.settlement_data import MarketParams

from ledger.core import keys
from ledger.core.block import Block, block_from_json, block_to_json
from ledger.core.codec import canonical_json
from ledger.core.genesis import Genesis, genesis_from_json, genesis_hash, genesis_to_json
from ledger.chain.governance import EVIDENCE_KINDS, GovernanceTables, StoreError, ValidatorRecord
from ledger.chain.rules import mark_move_ok, state_root

__all__ = [
    "Store", "StoreError", "BlockRejected", "ValidatorRecord", "SCHEMA_VERSION",
    "EVIDENCE_KINDS",
]

SCHEMA_VERSION = 2

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS markets (market_id INTEGER PRIMARY KEY,
        im_bps INTEGER NOT NULL, mm_bps INTEGER NOT NULL, fee_bps INTEGER NOT NULL,
        band_bps INTEGER NOT NULL, mark_price INTEGER NOT NULL)""",
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
    """CREATE TABLE IF NOT EXISTS param_changes (id INTEGER PRIMARY KEY AUTOINCREMENT,
        height INTEGER NOT NULL, body TEXT NOT NULL, approval TEXT NOT NULL DEFAULT '[]')""",
]


class BlockRejected(StoreError):
    """A block that does not extend this ledger; nothing was stored."""


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
        """The one market the account trades (``ledger.genesis``: one market per account)."""
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
            row = c.execute("SELECT * FROM markets WHERE market_id = ?", (market_id,)).fetchone()
        if row is None:
            raise StoreError(f"unknown market {market_id}")
        return MarketParams(*row[:5]), row[5]

    def spent_at(self, nullifier: str):
        """The height of the block that spent ``nullifier``, or None."""
        with self._read() as c:
            row = c.execute("SELECT height FROM nullifiers WHERE nullifier = ?",
                            (nullifier,)).fetchone()
        return None if row is None else row[0]

    # ------------------------------------------------------------ blocks
    def _check(self, c, block: Block, expected_parent: str):
        """All state checks of ``block``; returns the account updates (id → new commitment)."""
        if not isinstance(block, Block):
            raise BlockRejected("apply_block needs a Block")
        h = block.height
        head_h, head_hash = self._head(c)

        def reject(msg):
            raise BlockRejected(f"block {h} rejected: {msg}")

        if h != head_h + 1:
            reject(f"height does not follow the head (head is {head_h}, expected {head_h + 1})")
        if expected_parent != head_hash:
            reject(f"expected parent {str(expected_parent)[:16]}… is not the head "
                   f"({head_hash[:16]}…)")
        if block.parent_hash != head_hash:
            reject(f"parent hash {block.parent_hash[:16]}… is not the head's hash "
                   f"({head_hash[:16]}…)")
        seen = set()
        for j, order in enumerate(block.orders):
            if order is None:
                continue
            row = c.execute("SELECT public_key FROM accounts WHERE account_id = ?",
                            (order.account,)).fetchone()
            if row is None:
                reject(f"order slot {j}: unknown account {order.account}")
            if not keys.verify(row[0], order.signing_bytes(), order.signature):
                reject(f"order slot {j}: signature does not verify under account "
                       f"{order.account}'s key")
            if order.expired_at(h):
                reject(f"order slot {j}: expired at height {order.expiry_height}")
            nf = order.nullifier()
            spent = c.execute("SELECT height FROM nullifiers WHERE nullifier = ?",
                              (nf,)).fetchone()
            if spent is not None or nf in seen:
                where = f"in block {spent[0]}" if spent else "earlier in this block"
                reject(f"order slot {j} replays an order already spent {where} "
                       f"(nullifier {nf[:16]}…)")
            seen.add(nf)
        row = c.execute("SELECT im_bps, mm_bps, fee_bps, band_bps, mark_price FROM markets "
                        "WHERE market_id = ?", (block.market_id,)).fetchone()
        if row is None:
            reject(f"unknown market {block.market_id}")
        p = block.params
        if tuple(row[:4]) != (p.im_bps, p.mm_bps, p.fee_bps, p.band_bps):
            reject(f"market {block.market_id} parameters differ from the ledger's")
        if not mark_move_ok(row[4], block.mark_price, p.band_bps):
            reject(f"mark price {block.mark_price} moves more than the band ({p.band_bps} bps) "
                   f"from the ledger's last mark {row[4]}")
        current, updates = self._commitments(c), {}
        markets = dict(c.execute("SELECT account_id, market_id FROM accounts"))
        for k, slot in enumerate(block.account_slots):
            if not slot.active:
                continue
            if slot.account not in current:
                reject(f"account slot {k}: unknown account {slot.account}")
            if markets[slot.account] != block.market_id:
                reject(f"account slot {k}: account {slot.account} trades market "
                       f"{markets[slot.account]}, not {block.market_id}")
            if current[slot.account] != slot.old:
                reject(f"account slot {k}: old commitment of account {slot.account} is not "
                       "the ledger's")
            updates[slot.account] = slot.new
        if state_root({**current, **updates}.items()) != block.state_root:
            reject("state root differs from the root after this block")
        return updates

    def check_block(self, block: Block, *, expected_parent: str) -> None:
        """Run every state check of ``block`` without storing it; ``BlockRejected`` if one fails."""
        with self._read() as c:
            self._check(c, block, expected_parent)

    def apply_block(self, block: Block, *, expected_parent: str) -> str:
        """Check and store ``block`` in one transaction; returns its hash.

        On ``BlockRejected`` (or any error, or a crash) nothing of the block is stored.
        """
        with self._write() as c:
            updates = self._check(c, block, expected_parent)
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
        return bh
