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

Start-up: ``darkmatch plonk …`` and ``darkmatch zkey …`` (the snarkjs drop-ins, where
a user waits on every call) build a parser of that one command, so no other
command module is imported; ``--version`` reads the package metadata only when asked.
"""

import argparse
import importlib
import os
import sys

from ledger.core.errors import error_line

__all__ = ["main", "build_parser", "UserError", "COMMAND_MODULES", "STANDALONE"]

#: Commands whose module is the whole parser when they are the first argument (fast start).
STANDALONE = ("plonk", "zkey")

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
    "escape",
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
    from importlib import metadata
    try:
        return metadata.version("darkmatch")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class _Parser(argparse.ArgumentParser):
    def error(self, message):   # argparse's own usage errors: one line, exit 2
        raise _user_error_class()(message)


class _Version(argparse.Action):
    """``--version``: the installed package's version, looked up only when asked."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="show program's version number and exit"):
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        parser._print_message(f"darkmatch {_version()}\n", sys.stdout)
        parser.exit()


def build_parser(commands=None) -> argparse.ArgumentParser:
    """The whole parser, or (``commands``: module names) a parser of those commands only."""
    p = _Parser(prog="darkmatch",
                description="Private order flow and verifiable settlement for perpetual swaps.")
    p.add_argument("--version", action=_Version)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in commands or COMMAND_MODULES:
        importlib.import_module(f"ledger.cli.{name}").register(sub)
    return p


def main(argv=None) -> int:
    """Run one command; returns its exit status.

    Called as the process's entry point (``argv`` None: the ``darkmatch`` script or
    ``python -m ledger.cli``) for a ``STANDALONE`` command, it ends the process itself
    once the command is done and its output flushed: the interpreter's own teardown
    after a proof (Numba's and LLVM's finalisers, every module's objects) took
    0.4–0.5 s, a third of a whole 2^12 ``plonk prove``.  In-process callers (tests,
    argv given) get the status back as usual."""
    entry = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    code = _run(argv)
    if entry and argv and argv[0] in STANDALONE:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os._exit(code)
    return code


def _run(argv) -> int:
    from verifier.errors import DarkmatchError
    try:
        first = argv[0] if argv else None
        parser = build_parser([first] if first in STANDALONE else None)
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
