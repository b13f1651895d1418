"""``darkmatch account|order``: files, permissions, one-line errors, nothing written."""

import json
import os
import stat
import subprocess
import sys

import pytest

from circuits import babyjub
from ledger.core import keys
from ledger.core.custody import load_encryption_key
from ledger.cli.main import main
from ledger.cli.account import derive_account_id
from ledger.core.orders import (
    NO_EXPIRY,
    opening_from_json,
    opening_matches,
    order_from_json,
    verify_order_signature,
)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def run(capsys, *argv):
    rc = main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return rc, out, err


def fails(capsys, *argv, expected=""):
    """Exit 2, exactly one line on stderr naming the problem, no traceback."""
    rc, out, err = run(capsys, *argv)
    assert rc == 2, (rc, out, err)
    assert err.startswith("darkmatch: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and expected in err, err
    return err


def tree(d):
    """Every file under d with its bytes and mode (to prove nothing changed)."""
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, d)] = (fh.read(), _mode(p))
    return out


@pytest.fixture
def acct(tmp_path, capsys):
    d = tmp_path / "acct"
    rc, out, _ = run(capsys, "account", "new", "--out", d, "--id", 7)
    assert rc == 0 and "account 7" in out
    return d


# ------------------------------------------------------------ account
def test_account_new_files_and_modes(acct, capsys):
    assert sorted(os.listdir(acct)) == ["account.json", "encryption.key", "key.pem"]
    assert _mode(acct / "key.pem") == _mode(acct / "encryption.key") == 0o600
    doc = json.loads((acct / "account.json").read_text())
    key = keys.load_private_key(acct / "key.pem")
    secret, A = load_encryption_key(acct / "encryption.key")
    assert A == babyjub.mul(babyjub.BASE8, secret) and babyjub.in_subgroup(A)
    assert doc == {"kind": "darkmatch-account", "version": 1, "account_id": 7,
                   "public_key": keys.public_key_hex(key),
                   "encryption_key": {"x": str(A[0]), "y": str(A[1])}}
    rc, out, _ = run(capsys, "account", "show", "--account-dir", acct)
    assert rc == 0 and "account 7" in out and keys.public_key_hex(key) in out
    assert f"encryption key {A[0]},{A[1]} (matches encryption.key)" in out


def test_account_new_default_id_is_derived(tmp_path, capsys):
    assert run(capsys, "account", "new", "--out", tmp_path)[0] == 0
    doc = json.loads((tmp_path / "account.json").read_text())
    assert doc["account_id"] == derive_account_id(doc["public_key"]) < 2**40


def test_account_new_refuses_overwrite_then_force(acct, capsys):
    before = tree(acct)
    fails(capsys, "account", "new", "--out", acct, expected="already exists (use --force")
    assert tree(acct) == before
    (acct / "key.pem").unlink()                  # a half-present account is refused too
    fails(capsys, "account", "new", "--out", acct, expected="encryption.key already exists")
    assert run(capsys, "account", "new", "--out", acct, "--force", "--id", 8)[0] == 0
    assert _mode(acct / "key.pem") == 0o600
    assert json.loads((acct / "account.json").read_text())["account_id"] == 8
    assert run(capsys, "account", "show", "--account-dir", acct)[0] == 0


def test_account_bad_input(tmp_path, capsys):
    afile = tmp_path / "file"
    afile.write_text("x")
    fails(capsys, "account", "new", "--out", afile, expected="not a directory")
    fails(capsys, "account", "new", "--out", tmp_path / "a", "--id", 2**40, expected="--id")
    fails(capsys, "account", "new", "--out", tmp_path / "a", "--id", "x", expected="invalid int")
    fails(capsys, "account", expected="required")
    fails(capsys, "account", "show", "--account-dir", tmp_path / "none", expected="not found")
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_account_show_detects_mismatch_and_corruption(acct, capsys):
    keys.save_private_key(keys.generate(), acct / "key.pem", overwrite=True)
    fails(capsys, "account", "show", "--account-dir", acct, expected="does not hold the key")
    (acct / "key.pem").write_text("garbage")
    fails(capsys, "account", "show", "--account-dir", acct, expected="not a valid PEM")
    (acct / "account.json").write_text("{not json")
    fails(capsys, "account", "show", "--account-dir", acct, expected="not valid JSON")


def test_account_show_checks_the_encryption_key(acct, capsys):
    from ledger.core.custody import new_encryption_key
    (acct / "encryption.key").chmod(0o644)
    fails(capsys, "account", "show", "--account-dir", acct, expected="accessible by others")
    (acct / "encryption.key").unlink()
    new_encryption_key(acct / "encryption.key")            # another trader's key
    fails(capsys, "account", "show", "--account-dir", acct,
          expected="does not hold the encryption key")
    (acct / "encryption.key").write_text('{"kind": "darkmatch-encryption-key"}')
    fails(capsys, "account", "show", "--account-dir", acct, expected="unsupported version")


