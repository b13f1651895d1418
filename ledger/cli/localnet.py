"""``darkmatch localnet up|down|status``: a whole network on this machine in one command.

* ``localnet up [--dir D] [--validators 4] [--traders 8] [--slots N] [--base-port 8700]``
  — in a fresh folder, with the same commands a user would run: validator
  keys, trader accounts, an operator key, a genesis naming it (one market,
  the demo's parameters), an
  operator home (development SRS, the N×N settlement circuit, N =
  ``--slots``, default the number of traders), one node home per validator;
  then starts every node as a background
  process on ports base, base+1, … of 127.0.0.1, each the others' peer
  (``ledger.node.daemon``: pid in ``node.pid``, output in ``node.log``), waits
  until each answers ``/status``, and prints the commands for a batch.  In a
  folder that already holds a localnet it only starts the nodes that are not
  running (after a crash or a ``down``): the ledger they hold is kept.
* ``localnet down [--dir D]`` — stops every node (SIGTERM, then SIGKILL).
* ``localnet status [--dir D] [--json]`` — per node: name, URL, pid, head
  height, or ``stopped``; exit 0 when every node runs, 1 otherwise.

Layout of ``D`` (default ``darkmatch-localnet``)::

    localnet.json            {"kind": "darkmatch-localnet", "version": 1, "chain_id",
                              "nodes": [{"name", "home", "url"}], "traders": [dir, ...],
                              "operator": dir}
    genesis.json             keys/v<i>.pem (validators' keys, 0600), keys/operator.pem (the
                             genesis's operator: the one key whose proposals validators sign)
    traders/t<i>/            key.pem + account.json (``darkmatch account``), account id i
    operator/                the operator home (``darkmatch operator init``)
    nodes/v<i>/              node homes (``darkmatch validator init``)

Bad input (a taken port, counts out of range, a folder that is a file) is
one line, exit 2, and nothing is started; a first ``up`` that fails midway
removes what it wrote; a node that does not come up stops the ones this
command started, with the tail of its log.
"""

import json
import os

__all__ = ["register", "run_up", "run_down", "run_status", "LOCALNET_KIND"]

LOCALNET_KIND, LOCALNET_FILE = "darkmatch-localnet", "localnet.json"
CHAIN_ID = "darkmatch-localnet"


def _write_json(path, obj, mode=0o644):
    from ledger.core.keys import atomic_write
    atomic_write(path, (json.dumps(obj, indent=1) + "\n").encode(), mode=mode, overwrite=True)


def _relative(value, what):
    """``value`` if it is a relative path inside the network's folder; else a CodecError."""
    from ledger.core.codec import CodecError
    if (not isinstance(value, str) or not value or "\0" in value or os.path.isabs(value)
            or ".." in value.replace("\\", "/").split("/")):
        raise CodecError(f"{what} must be a relative folder inside the network's folder")
    return value


def _load(folder):
    import argparse

    from ledger.cli.main import UserError
    from ledger.core.arguments import node_url
    from ledger.core.codec import CodecError, check_object, get_str, load_json_file
    from ledger.core.genesis import NAME_PATTERN
    path = os.path.join(folder, LOCALNET_FILE)
    if not os.path.isfile(path):
        raise UserError(f"{folder} holds no local network (no {LOCALNET_FILE}; "
                        "run: darkmatch localnet up)")
    try:
        doc = check_object(load_json_file(path, "localnet"), path, LOCALNET_KIND, 1,
                           ("chain_id", "nodes", "traders", "operator"))
        nodes = doc["nodes"]
        if not isinstance(nodes, list) or not nodes or not all(
                isinstance(n, dict) and set(n) == {"name", "home", "url"} for n in nodes):
            raise CodecError(f"{path}: nodes must be a non-empty list of {{name, home, url}}")
        for i, n in enumerate(nodes):
            get_str(n, "name", f"{path}: nodes[{i}]", NAME_PATTERN)
            _relative(n["home"], f"{path}: nodes[{i}].home")
            try:
                node_url(n["url"])
            except argparse.ArgumentTypeError as e:
                raise CodecError(f"{path}: nodes[{i}].url: {e}") from None
        traders = doc["traders"]
        if not isinstance(traders, list) or len(traders) < 2:
            raise CodecError(f"{path}: traders must be a list of at least two folders")
        for i, t in enumerate(traders):
            _relative(t, f"{path}: traders[{i}]")
        _relative(doc["operator"], f"{path}: operator")
    except CodecError as e:
        raise UserError(str(e)) from None
    return doc


def _command(argv, quiet=True) -> str:
    """Run one ``darkmatch`` command in this process (its own parser, so every option it
    has gets its default); its output, printed unless ``quiet``."""
    import contextlib
    import io

    from ledger.cli.main import build_parser
    args = build_parser().parse_args([str(a) for a in argv])
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        args.func(args)
    if not quiet:
        print(buf.getvalue(), end="")
    return buf.getvalue()


