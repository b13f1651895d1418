"""`darkmatch demo` settles on a chain: the in-process one by default, anvil with --rpc."""

from evm_fixtures import anvil  # noqa: F401 (fixture)
from ledger.cli.demo import WITHDRAWAL
from ledger.cli.main import main


def test_demo_settles_on_the_in_process_chain(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--traders", "2", "--batches", "2"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "settled on-chain: height 2" in out
    assert f"trader 1 claimed {WITHDRAWAL:,}" in out and "hard s" in out


def test_demo_settles_on_anvil(tmp_path, capsys, anvil):
    url = anvil.provider.endpoint_uri
    assert main(["demo", "--out", str(tmp_path), "--traders", "2", "--batches", "1", "--rpc", url]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "settled on-chain: height 1" in out and url in out


def test_demo_without_a_chain_has_no_gas_column(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--traders", "2", "--batches", "1", "--chain", "none"]) == 0
    out = capsys.readouterr().out
    assert "settled on-chain" not in out and "gas" not in out


def test_demo_unreachable_rpc_is_one_line(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--traders", "2", "--batches", "1",
                 "--rpc", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no Ethereum node answers" in err and "\n" not in err and "Traceback" not in err
