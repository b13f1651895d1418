"""Test-only faulty validator nodes: what the network tests run to see faults handled.

``DARKMATCH_NODE_FAULT`` (read by ``ledger.node.server.run_node`` at start;
never set in production) makes the server run a ``FaultyNode`` instead of a
``Node``; the production class has no fault branch.  The faults:

* ``sign-anything`` signs every proposal without checking or recording it;
* ``tamper-blocks`` serves altered blocks (proof's eval_a changed, still canonical;
  signatures kept)
  from ``GET /blocks``;
* ``stall-commit:H`` stalls for ever inside the store transaction that
  applies block H (after the block and nullifier rows, before the accounts)
  and creates ``fault.hit`` in the home folder, so a test can ``kill -9`` it
  mid-commit.
"""

import os
import time

from verifier.errors import BadInput
from verifier.fields import R_MOD

from ledger.core.limits import HEIGHT_BOUND
from ledger.node.service import Node

__all__ = ["FaultyNode", "parse_fault", "FAULT_ENV", "FAULT_MARK", "FAULTS"]

FAULT_ENV, FAULT_MARK = "DARKMATCH_NODE_FAULT", "fault.hit"
FAULTS = ("sign-anything", "tamper-blocks", "stall-commit:H")


def parse_fault(fault):
    """(kind, height) of a fault spec (module doc); one-line ``BadInput`` if unknown."""
    kind, _, arg = str(fault).partition(":")
    if kind in ("sign-anything", "tamper-blocks") and not arg:
        return kind, None
    if kind == "stall-commit" and arg.isascii() and arg.isdigit() and 0 < int(arg) < HEIGHT_BOUND:
        return kind, int(arg)
    raise BadInput(f"{FAULT_ENV} must be one of {', '.join(FAULTS)}")


def _install_stall(store, height, mark_path):
    """Stall inside the transaction that applies block ``height`` (module doc)."""
    applying = store.apply_block

    def apply_block(block, **kw):
        conn.armed = block.height == height
        return applying(block, **kw)

    class Proxy:
        def __init__(self, c):
            self._c, self.armed = c, False

        def __getattr__(self, name):
            return getattr(self._c, name)

        def _stall(self, sql):
            if self.armed and sql.lstrip().startswith("UPDATE accounts"):
                open(mark_path, "w").close()
                while True:
                    time.sleep(60)

        def execute(self, sql, *a):
            self._stall(sql)
            return self._c.execute(sql, *a)

        def executemany(self, sql, *a):
            self._stall(sql)
            return self._c.executemany(sql, *a)

    conn = store._conn = Proxy(store._conn)
    store.apply_block = apply_block


class FaultyNode(Node):
    """A ``Node`` with one fault from ``FAULTS`` (module doc)."""

    def __init__(self, home, peers=(), *, fault, log=None, **chain):
        kind, stall_height = parse_fault(fault)
        super().__init__(home, peers, log=log, **chain)
        self.fault = fault
        self._kind = kind
        if kind == "stall-commit":
            _install_stall(self.store, stall_height, os.path.join(self.home, FAULT_MARK))

    def status(self) -> dict:
        return {**super().status(), "fault": self.fault}

    def block(self, height: int) -> dict:
        obj = super().block(height)
        if self._kind == "tamper-blocks":
            # another canonical proof (one evaluation changed): the signatures no longer match
            proof = obj["proof"]
            obj["proof"] = dict(proof, eval_a=str((int(proof["eval_a"]) + 1) % R_MOD))
        return obj

    def _attest(self, block):
        if self._kind == "sign-anything":
            return self.validator.sign(block)
        return super()._attest(block)