# ------------------------------------------------------------ order
def _order_new(capsys, acct, out, *extra):
    return run(capsys, "order", "new", "--market", 3, "--side", "sell", "--price", 250,
               "--size", 4, "--account-dir", acct, "--out", out, *extra)


def _walk(obj, keys=None, leaves=None):
    """All dict keys and all scalar leaf values of a JSON document (not substrings of them)."""
    keys, leaves = (set() if keys is None else keys), (set() if leaves is None else leaves)
    if isinstance(obj, dict):
        for k, v in obj.items():
            keys.add(k)
            _walk(v, keys, leaves)
    elif isinstance(obj, list):
        for v in obj:
            _walk(v, keys, leaves)
    else:
        leaves.add(obj)
    return keys, leaves


def test_order_new_writes_public_and_private_files(acct, tmp_path, capsys):
    out = tmp_path / "orders"
    rc, text, err = _order_new(capsys, acct, out, "--expiry", 99)
    assert rc == 0 and err == "" and "sell 4 @ 250 in market 3" in text
    files = sorted(os.listdir(out))
    assert len(files) == 2 and files[0].endswith(".json") and files[1].endswith(".opening.json")
    order_path, opening_path = out / files[0], out / files[1]
    assert files[0][len("order-"):-len(".json")] == files[1][len("order-"):-len(".opening.json")]
    assert _mode(opening_path) == 0o600 and _mode(order_path) == 0o644
    order = order_from_json(json.loads(order_path.read_text()))
    opening = opening_from_json(json.loads(opening_path.read_text()))
    assert (order.account, order.market, order.expiry_height) == (7, 3, 99)
    assert (opening.side, opening.price, opening.size) == ("sell", 250, 4)
    assert files[0] == f"order-{order.nullifier()[:16]}.json"
    assert verify_order_signature(order, keys.load_private_key(acct / "key.pem").public_key())
    assert opening_matches(order, opening)
    keys_seen, leaves = _walk(json.loads(order_path.read_text()))   # nothing private leaks
    assert not keys_seen & {"side", "price", "size", "nonce", "rho"}
    assert not {250, "250", 4, "4", "sell"} & leaves

    rc, text, _ = run(capsys, "order", "show", order_path, "--opening", opening_path,
                      "--account-dir", acct)
    assert rc == 0 and "signature: valid" in text and "opening: matches" in text
    assert order.nullifier() in text and "expires after height 99" in text
    rc, text, _ = run(capsys, "order", "show", opening_path)
    assert rc == 0 and "sell 4 @ 250 in market 3" in text


def test_order_default_expiry_is_never(acct, tmp_path, capsys):
    rc, text, _ = _order_new(capsys, acct, tmp_path)
    assert rc == 0 and "never expires" in text
    f = next(p for p in os.listdir(tmp_path) if p.endswith(".json") and "opening" not in p)
    assert json.loads((tmp_path / f).read_text())["expiry_height"] == NO_EXPIRY


