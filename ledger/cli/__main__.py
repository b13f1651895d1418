"""``python -m ledger.cli``: the ``darkmatch`` command."""

import sys

from ledger.cli.main import main

sys.exit(main())
