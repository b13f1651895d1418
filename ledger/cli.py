"""The ``darkmatch`` command line.

Every sub-command answers bad input with one line on stderr and a non-zero
exit; no traceback reaches a user (DESIGN §8).
"""

import argparse
import sys
from importlib import metadata

__all__ = ["main", "build_parser"]


def _version() -> str:
    try:
        return metadata.version("darkmatch")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="darkmatch",
        description="Private order flow and verifiable settlement for perpetual swaps.",
    )
    p.add_argument("--version", action="version", version=f"darkmatch {_version()}")
    p.add_subparsers(dest="command", metavar="COMMAND")
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
