"""The ``darkmatch`` command line.

Each sub-command lives in ``ledger/commands/<name>.py`` and exposes
``register(subparsers)``, which adds its parser and sets ``func``.  Every
command answers bad input with one line on stderr and exit status 2 (DESIGN §8):
commands raise ``UserError`` (or ``ValueError``/``OSError`` from lower layers),
and ``main`` turns those into the one-line message.  No traceback reaches a user.
"""

import argparse
import importlib
import json
import os
import sys
from importlib import metadata

__all__ = ["main", "build_parser", "error_line", "UserError", "COMMAND_MODULES"]

#: Modules under ledger.commands that register a sub-command, in help order.
COMMAND_MODULES = [
    "demo",
    "verify",
    "ceremony",
    "account",
    "order",
    "genesis",
    "validator",
    "operator",
    "params",
    "plonk",
    "zkey",
]


class UserError(Exception):
    """A problem with the user's input, reported as one line without a traceback."""


def _version() -> str:
    try:
        return metadata.version("darkmatch")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class _Parser(argparse.ArgumentParser):
    def error(self, message):   # argparse's own usage errors: one line, exit 2
        raise UserError(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="darkmatch",
                description="Private order flow and verifiable settlement for perpetual swaps.")
    p.add_argument("--version", action="version", version=f"darkmatch {_version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(f"ledger.commands.{name}").register(sub)
    return p


def error_line(e: BaseException) -> str:
    """One line naming what went wrong (an OSError's reason and file; else the message)."""
    if isinstance(e, OSError) and e.strerror:
        detail = e.strerror + (f": {e.filename}" if e.filename is not None else "")
    else:
        detail = str(e)
    return detail.splitlines()[0] if detail.strip() else type(e).__name__


def main(argv=None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:
            parser.print_help()
            return 0
        return int(args.func(args) or 0)
    except UserError as e:
        print(f"darkmatch: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:            # `darkmatch … | head`: the reader left; not an error
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except (ValueError, OSError, json.JSONDecodeError, KeyError) as e:
        print(f"darkmatch: error: {error_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("darkmatch: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # `python -m ledger.cli` runs this file as __main__; call the ledger.cli module's main so
    # that the UserError the commands import (ledger.cli.UserError) is the one caught.
    from ledger.cli import main as _main
    sys.exit(_main())
