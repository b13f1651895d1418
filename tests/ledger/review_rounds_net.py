"""Test helpers for the rounds review: byzantine validators the operator talks to over HTTP —
``Fake`` answers every request with one fixed JSON value; ``Relay`` forwards each round
request to an honest node and answers with that node's vote passed through ``change`` —
and ``honest_validators``, the three honest served nodes beside them."""

import contextlib
import json
import threading

from liveness_net import Served, node_home

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ledger.chain.store import Store
from ledger.node.client import NodeClient

__all__ = ["Fake", "Relay", "honest_validators"]


@contextlib.contextmanager
def honest_validators(chain, root):
    """(three served honest validators v0..v2 of ``chain``, an operator store at genesis)."""
    served = [Served(node_home(chain, root, f"v{i}")) for i in range(3)]
    store = Store.open(root / "op.db")
    store.init_genesis(chain["genesis"])
    try:
        yield served, store
    finally:
        for s in served:
            s.stop()


class _Served:
    def _serve(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Fake(_Served):
    """Answers every request with ``answer`` (JSON)."""

    def __init__(self, answer):
        def app(environ, start):
            return Response(json.dumps(answer), mimetype="application/json")(environ, start)
        self._serve(app)


class Relay(_Served):
    """Asked ``POST /round/<phase>``, asks ``honest_url`` the same and answers its vote
    through ``change`` (a function of the vote's JSON)."""

    def __init__(self, honest_url, change=lambda vote: vote):
        def app(environ, start):
            req = Request(environ)
            phase = req.path.rsplit("/", 1)[-1]
            ans = NodeClient(honest_url, 30).round_vote(phase, json.loads(req.get_data()))
            return Response(json.dumps(change(ans)), mimetype="application/json")(environ,
                                                                                    start)
        self._serve(app)
