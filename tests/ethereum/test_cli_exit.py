"""``darkmatch account state`` and ``darkmatch exit`` end to end: traders made by ``darkmatch
account new`` trade in an encrypted ledger block served by a node; the chain holds that block's
commitments and ciphertexts; each trader reads its state from the chain's events alone; the
operator stops and the contract freezes; with only a copy of its key folder, each trader
recovers its state (trader 1 from the node, trader 2 from the chain), proves its exit on its
own machine and is paid its equity at the last mark, once.

The block reaches the chain through the escape fixtures' stand-in statement (it binds the same
public commitments, mark and funding index); the ledger block, its ciphertexts and the exit
proofs are the real ones.
"""

import json
import shutil
import threading
import warnings

import pytest
from werkzeug.serving import make_server

from circuits.account_state import Opening
from circuits.exit import exit_amount
from circuits.settlement_cipher import settlement_circuit
from evm_fixtures import anvil  # noqa: F401 (fixture)
from escape_fixtures import FREEZE_AFTER, EscapeWorld
from ledger.chain.finality import Quorum
from ledger.chain.store import Store
from ledger.chain.validator import Validator
from ledger.cli.account import load_account, load_encryption_public
from ledger.cli.main import main as cli_main
from ledger.core import keys
from ledger.core.genesis import (
    Genesis, GenesisAccount, GenesisMarket, GenesisValidator, genesis_to_json,
)
from ledger.core.orders import new_order
from ledger.ethereum.chain import send
from ledger.ethereum.settlement import settle
from ledger.node.client import NodeClient
from ledger.node.server import create_app
from ledger.node.service import Node
from ledger.operator.engine import Operator
from circuits.settlement_data import MarketParams
from prover import dev_srs, export_ptau, setup

