"""``darkmatch validator key|init|run|show``: a validator node as its own process (HTTP on loopback).

* ``validator key --out FILE`` — a fresh Ed25519 validator key (PKCS#8 PEM,
  mode 0600); prints the public key for the genesis's ``validators`` entry.
* ``validator init --home DIR --genesis G --key K --vk V`` — checks the three
  files (the genesis, a key that is one of the genesis's validators, the
  circuit's verification_key.json) and lays out the node's home folder:
  copies of them, a fresh Ethereum key (``eth.key``, mode 0600: the
  validator's committee member on the settlement contract) and the SQLite
  store at genesis (``ledger.node.service``).  Refuses
  a folder that already holds a node; writes nothing for a bad file.
* ``validator run --home DIR [--host 127.0.0.1] [--port P] [--peer URL ...]``
  — serves the node's HTTP API (``ledger.node.server``: /status, /propose,
  /finalize, /blocks/<h>) until killed, catching up from its peers first.
  ``python -m ledger.node.server`` runs the same node without loading the
  other commands.  A second node on a home in use is refused (exit 1, one
  line naming the folder and the pid holding it: ``ledger.core.lock``).
* ``validator show --home DIR [--json]`` — what the home holds, one
  ``name: value`` line per fact (``ledger.node.facts``): the validator's name
  and public key, chain, stake, head height, last signed height, URL and the
  pid of the node running on it.  Takes no lock; runs beside the node.

Bad input is one line on stderr and exit status 2 (docs/design.md §Bad input).
``validator init`` also refuses a verification key whose number of public
inputs fits no settlement circuit (the key of another circuit).
"""

import os

__all__ = ["register", "run_key", "run_init", "run_run", "run_show"]


def run_key(args) -> int:
    from ledger.cli.main import UserError
    from ledger.core.keys import KeyFileError, generate, public_key_hex, save_private_key
    key = generate()
    try:
        save_private_key(key, args.out, overwrite=args.force)
    except KeyFileError as e:
        raise UserError(str(e)) from None
    print(f"public key {public_key_hex(key)}")
    print(f"wrote {args.out} (private, mode 0600)")
    return 0


def settlement_shapes(n_public: int) -> list:
    """The (N, K) order × account slot counts whose settlement circuit has ``n_public``
    public inputs (``circuits.settlement_data.n_public_inputs``), 1 ≤ N, K ≤ MAX_BATCH_SLOTS."""
    from circuits.settlement_data import n_public_inputs
    from ledger.core.limits import MAX_BATCH_SLOTS
    return [(n, k) for n in range(1, MAX_BATCH_SLOTS + 1) for k in range(1, MAX_BATCH_SLOTS + 1)
            if n_public_inputs(n, k) == n_public]


def _check_settlement_vk(path) -> None:
    """Refuse a verification key whose public inputs fit no settlement circuit."""
    from ledger.cli.main import UserError
    from ledger.node.service import load_verifying_key
    vk = load_verifying_key(path)
    if not settlement_shapes(vk.n_public):
        raise UserError(f"verification key {path} is not a settlement circuit's: its "
                        f"{vk.n_public} public inputs fit no N x K batch (give the "
                        "operator's verification_key.json)")


def run_init(args) -> int:
    from ledger.cli.main import UserError
    from ledger.node.service import init_home
    try:
        _check_settlement_vk(args.vk)
        info = init_home(args.home, args.genesis, args.key, args.vk)
    except ValueError as e:
        raise UserError(str(e)) from None
    except OSError as e:
        raise UserError(f"cannot write {args.home}: {e.strerror or e}") from None
    print(f"validator {info['validator']} of chain {info['chain_id']} "
          f"(genesis {info['genesis_hash'][:16]}…); Ethereum address {info['eth_address']} "
          "(its committee member on the settlement contract)")
    print(f"initialised {os.path.abspath(info['home'])}; start it with: "
          f"darkmatch validator run --home {info['home']}")
    return 0


def run_run(args) -> int:
    from ledger.node.server import run_node
    return run_node(args)          # errors keep their kind: a home in use exits 1, not 2


def run_show(args) -> int:
    import json

    from ledger.node.facts import FACTS, home_facts
    facts = home_facts(args.home)
    if args.json:
        print(json.dumps(facts, sort_keys=False))
        return 0
    for name in FACTS:
        value = facts[name]
        text = "-" if value is None else str(value).lower() if isinstance(value, bool) else value
        print(f"{name}: {text}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("validator", help="run a validator node (HTTP) or set one up",
                       description="A validator node as its own process: key, init, run.")
    s = p.add_subparsers(dest="validator_command", metavar="ACTION", required=True,
                         parser_class=type(p))
    k = s.add_parser("key", help="make a validator key (key.pem, mode 0600)",
                     description="Generate an Ed25519 validator key and print its public key.")
    k.add_argument("--out", default="key.pem", metavar="FILE", help="key file (default key.pem)")
    k.add_argument("--force", action="store_true", help="replace an existing key file")
    k.set_defaults(func=run_key)
    i = s.add_parser("init", help="lay out a node's home folder from checked files",
                     description="Check a genesis, a validator key and a verification key, "
                                 "and create the node's home folder with its store.")
    i.add_argument("--home", required=True, metavar="DIR", help="the node's home folder")
    i.add_argument("--genesis", required=True, metavar="FILE", help="genesis.json")
    i.add_argument("--key", required=True, metavar="FILE", help="the validator's key.pem")
    i.add_argument("--vk", required=True, metavar="FILE", help="verification_key.json")
    i.set_defaults(func=run_init)
    from ledger.node.options import add_run_arguments
    r = s.add_parser("run", help="serve the node's HTTP API",
                     description="Serve a validator node's HTTP API (loopback by default).")
    add_run_arguments(r)
    r.set_defaults(func=run_run)
    w = s.add_parser("show", help="print a node home's validator, keys, stake and heights",
                     description="Print what a validator home holds, one fact per line "
                                 "(or one JSON object with --json); safe beside the node.")
    w.add_argument("--home", required=True, metavar="DIR", help="the node's home folder")
    w.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    w.set_defaults(func=run_show)