def _create(args):
    """Lay out a fresh localnet in ``args.dir`` (module doc) with the commands a user would
    run — ``account new``, ``validator key``, ``genesis new``, ``operator init``,
    ``validator init`` — so that it holds what they write; its document."""
    from ledger.core.keys import load_private_key, public_key_hex
    from ledger.operator.scenario import CASH, MARK_PRICE, MARKET, STAKE
    d = args.dir
    traders = [os.path.join(d, "traders", f"t{i}") for i in range(1, args.traders + 1)]
    for i, t in enumerate(traders, start=1):
        _command(["account", "new", "--out", t, "--id", i])
    names = [f"v{i}" for i in range(args.validators)]
    os.makedirs(os.path.join(d, "keys"), mode=0o700, exist_ok=True)
    argv = ["genesis", "new", "--chain-id", CHAIN_ID, "--out", os.path.join(d, "genesis.json"),
            "--market", f"{MARKET.market_id},{MARKET.im_bps},{MARKET.mm_bps},{MARKET.fee_bps},"
                        f"{MARKET.band_bps},{MARK_PRICE}"]
    for name in names:
        kpath = os.path.join(d, "keys", f"{name}.pem")
        _command(["validator", "key", "--out", kpath])
        argv += ["--validator", f"{name},{public_key_hex(load_private_key(kpath))},{STAKE}"]
    for t in traders:
        argv += ["--account", f"{t},{CASH}"]
    op_key = os.path.join(d, "keys", "operator.pem")     # the one key that may propose
    _command(["validator", "key", "--out", op_key])
    _command(argv + ["--operator", op_key])
    gpath, op = os.path.join(d, "genesis.json"), os.path.join(d, "operator")
    _command(["operator", "init", "--home", op, "--genesis", gpath, "--slots",
              args.slots or args.traders, "--key", op_key], quiet=False)
    nodes = []
    for i, name in enumerate(names):
        home = os.path.join(d, "nodes", name)
        _command(["validator", "init", "--home", home, "--genesis", gpath, "--key",
                  os.path.join(d, "keys", f"{name}.pem"), "--vk",
                  os.path.join(op, "verification_key.json")])
        nodes.append({"name": name, "home": os.path.relpath(home, d),
                      "url": f"http://127.0.0.1:{args.base_port + i}"})
    doc = {"kind": LOCALNET_KIND, "version": 1, "chain_id": CHAIN_ID, "nodes": nodes,
           "traders": [os.path.relpath(t, d) for t in traders],
           "operator": os.path.relpath(op, d)}
    _write_json(os.path.join(d, LOCALNET_FILE), doc)        # last: marks a complete localnet
    return doc


def _remove_partial(folder, existed: bool) -> None:
    """Remove what a failed ``_create`` wrote: the folder if it made it, else its contents
    (it was empty: ``run_up`` refuses a folder with anything in it)."""
    import shutil
    if not existed:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)


def _check_up_args(args):
    from ledger.cli.main import UserError
    from ledger.core.limits import MAX_BATCH_SLOTS
    if os.path.exists(args.dir) and not os.path.isdir(args.dir):
        raise UserError(f"--dir is not a directory: {args.dir}")
    if not 1 <= args.validators <= 32:
        raise UserError("--validators must be between 1 and 32")
    if not 2 <= args.traders <= MAX_BATCH_SLOTS:
        raise UserError(f"--traders must be between 2 and {MAX_BATCH_SLOTS}")
    if args.slots is not None and not 1 <= args.slots <= MAX_BATCH_SLOTS:
        raise UserError(f"--slots must be between 1 and {MAX_BATCH_SLOTS}")
    if not 1024 <= args.base_port <= 65535 - args.validators:
        raise UserError(f"--base-port must be in [1024, {65535 - args.validators}]")


