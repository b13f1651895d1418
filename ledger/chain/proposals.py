"""A node's record of the operator's signed proposals, and the equivocations it caught.

When the genesis names an operator (``ledger.core.genesis``), a validator
answers only proposals the operator signed (``ledger.core.block.proposal_bytes``).
``ProposalLog.see(height, hash, signature)`` records the first signed
proposal at each height; a second one at the same height with another hash
is the operator's equivocation: the pair becomes ``operator-equivocation``
evidence (``ledger.core.evidence``), kept until a block carries it, and
``see`` answers it (the node then refuses the proposal with 403).  The same
proposal again (a retry of the same stored block) is fine.

Tables, in the node's SQLite file through their own connection (as
``ledger.chain.signlog``; each write one ``BEGIN IMMEDIATE`` transaction,
``synchronous=FULL``)::

    proposals(height INTEGER PRIMARY KEY, hash TEXT, signature TEXT)
    operator_evidence(height INTEGER PRIMARY KEY, body TEXT)     canonical evidence JSON

``keep(evidence)`` adds an equivocation a peer caught (``ledger.node.gossip``).
``MemoryProposalLog`` has the same interface for in-process use.
"""

import json
import os
import sqlite3
import threading

from verifier.errors import BadInput

from ledger.core.codec import canonical_json
from ledger.chain.durable import open_log
from ledger.core.evidence import OPERATOR_EQUIVOCATION, make_evidence

__all__ = ["ProposalLog", "MemoryProposalLog", "ProposalLogError"]

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS proposals (height INTEGER PRIMARY KEY CHECK (height >= 1),
        hash TEXT NOT NULL, signature TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS operator_evidence (height INTEGER PRIMARY KEY,
        body TEXT NOT NULL)""",
]


class ProposalLogError(BadInput):
    """A proposal log that cannot be used; one line."""


def _equivocation(height, prior, block_hash, signature) -> dict:
    return make_evidence(OPERATOR_EQUIVOCATION, height, (prior[0], bytes.fromhex(prior[1])),
                         (block_hash, signature))


class MemoryProposalLog:
    """The record in memory."""

    def __init__(self):
        self._seen, self._evidence, self._lock = {}, {}, threading.Lock()

    def see(self, height: int, block_hash: str, signature: bytes):
        with self._lock:
            prior = self._seen.setdefault(height, (block_hash, signature.hex()))
            if prior[0] == block_hash:
                return None
            ev = _equivocation(height, prior, block_hash, signature)
            self._evidence.setdefault(height, ev)
            return ev

    def keep(self, ev: dict) -> bool:
        with self._lock:
            if ev["height"] in self._evidence:
                return False
            self._evidence[ev["height"]] = ev
            return True

    def evidence(self) -> list:
        with self._lock:
            return [self._evidence[h] for h in sorted(self._evidence)]

    def close(self) -> None:
        pass


class ProposalLog:
    """The record in the node's SQLite file ``path`` (module docstring)."""

    def __init__(self, path):
        path = os.fspath(path)
        self.path, self._lock = path, threading.Lock()
        self._conn = open_log(path, _SCHEMA, ProposalLogError, "proposal log")

    def see(self, height: int, block_hash: str, signature: bytes):
        """Record a signed proposal; the equivocation evidence if it conflicts, else None."""
        with self._lock:
            c = self._conn
            try:
                c.execute("BEGIN IMMEDIATE")
                try:
                    row = c.execute("SELECT hash, signature FROM proposals WHERE height = ?",
                                    (height,)).fetchone()
                    ev = None
                    if row is None:
                        c.execute("INSERT INTO proposals VALUES (?, ?, ?)",
                                  (height, block_hash, signature.hex()))
                    elif row[0] != block_hash:
                        ev = _equivocation(height, row, block_hash, signature)
                        c.execute("INSERT OR IGNORE INTO operator_evidence VALUES (?, ?)",
                                  (height, canonical_json(ev).decode()))
                    c.execute("COMMIT")
                except BaseException:
                    if c.in_transaction:
                        c.execute("ROLLBACK")
                    raise
            except sqlite3.Error as e:
                raise ProposalLogError(f"proposal log error: {e}") from None
        return ev

    def keep(self, ev: dict) -> bool:
        """Keep operator-equivocation evidence a peer caught (checked by the caller); False if
        this height already has some."""
        with self._lock:
            try:
                return self._conn.execute(
                    "INSERT OR IGNORE INTO operator_evidence VALUES (?, ?)",
                    (ev["height"], canonical_json(ev).decode())).rowcount == 1
            except sqlite3.Error as e:
                raise ProposalLogError(f"proposal log error: {e}") from None

    def evidence(self) -> list:
        """Every operator equivocation caught, by height."""
        with self._lock:
            rows = self._conn.execute("SELECT body FROM operator_evidence ORDER BY height")
            return [json.loads(b) for (b,) in rows.fetchall()]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
