"""The validator's durable record of its round votes and its lock (double-vote protection).

The rounds of docs/liveness.md §Rounds are safe only if every honest
validator keeps three promises across any crash, ``kill -9`` included:

1. one prevote and one precommit per (height, round) — voting the same hash
   again is a no-op (the same deterministic signature goes out), another
   hash is ``VoteConflict``; and a precommit only for the hash it prevoted
   in that round (so its prevote in a round always comes before any lock it
   takes in that round);
2. its rounds only go up: no vote at a round below the highest round it has
   voted in at that height (``RoundPassed``) — the safety argument orders a
   validator's votes by round;
3. its **lock**: a precommit for H at round r locks the validator on H at
   round r, recorded in the same transaction as the precommit, together with
   the block and the polka that justified it (JSON text the log does not
   read), so that after a restart it still prevotes only H unless shown a
   later polka, and can hand the block back for re-proposal.

``RoundLog(path)`` keeps this in the node's SQLite file (its own tables and
connection, as ``ledger.chain.signlog``)::

    round_votes(height, round, phase, hash, PRIMARY KEY (height, round, phase))
    round_locks(height PRIMARY KEY, round, hash, block TEXT, polka TEXT)
    round_proposals(height, round, hash, signature, PRIMARY KEY (height, round))

``see(height, round, hash, signature)`` records the first operator-signed
proposal of each (height, round) and answers the earlier (hash, signature)
when another hash arrives for it (the operator's equivocation), else None;
``proposal(height, round)`` is that first (hash, signature) or None (what a
validator shows to back the round it reports, ``ledger.node.rounds_api``).

``vote(phase, height, round, hash, lock=None)`` is one ``BEGIN IMMEDIATE …
COMMIT`` on a ``synchronous=FULL`` WAL connection that re-reads the height's
rows under the write lock: it returns only once the vote (and the lock) is on
disk, so a signature that left the process is remembered.  ``lock(height)``
is the ``Lock`` or None; ``top_round(height)`` the highest round voted in.  ``MemoryRoundLog`` has the same interface for
in-process validators.  Errors are one line: ``RoundLogError`` (bad input,
an unusable file), ``VoteConflict`` and ``RoundPassed`` (``Conflict``).
"""

import os
import sqlite3
import threading
from typing import NamedTuple

from verifier.errors import BadInput, Conflict

from ledger.chain.durable import open_log
from ledger.core.limits import HEIGHT_BOUND, ROUND_BOUND, check_int

