"""An attacker's arguments to the CLI commands added for the network, custody and exit work
(localnet, validator show, account state, exit, chain withdraw, operator batch/monitor,
demo --exit): each answers one ``darkmatch: error:`` line on stderr and a non-zero exit
(2 for bad input), no traceback, and writes nothing."""

import json
import os

import pytest

from circuits.settlement_data import MarketParams
from ledger.cli.main import main
from ledger.core import keys
from ledger.core.genesis import Genesis, GenesisAccount, GenesisMarket, GenesisValidator, genesis_to_json

DEAD = "http://127.0.0.1:1"              # nothing listens: refused at once
ZERO = "0x" + "00" * 20


@pytest.fixture(scope="module")
def t(tmp_path_factory):
    """Bad paths of every kind, a real account folder and a real operator home (one slot)."""
    root = tmp_path_factory.mktemp("hostile-cli")
    assert main(["account", "new", "--out", str(root / "acct"), "--id", "1"]) == 0
    pub = json.loads((root / "acct" / "account.json").read_text())["public_key"]
    g = Genesis("hostile-cli", [GenesisMarket(MarketParams(0, 1000, 500, 10, 500), 100)],
                [GenesisValidator("v0", 10, keys.public_key_hex(keys.generate()))],
                [GenesisAccount(1, pub, 1000), GenesisAccount(2, keys.public_key_hex(keys.generate()), 1000)])
    (root / "genesis.json").write_text(json.dumps(genesis_to_json(g)))
    assert main(["operator", "init", "--home", str(root / "op"), "--genesis",
                 str(root / "genesis.json"), "--slots", "1"]) == 0
    (root / "file").write_text("x")
    (root / "dir").mkdir()
    (root / "bad.json").write_text("{")
    (root / "net").mkdir()
    (root / "net" / "localnet.json").write_text("{")
    return root


def _paths(t):
    return {"F": str(t / "file"), "D": str(t / "dir"), "N": str(t / "nope"), "B": str(t / "bad.json"),
            "A": str(t / "acct"), "O": str(t / "op"), "L": str(t / "net"), "T": str(t)}


