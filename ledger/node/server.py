"""A validator node's HTTP API: a Flask app over ``ledger.node.Node``, served by waitress.

Routes (JSON in and out; the client side is ``ledger.node.client``):

    GET  /status            chain id, genesis hash, validator, head {height, hash}, state root,
                            peers, bad_peers (peers that served a bad block), syncing,
                            ethereum {address, soft, hard, contract, collateral, cap, ...}
    POST /propose           legacy single-phase proposal, answered only by a node run with
                            --single-phase (else 409): a block without signatures → the
                            attestation {"validator", "height", "hash", "signature"} (hex)
    POST /finalize          a block with its signatures → {"status": "stored"|"known", ...}
    GET  /blocks/<height>   a finalized block with its signatures; 404 past the head
    POST /param-change      a parameter change with its quorum's signatures (``ledger.chain.params``)
                            → {"status": "applied"|"known", ...}; 409 at another head
    GET  /param-changes/<height>   the changes applied at that height, with their signatures
    GET  /observations/<market>/<height>   this validator's signed price observation for the
                            next block of an oracle market (``ledger.node.observer``)
    GET  /metrics           public figures in Prometheus text format (``ledger.node.metrics``)
    GET  /anchor/<height>   the final block's anchor hash and this validator's Ethereum
                            signature of it {"height", "anchor", "address", "signature"}
                            (``ledger.node.ethereum``); 404 past the head or without eth.key
    GET  /evidence          the evidence this node holds (``ledger.core.evidence`` objects)
    POST /evidence          evidence a peer caught (``ledger.node.gossip``) → {"added", "known"}
    POST /round/prevote, /round/precommit, /round/attest, GET /round/lock/<height>
                            the two-phase rounds every height runs in (``ledger.node.rounds_api``)

**Errors** are ``{"error": "<one line>"}`` with a 4xx status: 400 malformed
input (not JSON, wrong kind, bad field), 404 unknown route or height, 405
wrong method, 409 conflicts with the node's state (height already final or
already signed, node behind), 413 body too large, 422 a well-formed block that
fails a check.  A rejected request stores nothing (evidence excepted, see
``ledger.node``).  An unexpected exception is logged with its traceback on the
node's stderr and answered 500 ``{"error": "internal error ..."}`` — the client
never sees a traceback.

**Limits.**  Request bodies are at most ``MAX_REQUEST_BYTES`` (Flask answers a
JSON 413); waitress refuses bodies over twice that before reading them (its
own plain-text 413), and a request line it cannot decode (bytes not valid in
a URI) with its own plain-text 400.  JSON is parsed strictly
(``ledger.core.codec.parse_json``): UTF-8, no NaN/Infinity, no repeated key, no
integer past Python's digit limit, at most 64 levels of nesting.  A height in a
path is ASCII decimal digits below 2^63 (SQLite's integers).

**Binding.**  127.0.0.1 unless ``--host`` says otherwise (with a warning: the
API has no authentication and is meant for loopback or a private network).
``--port 0`` takes a free port.  Once listening, the node writes its URL to
``HOME/node.url`` (atomically; a stale one is removed at start) and prints it,
then catches up from its peers in the background.

``python -m ledger.node.server --home DIR [...]`` runs a node like
``darkmatch validator run`` without loading the other CLI commands (some of
which import the prover); the node itself imports neither ``prover`` nor
``numba``.
"""

import argparse
import ipaddress
import json
import os
import sys
import traceback

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from verifier.errors import BadInput, DarkmatchError

from ledger.core.codec import parse_json
from ledger.core.errors import error_line
from ledger.core.keys import atomic_write
from ledger.core.limits import HEIGHT_BOUND
from ledger.node.metrics import install_metrics
from ledger.node.options import add_run_arguments
from ledger.node.rounds_api import round_attest, round_lock, round_precommit, round_prevote
from ledger.node.service import PEER_TIMEOUT, URL_FILE, Node

__all__ = ["create_app", "serve", "run_node", "main", "MAX_REQUEST_BYTES"]

MAX_REQUEST_BYTES = 4 << 20          # a block with a proof and 64 orders is ~60 KiB
_HEIGHT_DIGITS = 19
_ROUND_CALLS = {"prevote": round_prevote, "precommit": round_precommit, "attest": round_attest}


def _reply(obj, status=200) -> Response:
    return Response(json.dumps(obj, sort_keys=True) + "\n", status=status,
                    mimetype="application/json")


def _error(status, message) -> Response:
    text = " ".join(str(message).split())[:500] or "error"
    return _reply({"error": text}, status)


def _body():
    data = request.get_data(cache=False)          # 413 past MAX_CONTENT_LENGTH
    if not data:
        raise BadInput("empty request body: expected a JSON block")
    return parse_json(data, "request body")            # CodecError (BadInput) if malformed


def _height(text: str, what: str = "height") -> int:
    """A path's height or market: ASCII decimal digits, below ``HEIGHT_BOUND`` (SQLite's int64)."""
    if (not text.isascii() or not text.isdigit() or len(text) > _HEIGHT_DIGITS
            or int(text) >= HEIGHT_BOUND):
        raise BadInput(f"{what} must be a decimal integer below {HEIGHT_BOUND}")
    return int(text)