__all__ = ["RoundLog", "MemoryRoundLog", "Lock", "VoteConflict", "RoundPassed",
           "RoundLogError"]

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS round_votes (height INTEGER NOT NULL CHECK (height >= 1),
        round INTEGER NOT NULL CHECK (round >= 0), phase TEXT NOT NULL,
        hash TEXT NOT NULL, PRIMARY KEY (height, round, phase))""",
    """CREATE TABLE IF NOT EXISTS round_locks (height INTEGER PRIMARY KEY CHECK (height >= 1),
        round INTEGER NOT NULL, hash TEXT NOT NULL, block TEXT NOT NULL,
        polka TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS round_proposals (height INTEGER NOT NULL, round INTEGER
        NOT NULL, hash TEXT NOT NULL, signature TEXT NOT NULL, PRIMARY KEY (height, round))""",
]
_PHASES = ("prevote", "precommit")


class RoundLogError(BadInput):
    """A round log that cannot be used, or a malformed record; one line."""


class VoteConflict(Conflict):
    """This validator already voted another hash in this phase of this round."""


class RoundPassed(Conflict):
    """This validator already voted in a later round of this height."""


class Lock(NamedTuple):
    """A validator's lock at one height: the block it precommitted last, at which round."""

    round: int
    block_hash: str
    block: str          #: the block's JSON text
    polka: str          #: the polka's JSON text


def _check(phase, height, round_, block_hash, lock):
    if phase not in _PHASES:
        raise RoundLogError(f"unknown vote phase {phase!r}")
    check_int(height, "round log height", 1, HEIGHT_BOUND, error=RoundLogError)
    check_int(round_, "round log round", 0, ROUND_BOUND, error=RoundLogError)
    if not isinstance(block_hash, str) or len(block_hash) != 64:
        raise RoundLogError("round log hash must be 64 hex digits")
    if (lock is not None) != (phase == "precommit"):
        raise RoundLogError("a precommit, and only a precommit, records a lock")
    if lock is not None and not (isinstance(lock, tuple) and len(lock) == 2 and
                                 all(isinstance(x, str) for x in lock)):
        raise RoundLogError("a lock is (block JSON text, polka JSON text)")


def _decide(phase, height, round_, block_hash, top, prior, prevoted):
    """Raise unless the vote may be recorded; True when it is new."""
    if top is not None and round_ < top:
        raise RoundPassed(f"already voted in round {top} of height {height}; round "
                          f"{round_} is over for this validator")
    if phase == "precommit" and prevoted != block_hash:
        raise VoteConflict(f"no precommit without this validator's own prevote for the block "
                           f"in round {round_} of height {height}")
    if prior is not None and prior != block_hash:
        raise VoteConflict(f"already sent a {phase} for another block in round {round_} "
                           f"of height {height} ({prior[:16]}…)")
    return prior is None


class MemoryRoundLog:
    """The record in memory (an in-process validator's life is its process's)."""

    def __init__(self):
        self._votes, self._locks, self._lock = {}, {}, threading.Lock()
        self._proposals = {}

    def vote(self, phase, height, round_, block_hash, lock=None) -> None:
        _check(phase, height, round_, block_hash, lock)
        with self._lock:
            rounds = [r for (h, r, _) in self._votes if h == height]
            top = max(rounds) if rounds else None
            if _decide(phase, height, round_, block_hash, top,
                       self._votes.get((height, round_, phase)),
                       self._votes.get((height, round_, "prevote"))):
                self._votes[(height, round_, phase)] = block_hash
            if lock is not None:
                self._locks[height] = Lock(round_, block_hash, *lock)

    def voted(self, phase, height, round_):
        return self._votes.get((height, round_, phase))

    def top_round(self, height):
        with self._lock:
            rounds = [r for (h, r, _) in self._votes if h == height]
        return max(rounds) if rounds else None

    def see(self, height, round_, block_hash, signature):
        with self._lock:
            prior = self._proposals.setdefault((height, round_), (block_hash, signature))
        return None if prior[0] == block_hash else prior

    def lock(self, height):
        return self._locks.get(height)

    def proposal(self, height, round_):
        with self._lock:
            return self._proposals.get((height, round_))

    def close(self) -> None:
        pass


class RoundLog:
    """The record in the node's SQLite file ``path`` (module docstring)."""

    def __init__(self, path):
        path = os.fspath(path)
        self.path, self._lock = path, threading.Lock()
        self._conn = open_log(path, _SCHEMA, RoundLogError, "round log")

    def vote(self, phase, height, round_, block_hash, lock=None) -> None:
        """Durably record this validator's vote (and, for a precommit, its lock)."""
        _check(phase, height, round_, block_hash, lock)
        with self._lock:
            c = self._conn
            try:
                c.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise RoundLogError(f"round log {self.path} is busy or unwritable: {e}") \
                    from None
            try:
                top = c.execute("SELECT max(round) FROM round_votes WHERE height = ?",
                                (height,)).fetchone()[0]
                row = c.execute("SELECT hash FROM round_votes WHERE height = ? AND round = ? "
                                "AND phase = ?", (height, round_, phase)).fetchone()
                pre = c.execute("SELECT hash FROM round_votes WHERE height = ? AND round = ? "
                                "AND phase = 'prevote'", (height, round_)).fetchone()
                if _decide(phase, height, round_, block_hash, top,
                           None if row is None else row[0], None if pre is None else pre[0]):
                    c.execute("INSERT INTO round_votes VALUES (?, ?, ?, ?)",
                              (height, round_, phase, block_hash))
                if lock is not None:
                    c.execute("INSERT OR REPLACE INTO round_locks VALUES (?, ?, ?, ?, ?)",
                              (height, round_, block_hash, lock[0], lock[1]))
                c.execute("COMMIT")
            except BaseException as e:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                if isinstance(e, sqlite3.Error):
                    raise RoundLogError(f"round log error: {e}") from None
                raise

    def see(self, height, round_, block_hash, signature):
        """Record the operator's proposal of (height, round) durably; the earlier (hash,
        signature) if another hash was recorded for it, else None."""
        with self._lock:
            c = self._conn
            try:
                c.execute("INSERT OR IGNORE INTO round_proposals VALUES (?, ?, ?, ?)",
                          (height, round_, block_hash, signature.hex()))
                row = c.execute("SELECT hash, signature FROM round_proposals WHERE "
                                "height = ? AND round = ?", (height, round_)).fetchone()
            except sqlite3.Error as e:
                raise RoundLogError(f"round log error: {e}") from None
        return None if row[0] == block_hash else (row[0], bytes.fromhex(row[1]))

    def proposal(self, height, round_):
        """The operator's proposal of (height, round) recorded first: (hash, signature), or
        None."""
        with self._lock:
            row = self._conn.execute("SELECT hash, signature FROM round_proposals WHERE "
                                     "height = ? AND round = ?", (height, round_)).fetchone()
        return None if row is None else (row[0], bytes.fromhex(row[1]))

    def voted(self, phase, height, round_):
        """The hash this validator voted in ``phase`` of (height, round), or None."""
        with self._lock:
            row = self._conn.execute("SELECT hash FROM round_votes WHERE height = ? AND "
                                     "round = ? AND phase = ?",
                                     (height, round_, phase)).fetchone()
        return None if row is None else row[0]

    def top_round(self, height):
        """The highest round this validator voted in at ``height``, or None."""
        with self._lock:
            return self._conn.execute("SELECT max(round) FROM round_votes WHERE height = ?",
                                      (height,)).fetchone()[0]

    def lock(self, height):
        """The ``Lock`` at ``height``, or None."""
        with self._lock:
            row = self._conn.execute("SELECT round, hash, block, polka FROM round_locks "
                                     "WHERE height = ?", (height,)).fetchone()
        return None if row is None else Lock(*row)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
