"""HTTP client side of the validator network: talk to validator nodes (``ledger.node.server``).

The protocol (JSON in and out, loopback by default; see ``ledger.node.server``):

* ``GET /status`` → the node's chain, validator and head;
* ``POST /propose`` with a block (no signatures) → the validator's
  attestation ``{"validator", "height", "hash", "signature"}`` (hex), or a
  4xx ``{"error": one line}`` when it will not sign;
* ``POST /finalize`` with the block and the quorum's signatures →
  ``{"status": "stored" | "known", "height", "hash"}`` or a 4xx;
* ``GET /blocks/<height>`` → a finalized block with its signatures, 404 past
  the node's head;
* ``GET /observations/<market>/<height>`` → the validator's signed price
  observation for that block (``observation``).
* ``GET /evidence`` → the evidence the node holds that no block carried yet
  (``ledger.core.evidence`` objects, shape-checked here).

``NodeClient(url)`` wraps one node; every call has a timeout, reads at most
``MAX_RESPONSE_BYTES`` and raises ``NetworkError`` (one line) when the node is
unreachable, slow, answers non-JSON, or answers a 4xx (``.status`` holds the
HTTP status, 0 when there was no answer).

Both sides read JSON with ``ledger.core.codec.parse_json`` (UTF-8, no
NaN/Infinity, nesting bounded before parsing).

``each(urls, call, timeout)`` calls every node at once (threads: a down, slow
or faulty node only costs its own slot); ``statuses(urls)`` asks every
node's ``/status`` that way.  The operator's round over these calls is
``ledger.operator.round``; catch-up is ``ledger.node.catchup``.

``NetworkError`` is a ``DarkmatchError`` of its own kind (HTTP 502 when
relayed, exit status 1): the request could not be completed, which is
neither the caller's bad input nor a rule of the chain.
"""

import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor, wait

from verifier.errors import DarkmatchError

from ledger.core.block import block_to_json
from ledger.core.evidence import evidence_from_json
from ledger.core.codec import canonical_json, check_fields, get_hex, get_int, get_str, parse_json
from ledger.core.genesis import NAME_PATTERN
from ledger.core.keys import SIGNATURE_BYTES
from ledger.core.limits import HEIGHT_BOUND
from ledger.core.observation import observation_from_json
from ledger.chain.validator import Attestation

__all__ = ["NetworkError", "NodeClient", "each", "statuses", "one_line", "parse_attestation",
           "attestation_to_json", "MAX_RESPONSE_BYTES", "DEFAULT_TIMEOUT"]

MAX_RESPONSE_BYTES = 16 << 20
DEFAULT_TIMEOUT = 60.0
#: No proxies: validator URLs are direct (loopback), whatever http_proxy says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class NetworkError(DarkmatchError, ValueError):
    """A node that could not be reached or refused; ``status`` is the HTTP status (0: none)."""

    http_status = 502
    exit_code = 1

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.status = status


def one_line(text) -> str:
    text = str(text).strip()
    return text.splitlines()[0][:300] if text else "no detail"


def attestation_to_json(att) -> dict:
    return {"validator": att.validator, "height": att.height, "hash": att.block_hash,
            "signature": att.signature.hex()}


def parse_attestation(obj, what: str = "attestation") -> Attestation:
    """An ``Attestation`` from its JSON object; one-line ``ValueError`` if malformed."""
    check_fields(obj, what, ("validator", "height", "hash", "signature"))
    return Attestation(get_str(obj, "validator", what, NAME_PATTERN),
                       get_int(obj, "height", what, 1, HEIGHT_BOUND),
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
            raise NetworkError(f"{where}: unreachable ({one_line(reason)})") from None
        except Exception as e:      # http.client's protocol errors (e.g. a node killed mid-answer)
            raise NetworkError(f"{where}: failed ({type(e).__name__}: {one_line(e)})") \
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
            raise NetworkError(f"{where}: HTTP {status}: {one_line(detail or obj)}", status)
        return obj

    def status(self, timeout=None) -> dict:
        """The node's ``/status``, checked to have the fields callers read (a peer may lie
        about anything, but not crash its reader): a ``NetworkError`` otherwise."""
        obj = self.request("GET", "/status", timeout=timeout)
        what = f"/status from {self.url}"
        try:
            if not isinstance(obj, dict):
                raise ValueError(f"{what}: expected a JSON object, got {type(obj).__name__}")
            head = obj.get("head")
            if not isinstance(head, dict) or not {"height", "hash"} <= set(head):
                raise ValueError(f"{what}: head must be an object with height and hash")
            get_int(head, "height", f"{what}: head", 0, HEIGHT_BOUND)
            get_hex(head, "hash", f"{what}: head", 32)
            get_str(obj, "validator", what, NAME_PATTERN) if "validator" in obj else None
            for key in ("chain_id", "genesis_hash"):
                if key in obj and not isinstance(obj[key], str):
                    raise ValueError(f"{what}: {key} must be a string")
            if not isinstance(obj.get("ethereum", {}), (dict, type(None))):
                raise ValueError(f"{what}: ethereum must be an object")
        except ValueError as e:                  # it answered (2xx), but not a status
            raise NetworkError(str(e), 200) from None
        return obj

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

    def round_vote(self, phase: str, body: dict, timeout=None) -> dict:
        """``POST /round/<phase>`` (prevote, precommit, attest): the node's answer, unparsed."""
        return self.request("POST", f"/round/{phase}", body, timeout)

    def round_lock(self, height: int, timeout=None) -> dict:
        return self.request("GET", f"/round/lock/{height}", timeout=timeout)

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

    def observation(self, market_id: int, height: int, timeout=None):
        """The node's signed ``Observation`` for ``market_id`` at ``height`` (checked to name
        them; the signature is the oracle quorum's to check)."""
        obj = self.request("GET", f"/observations/{int(market_id)}/{int(height)}",
                           timeout=timeout)
        try:
            o = observation_from_json(obj, f"observation from {self.url}")
        except ValueError as e:
            raise NetworkError(str(e)) from None
        if (o.market_id, o.height) != (market_id, height):
            raise NetworkError(f"observation from {self.url} is for another market or height")
        return o

    def anchor(self, height: int, timeout=None) -> dict:
        """The node's Ethereum signature of its final block ``height`` (``GET /anchor/<h>``)."""
        return self.request("GET", f"/anchor/{int(height)}", timeout=timeout)

    def evidence(self, timeout=None) -> list:
        """The evidence objects the node holds (``GET /evidence``), shape-checked."""
        ans = self.request("GET", "/evidence", timeout=timeout)
        items = ans.get("evidence") if isinstance(ans, dict) else None
        if not isinstance(items, list):
            raise NetworkError(f"{self.url}: evidence answer without an 'evidence' list")
        try:
            return [evidence_from_json(e, f"evidence from {self.url}") for e in items]
        except ValueError as e:
            raise NetworkError(str(e)) from None

    def param_change(self, doc: dict, timeout=None) -> dict:
        """POST a parameter-change document (``ledger.chain.params``); the node's answer."""
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


def each(urls, call, timeout):
    """``call(url)`` for every URL concurrently; {url: (result, None) | (None, error)}."""
    out, lock = {}, threading.Lock()

    def one(url):
        try:
            res = (call(url), None)
        except ValueError as e:                      # NetworkError and every one-line refusal
            res = (None, one_line(e))
        except Exception as e:                       # pragma: no cover - a bug, still one line
            res = (None, f"{type(e).__name__}: {one_line(e)}")
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
            each(urls, lambda u: NodeClient(u, timeout).status(), timeout).items()}
