"""Catch-up: store the finalized blocks a peer has past this store's head, each re-checked.

``fetch_finalized(store, quorum, url)`` is catch-up from one node: at each
head h it first applies the parameter changes the node recorded at h
(``GET /param-changes/<h>``, each re-checked by
``ledger.chain.params.apply_approved`` against the store's own validator
set), then asks for ``GET /blocks/<h + 1>`` and stores it only through
``quorum.finalize_signed`` (every signature, > 2/3 of the stake, the chain's
rules, the proof: docs/design.md §Finality); it stops when the node has no
more.  A restarted validator (``ledger.node.service``) and a restarted
operator (``ledger.operator.home``) both run it.
"""

from verifier.errors import Rejected

from ledger.core.block import block_from_json
from ledger.chain.params import apply_approved, approval_from_json
from ledger.node.client import NetworkError, NodeClient, one_line

__all__ = ["fetch_finalized"]


def fetch_finalized(store, quorum, url, *, timeout: float = 30.0, on_skip=None, on_bad=None):
    """Store the finalized blocks ``url`` has past ``store``'s head, each re-checked (module
    doc); returns how many.  ``on_skip(msg)``: the node was unreachable; ``on_bad(msg)``: it
    served a block that failed a check (fetching from it stops there)."""
    client, stored = NodeClient(url, timeout), 0
    while True:
        want = store.head()[0] + 1
        try:
            _sync_param_changes(store, client, want - 1)
            obj = client.block(want)
        except NetworkError as e:
            if on_skip is not None:
                on_skip(str(e))
            return stored
        except ValueError as e:
            if on_bad is not None:
                on_bad(f"parameter change at height {want - 1}: {one_line(e)}")
            return stored
        if obj is None:
            return stored
        try:
            block = block_from_json(obj, f"block {want} from {url}")
            if block.height != want:
                raise Rejected(f"asked for block {want}, got block {block.height}")
            quorum.finalize_signed(block)
        except ValueError as e:                      # Misbehaviour included: evidence stored
            if on_bad is not None:
                on_bad(f"block {want}: {one_line(e)}")
            return stored
        quorum.forget(want + 1)
        stored += 1


def _sync_param_changes(store, client, height) -> None:
    """Apply (re-checked) the parameter changes ``client``'s node recorded at ``height``."""
    have = [c for c, _ in store.param_approvals(height)]
    for doc in client.param_changes(height):
        change, h, sigs = approval_from_json(doc)
        if h != height:
            raise Rejected(f"asked for height {height}, got a change at {h}")
        if change not in have:
            apply_approved(store, change, h, sigs)
            have.append(change)
