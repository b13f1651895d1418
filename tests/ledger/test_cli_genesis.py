"""`darkmatch genesis new|show`: a checked genesis from the command line; bad entries write nothing."""

import pytest

from ledger.cli.main import main
from ledger.core.genesis import genesis_hash, load_genesis


@pytest.fixture
def parts(tmp_path, capsys):
    for a in (1, 2):
        assert main(["account", "new", "--out", str(tmp_path / f"t{a}"), "--id", str(a)]) == 0
    assert main(["validator", "key", "--out", str(tmp_path / "v0.pem")]) == 0
    out = capsys.readouterr().out
    key = next(line.split()[-1] for line in out.splitlines() if line.startswith("public key")
               and "wrote" not in line)
    return tmp_path, key


def _new(tmp, key, *extra, out="genesis.json"):
    return ["genesis", "new", "--chain-id", "dm-test", "--out", str(tmp / out),
            "--market", "1,1000,500,10,500,50000", "--validator", f"v0,{key},100",
            "--account", f"{tmp / 't1'},1000000", "--account", f"{tmp / 't2' / 'account.json'},5,1",
            *extra]


def test_genesis_new_and_show(parts, capsys):
    tmp, key = parts
    assert main(_new(tmp, key)) == 0
    g = load_genesis(tmp / "genesis.json")
    assert capsys.readouterr().out.startswith(f"genesis {genesis_hash(g)} of chain dm-test")
    assert [(a.account_id, a.cash, a.market_id) for a in g.accounts] == [(1, 1000000, 1),
                                                                      (2, 5, 1)]
    assert [(v.name, v.stake, v.public_key) for v in g.validators] == [("v0", 100, key)]
    assert main(["genesis", "show", str(tmp / "genesis.json")]) == 0
    out = capsys.readouterr().out
    assert "market 1: im 1000 mm 500 fee 10 band 500 bps, mark 50000" in out
    assert "validator v0: stake 100 of 100" in out and "account 2: market 1, cash 5" in out


@pytest.mark.parametrize("change,needle", [
    (("--market", "2,1000"), "expected 6 comma-separated values"),
    (("--market", "1,1000,500,10,500,50000"), "duplicate market_id 1"),
    (("--market", "2,100,500,10,500,1"), "below mm_bps"),
    (("--validator", "v1,zz,5"), "64 lowercase hex"),
    (("--validator", "v1,abc"), "NAME,PUBLIC_KEY_HEX,STAKE"),
    (("--account", "nowhere,5"), "account file not found"),
    (("--account", "t1"), "DIR_OR_ACCOUNT_JSON,CASH"),
    (("--chain-id", "has space"), "chain_id"),
])
def test_bad_entries_one_line_nothing_written(parts, capsys, change, needle):
    tmp, key = parts
    flag, value = change
    if flag == "--account" and not value.startswith("nowhere") and value != "t1":
        value = str(tmp / value)
    argv = _new(tmp, key, flag, value)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err, err
    assert not (tmp / "genesis.json").exists()


def test_genesis_new_refuses_to_overwrite(parts, capsys):
    tmp, key = parts
    assert main(_new(tmp, key)) == 0
    before = (tmp / "genesis.json").read_bytes()
    assert main(_new(tmp, key)) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp / "genesis.json").read_bytes() == before
    assert main(["genesis", "show", str(tmp / "nope.json")]) == 2
    assert "not found" in capsys.readouterr().err


def test_genesis_new_perpetual_market(parts, capsys):
    tmp, key = parts
    argv = _new(tmp, key)
    argv[argv.index("1,1000,500,10,500,50000")] = "1,1000,500,10,500,50000,100,5000,1000,10,7"
    assert main(argv) == 0
    m = load_genesis(tmp / "genesis.json").market(1)
    assert (m.params.liquidation_bps, m.params.insurance_bps) == (100, 5000)
    assert (m.perp.oracle, m.perp.funding_rate_bps, m.perp.funding_cap_bps,
            m.perp.insurance) == (True, 1000, 10, 7)