def test_order_show_reports_failed_checks(acct, tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert _order_new(capsys, acct, a)[0] == 0 and _order_new(capsys, acct, b)[0] == 0
    (oa,), (pb,) = ([a / f for f in os.listdir(a) if "opening" not in f],
                    [b / f for f in os.listdir(b) if "opening" in f])
    rc, text, _ = run(capsys, "order", "show", oa, "--opening", pb)
    assert rc == 1 and "does NOT open" in text
    doc = json.loads(oa.read_text())
    doc["market"] += 1                               # tampered after signing
    oa.write_text(json.dumps(doc))
    rc, text, _ = run(capsys, "order", "show", oa, "--account-dir", acct)
    assert rc == 1 and "signature: INVALID" in text
    other = tmp_path / "other"
    assert run(capsys, "account", "new", "--out", other, "--id", 9)[0] == 0
    fails(capsys, "order", "show", oa, "--account-dir", other, expected="account 9")


@pytest.mark.parametrize("args, expected", [
    (["--size", "-5"], "size = -5 out of range"),
    (["--size", "0"], "size = 0 out of range"),
    (["--price", "0"], "price = 0 out of range"),
    (["--price", str(2**32)], "price = 4294967296 out of range"),
    (["--price", "1.5"], "invalid int value"),
    (["--side", "hold"], "invalid choice: 'hold'"),
    (["--market", str(2**16)], "market"),
    (["--expiry", "-1"], "expiry_height"),
    (["--expiry", str(2**64)], "expiry_height"),
])
def test_order_new_bad_input_writes_nothing(acct, tmp_path, capsys, args, expected):
    out = tmp_path / "orders"
    base = {"--market": "3", "--side": "buy", "--price": "100", "--size": "5"}
    base.update(dict(zip(args[::2], args[1::2])))
    argv = ["order", "new", "--account-dir", acct, "--out", out]
    for k, v in base.items():
        argv += [k, v]
    fails(capsys, *argv, expected=expected)
    assert not out.exists()


def test_order_new_key_problems_write_nothing(acct, tmp_path, capsys):
    out = tmp_path / "orders"
    args = ["order", "new", "--market", 0, "--side", "buy", "--price", 1, "--size", 1,
            "--out", out, "--account-dir"]
    fails(capsys, *args, tmp_path / "missing", expected="account file not found")
    (acct / "key.pem").chmod(0o644)
    fails(capsys, *args, acct, expected="chmod 600")
    (acct / "key.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\ncorrupt\n"
                                   b"-----END PRIVATE KEY-----\n")
    (acct / "key.pem").chmod(0o600)
    fails(capsys, *args, acct, expected="not a valid PEM private key")
    keys.save_private_key(keys.generate(), acct / "key.pem", overwrite=True)
    fails(capsys, *args, acct, expected="does not hold the key")
    (acct / "key.pem").unlink()
    fails(capsys, *args, acct, expected="key file not found")
    (acct / "account.json").write_text('{"kind": "darkmatch-account", "version": 1}')
    fails(capsys, *args, acct, expected="missing field 'account_id'")
    assert not out.exists()


def test_order_new_checked_against_genesis(acct, tmp_path, capsys):
    """--genesis: unknown market, unregistered account, wrong key, wrong market → nothing written."""
    from circuits.settlement_data import MarketParams
    from ledger.core.genesis import (Genesis, GenesisAccount, GenesisMarket, GenesisValidator,
                                genesis_to_json)
    pub = json.loads((acct / "account.json").read_text())["public_key"]
    other = keys.public_key_hex(keys.generate())

    def genesis_file(accounts):
        g = Genesis("g", [GenesisMarket(MarketParams(m, 1000, 500, 10, 500), 100) for m in (1, 2)],
                    [GenesisValidator("v0", 1, other)], accounts)
        path = tmp_path / "genesis.json"
        path.write_text(json.dumps(genesis_to_json(g)))
        return path
    out = tmp_path / "orders"
    base = ["order", "new", "--side", "buy", "--price", 100, "--size", 1, "--account-dir", acct,
            "--out", out, "--genesis"]
    g = genesis_file([GenesisAccount(7, pub, 1000, 1)])
    fails(capsys, *base, g, "--market", 3, expected="unknown market 3 (the genesis has markets 1, 2)")
    fails(capsys, *base, g, "--market", 2, expected="account 7 trades market 1, not 2")
    fails(capsys, *base, tmp_path / "none.json", "--market", 1, expected="genesis file not found")
    g = genesis_file([GenesisAccount(8, pub, 1000, 1)])
    fails(capsys, *base, g, "--market", 1, expected="account 7 is not in the genesis")
    g = genesis_file([GenesisAccount(7, other, 1000, 1)])
    fails(capsys, *base, g, "--market", 1, expected="registered with another key")
    assert not out.exists()
    g = genesis_file([GenesisAccount(7, pub, 1000, 1)])
    rc, stdout, _ = run(capsys, *base, g, "--market", 1)
    assert rc == 0 and "in market 1" in stdout and len(list(out.iterdir())) == 2


def test_order_show_bad_files(acct, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    for content, expected in [("{", "not valid JSON"), ("[]", "expected a JSON object"),
                              ('{"kind": "darkmatch-order", "version": 1}', "missing field"),
                              ('{"kind": "darkmatch-genesis", "version": 1}', "kind must be")]:
        bad.write_text(content)
        fails(capsys, "order", "show", bad, expected=expected)
    fails(capsys, "order", "show", tmp_path / "nope.json", expected="not found")
    fails(capsys, "order", "show", tmp_path, expected="is a directory")


def test_subprocess_no_traceback(tmp_path):
    """The real entry point: `python -m ledger.cli` exits 2 with one line, no traceback."""
    def cli(*argv):
        return subprocess.run([sys.executable, "-m", "ledger.cli", *map(str, argv)],
                              capture_output=True, text=True, timeout=120)
    p = cli("account", "new", "--out", tmp_path / "a", "--id", 5)
    assert p.returncode == 0, p.stderr
    for argv, expected in [
        (["account", "new", "--out", tmp_path / "a"], "already exists"),
        (["order", "new", "--market", 0, "--side", "buy", "--price", 10, "--size", -5,
          "--account-dir", tmp_path / "a", "--out", tmp_path / "o"], "size = -5"),
        (["order", "show", tmp_path / "a" / "key.pem"], "not valid JSON"),
    ]:
        p = cli(*argv)
        assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr
        assert "Traceback" not in p.stderr and expected in p.stderr
    assert not (tmp_path / "o").exists()
