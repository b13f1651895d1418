"""``darkmatch chain request`` and ``darkmatch chain freeze`` on anvil: a trader forces a
withdrawal from its account folder and an Ethereum key file, anyone freezes the contract once
the request has waited the governed time, and bad input (another account's folder, a
non-owner's key, too early, a non-number, a wrong address, a node that does not answer) is a
one-line error or refusal that changes nothing on the chain."""

import os

import pytest

from evm_fixtures import anvil  # noqa: F401 (fixture)
from escape_fixtures import FREEZE_AFTER, EscapeWorld
from ledger.cli.main import main as cli_main

# anvil's deterministic account 1 (the world's owner of account 1): its well-known dev key
OWNER1_KEY = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"


def _key_file(path, hex_key):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(hex_key + "\n")
    return str(path)


def _one_line(err):
    return err.count("\n") == 1 and "Traceback" not in err


@pytest.fixture(scope="module")
def world(anvil):
    w = EscapeWorld(anvil)
    escape, _ = w.fresh()
    return w, escape


def _state(escape):
    f = escape.functions
    return (f.frozen().call(), f.requestedAt(1).call(), f.requestedAmount(1).call(),
            f.requestedAt(2).call())


def test_request_then_freeze_from_the_command_line(world, tmp_path, capsys):
    w, escape = world
    w3 = w.w3
    assert w3.eth.accounts[1] == w.owners[1]
    for a in (1, 2):
        assert cli_main(["account", "new", "--out", str(tmp_path / f"t{a}"), "--id", str(a)]) == 0
    key1 = _key_file(tmp_path / "owner1.key", OWNER1_KEY)
    chain = ["--rpc", w3.provider.endpoint_uri, "--escape", escape.address]
    capsys.readouterr()
    start = _state(escape)

    def refused(argv, rc, words):
        got = cli_main(argv)
        err = capsys.readouterr().err
        assert got == rc, err
        assert _one_line(err) and words in err, err
        assert _state(escape) == start

    # bad input first: each a one-line error, nothing changes on the chain
    refused(["chain", "request", "--account-dir", str(tmp_path / "t1"), "--amount", "5", *chain],
            1, "NotOwner")                                        # the node's account 0 sends
    refused(["chain", "request", "--account-dir", str(tmp_path / "t2"), "--amount", "5",
             "--key", key1, *chain], 1, "NotOwner")               # another account's folder
    refused(["chain", "request", "--account-dir", str(tmp_path / "t1"), "--amount", "lots",
             "--key", key1, *chain], 2, "not an integer")
    refused(["chain", "request", "--account-dir", str(tmp_path / "t1"), "--amount", "0",
             "--key", key1, *chain], 2, "--amount must be positive")
    refused(["chain", "request", "--account-dir", str(tmp_path / "none"), "--amount", "5",
             "--key", key1, *chain], 2, "account file not found")
    refused(["chain", "request", "--account-dir", str(tmp_path / "t1"), "--amount", "5",
             "--key", str(tmp_path / "missing.key"), *chain], 2, "missing.key")
    refused(["chain", "request", "--account-dir", str(tmp_path / "t1"), "--amount", "5",
             "--key", key1, "--rpc", w3.provider.endpoint_uri, "--escape", "0x1234"],
            2, "--escape is not an Ethereum address")
    refused(["chain", "request", "--account-dir", str(tmp_path / "t1"), "--amount", "5",
             "--key", key1, "--rpc", w3.provider.endpoint_uri, "--escape", w.verifier.address],
            2, "no Escape contract answers")
    refused(["chain", "freeze", "--account", "1", "--rpc", "http://127.0.0.1:9",
             "--escape", escape.address], 2, "no Ethereum node answers")
    refused(["chain", "freeze", "--account", "one", *chain], 2, "not an integer")

    assert cli_main(["chain", "request", "--account-dir", str(tmp_path / "t1"), "--amount", "500",
                     "--key", key1, *chain]) == 0
    out = capsys.readouterr().out
    at = escape.functions.requestedAt(1).call()
    assert f"account 1: forced withdrawal of 500 requested at {at}" in out
    assert f"freeze the contract from {at + FREEZE_AFTER}" in out
    assert escape.functions.requestedAmount(1).call() == 500
    start = _state(escape)
    refused(["chain", "request", "--account-dir", str(tmp_path / "t1"), "--amount", "7",
             "--key", key1, *chain], 1, "AlreadyRequested")

    w3.provider.make_request("evm_mine", [at + FREEZE_AFTER - 2])     # the chain's clock
    refused(["chain", "freeze", "--account", "1", *chain], 1, "TooEarly")
    w3.provider.make_request("evm_mine", [at + FREEZE_AFTER])
    assert cli_main(["chain", "freeze", "--account", "1", *chain]) == 0
    out = capsys.readouterr().out
    assert f"the contract {escape.address} is frozen (at " in out
    assert escape.functions.frozen().call()
    start = _state(escape)
    refused(["chain", "freeze", "--account", "1", *chain], 1, "Frozen")
    refused(["chain", "request", "--account-dir", str(tmp_path / "t2"), "--amount", "5",
             *chain], 1, "Frozen")
