"""The validator's record of what it signed: one block hash per height, durable across restarts.

A validator must never sign two different blocks at one height (docs/design.md
§Finality: that is slashable evidence).  ``Validator.attest`` asks its sign log to
``record(height, block_hash)`` *before* it signs; ``record`` answers only
once the record is durable, and raises ``SignConflict`` if another hash is
already recorded at that height (recording the same hash again is a no-op,
so re-signing the same block is allowed).

``SignLog(path)`` keeps the record in the node's own SQLite file (the one
``ledger.chain.store.Store`` uses) in its own table, written through its own
connection::

    signlog(height INTEGER PRIMARY KEY CHECK (height >= 1), hash TEXT NOT NULL)

Each ``record`` is one ``BEGIN IMMEDIATE … COMMIT`` transaction that re-reads
the height's row after taking the write lock, on a connection with
``synchronous=FULL`` in WAL mode: the commit is fsynced before ``record``
returns, so a signature that left the process is on disk — a node killed
with ``kill -9`` (or by a power cut) right after answering still refuses a
conflicting block when it restarts.  A crash before the commit leaves no row
and no signature was returned, which is safe.

``MemorySignLog`` has the same interface for in-process validators (tests,
the demo), where the process's life is the validator's.  Errors are one line:
``SignLogError`` (bad input, an unusable file), ``SignConflict`` (a ``Conflict``).
"""

import os
import sqlite3
import threading

from verifier.errors import BadInput, Conflict

from ledger.chain.durable import open_log
from ledger.core.limits import HEIGHT_BOUND, check_int

__all__ = ["SignLog", "MemorySignLog", "SignConflict", "SignLogError"]

_SCHEMA = """CREATE TABLE IF NOT EXISTS signlog (
    height INTEGER PRIMARY KEY CHECK (height >= 1), hash TEXT NOT NULL)"""


class SignLogError(BadInput):
    """A sign log that cannot be used; one line."""


class SignConflict(Conflict):
    """Another block hash is already recorded at this height (``.prior`` holds it)."""

    def __init__(self, height: int, prior: str):
        super().__init__(f"already signed another block at height {height} ({prior[:16]}…)")
        self.height, self.prior = height, prior


def _check(height, block_hash):
    check_int(height, "sign log height", 1, HEIGHT_BOUND, error=SignLogError)
    if not isinstance(block_hash, str) or len(block_hash) != 64:
        raise SignLogError("sign log hash must be 64 hex digits")


class MemorySignLog:
    """The record in memory (an in-process validator's life is its process's)."""

    def __init__(self):
        self._signed, self._lock = {}, threading.Lock()

    def get(self, height: int):
        return self._signed.get(height)

    def record(self, height: int, block_hash: str) -> None:
        _check(height, block_hash)
        with self._lock:
            prior = self._signed.setdefault(height, block_hash)
        if prior != block_hash:
            raise SignConflict(height, prior)

    def close(self) -> None:
        pass


class SignLog:
    """The record in the node's SQLite file ``path`` (see the module docstring)."""

    def __init__(self, path):
        path = os.fspath(path)
        self.path, self._lock = path, threading.Lock()
        self._conn = open_log(path, (_SCHEMA,), SignLogError, "sign log")

    def get(self, height: int):
        """The hash recorded at ``height``, or None."""
        with self._lock:
            row = self._conn.execute("SELECT hash FROM signlog WHERE height = ?",
                                     (height,)).fetchone()
        return None if row is None else row[0]

    def record(self, height: int, block_hash: str) -> None:
        """Durably record that this validator signs ``block_hash`` at ``height``."""
        _check(height, block_hash)
        with self._lock:
            c = self._conn
            try:
                c.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise SignLogError(f"sign log {self.path} is busy or unwritable: {e}") from None
            try:
                row = c.execute("SELECT hash FROM signlog WHERE height = ?",
                                (height,)).fetchone()
                if row is None:
                    c.execute("INSERT INTO signlog VALUES (?, ?)", (height, block_hash))
                c.execute("COMMIT")
            except BaseException as e:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                if isinstance(e, sqlite3.Error):
                    raise SignLogError(f"sign log error: {e}") from None
                raise
        if row is not None and row[0] != block_hash:
            raise SignConflict(height, row[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
