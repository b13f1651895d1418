"""HTTP client side of the validator network: talk to validator nodes (``ledger.server``).

The protocol (JSON in and out, loopback by default; see ``ledger.server``):

* ``GET /status`` → the node's chain, validator and head;
* ``POST /propose`` with a block (no signatures) → the validator's
  attestation ``{"validator", "height", "hash", "signature"}`` (hex), or a
  4xx ``{"error": one line}`` when it will not sign;
* ``POST /finalize`` with the block and the quorum's signatures →
  ``{"status": "stored" | "known", "height", "hash"}`` or a 4xx;
* ``GET /blocks/<height>`` → a finalized block with its signatures, 404 past
  the node's head.

``NodeClient(url)`` wraps one node; every call has a timeout, reads at most
``MAX_RESPONSE_BYTES`` and raises ``NetworkError`` (one line) when the node is
unreachable, slow, answers non-JSON, or answers a 4xx (``.status`` holds the
HTTP status, 0 when there was no answer).

Both sides read JSON with ``ledger.codec.parse_json`` (UTF-8, no
NaN/Infinity, nesting bounded before parsing).

``run_round(urls, block, quorum)`` is the operator's side of one block: it
proposes ``block`` to every validator at once (threads; a down, slow or
faulty validator only costs its own slot, never blocks the others), checks
each attestation with ``quorum.add`` (``ledger.finality.Quorum`` on the
operator's store: a forged one is refused, a double-sign or a signature on a
bad proof is evidence), and once the signers hold > 2/3 of the stake
broadcasts ``POST /finalize`` with the signed block to every validator.  With
``apply=True`` it also stores the block in the quorum's own store.  It
returns a ``Round``: the signed block (None if no quorum), the attestations
and refusals per URL, and each node's answer to the finalize.
``statuses(urls)`` asks every node's ``/status`` at once.

``fetch_finalized(store, quorum, url)`` is catch-up from one node: at each
head h it first applies the parameter changes the node recorded at h
(``GET /param-changes/<h>``, each re-checked by ``ledger.params.apply_approved``
against the store's own validator set), then asks for ``GET /blocks/<h + 1>``
and stores it only through ``quorum.finalize_signed`` (every signature, > 2/3
of the stake, the store's checks, the proof); it stops when the node has no
more — what a restarted validator and a restarted operator both run.
"""

import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from ledger.core.block import block_from_json, block_to_json
from ledger.core.codec import canonical_json, check_fields, get_hex, get_int, get_str, parse_json
from ledger.core.genesis import NAME_PATTERN
from ledger.core.keys import SIGNATURE_BYTES
from ledger.chain.validator import Attestation

__all__ = ["NetworkError", "NodeClient", "Round", "run_round", "statuses", "fetch_finalized", "parse_attestation",
           "attestation_to_json", "MAX_RESPONSE_BYTES", "DEFAULT_TIMEOUT"]

MAX_RESPONSE_BYTES = 16 << 20
DEFAULT_TIMEOUT = 60.0
#: No proxies: validator URLs are direct (loopback), whatever http_proxy says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class NetworkError(ValueError):
    """A node that could not be reached or refused; ``status`` is the HTTP status (0: none)."""

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.status = status


def _one_line(text) -> str:
    text = str(text).strip()
    return text.splitlines()[0][:300] if text else "no detail"


def attestation_to_json(att) -> dict:
    return {"validator": att[0], "height": att[1], "hash": att[2], "signature": att[3].hex()}


def parse_attestation(obj, what: str = "attestation") -> Attestation:
    """An ``Attestation`` from its JSON object; one-line ``ValueError`` if malformed."""
    check_fields(obj, what, ("validator", "height", "hash", "signature"))
    return Attestation(get_str(obj, "validator", what, NAME_PATTERN),
                       get_int(obj, "height", what, 1, 1 << 63),
                       get_hex(obj, "hash", what, 32).hex(),
                       get_hex(obj, "signature", what, SIGNATURE_BYTES))


