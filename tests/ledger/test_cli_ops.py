"""An operator's bad input on the command line: one line, a non-zero exit, nothing changed.

Each case of the everyday-commands issue is its own test: ``operator batch``
timeouts and URLs, homes that are missing or not homes, ``params approve``
with changes no node would apply, ``verify`` with arguments it would have
ignored or another ledger's genesis, ``validator init`` with another
circuit's key, ``order new`` already expired, ``ceremony`` overwriting its
input.  (The quorum check before proving runs against live nodes:
``test_operator_reach.py``.)
"""

import hashlib
import json
import os

import pytest
from ledger_chain import build_block, make_genesis, make_orders
from network_nodes import db_snapshot, make_home
from small_vk import settlement_shaped_vk_json

from ledger.chain.store import Store
from ledger.cli.main import main
from ledger.core import keys
from ledger.core.block import block_to_json
from ledger.core.genesis import genesis_to_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY_VK = os.path.join(ROOT, "tests", "vectors", "snarkjs", "tiny", "vk.json")


def _fails(capsys, argv, *needles, rc=2):
    """Run the CLI; assert exit ``rc``, nothing on stdout, one error line holding ``needles``."""
    got = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert got == rc, (argv, out, err)
    assert err.startswith("darkmatch: error: ") and err.count("\n") == 1, err
    assert all(n in err for n in needles), err
    return err


def _tree(path):
    """{relative path: sha256} of every file under ``path``."""
    out = {}
    for d, _, files in os.walk(path):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, path)] = hashlib.sha256(fh.read()).hexdigest()
    return out


# ---------------------------------------------------------------- operator batch: arguments
@pytest.fixture
def op_dirs(tmp_path):
    home, orders = tmp_path / "op", tmp_path / "orders"
    home.mkdir()
    orders.mkdir()
    (home / "operator.json").write_text("{}")
    return home, orders


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "0", "-1", "1e9", "abc", ""])
def test_operator_batch_bad_timeout(op_dirs, capsys, value):
    home, orders = op_dirs
    before = _tree(home)
    _fails(capsys, ["operator", "batch", "--home", home, "--orders", orders,
                    "--validator", "http://127.0.0.1:8700", "--timeout", value], "--timeout")
    assert _tree(home) == before


@pytest.mark.parametrize("url", ["ftp://127.0.0.1:8700", "127.0.0.1:8700", "http://127.0.0.1",
                                 "http://127.0.0.1:99999", "http://127.0.0.1:0",
                                 "http://127.0.0.1:8700/blocks", "http://u@127.0.0.1:8700",
                                 "http://:8700", "http://127.0.0.1:87 00", "http://127.0.0.1:x"])
def test_operator_batch_bad_url(op_dirs, capsys, url):
    home, orders = op_dirs
    before = _tree(home)
    _fails(capsys, ["operator", "batch", "--home", home, "--orders", orders,
                    "--validator", url], "not a node URL")
    assert _tree(home) == before


def test_operator_batch_missing_home(tmp_path, capsys):
    (tmp_path / "orders").mkdir()
    _fails(capsys, ["operator", "batch", "--home", tmp_path / "nope", "--orders",
                    tmp_path / "orders", "--validator", "http://127.0.0.1:8700"],
           f"operator home not found or not a directory: {tmp_path / 'nope'}")
    assert not (tmp_path / "nope").exists()


def test_operator_batch_home_is_a_file(tmp_path, capsys):
    (tmp_path / "orders").mkdir()
    (tmp_path / "op").write_text("x")
    _fails(capsys, ["operator", "batch", "--home", tmp_path / "op", "--orders",
                    tmp_path / "orders", "--validator", "http://127.0.0.1:8700"],
           "not a directory")
    assert (tmp_path / "op").read_text() == "x"


def test_operator_batch_home_that_is_not_an_operators(tmp_path, capsys):
    (tmp_path / "orders").mkdir()
    (tmp_path / "op").mkdir()
    _fails(capsys, ["operator", "batch", "--home", tmp_path / "op", "--orders",
                    tmp_path / "orders", "--validator", "http://127.0.0.1:8700"],
           "is not an operator home (no operator.json)")
    assert os.listdir(tmp_path / "op") == []


@pytest.mark.parametrize("value", ["inf", "nan", "0", "-3"])
def test_params_submit_bad_timeout(tmp_path, capsys, value):
    (tmp_path / "a.json").write_text("{}")
    _fails(capsys, ["params", "submit", "--approval", tmp_path / "a.json", "--validator",
                    "http://127.0.0.1:8700", "--timeout", value], "--timeout")


