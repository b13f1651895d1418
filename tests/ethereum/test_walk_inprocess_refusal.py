"""A contract's refusal on the in-process chain (py-evm through eth-tester, the demo's default
chain) is a ``ChainError`` naming the custom error and its arguments, as on anvil, never
eth-tester's own exception (which reached the user as a traceback in ``darkmatch demo
--exit``); and the demo's exit table shows a refused exit instead of stopping."""

import pytest

from evm_fixtures import pyevm  # noqa: F401 (fixture)
from escape_fixtures import EscapeWorld
from ledger.cli.demo_exit import exit_table, unpaid
from ledger.ethereum.chain import ChainError, send


def test_a_revert_on_the_in_process_chain_is_a_chain_error(pyevm):
    w3 = pyevm
    world = EscapeWorld(w3)
    escape, _ = world.fresh()
    f = escape.functions
    at = f.lastSettledAt().call() + f.freezeAfter().call()
    with pytest.raises(ChainError, match=rf"^transaction refused: TooEarly\({at}\)$"):
        send(w3, f.freeze(1), w3.eth.accounts[0], contract=escape)
    assert not f.frozen().call()
    with pytest.raises(ChainError, match=r"^transaction refused: NotFrozen$"):
        send(w3, f.exit(1, 5, [0] * 24), w3.eth.accounts[0], contract=escape)
    with pytest.raises(ChainError, match=r"^transaction refused: NotOwner\(1\)$"):
        send(w3, f.requestWithdrawal(1, 5), w3.eth.accounts[0], contract=escape)
    assert f.requestedAt(1).call() == 0


def test_the_exit_table_shows_a_refused_exit():
    from rich.console import Console
    result = {"mark": 100, "rows": [
        {"account": 1, "height": 5, "cash": 10, "position": 0, "paid": 10, "amount": 10,
         "gas": 350_000, "refused": None, "seconds": 1.0},
        {"account": 2, "height": 5, "cash": 99, "position": 0, "paid": 0, "amount": 99,
         "gas": None, "refused": "Insolvent(109, 50)", "seconds": 1.0}]}
    console = Console(width=250, record=True)
    console.print(exit_table(result))
    text = console.export_text()
    assert "0 (owed 99: refused, Insolvent(109, 50))" in text
    assert "350,000" in text
    assert unpaid(result) == 99
