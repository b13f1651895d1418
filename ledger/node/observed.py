"""A validator node's durable record of the observations it signed, one per market and height.

A validator that signed two prices for one block would give the operator a
choice between them (and is slashed for it, ``ledger.chain.observation_evidence``).
``ObservedLog(path)`` keeps, in the node's own SQLite file (the one
``ledger.chain.store.Store`` uses), in its own table::

    observed(market_id INTEGER, height INTEGER CHECK (height >= 1), body TEXT,
             PRIMARY KEY (market_id, height))

``keep(observation)`` stores the observation unless one is already stored for
its market and height, and returns the stored one: the caller hands out what
this returns, never its new signature when an older one exists.  It drops the
market's rows of lower heights (a node observes only for head + 1, so it is
never asked for them again).  Each call
is one ``BEGIN IMMEDIATE … COMMIT`` on a fresh connection in WAL mode with
``synchronous=FULL``, so the record is on disk before the observation leaves
the node, and a restarted node (even after ``kill -9``) serves the price it
signed before instead of reading its source again.  Observations are taken
once per block, so a connection per call costs nothing that matters.  Errors
are one line (``ObservedLogError``).
"""

import json
import os
import sqlite3
import threading
from contextlib import closing

from verifier.errors import BadInput

from ledger.core.observation import observation_from_json, observation_to_json

__all__ = ["ObservedLog", "ObservedLogError"]

_SCHEMA = """CREATE TABLE IF NOT EXISTS observed (market_id INTEGER NOT NULL,
    height INTEGER NOT NULL CHECK (height >= 1), body TEXT NOT NULL,
    PRIMARY KEY (market_id, height))"""


class ObservedLogError(BadInput):
    """The record of signed observations cannot be used; one line."""


class ObservedLog:
    """The observations signed by this node's validator (module docstring)."""

    def __init__(self, path):
        self.path, self._lock = os.fspath(path), threading.Lock()
        with self._connect() as c:
            c.execute(_SCHEMA)

    def _connect(self):
        try:
            c = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            if c.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
                c.close()
                raise ObservedLogError(f"cannot switch {self.path} to WAL mode")
            c.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as e:
            raise ObservedLogError(f"cannot open {self.path}: {e}") from None
        return closing(c)

    def get(self, market_id: int, height: int):
        """The observation stored for ``market_id`` at ``height``, or None."""
        with self._lock, self._connect() as c:
            row = c.execute("SELECT body FROM observed WHERE market_id = ? AND height = ?",
                            (market_id, height)).fetchone()
        return None if row is None else observation_from_json(json.loads(row[0]))

    def keep(self, observation):
        """Store ``observation`` unless its (market, height) has one; the stored one."""
        body = json.dumps(observation_to_json(observation), sort_keys=True)
        key = (observation.market_id, observation.height)
        with self._lock, self._connect() as c:
            try:
                c.execute("BEGIN IMMEDIATE")
                row = c.execute("SELECT body FROM observed WHERE market_id = ? AND height = ?",
                                key).fetchone()
                if row is None:
                    c.execute("INSERT INTO observed VALUES (?, ?, ?)", (*key, body))
                    c.execute("DELETE FROM observed WHERE market_id = ? AND height < ?", key)
                c.execute("COMMIT")
            except sqlite3.Error as e:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                raise ObservedLogError(f"observation record {self.path}: {e}") from None
        return observation if row is None else observation_from_json(json.loads(row[0]))

