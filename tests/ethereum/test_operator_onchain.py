"""The multi-process setup on anvil: validator nodes with Ethereum keys, the operator settles.

Four validator nodes run as processes (``darkmatch validator init`` gives each
an ``eth.key``); ``darkmatch chain deploy --ledger`` reads their addresses from
``/status`` and deploys the ledger's contracts on anvil; a trader deposits with
``darkmatch chain deposit``; ``darkmatch operator batch --rpc`` credits the
queued deposit, finalizes the block with the nodes, gathers their Ethereum
signatures (``GET /anchor/<h>``) and settles it on the contract.  A node that
watches the contract (``--rpc --deployment``) reports the block hard-final.
"""

import json
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "ledger"))   # node helpers
from ledger_chain import PARAMS  # noqa: E402
from network_nodes import Nodes, make_home  # noqa: E402

from evm_fixtures import anvil  # noqa: F401 (fixture)
from ledger.cli.main import main
from ledger.core import keys
from ledger.core.genesis import Genesis, GenesisAccount, GenesisMarket, GenesisValidator, genesis_to_json
from ledger.ethereum.anchor import AnchorChain
from ledger.ethereum.config import load_deployment
from ledger.ethereum.deploy import at
from ledger.node.client import NodeClient
from ledger.node.service import Node


@pytest.fixture(scope="module")
def net(tmp_path_factory, anvil):
    root = tmp_path_factory.mktemp("operator-onchain")
    accounts = []
    for a in (1, 2):
        assert main(["account", "new", "--out", str(root / f"t{a}"), "--id", str(a)]) == 0
        pub = json.loads((root / f"t{a}" / "account.json").read_text())["public_key"]
        accounts.append(GenesisAccount(a, pub, 1_000_000))
    vkeys = {f"v{i}": keys.generate() for i in range(4)}
    genesis = Genesis("operator-onchain", [GenesisMarket(PARAMS, 100)],
                      [GenesisValidator(n, 10, keys.public_key_hex(k)) for n, k in vkeys.items()],
                      accounts)
    (root / "genesis.json").write_text(json.dumps(genesis_to_json(genesis)))
    assert main(["operator", "init", "--home", str(root / "op"), "--genesis",
                 str(root / "genesis.json"), "--slots", "2"]) == 0
    vk_json = json.loads((root / "op" / "verification_key.json").read_text())
    nodes = Nodes()
    try:
        homes = [make_home(root, n, genesis, k, vk_json) for n, k in vkeys.items()]
        started = nodes.start_many(homes)
        yield {"root": root, "urls": [n.url for n in started], "nodes": started, "homes": homes,
               "rpc": anvil.provider.endpoint_uri, "w3": anvil}
    finally:
        nodes.stop_all()


def _validators(net):
    return [a for u in net["urls"] for a in ("--validator", u)]


