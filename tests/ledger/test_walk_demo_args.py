"""Argument checks as a new user meets them: ``darkmatch demo`` with a ``--rpc`` URL that does not
answer is a one-line error before anything is set up or removed (``--fresh`` keeps the old
ledger), and the help names the command without stray markup; ``account state --rpc``
without ``--escape`` names the missing flag."""

from ledger.cli.main import build_parser, main as cli_main


def test_unanswering_rpc_is_refused_before_fresh_removes_anything(tmp_path, capsys):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "genesis.json").write_text("{}")
    (out / "blocks").mkdir()
    rc = cli_main(["demo", "--rpc", "http://127.0.0.1:9", "--out", str(out), "--fresh"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "--rpc: no Ethereum node answers at http://127.0.0.1:9" in err
    assert (out / "genesis.json").read_text() == "{}" and (out / "blocks").is_dir()


def test_demo_help_has_no_markup():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    description = sub.choices["demo"].description
    assert description.startswith("darkmatch demo: the main job")
    assert "`" not in description


def test_account_state_rpc_without_escape_names_the_missing_flag(tmp_path, capsys):
    assert cli_main(["account", "new", "--out", str(tmp_path / "t1"), "--id", "1"]) == 0
    capsys.readouterr()
    rc = cli_main(["account", "state", "--account-dir", str(tmp_path / "t1"),
                   "--rpc", "http://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "--rpc needs --escape ADDRESS" in err
