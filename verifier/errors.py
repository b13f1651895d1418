"""The project's one error vocabulary: a base class and the few kinds every layer raises.

Every error a user can cause derives from ``DarkmatchError`` and carries a
one-line message.  Its kind says how an entry point answers it, so the mapping
is written once (the HTTP server reads ``http_status``, the CLI ``exit_code``):

=================  ===========  =========  ==========================================
kind               http_status  exit_code  meaning
=================  ===========  =========  ==========================================
``BadInput``       400          2          malformed, out of range or of the wrong type
``Conflict``       409          1          well formed, but clashes with what is stored
``Rejected``       422          1          well formed, and breaks a rule of the chain
``Misbehaviour``   403          1          proof of a signer's fault (evidence)
=================  ===========  =========  ==========================================

It lives in the base layer (``verifier``) so that every layer above can raise
these kinds without importing upward.  The kinds also derive from
``ValueError``: existing ``except ValueError`` handlers keep working.
"""

__all__ = ["DarkmatchError", "BadInput", "Conflict", "Rejected", "Misbehaviour"]


class DarkmatchError(Exception):
    """Base of every error darkmatch reports to a user (one-line message)."""

    http_status = 400
    exit_code = 2


class BadInput(DarkmatchError, ValueError):
    """Input that cannot be parsed or is out of range: nothing was stored."""

    http_status = 400
    exit_code = 2


class Conflict(DarkmatchError, ValueError):
    """A well-formed request that clashes with stored state (e.g. already signed)."""

    http_status = 409
    exit_code = 1


class Rejected(DarkmatchError, ValueError):
    """A well-formed request that breaks a chain or circuit rule."""

    http_status = 422
    exit_code = 1


class Misbehaviour(DarkmatchError, ValueError):
    """Evidence of a signer's fault (double sign, a signature on a bad block)."""

    http_status = 403
    exit_code = 1
