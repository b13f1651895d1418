"""Argument types shared by several commands: a timeout, a node URL, a non-negative integer.

In the base layer so that both the ``darkmatch`` commands (``ledger.cli``) and a
node's own options (``ledger.node.options``) use the one definition.

Each is an ``argparse`` ``type=``: a value it refuses becomes argparse's own
usage error, which ``ledger.cli.main`` turns into one line and exit status 2
before the command does anything.  (Building the parser must not load the
circuits, so the limit is imported when a value is checked.)

* ``timeout_seconds`` — a finite decimal number of seconds with
  0 < t ≤ ``MAX_TIMEOUT_S`` (``ledger.core.limits``): ``inf``, ``nan``, 0,
  negatives and words are refused.
* ``node_url`` — ``http://host:port`` or ``https://host:port`` (an optional
  trailing ``/``), with a host and a port in 1…65535; no user, path, query or
  fragment.  The URL is returned without its trailing slash.
* ``non_negative_int`` — an integer ≥ 0 (decimal, or ``0x…`` hex): amounts,
  account ids, contract settings.
"""

import argparse
import math
from urllib.parse import urlsplit

__all__ = ["timeout_seconds", "node_url", "rpc_url", "non_negative_int"]


def timeout_seconds(text: str) -> float:
    from ledger.core.limits import MAX_TIMEOUT_S     # here: the limits load the circuits
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT_S:
        raise argparse.ArgumentTypeError(
            f"{text!r} seconds: a timeout must be finite, above 0 and at most {MAX_TIMEOUT_S}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


def _split_url(text, bad):
    """``urlsplit(text)`` and its port, or ``bad`` for anything that is not a plain ASCII URL."""
    if not isinstance(text, str) or not text.isascii() or any(c.isspace() for c in text):
        raise bad
    try:
        parts = urlsplit(text)
        return parts, parts.port
    except ValueError:
        raise bad from None


def node_url(text: str) -> str:
    bad = argparse.ArgumentTypeError(f"not a node URL (http://host:port): {text!r}")
    parts, port = _split_url(text, bad)
    if (parts.scheme not in ("http", "https") or not parts.hostname or port is None
            or not 1 <= port <= 65535 or parts.username is not None
            or parts.path not in ("", "/") or parts.query or parts.fragment):
        raise bad
    return text.rstrip("/")


def rpc_url(text: str) -> str:
    """An Ethereum JSON-RPC URL: http(s)://host[:port][/path], checked before anything is built."""
    bad = argparse.ArgumentTypeError(f"not an Ethereum RPC URL (http://host[:port]): {text!r}")
    parts, port = _split_url(text, bad)
    if (parts.scheme not in ("http", "https") or not parts.hostname
            or (port is not None and not 1 <= port <= 65535)):
        raise bad
    return text
