"""The ``darkmatch`` command line.

Each sub-command lives in ``ledger/cli/<name>.py`` and exposes
``register(subparsers)``, which adds its parser and sets ``func``.  Every
command answers bad input with one line on stderr and a non-zero exit status
(docs/design.md §Bad input): commands raise ``UserError`` (a ``BadInput``) or
let the lower layers' errors through, and ``main`` maps them once: a
``DarkmatchError`` exits with its kind's ``exit_code`` (2 bad input, 1 a
conflict, a rejection, misbehaviour or a network failure); a ``ValueError``
or ``OSError`` from elsewhere (a file that cannot be read, a library's
refusal) exits 2.  No traceback reaches a user.
"""

import argparse
import importlib
import os
import sys
from importlib import metadata

from ledger.core.errors import error_line

__all__ = ["main", "build_parser", "UserError", "COMMAND_MODULES"]

#: Modules under ledger.cli that register a sub-command, in help order.
COMMAND_MODULES = [
    "demo",
    "verify",
    "ceremony",
    "account",
    "order",
    "genesis",
    "validator",
    "localnet",
    "operator",
    "params",
    "plonk",
    "zkey",
    "evm",
    "chain",
]


def _user_error_class():
    """``UserError``, made on first use: the ``verifier`` package it derives from loads
    py_ecc, which building the parser must not (tests/test_layers.py)."""
    cls = globals().get("UserError")
    if cls is None:
        from verifier.errors import BadInput

        class UserError(BadInput):
            """A problem with the user's input, reported as one line without a traceback."""

        UserError.__module__ = __name__
        cls = globals()["UserError"] = UserError
    return cls


def __getattr__(name):
    if name == "UserError":             # ``from ledger.cli.main import UserError``
        return _user_error_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _version() -> str:
    try:
        return metadata.version("darkmatch")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class _Parser(argparse.ArgumentParser):
    def error(self, message):   # argparse's own usage errors: one line, exit 2
        raise _user_error_class()(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="darkmatch",
                description="Private order flow and verifiable settlement for perpetual swaps.")
    p.add_argument("--version", action="version", version=f"darkmatch {_version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(f"ledger.cli.{name}").register(sub)
    return p


def main(argv=None) -> int:
    from verifier.errors import DarkmatchError
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:
            parser.print_help()
            return 0
        return int(args.func(args) or 0)
    except DarkmatchError as e:        # the one mapping of the error kinds to exit statuses
        print(f"darkmatch: error: {error_line(e)}", file=sys.stderr)
        return e.exit_code
    except BrokenPipeError:            # `darkmatch … | head`: the reader left; not an error
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except (ValueError, OSError) as e:
        print(f"darkmatch: error: {error_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("darkmatch: interrupted", file=sys.stderr)
        return 130