def test_deploy_deposit_batch_settles_and_a_watching_node_reports_it(net, capsys):
    root, rpc = net["root"], net["rpc"]
    dep = root / "deployment.json"
    assert main(["chain", "deploy", "--rpc", rpc, "--vk", str(root / "op" / "verification_key.json"),
                 "--ledger", str(root / "genesis.json"), "--slots", "2", "--stake-unit", "1000",
                 "--out", str(dep), *_validators(net)]) == 0
    settlement = at(net["w3"], "Settlement", load_deployment(dep)["settlement"])
    addresses = {NodeClient(u, 30).status()["ethereum"]["address"] for u in net["urls"]}
    assert set(settlement.functions.members().call()[0]) == addresses
    assert main(["chain", "deposit", "--rpc", rpc, "--deployment", str(dep), "--account", "1",
                 "--amount", "500", "--mint"]) == 0
    orders = root / "orders"
    for a, side in ((1, "buy"), (2, "sell")):
        assert main(["order", "new", "--account-dir", str(root / f"t{a}"), "--market",
                     str(PARAMS.market_id), "--side", side, "--price", "100", "--size", "3",
                     "--out", str(orders), "--genesis", str(root / "genesis.json")]) == 0
    capsys.readouterr()
    rc = main(["operator", "batch", "--home", str(root / "op"), "--orders", str(orders),
               "--rpc", rpc, "--deployment", str(dep), *_validators(net)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "FINAL: block 1" in out and "SETTLED on-chain: block 1" in out
    f = settlement.functions
    assert (f.height().call(), f.depositHead().call(), f.collateral().call()) == (1, 1, 500)
    # a node watching the contract reports block 1 hard-final (its own anchor hash matches)
    watcher = net["nodes"][0]
    watcher.stop()
    node = Node(net["homes"][0], rpc=rpc, deployment=str(dep))
    try:
        eth = node.status()["ethereum"]
        assert (eth["soft"], eth["hard"], eth["collateral"]) == (1, 1, 500)
        assert f.lastBlockHash().call() == AnchorChain(node.store).at(1)
        assert eth["collateral_per_stake"] == 500 / (4 * 10 * 1000)
    finally:
        node.close()


def test_anchor_of_a_height_past_the_head_is_404(net):
    from ledger.node.client import NetworkError
    with pytest.raises(NetworkError) as e:
        NodeClient(net["urls"][1], 30).anchor(99)
    assert e.value.status == 404


def test_deploy_for_a_ledger_without_slots_is_one_line(net, capsys):
    root = net["root"]
    assert main(["chain", "deploy", "--rpc", net["rpc"], "--vk", str(root / "op" / "verification_key.json"),
                 "--ledger", str(root / "genesis.json"), "--out", str(root / "x.json"),
                 *_validators(net)]) == 2
    err = capsys.readouterr().err
    assert "--slots" in err and err.count("\n") == 1 and not (root / "x.json").exists()


def _orders(net, name, price=100):
    root = net["root"]
    for a, side in ((1, "sell"), (2, "buy")):
        assert main(["order", "new", "--account-dir", str(root / f"t{a}"), "--market",
                     str(PARAMS.market_id), "--side", side, "--price", str(price), "--size", "1",
                     "--out", str(root / name), "--genesis", str(root / "genesis.json")]) == 0
    return root / name


def test_signed_withdrawal_is_debited_settled_and_claimed_once(net, capsys):
    root, rpc, w3 = net["root"], net["rpc"], net["w3"]
    dep = root / "deployment.json"
    chain = ["--rpc", rpc, "--deployment", str(dep)]
    assert main(["chain", "withdraw", "--account-dir", str(root / "t1"), "--amount", "200",
                 "--out", str(root / "wd"), *chain]) == 0
    orders = _orders(net, "orders2")
    capsys.readouterr()
    rc = main(["operator", "batch", "--home", str(root / "op"), "--orders", str(orders),
               "--withdrawals", str(root / "wd"), *chain, *_validators(net)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "SETTLED on-chain: block 2" in out
    settlement = at(w3, "Settlement", load_deployment(dep)["settlement"])
    assert settlement.functions.claimable(1).call() == 200
    token = at(w3, "TestToken", load_deployment(dep)["token"])
    owner = settlement.functions.ownerOf(1).call()
    before = token.functions.balanceOf(owner).call()
    assert main(["chain", "claim", "--account", "1", *chain]) == 0
    assert token.functions.balanceOf(owner).call() == before + 200
    capsys.readouterr()
    assert main(["chain", "claim", "--account", "1", *chain]) == 1
    assert "NothingToClaim" in capsys.readouterr().err
    # the same request again: the account's state changed, so it is stale and skipped
    orders = _orders(net, "orders3", price=101)
    rc = main(["operator", "batch", "--home", str(root / "op"), "--orders", str(orders),
               "--withdrawals", str(root / "wd"), *chain, *_validators(net)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "skipped withdraw-1.json" in out and "stale" in out
    assert settlement.functions.height().call() == 3 and settlement.functions.claimable(1).call() == 0