def _tree(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            if f == "LOCK":                # an operator home's lock file: taken, not state
                continue
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[p] = fh.read()
    return out


# (argv with {F} a file, {D} an empty folder, {N} a missing path, {B} broken JSON, {A} an
#  account folder, {O} an operator home, {L} a folder with a broken localnet.json;
#  the exit status; a word the line must hold)
CASES = [
    ("localnet up --dir {F}", 2, "not a directory"),
    ("localnet up --dir {D} --validators 0", 2, "--validators"),
    ("localnet up --dir {D} --validators abc", 2, "--validators"),
    ("localnet up --dir {D} --base-port 70000", 2, "--base-port"),
    ("localnet up --dir {D} --traders 0", 2, "--traders"),
    ("localnet up --dir {D} --slots 65", 2, "--slots"),
    ("localnet up --dir {D} --wait nan", 2, "--wait"),
    ("localnet up --dir {L} --validators 100000", 2, "--validators"),
    ("localnet up --dir {L}", 2, "localnet"),
    ("localnet down --dir {N}", 2, "no local network"),
    ("localnet down --dir {F}", 2, "no local network"),
    ("localnet down --dir {D} --grace -1", 2, "--grace"),
    ("localnet status --dir {N}", 2, "no local network"),
    ("localnet status --dir {L}", 2, "localnet"),
    ("validator show --home {N}", 2, "not found"),
    ("validator show --home {F}", 2, "not found"),
    ("validator show --home {D} --json", 2, "not a validator home"),
    ("validator show --home {O}", 2, "validator home"),
    ("account state --account-dir {N} --node " + DEAD, 2, "account file not found"),
    ("account state --account-dir {A}", 2, "exactly one source"),
    ("account state --account-dir {A} --node notaurl", 2, "--node"),
    ("account state --account-dir {A} --node ftp://127.0.0.1:1", 2, "--node"),
    ("account state --account-dir {A} --node http://[::1", 2, "--node"),
    ("account state --account-dir {A} --node " + DEAD, 1, "unreachable"),
    ("account state --account-dir {A} --node " + DEAD + " --rpc " + DEAD, 2, "exactly one"),
    ("account state --account-dir {A} --rpc " + DEAD + " --escape zz", 2, "Ethereum"),
    ("account state --account-dir {A} --rpc notaurl --escape " + ZERO, 2, "--rpc"),
    ("exit --account-dir {A} --rpc ftp://x --escape " + ZERO + " --ptau {F}", 2, "--rpc"),
    ("operator batch --orders {D} --home {O} --validator " + DEAD + " --rpc http://:5", 2,
     "--rpc"),
    ("exit", 2, "required"),
    ("exit --account-dir {A} --rpc " + DEAD + " --escape " + ZERO + " --ptau {N}", 2, "--ptau"),
    ("exit --account-dir {A} --rpc " + DEAD + " --escape " + ZERO + " --ptau {F}", 2, "--ptau"),
    ("exit --account-dir {A} --rpc " + DEAD + " --escape " + ZERO + " --ptau {D}", 2, "--ptau"),
    ("exit --account-dir {A} --rpc " + DEAD + " --escape " + ZERO + " --ptau {B} --node x", 2,
     "--node"),
    ("chain withdraw --account-dir {N} --amount 5 --out {T}/w", 2, "account file not found"),
    ("chain withdraw --account-dir {F} --amount 5 --out {T}/w", 2, "account file"),
    ("chain withdraw --account-dir {A} --amount -5 --out {T}/w", 2, "--amount"),
    ("chain withdraw --account-dir {A} --amount 1e3 --out {T}/w", 2, "--amount"),
    ("chain withdraw --account-dir {A} --amount x --out {T}/w", 2, "--amount"),
    ("chain withdraw --account-dir {A} --amount 5 --out {T}/w --rpc notaurl", 2, "--rpc"),
    ("chain withdraw --account-dir {A} --amount 5 --out {T}/w --rpc " + DEAD, 2, DEAD),
    ("operator batch --home {O} --validator " + DEAD, 2, "--orders"),
    ("operator batch --orders {N} --home {O} --validator " + DEAD, 2, "--orders"),
    ("operator batch --orders {F} --home {O} --validator " + DEAD, 2, "--orders"),
    ("operator batch --orders {D} --home {O}", 2, "--validator"),
    ("operator batch --orders {D} --home {O} --validator notaurl", 2, "--validator"),
    ("operator batch --orders {D} --home {N} --validator " + DEAD, 2, "operator home"),
    ("operator batch --orders {D} --home {D} --validator " + DEAD + " --single-phase", 2,
     "operator home"),
    ("operator batch --orders {D} --home {O} --validator " + DEAD + " --withdrawals {N}", 2,
     "--withdrawals"),
    ("operator batch --orders {D} --home {O} --validator " + DEAD + " --withdrawals {F}", 2,
     "--withdrawals"),
    ("operator batch --orders {D} --home {O} --validator " + DEAD + " --rpc " + DEAD
     + " --deployment {N}", 2, "deployment"),
    ("operator batch --orders {D} --home {O} --validator " + DEAD + " --rpc " + DEAD
     + " --deployment {B}", 2, "deployment"),
    ("operator batch --orders {D} --home {O} --validator " + DEAD + " --timeout -1", 2, "--timeout"),
    ("operator batch --orders {D} --home {O} --validator " + DEAD + " --mark x", 2, "--mark"),
    ("operator batch --orders {D} --home {O} --validator " + DEAD
     + " --require-quorum --timeout 0.5", 1, "no quorum"),
    ("operator monitor --home {N}", 2, "operator home"),
    ("operator monitor --home {F}", 2, "operator home"),
    ("operator monitor --home {D}", 2, "not an operator home"),
    ("operator monitor --home {O} --watch nan", 2, "--watch"),
    ("operator monitor --home {O} --watch inf", 2, "--watch"),
    ("operator monitor --home {O} --watch -1", 2, "--watch"),
    ("operator monitor --home {O} --watch 0.01", 2, "--watch"),
    ("operator monitor --home {O} --watch x", 2, "--watch"),
    ("demo --exit --out {F}", 2, "--out"),
    ("demo --exit --out {T}/d --batches -1", 2, "--batches"),
    ("demo --exit --out {T}/d --traders 0", 2, "--traders"),
    ("demo --exit --out {T}/d --validators 0", 2, "--validators"),
    ("demo --exit --out {T}/d --traders x", 2, "--traders"),
    ("demo --exit --out {T}/d --chain nope", 2, "--chain"),
    ("demo --exit --out {T}/d --rpc notaurl", 2, "--rpc"),
    ("demo --exit --out {T}/d --chain none", 2, "--exit"),
]


@pytest.mark.parametrize("argv, code, word", CASES, ids=[c[0] for c in CASES])
def test_bad_arguments(t, capsys, argv, code, word):
    before = _tree(t)
    argv = argv.format(**_paths(t)).split()
    try:
        rc = main(argv)
    except SystemExit as e:
        rc = e.code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("darkmatch: error: ") and err.count("\n") == 1, err
    assert rc == code, err
    assert word in err, err
    assert _tree(t) == before, "a refused command wrote files"


_NET = {"kind": "darkmatch-localnet", "version": 1, "chain_id": "x", "traders": ["t1", "t2"],
        "operator": "op"}
_NODE = {"name": "v0", "home": "nodes/v0", "url": "http://127.0.0.1:8700"}
LOCALNET_DOCS = {
    "home an int": dict(_NET, nodes=[dict(_NODE, home=5)]),
    "home absolute": dict(_NET, nodes=[dict(_NODE, home="/")]),
    "home outside": dict(_NET, nodes=[dict(_NODE, home="../x")]),
    "home with a NUL": dict(_NET, nodes=[dict(_NODE, home="a\0b")]),
    "url an int": dict(_NET, nodes=[dict(_NODE, url=5)]),
    "url junk": dict(_NET, nodes=[dict(_NODE, url="notaurl")]),
    "name a list": dict(_NET, nodes=[dict(_NODE, name=[1])]),
    "node with an extra key": dict(_NET, nodes=[dict(_NODE, x=1)]),
    "no nodes": dict(_NET, nodes=[]),
    "one trader": dict(_NET, nodes=[_NODE], traders=["t1"]),
    "trader an int": dict(_NET, nodes=[_NODE], traders=["t1", 2]),
    "operator outside": dict(_NET, nodes=[_NODE], operator="../op"),
}


@pytest.mark.parametrize("command", ["status", "status --json", "down --grace 0.5",
                                     "up --wait 3"])
@pytest.mark.parametrize("name", sorted(LOCALNET_DOCS))
def test_localnet_file_tampered(tmp_path, capsys, name, command):
    """A localnet.json edited by hand (wrong types, paths leaving the folder) is one line,
    exit 2, before any node is looked up, stopped or started."""
    (tmp_path / "localnet.json").write_text(json.dumps(LOCALNET_DOCS[name]))
    before = _tree(tmp_path)
    try:
        rc = main(["localnet", *command.split(), "--dir", str(tmp_path)])
    except SystemExit as e:
        rc = e.code
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("darkmatch: error: ")
    assert err.count("\n") == 1 and rc == 2, err
    assert "localnet.json" in err
    assert _tree(tmp_path) == before


_STATUS = {"kind": "darkmatch-node-status", "version": 1, "chain_id": "x",
           "genesis_hash": "00" * 32, "head": {"height": 2, "hash": "00" * 32}}
HOSTILE_ANSWERS = {
    "empty": (200, b""), "html": (200, b"<html>"), "a list": (200, b"[]"),
    "not utf-8": (200, b"\xff\xfe"), "duplicate key": (200, b'{"a": 1, "a": 2}'),
    "huge int": (200, b"1" + b"0" * 5000), "nested bomb": (200, b"[" * 100_000),
    "500 junk": (500, b"oops"), "head a string": (200, json.dumps(dict(_STATUS, head="x"))),
    "head without height": (200, json.dumps(dict(_STATUS, head={"hash": "00" * 32}))),
    "height a string": (200, json.dumps(dict(_STATUS, head={"height": "2", "hash": "00" * 32}))),
    "height huge": (200, json.dumps(dict(_STATUS, head={"height": 10**30, "hash": "00" * 32}))),
    "height negative": (200, json.dumps(dict(_STATUS, head={"height": -5, "hash": "00" * 32}))),
    "validator a list": (200, json.dumps(dict(_STATUS, validator=[1]))),
    "ethereum a list": (200, json.dumps(dict(_STATUS, ethereum=[1]))),
    "a block that is not one": (200, json.dumps(_STATUS)),
}


@pytest.fixture(scope="module")
def hostile_node():
    """A fake node that answers every GET with the body in ``answer`` (a peer that lies)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    answer = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            status, body = answer["now"]
            body = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}", answer
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("name", sorted(HOSTILE_ANSWERS))
def test_account_state_from_a_lying_node(t, hostile_node, capsys, name):
    url, answer = hostile_node
    answer["now"] = HOSTILE_ANSWERS[name]
    before = _tree(t)
    try:
        rc = main(["account", "state", "--account-dir", str(t / "acct"), "--node", url])
    except SystemExit as e:
        rc = e.code
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("darkmatch: error: ")
    assert err.count("\n") == 1 and rc in (1, 2), err
    assert _tree(t) == before