def test_validator_run_missing_home(tmp_path, capsys):
    _fails(capsys, ["validator", "run", "--home", tmp_path / "nope"], "validator home not found")
    assert not (tmp_path / "nope").exists()


# ---------------------------------------------------------------- params approve
@pytest.fixture(scope="module")
def node_home(tmp_path_factory):
    root = tmp_path_factory.mktemp("ops-node")
    genesis, _, vkeys = make_genesis(n_accounts=2, n_validators=4)
    return make_home(root, "v0", genesis, vkeys["v0"], settlement_shaped_vk_json())


_MARKET = {"kind": "market", "market_id": 0, "im_bps": 2000, "mm_bps": 1000, "fee_bps": 5,
           "band_bps": 300}
_NEW_KEY = keys.public_key_hex(keys.generate())


@pytest.mark.parametrize("change,needle", [
    (dict(_MARKET, im_bps=[2000]), "im_bps must be an integer, not list"),
    (dict(_MARKET, im_bps={"x": 1}), "im_bps must be an integer, not dict"),
    (dict(_MARKET, im_bps=500), "im_bps = 500 is below mm_bps = 1000"),
    (dict(_MARKET, fee_bps="5"), "fee_bps must be an integer, not str"),
    (dict(_MARKET, band_bps=None), "band_bps must be an integer, not NoneType"),
    (dict(_MARKET, mm_bps=True), "mm_bps must be an integer, not bool"),
    (dict(_MARKET, market_id=9), "unknown market 9"),
    ({"kind": "validator", "name": "v9", "public_key": None, "stake": 5}, "public key"),
    ({"kind": "validator", "name": "v9", "public_key": _NEW_KEY, "stake": [5]},
     "stake must be an integer"),
    ({"kind": "validator", "name": "v1", "public_key": _NEW_KEY, "stake": 5},
     "has another public key"),
])
def test_params_approve_refuses_a_change_no_node_applies(node_home, tmp_path, capsys, change,
                                                         needle):
    (tmp_path / "change.json").write_text(json.dumps(change))
    before = db_snapshot(node_home)
    capsys.readouterr()
    _fails(capsys, ["params", "approve", "--home", node_home, "--change",
                    tmp_path / "change.json", "--out", tmp_path / "a.json"],
           "no node would apply this change: ", needle)
    assert db_snapshot(node_home) == before and not (tmp_path / "a.json").exists()


def test_params_approve_still_signs_a_good_change(node_home, tmp_path, capsys):
    (tmp_path / "change.json").write_text(json.dumps(_MARKET))
    before = db_snapshot(node_home)
    assert main(["params", "approve", "--home", str(node_home), "--change",
                 str(tmp_path / "change.json"), "--out", str(tmp_path / "a.json")]) == 0
    assert json.loads((tmp_path / "a.json").read_text())["change"] == _MARKET
    assert db_snapshot(node_home) == before                 # the dry run touched a copy only


# ---------------------------------------------------------------- verify
@pytest.fixture
def block_file(tmp_path):
    """A block 1 file of a small ledger (a placeholder proof: never reached here)."""
    genesis, akeys, _ = make_genesis(n_accounts=2, n_validators=3, chain_id="ours")
    with Store.open(tmp_path / "n.db") as store:
        store.init_genesis(genesis)
        block = build_block(store, make_orders(akeys, [(1, "buy", 100, 1), (2, "sell", 100, 1)]))
    (tmp_path / "b1.json").write_text(json.dumps(block_to_json(block)))
    (tmp_path / "genesis.json").write_text(json.dumps(genesis_to_json(genesis)))
    other, _, _ = make_genesis(n_accounts=2, n_validators=3, chain_id="theirs")
    (tmp_path / "other.json").write_text(json.dumps(genesis_to_json(other)))
    return tmp_path


@pytest.mark.parametrize("extra,needle", [
    (["--proof", "p.json"], "--proof cannot go with --block"),
    (["--public", "x.json"], "--public cannot go with --block"),
    (["--proof", "p.json", "--public", "x.json"], "--proof and --public cannot go with --block"),
])
def test_verify_refuses_proof_files_it_would_ignore(block_file, capsys, extra, needle):
    _fails(capsys, ["verify", "--vk", TINY_VK, "--block", block_file / "b1.json",
                    "--genesis", block_file / "genesis.json", *extra], needle)


def test_verify_with_another_ledgers_genesis_names_the_genesis(block_file, capsys):
    rc = main(["verify", "--vk", TINY_VK, "--block", str(block_file / "b1.json"),
               "--genesis", str(block_file / "other.json")])
    out, err = capsys.readouterr()
    assert rc == 1 and err == "" and out.count("\n") == 1 and "Traceback" not in out
    assert out.startswith("INVALID: block 1 is not of the ledger of this genesis "
                          "(chain theirs)"), out
    assert "signature" not in out


