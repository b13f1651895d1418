"""`darkmatch demo` settles on a chain: the in-process one by default, anvil with --rpc; with
--exit every trader leaves a frozen Escape contract with its own proof."""

import re

from evm_fixtures import anvil  # noqa: F401 (fixture)
from ledger.cli.demo import WITHDRAWAL, WITHDRAWER, exit_deposit
from ledger.cli.main import main


def test_demo_settles_on_the_in_process_chain(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--traders", "2", "--batches", "2"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "settled on-chain: height 2" in out
    assert f"trader {WITHDRAWER} claimed {WITHDRAWAL:,}" in out and "hard s" in out


def test_the_default_demo_on_a_chain_still_liquidates_through_the_shock(tmp_path, capsys):
    """The deposits do not rescue the leveraged trader: with the chain the default demo
    still trips the breaker, liquidates trader 1 (penalty, then the deficit the fund pays)
    and settles every block."""
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "settled on-chain: height 5" in out and "TRIPPED" in out
    assert re.search(r"\b1 \(pen\. [1-9][\d,]*, def\. ", out), out
    assert f"trader {WITHDRAWER} claimed {WITHDRAWAL:,}" in out


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


def test_demo_exit_every_trader_exits_and_the_vault_keeps_fund_and_rewards(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--traders", "2", "--batches", "2",
                 "--exit"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "settled on-chain: height 2" in out and "Escape (self-custody)" in out
    assert "every trader exits at the last mark" in out
    m = re.search(r"exits paid ([\d,]+); the vault keeps ([\d,]+) = insurance fund ([\d,]+) "
                  r"\+ rewards ([\d,]+)", out)
    assert m is not None, out
    paid, vault, fund, rewards = (int(g.replace(",", "")) for g in m.groups())
    assert "bad debt" not in out and vault == fund + rewards and fund > 0 and rewards > 0
    claimed = int(re.search(rf"trader {WITHDRAWER} claimed ([\d,]+)", out).group(1).replace(",", ""))
    assert paid + vault + claimed == sum(exit_deposit(a) for a in (1, 2))


def test_default_demo_exit_pays_every_trader_through_the_shock(tmp_path, capsys):
    """The README's self-custody act as shipped (8 traders, 5 batches, the −12 % shock):
    every exit is paid and the vault ends with exactly the fund and the rewards."""
    assert main(["demo", "--out", str(tmp_path), "--exit"]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    assert "TRIPPED" in out and "refused" not in flat and "bad debt" not in flat
    m = re.search(r"exits paid ([\d,]+); the vault keeps ([\d,]+) = insurance fund ([\d,]+) "
                  r"\+ rewards ([\d,]+)", flat)
    assert m is not None, flat
    paid, vault, fund, rewards = (int(g.replace(",", "")) for g in m.groups())
    claimed = int(re.search(rf"trader {WITHDRAWER} claimed ([\d,]+)", flat).group(1)
                  .replace(",", ""))
    assert vault == fund + rewards and fund > 0 and rewards > 0
    assert paid + vault + claimed == sum(exit_deposit(a) for a in range(1, 9))


def test_demo_exit_needs_a_chain(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--traders", "2", "--exit", "--chain",
                 "none"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--exit needs a chain" in err and "\n" not in err