class NodeClient:
    """One validator node at ``url`` (``http://host:port``)."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT):
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise NetworkError(f"node URL must start with http:// or https://: {url!r}")
        self.url, self.timeout = url.rstrip("/"), timeout

    def request(self, method: str, path: str, body=None, timeout=None):
        """The JSON answer of ``method path``; ``NetworkError`` for anything but a 2xx JSON."""
        data = None if body is None else canonical_json(body)
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        where = f"{method} {self.url}{path}"
        try:
            with _OPENER.open(req, timeout=timeout or self.timeout) as resp:
                status, raw = resp.status, resp.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read(MAX_RESPONSE_BYTES + 1)
            e.close()
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            raise NetworkError(f"{where}: unreachable ({_one_line(reason)})") from None
        except Exception as e:      # http.client's protocol errors (e.g. a node killed mid-answer)
            raise NetworkError(f"{where}: failed ({type(e).__name__}: {_one_line(e)})") \
                from None
        if len(raw) > MAX_RESPONSE_BYTES:
            raise NetworkError(f"{where}: answer larger than {MAX_RESPONSE_BYTES} bytes", status)
        try:
            obj = parse_json(raw, "answer")
        except ValueError as e:
            raise NetworkError(f"{where}: HTTP {status}: {e}",
                               status) from None
        if not 200 <= status < 300:
            detail = obj.get("error") if isinstance(obj, dict) else None
            raise NetworkError(f"{where}: HTTP {status}: {_one_line(detail or obj)}", status)
        return obj

    def status(self, timeout=None) -> dict:
        return self.request("GET", "/status", timeout=timeout)

    def propose(self, block, timeout=None) -> Attestation:
        """The node's attestation of ``block`` (checked to name this block, not its signature)."""
        obj = self.request("POST", "/propose", block_to_json(block), timeout)
        try:
            att = parse_attestation(obj, f"attestation from {self.url}")
        except ValueError as e:
            raise NetworkError(str(e)) from None
        if (att.height, att.block_hash) != (block.height, block.hash()):
            raise NetworkError(f"attestation from {self.url} is for another block")
        return att

    def finalize(self, signed_block, timeout=None) -> dict:
        return self.request("POST", "/finalize", block_to_json(signed_block), timeout)

    def block(self, height: int, timeout=None):
        """The JSON of the node's finalized block at ``height``, or None (404: past its head)."""
        try:
            return self.request("GET", f"/blocks/{int(height)}", timeout=timeout)
        except NetworkError as e:
            if e.status == 404:
                return None
            raise

    def param_change(self, doc: dict, timeout=None) -> dict:
        """POST a parameter-change document (``ledger.params``); the node's answer."""
        return self.request("POST", "/param-change", doc, timeout=timeout)

    def param_changes(self, height: int, timeout=None) -> list:
        """The parameter-change documents the node applied at ``height`` ([] past its head)."""
        try:
            ans = self.request("GET", f"/param-changes/{int(height)}", timeout=timeout)
        except NetworkError as e:
            if e.status == 404:
                return []
            raise
        changes = ans.get("changes") if isinstance(ans, dict) else None
        if not isinstance(changes, list):
            raise NetworkError(f"{self.url}: parameter changes answer without a 'changes' list")
        return changes


@dataclass
class Round:
    """What one ``run_round`` did, per validator URL."""

    block: object = None                                  # the signed block, or None
    attestations: dict = field(default_factory=dict)      # url → Attestation (accepted)
    refusals: dict = field(default_factory=dict)          # url → reason (one line)
    finalized: dict = field(default_factory=dict)         # url → node's answer
    finalize_errors: dict = field(default_factory=dict)   # url → reason
    stored_hash: str = None                               # apply=True: the local store's result


def _each(urls, call, timeout):
    """``call(url)`` for every URL concurrently; {url: (result, None) | (None, error)}."""
    out, lock = {}, threading.Lock()

    def one(url):
        try:
            res = (call(url), None)
        except ValueError as e:                      # NetworkError and every one-line refusal
            res = (None, _one_line(e))
        except Exception as e:                       # pragma: no cover - a bug, still one line
            res = (None, f"{type(e).__name__}: {_one_line(e)}")
        with lock:
            out[url] = res

    pool = ThreadPoolExecutor(max_workers=max(1, len(urls)), thread_name_prefix="darkmatch-net")
    futures = [pool.submit(one, u) for u in urls]
    wait(futures, timeout=timeout + 5)
    pool.shutdown(wait=False)                        # a stuck socket only keeps its own thread
    with lock:
        return {u: out.get(u, (None, f"no answer within {timeout:g} s")) for u in urls}


def statuses(urls, *, timeout: float = 10.0) -> dict:
    """Every node's ``/status`` at once: {url: status dict, or the one-line error}."""
    urls = list(dict.fromkeys(urls))
    return {u: (err if err is not None else st) for u, (st, err) in
            _each(urls, lambda u: NodeClient(u, timeout).status(), timeout).items()}


def run_round(urls, block, quorum, *, timeout: float = DEFAULT_TIMEOUT, apply: bool = False):
    """Propose ``block`` to every URL, collect a quorum, broadcast the finalize (module doc)."""
    urls = list(dict.fromkeys(urls))
    clients = {u: NodeClient(u, timeout) for u in urls}
    result = Round()
    for url, (att, err) in _each(urls, lambda u: clients[u].propose(block), timeout).items():
        if err is None:
            try:
                quorum.add(att, block)
            except ValueError as e:                  # forged, unknown, evidence (Misbehaviour)
                err = _one_line(e)
        if err is None:
            result.attestations[url] = att
        else:
            result.refusals[url] = err
    if not quorum.is_final(block.height, block.hash()):
        return result
    result.block = quorum.signed_block(block)
    for url, (ans, err) in _each(urls, lambda u: clients[u].finalize(result.block),
                                 timeout).items():
        if err is None:
            result.finalized[url] = ans
        else:
            result.finalize_errors[url] = err
    if apply:
        result.stored_hash = quorum.finalize(block)
    return result


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
                on_bad(f"parameter change at height {want - 1}: {_one_line(e)}")
            return stored
        if obj is None:
            return stored
        try:
            block = block_from_json(obj, f"block {want} from {url}")
            if block.height != want:
                raise ValueError(f"asked for block {want}, got block {block.height}")
            quorum.finalize_signed(block)
        except ValueError as e:                      # Misbehaviour included: evidence stored
            if on_bad is not None:
                on_bad(f"block {want}: {_one_line(e)}")
            return stored
        quorum.forget(want + 1)
        stored += 1


def _sync_param_changes(store, client, height) -> None:
    """Apply (re-checked) the parameter changes ``client``'s node recorded at ``height``."""
    from ledger.chain.params import apply_approved, approval_from_json
    have = [c for c, _ in store.param_approvals(height)]
    for doc in client.param_changes(height):
        change, h, sigs = approval_from_json(doc)
        if h != height:
            raise ValueError(f"asked for height {height}, got a change at {h}")
        if change not in have:
            apply_approved(store, change, h, sigs)
            have.append(change)
