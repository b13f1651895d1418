"""The ``darkmatch`` command line: ``main`` (the entry point, ``ledger.cli:main``) and one
module per sub-command, each exposing ``register(subparsers)``.

Nothing outside this package imports it (tests/test_layers.py checks).
"""

from ledger.cli.main import main

__all__ = ["main"]
