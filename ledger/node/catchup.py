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

**Locks and timeouts.**  Every request to the peer has ``timeout`` seconds;
the peer is talked to *outside* ``lock`` (the node's write lock, when given),
which is taken only to store what was fetched — so a slow or hung peer never
holds up the node's other work.  A peer that cannot be reached or does not
answer in time is skipped (``on_skip``); one that answers garbage, a 5xx, an
oversized body or a block that fails a check is complained about (``on_bad``).

``from_peers`` is a node's catch-up over all its peers: every peer's
``/status`` at once (so hung peers cost one timeout in all), then
``fetch_finalized`` from those that answered, highest head first, down to
the peers at the node's own head (which may hold parameter changes there).
"""

import contextlib

from verifier.errors import Rejected

from ledger.core.block import block_from_json
from ledger.chain.params import apply_approved, approval_from_json
from ledger.node.client import NetworkError, NodeClient, each, one_line

__all__ = ["fetch_finalized", "from_peers"]


def fetch_finalized(store, quorum, url, *, timeout: float = 30.0, on_skip=None, on_bad=None,
                    lock=None):
    """Store the finalized blocks ``url`` has past ``store``'s head, each re-checked (module
    doc); returns how many.  ``on_skip(msg)``: the node was unreachable or silent;
    ``on_bad(msg)``: it answered garbage or served something that failed a check (fetching
    from it stops there).  ``lock``: held only while storing."""
    client, stored = NodeClient(url, timeout), 0
    guard = lock if lock is not None else contextlib.nullcontext()
    skip, bad = on_skip or (lambda m: None), on_bad or (lambda m: None)
    while True:
        want = store.head()[0] + 1
        try:
            changes = client.param_changes(want - 1)
            obj = client.block(want)
        except NetworkError as e:
            (bad if e.status else skip)(str(e))     # an answer, but not a usable one: bad
            return stored
        try:
            with guard:
                if store.head()[0] + 1 != want:     # another writer stored it meanwhile
                    continue
                _sync_param_changes(store, changes, want - 1)
        except ValueError as e:
            bad(f"parameter change at height {want - 1}: {one_line(e)}")
            return stored
        if obj is None:
            return stored
        try:
            block = block_from_json(obj, f"block {want} from {url}")
            if block.height != want:
                raise Rejected(f"asked for block {want}, got block {block.height}")
            with guard:
                if store.head()[0] >= want:         # stored meanwhile (same checks as below)
                    quorum.finalize_signed(block)
                    continue
                quorum.finalize_signed(block)
                quorum.forget(want + 1)
        except ValueError as e:                      # Misbehaviour included: evidence kept
            bad(f"block {want}: {one_line(e)}")
            return stored
        stored += 1


def _sync_param_changes(store, docs, height) -> None:
    """Apply (re-checked) the parameter-change documents a node recorded at ``height``."""
    have = [c for c, _ in store.param_approvals(height)]
    for doc in docs:
        change, h, sigs = approval_from_json(doc)
        if h != height:
            raise Rejected(f"asked for height {height}, got a change at {h}")
        if change not in have:
            apply_approved(store, change, h, sigs)
            have.append(change)


def from_peers(store, quorum, peers, *, timeout, lock, log, complain, is_bad=lambda u: False):
    """Catch up from ``peers`` (module docstring); ``log(msg)`` for skipped peers,
    ``complain(url, msg)`` for bad ones."""
    def ask(url):
        try:
            return NodeClient(url, timeout).status()
        except NetworkError as e:
            if e.status:                             # it answered, but not with a status
                complain(url, f"status: {e}")
            raise

    heads = {}
    for url, (st, err) in each(peers, ask, timeout).items():
        if err is not None:
            if not is_bad(url):
                log(f"peer {url} skipped: {err}")
            continue
        head = st.get("head") if isinstance(st, dict) else None
        height = head.get("height") if isinstance(head, dict) else None
        if not isinstance(height, int) or isinstance(height, bool):
            complain(url, "status without a head height")
            continue
        heads[url] = height
    for url in sorted(heads, key=lambda u: -heads[u]):
        if heads[url] < store.head()[0]:
            break
        fetch_finalized(store, quorum, url, timeout=timeout, lock=lock,
                        on_skip=lambda m, p=url: log(f"peer {p} skipped: {m}"),
                        on_bad=lambda m, p=url: complain(p, m))