PARAMS = MarketParams(market_id=0, im_bps=1000, mm_bps=500, fee_bps=10, band_bps=500)
CASH = 1_000_000


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    """Two traders' key folders (and a copy 'on another machine'), an encrypted block 1 in
    which 1 buys 10 from 2, finalized by three validators."""
    root = tmp_path_factory.mktemp("exit-cli")
    for a in (1, 2):
        assert cli_main(["account", "new", "--out", str(root / "a" / f"t{a}"), "--id", str(a)]) == 0
    shutil.copytree(root / "a", root / "b")
    signing, accounts = {}, []
    for a in (1, 2):
        key, aid, pub = load_account(root / "a" / f"t{a}")
        signing[a] = key
        accounts.append(GenesisAccount(aid, pub, CASH, None,
                                       load_encryption_public(root / "a" / f"t{a}")))
    vkeys = {f"v{i}": keys.generate() for i in range(3)}
    genesis = Genesis("exit-cli", [GenesisMarket(PARAMS, 100)],
                      [GenesisValidator(n, 10, keys.public_key_hex(k)) for n, k in vkeys.items()],
                      accounts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pk, vk = setup(settlement_circuit(2, 2, encrypted=True), dev_srs(15))
    store = Store.open(root / "operator.db")
    store.init_genesis(genesis)
    op = Operator(store, pk, vk, 2, 2, encrypted=True)
    op.submit(*new_order(signing[1], 1, 0, "buy", 101, 10, 50))
    op.submit(*new_order(signing[2], 2, 0, "sell", 99, 10, 50))
    proposal = op.propose(1, 100, PARAMS, {a.account_id: a.initial_state() for a in accounts})
    block = proposal.block
    q = Quorum(store, vk)
    for k in vkeys.values():
        q.add(Validator(k, store, vk).attest(block), block)
    q.finalize(block)
    src = root / "v0-files"
    src.mkdir()
    (src / "genesis.json").write_text(json.dumps(genesis_to_json(genesis)))
    keys.save_private_key(vkeys["v0"], src / "key.pem")
    (src / "vk.json").write_text(json.dumps(vk.to_json()))
    assert cli_main(["validator", "init", "--home", str(root / "v0"), "--genesis",
                     str(src / "genesis.json"), "--key", str(src / "key.pem"),
                     "--vk", str(src / "vk.json")]) == 0
    return dict(root=root, genesis=genesis, block=store.get_block(1), states=proposal.new_states)


@pytest.fixture(scope="module")
def node(ledger):
    """A node over the validator home, serving HTTP in a thread, with block 1 finalized."""
    n = Node(ledger["root"] / "v0", log=lambda m: None)
    server = make_server("127.0.0.1", 0, create_app(n), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    NodeClient(url, 60).finalize(ledger["block"])
    yield url
    server.shutdown()
    n.close()


def test_each_trader_exits_from_the_command_line(anvil, ledger, node, capsys):
    w3 = anvil
    world = EscapeWorld(w3)
    ptau = ledger["root"] / "exit.ptau"                  # the ceremony's public file
    export_ptau(world.exit_srs, ptau)
    genesis_openings = {a: Opening(CASH if a < 3 else 0, 0, 0, 0) for a in (1, 2, 3)}
    escape, token = world.fresh(register=(), openings=genesis_openings)
    f = escape.functions
    enc_keys = {a.account_id: a.encryption_key for a in ledger["genesis"].accounts}
    for a, (x, y) in enc_keys.items():
        send(w3, f.registerKey(a, x, y), world.owners[a], contract=escape)
    send(w3, f.deposit(1, CASH), w3.eth.accounts[0], contract=escape)
    send(w3, f.deposit(2, CASH), w3.eth.accounts[0], contract=escape)
    block, states = ledger["block"], ledger["states"]
    cts = block.ciphertexts()
    slots = [{"id": a, "old": block.account_slots[k].old, "new": block.account_slots[k].new,
              "deposit": CASH, "key": enc_keys[a], "ciphertext": cts[a].ciphertext}
             for k, a in enumerate((1, 2))]
    public, proof = world.block(1, slots, mark=block.mark_price, funding=0,
                                block_key=cts[1].block_key, market=block.market_id)
    parent = f.lastBlockHash().call()
    settle(w3, escape, 1, parent, public, proof, world.sign(1, parent, public, proof),
           w3.eth.accounts[0])
    chain = ["--rpc", w3.provider.endpoint_uri, "--escape", escape.address]
    base = ["exit", "--node", node, *chain, "--ptau", str(ptau)]
    capsys.readouterr()
    for a in (1, 2):                     # the state from the chain's events alone
        rc = cli_main(["account", "state", "--account-dir", str(ledger["root"] / "b" / f"t{a}"),
                       *chain])
        out, err = capsys.readouterr()
        s = states[a]
        assert rc == 0, err
        assert f"account {a} at block 1 (recovered from the chain, opens its commitment " \
               f"{s.commitment():#x})" in out
        assert f"cash {s.cash}  position {s.position}  funding index 0" in out
    rc = cli_main(["account", "state", "--account-dir", str(ledger["root"] / "b" / "t2"),
                   "--node", node, *chain])
    assert rc == 2 and "exactly one source" in capsys.readouterr().err
    rc = cli_main(["account", "state", "--account-dir", str(ledger["root"] / "b" / "t2"),
                   "--rpc", w3.provider.endpoint_uri, "--escape", world.verifier.address])
    assert rc == 2 and "no Escape contract answers" in capsys.readouterr().err
    assert cli_main(base + ["--account-dir", str(ledger["root"] / "b" / "t1")]) == 2
    assert "not frozen" in capsys.readouterr().err
    t1 = ["--account-dir", str(ledger["root"] / "b" / "t1")]
    bad = list(base)
    bad[bad.index(escape.address)] = "0x1234"
    assert cli_main(bad + t1) == 2
    assert "--escape is not an Ethereum address" in capsys.readouterr().err
    bad = base[:-1] + [str(ledger["root"] / "missing.ptau")]
    assert cli_main(bad + t1) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.ptau" in err and "Traceback" not in err

    w3.provider.make_request("evm_setNextBlockTimestamp",
                             [f.lastSettledAt().call() + FREEZE_AFTER])      # operator gone
    send(w3, f.freeze(1), w3.eth.accounts[5], gas=200_000)
    for a in (1, 2):
        s = states[a]
        want = exit_amount(Opening(s.cash, s.position, s.funding_index, s.blinding),
                           block.mark_price, 0)
        before = token.functions.balanceOf(world.owners[a]).call()
        argv = base if a == 1 else [x for x in base if x != node and x != "--node"]
        rc = cli_main(argv + ["--account-dir", str(ledger["root"] / "b" / f"t{a}")])
        out, err = capsys.readouterr()
        assert rc == 0, err
        assert f"account {a}: exit of {want} paid to {world.owners[a]}" in out
        assert token.functions.balanceOf(world.owners[a]).call() == before + want
    assert f.collateral().call() == 2 * CASH - sum(
        exit_amount(Opening(s.cash, s.position, s.funding_index, s.blinding), 100, 0)
        for s in states.values())
    rc = cli_main(base + ["--account-dir", str(ledger["root"] / "b" / "t1")])
    err = capsys.readouterr().err
    assert rc == 2 and "already exited" in err and "Traceback" not in err