# ---------------------------------------------------------------- validator init
def test_validator_init_refuses_another_circuits_key(tmp_path, capsys):
    genesis, _, vkeys = make_genesis(n_accounts=2, n_validators=3)
    (tmp_path / "genesis.json").write_text(json.dumps(genesis_to_json(genesis)))
    keys.save_private_key(vkeys["v0"], tmp_path / "key.pem")
    _fails(capsys, ["validator", "init", "--home", tmp_path / "home", "--genesis",
                    tmp_path / "genesis.json", "--key", tmp_path / "key.pem", "--vk", TINY_VK],
           "is not a settlement circuit's", "1 public inputs fit no N x K batch")
    assert not (tmp_path / "home").exists()


def test_validator_init_accepts_a_settlement_shaped_key(tmp_path):
    genesis, _, vkeys = make_genesis(n_accounts=2, n_validators=3)
    home = make_home(tmp_path, "v0", genesis, vkeys["v0"], settlement_shaped_vk_json())
    assert (home / "node.db").exists()


# ---------------------------------------------------------------- order new
@pytest.mark.parametrize("expiry", ["0"])        # -1: test_cli_account_order.py
def test_order_new_refuses_an_order_expired_already(tmp_path, capsys, expiry):
    assert main(["account", "new", "--out", str(tmp_path / "alice"), "--id", "1"]) == 0
    capsys.readouterr()
    _fails(capsys, ["order", "new", "--account-dir", tmp_path / "alice", "--market", "0",
                    "--side", "buy", "--price", "100", "--size", "1", "--expiry", expiry,
                    "--out", tmp_path / "orders"], f"--expiry {expiry}", "expired")
    assert not (tmp_path / "orders").exists()


def test_order_new_expiry_1_is_accepted(tmp_path, capsys):
    assert main(["account", "new", "--out", str(tmp_path / "alice"), "--id", "1"]) == 0
    assert main(["order", "new", "--account-dir", str(tmp_path / "alice"), "--market", "0",
                 "--side", "buy", "--price", "100", "--size", "1", "--expiry", "1",
                 "--out", str(tmp_path / "orders")]) == 0
    assert "expires after height 1" in capsys.readouterr().out


# ---------------------------------------------------------------- ceremony
@pytest.fixture(scope="module")
def ceremony_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("ceremony")
    assert main(["ceremony", "new", "--power", "2", "--out", str(d / "pot.ptau")]) == 0
    return d / "pot.ptau"


@pytest.mark.parametrize("action", ["contribute", "export"])
@pytest.mark.parametrize("spelling", ["same", "dotted", "symlink", "hardlink"])
def test_ceremony_out_equal_to_in_is_refused(ceremony_file, tmp_path, capsys, action, spelling):
    inp = str(ceremony_file)
    out = {"same": inp,
           "dotted": os.path.join(os.path.dirname(inp), ".", os.path.basename(inp))}.get(spelling)
    if spelling == "symlink":
        out = str(tmp_path / "link.ptau")
        os.symlink(inp, out)
    elif spelling == "hardlink":
        out = str(tmp_path / "hard.ptau")
        os.link(inp, out)
    before = _tree(os.path.dirname(inp))
    capsys.readouterr()
    _fails(capsys, ["ceremony", action, "--in", inp, "--out", out], "is the --in file")
    assert _tree(os.path.dirname(inp)) == before


@pytest.mark.parametrize("peer", ["127.0.0.1:8701", "ftp://127.0.0.1:8701", "http://x:0"])
def test_validator_run_bad_peer_url(node_home, capsys, peer):
    before = _tree(node_home)
    _fails(capsys, ["validator", "run", "--home", node_home, "--peer", peer], "not a node URL")
    assert _tree(node_home) == before


@pytest.mark.parametrize("argv,needle", [
    (["operator", "batch", "--home", "op", "--orders", ".", "--validator",
      "http://127.0.0.1:8700", "--timeout", "inf"], "--timeout"),
    (["validator", "show", "--home", "nope"], "validator home not found"),
    (["localnet", "status", "--dir", "nope"], "holds no local network"),
])
def test_entry_point_prints_one_line(tmp_path, argv, needle):
    """The same through the real entry point, as a separate process."""
    import subprocess
    import sys
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "ledger.cli", *argv], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and needle in r.stderr, r.stderr
    assert os.listdir(tmp_path) == []
