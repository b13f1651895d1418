"""The command-line options of a validator node, shared by ``darkmatch validator run`` and
``python -m ledger.node.server``.

A module of its own so that building the ``darkmatch`` parser loads neither the
HTTP server (Flask) nor the verifier (tests/test_layers.py).
"""

__all__ = ["add_run_arguments"]


def add_run_arguments(p) -> None:
    """Add a node's options (``--home``, ``--host``, ``--port``, ``--peer``, ``--threads``,
    ``--peer-timeout``, ``--rpc``, ``--deployment``, ``--single-phase``) to ``p``."""
    p.add_argument("--home", required=True, metavar="DIR",
                   help="validator home (darkmatch validator init)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: loopback only)")
    p.add_argument("--port", type=int, default=0,
                   help="TCP port (default 0: any free port; the URL goes to DIR/node.url)")
    from ledger.core.arguments import node_url
    p.add_argument("--peer", action="append", default=[], metavar="URL", type=node_url,
                   help="another validator node to catch up from (repeatable)")
    p.add_argument("--threads", type=int, default=4, help="HTTP worker threads (default 4)")
    p.add_argument("--rpc", metavar="URL", help="an Ethereum node to watch the settlement "
                   "contract on (hard finality in /status; needs --deployment)")
    p.add_argument("--deployment", metavar="FILE",
                   help="deployment.json of the ledger's settlement contract")
    p.add_argument("--single-phase", action="store_true",
                   help="also answer single-phase proposals (POST /propose; legacy: a height "
                        "run that way stops for good if its proposal is lost, "
                        "docs/liveness.md); by default every height runs in rounds")
    p.add_argument("--peer-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="seconds each request to a peer may take (default 10)")