def run_up(args) -> int:
    from urllib.parse import urlsplit

    from ledger.cli.main import UserError
    from ledger.node import daemon
    _check_up_args(args)                       # bad flags are refused even on a restart
    if not os.path.isfile(os.path.join(args.dir, LOCALNET_FILE)):
        for i in range(args.validators):
            if not daemon.port_free("127.0.0.1", args.base_port + i):
                raise UserError(f"port {args.base_port + i} on 127.0.0.1 is taken: choose "
                                "another --base-port")
        if os.path.isdir(args.dir) and os.listdir(args.dir):
            raise UserError(f"{args.dir} is not empty and holds no local network: choose "
                            "another --dir")
        print(f"creating a local network in {args.dir}: {args.validators} validators, "
              f"{args.traders} traders")
        existed = os.path.isdir(args.dir)
        try:
            doc = _create(args)
        except BaseException:                  # leave no half-made network behind
            _remove_partial(args.dir, existed)
            raise
    else:
        doc = _load(args.dir)
        print(f"restarting the local network in {args.dir} (its ledger is kept)")
    urls = [n["url"] for n in doc["nodes"]]
    todo = []
    for n in doc["nodes"]:
        home = os.path.join(args.dir, n["home"])
        pid = daemon.running(home)
        if pid is not None:
            print(f"  {n['name']} already runs (pid {pid}) on {n['url']}")
            continue
        port = urlsplit(n["url"]).port
        if not daemon.port_free("127.0.0.1", port):
            raise UserError(f"port {port} of {n['name']} on 127.0.0.1 is taken by another "
                            "program")
        todo.append((n, home, port))
    started = []
    try:
        for n, home, port in todo:
            peers = [u for u in urls if u != n["url"]]
            started.append((n, home, daemon.start(home, port, peers)))
        for n, home, pid in started:
            daemon.wait_ready(home, pid, args.wait)
            print(f"  {n['name']} runs (pid {pid}) on {n['url']}")
    except BaseException:
        for _, home, _ in started:
            daemon.stop(home, grace=2.0)
        raise
    d = args.dir
    t = doc["traders"]
    vflags = " ".join(f"--validator {u}" for u in urls)
    print("a batch (orders of two traders, then the operator proves and finalizes it):")
    print(f"  darkmatch order new --account-dir {d}/{t[0]} --market 1 --side buy --price 50100 "
          f"--size 3 --out {d}/orders --genesis {d}/genesis.json")
    print(f"  darkmatch order new --account-dir {d}/{t[1]} --market 1 --side sell --price 49900 "
          f"--size 3 --out {d}/orders --genesis {d}/genesis.json")
    print(f"  darkmatch operator batch --home {d}/{doc['operator']} --orders {d}/orders {vflags}")
    print(f"stop it with: darkmatch localnet down --dir {d}")
    return 0


def run_down(args) -> int:
    from ledger.node import daemon
    doc = _load(args.dir)
    for n in doc["nodes"]:
        pid = daemon.stop(os.path.join(args.dir, n["home"]), grace=args.grace)
        print(f"  {n['name']}: " + (f"stopped (pid {pid})" if pid else "was not running"))
    return 0


def run_status(args) -> int:
    from ledger.node import daemon
    from ledger.node.client import statuses
    doc = _load(args.dir)
    pids = {n["name"]: daemon.running(os.path.join(args.dir, n["home"])) for n in doc["nodes"]}
    live = [n["url"] for n in doc["nodes"] if pids[n["name"]]]
    answers = statuses(live, timeout=2.0) if live else {}
    rows = []
    for n in doc["nodes"]:
        st = answers.get(n["url"])
        height = st["head"]["height"] if isinstance(st, dict) else None
        rows.append({"name": n["name"], "url": n["url"], "pid": pids[n["name"]],
                     "height": height,
                     "error": st if isinstance(st, str) else None})
    if args.json:
        print(json.dumps({"chain_id": doc["chain_id"], "nodes": rows}))
    else:
        for r in rows:
            if r["pid"] is None:
                print(f"{r['name']}  {r['url']}  stopped")
            elif r["height"] is None:
                print(f"{r['name']}  {r['url']}  pid {r['pid']}  not answering: {r['error']}")
            else:
                print(f"{r['name']}  {r['url']}  pid {r['pid']}  height {r['height']}")
    return 0 if all(r["height"] is not None for r in rows) else 1


def register(sub) -> None:
    from ledger.core.arguments import timeout_seconds
    p = sub.add_parser("localnet", help="a local network: keys, genesis, background nodes",
                       description="Bring up, inspect or stop a whole network on this "
                                   "machine (validators as background processes).")
    s = p.add_subparsers(dest="localnet_command", metavar="ACTION", required=True,
                         parser_class=type(p))
    u = s.add_parser("up", help="create (first time) and start every node",
                     description="Create a local network in --dir (first time) and start "
                                 "every validator node in the background.")
    u.add_argument("--dir", default="darkmatch-localnet", metavar="DIR")
    u.add_argument("--validators", type=int, default=4, help="validators (default 4)")
    u.add_argument("--traders", type=int, default=8, help="trader accounts (default 8)")
    u.add_argument("--slots", type=int, help="order and account slots per batch "
                   "(default: the number of traders)")
    u.add_argument("--base-port", type=int, default=8700, help="first node's port (default "
                   "8700; the others follow)")
    u.add_argument("--wait", type=timeout_seconds, default=120.0,
                   help="seconds to wait for each node to answer (default 120)")
    u.set_defaults(func=run_up)
    d = s.add_parser("down", help="stop every node", description="Stop every node of --dir.")
    d.add_argument("--dir", default="darkmatch-localnet", metavar="DIR")
    d.add_argument("--grace", type=timeout_seconds, default=10.0,
                   help="seconds between SIGTERM and SIGKILL (default 10)")
    d.set_defaults(func=run_down)
    t = s.add_parser("status", help="each node's pid and head height",
                     description="Each node's URL, pid and head height (exit 1 unless all "
                                 "answer).")
    t.add_argument("--dir", default="darkmatch-localnet", metavar="DIR")
    t.add_argument("--json", action="store_true", help="one JSON object")
    t.set_defaults(func=run_status)