def create_app(node: Node) -> Flask:
    """The Flask app of ``node`` (routes and errors in the module docstring)."""
    app = Flask("ledger.node.server")
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES

    @app.errorhandler(DarkmatchError)
    def _refused(e):                # the one mapping of the error kinds to HTTP statuses
        return _error(e.http_status, e)

    @app.errorhandler(HTTPException)
    def _http_error(e):
        return _error(e.code or 400, f"{e.code} {e.name}: {e.description}")

    @app.errorhandler(Exception)
    def _unexpected(e):
        node.log(f"internal error on {request.method} {request.path}:\n"
                 + traceback.format_exc().rstrip())
        return _error(500, f"internal error ({type(e).__name__}); see the node's log")

    @app.get("/status")
    def _status():
        return _reply(node.status())

    @app.post("/propose")
    def _propose():
        return _reply(node.propose(_body()))

    @app.post("/finalize")
    def _finalize():
        return _reply(node.finalize(_body()))

    @app.get("/blocks/<height>")
    def _block(height):
        return _reply(node.block(_height(height)))

    @app.get("/anchor/<height>")
    def _anchor(height):
        return _reply(node.anchor(_height(height)))

    @app.get("/evidence")
    def _evidence():
        return _reply(node.evidence())

    @app.post("/evidence")
    def _accept_evidence():
        return _reply(node.accept_evidence(_body()))

    @app.post("/param-change")
    def _param_change():
        return _reply(node.param_change(_body()))

    @app.get("/param-changes/<height>")
    def _param_changes(height):
        return _reply(node.param_changes(_height(height)))

    @app.get("/observations/<market>/<height>")
    def _observation(market, height):
        return _reply(node.observation(_height(market, "market"), _height(height)))

    @app.post("/round/<phase>")
    def _round(phase):
        if phase not in _ROUND_CALLS:
            return _error(404, f"404 Not Found: no round phase {phase!r}")
        return _reply(_ROUND_CALLS[phase](node, _body()))

    @app.get("/round/lock/<height>")
    def _round_lock(height):
        return _reply(round_lock(node, _height(height)))

    install_metrics(app, node)
    return app


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(node: Node, host: str = "127.0.0.1", port: int = 0, threads: int = 4) -> None:
    """Listen, write ``node.url``, catch up in the background, serve until killed."""
    import waitress
    app = create_app(node)
    try:
        server = waitress.create_server(app, host=host, port=port, threads=threads,
                                        max_request_body_size=2 * MAX_REQUEST_BYTES,
                                        ident="darkmatch-validator")
    except OSError as e:
        raise BadInput(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    node.url = _url(host, server.effective_port)
    atomic_write(os.path.join(node.home, URL_FILE), (node.url + "\n").encode(), mode=0o644,
                 overwrite=True)
    height, head = node.store.head()
    print(f"validator {node.name} of {node.chain_id} listening on {node.url} "
          f"(head {height} {head[:16]}…)", flush=True)
    node.start_catch_up()
    try:
        server.run()
    finally:
        server.close()


def _node(home, peers, **chain) -> Node:
    """A ``Node``, or the test-only ``FaultyNode`` when ``DARKMATCH_NODE_FAULT`` is set."""
    from ledger.node.faults import FAULT_ENV, FaultyNode     # only the name, until it is set
    fault = os.environ.get(FAULT_ENV)
    return FaultyNode(home, peers, fault=fault, **chain) if fault else Node(home, peers, **chain)


def run_node(args) -> int:
    """Run a node from parsed ``validator run`` options; one-line ``BadInput`` on bad input."""
    if not 0 <= args.port < 1 << 16:
        raise BadInput("--port must be in [0, 65535]")
    if not 1 <= args.threads <= 64:
        raise BadInput("--threads must be in [1, 64]")
    peer_timeout = getattr(args, "peer_timeout", PEER_TIMEOUT)
    if not 0 < peer_timeout <= 3600:                 # NaN and inf fail too
        raise BadInput("--peer-timeout must be a number of seconds in (0, 3600]")
    node = _node(args.home, args.peer, rpc=getattr(args, "rpc", None),
                 deployment=getattr(args, "deployment", None),
                 single_phase=getattr(args, "single_phase", False))
    node.peer_timeout = peer_timeout
    try:
        try:
            os.unlink(os.path.join(args.home, URL_FILE))
        except FileNotFoundError:
            pass
        if not _is_loopback(args.host):
            node.log(f"warning: listening on {args.host}, not loopback; the API has no "
                     "authentication")
        if node.fault:
            node.log(f"TEST FAULT {node.fault} is on (DARKMATCH_NODE_FAULT); never use this "
                     "in production")
        serve(node, args.host, args.port, args.threads)
    finally:
        node.close()
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ledger.node.server",
                                description="Run a darkmatch validator node (HTTP).")
    add_run_arguments(p)
    args = p.parse_args(argv)
    try:
        return run_node(args)
    except DarkmatchError as e:
        print(f"darkmatch validator: error: {error_line(e)}", file=sys.stderr)
        return e.exit_code
    except (ValueError, OSError) as e:
        print(f"darkmatch validator: error: {error_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("darkmatch validator: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
