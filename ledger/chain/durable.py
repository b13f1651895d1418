"""The signer's durable SQLite logs: one way to open them.

The sign log, the round log and the proposal log each live in the node's
SQLite file and must survive a ``kill -9`` at any instant: every one is
opened in WAL mode with ``synchronous = FULL`` (a committed row is on disk
before the signature or answer that depends on it leaves the process), with
autocommit off so each writer chooses its own ``BEGIN IMMEDIATE`` transaction.
A file that cannot be opened, switched to WAL or given its tables is the
caller's one-line error, and the connection is closed.
"""

import sqlite3

__all__ = ["open_log"]


def open_log(path: str, schema, error, what: str) -> sqlite3.Connection:
    """A durable connection to ``path`` with the tables of ``schema`` (SQL statements);
    ``error(message)`` (a one-line error class) names ``what`` and ``path`` on failure."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    except sqlite3.Error as e:
        raise error(f"cannot open {what} {path}: {e}") from None
    try:
        if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise error(f"cannot switch {path} to WAL mode")
        conn.execute("PRAGMA synchronous = FULL")
        for stmt in schema:
            conn.execute(stmt)
    except sqlite3.Error as e:
        conn.close()
        raise error(f"cannot open {what} {path}: {e}") from None
    except error:
        conn.close()
        raise
    return conn
