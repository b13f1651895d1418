"""How an error reads to a user: one line (docs/design.md §Bad input).

The kinds an error can be — ``BadInput``, ``Conflict``, ``Rejected``,
``Misbehaviour``, all ``DarkmatchError`` — live in the base layer
(``verifier.errors``) with their HTTP status and exit code; the HTTP server
(``ledger.node.server``) and the CLI (``ledger.cli.main``) each map them once.
``error_line`` is the one message both print.
"""

__all__ = ["error_line"]


def error_line(e: BaseException) -> str:
    """One line naming what went wrong (an OSError's reason and file; else the message)."""
    if isinstance(e, OSError) and e.strerror:
        detail = e.strerror + (f": {e.filename}" if e.filename is not None else "")
    else:
        detail = str(e)
    return detail.splitlines()[0] if detail.strip() else type(e).__name__
