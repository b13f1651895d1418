"""An oracle perpetual market end to end over HTTP: four validator processes observe a
simulated feed (HOME/price_source), `darkmatch operator batch` collects their signed prices,
and the block's mark is the quorum's; /status carries the risk figures; `operator monitor`
prints the risk view."""

import json

import pytest
from network_nodes import Nodes, make_home

from circuits.settlement_data import MarketParams
from ledger.cli.main import main
from ledger.core import keys
from ledger.core.genesis import (Genesis, GenesisAccount, GenesisMarket, GenesisValidator,
                                 PerpConfig, genesis_to_json)
from ledger.chain.oracle_quorum import oracle_index
from ledger.chain.market_state import mark_and_breaker
from ledger.chain.store import Store
from ledger.node.client import NodeClient

MARKET = MarketParams(0, 1000, 500, 10, 500, 100, 5000)


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    root = tmp_path_factory.mktemp("oracle-cli")
    accounts = []
    for a in (1, 2):
        assert main(["account", "new", "--out", str(root / f"t{a}"), "--id", str(a)]) == 0
        pub = json.loads((root / f"t{a}" / "account.json").read_text())["public_key"]
        accounts.append(GenesisAccount(a, pub, 1_000_000))
    vkeys = {f"v{i}": keys.generate() for i in range(4)}
    genesis = Genesis("oracle-cli", [GenesisMarket(MARKET, 1000, PerpConfig(True, 1000, 10,
                                                                             500))],
                      [GenesisValidator(n, 10 * (i + 1), keys.public_key_hex(k))
                       for i, (n, k) in enumerate(vkeys.items())], accounts)
    (root / "genesis.json").write_text(json.dumps(genesis_to_json(genesis)))
    assert main(["operator", "init", "--home", str(root / "op"), "--genesis",
                 str(root / "genesis.json"), "--slots", "2"]) == 0
    vk_json = json.loads((root / "op" / "verification_key.json").read_text())
    nodes = Nodes()
    try:
        homes = [make_home(root, n, genesis, k, vk_json) for n, k in vkeys.items()]
        for h in homes:
            (h / "price_source").write_text("sim:4:1000\n")
        urls = [n.url for n in nodes.start_many(homes)]
        yield {"root": root, "urls": urls, "genesis": genesis}
    finally:
        nodes.stop_all()


def test_operator_batch_takes_the_quorum_mark(net, capsys):
    root = net["root"]
    for a, side in ((1, "buy"), (2, "sell")):
        assert main(["order", "new", "--account-dir", str(root / f"t{a}"), "--market", "0",
                     "--side", side, "--price", "1000", "--size", "3", "--out",
                     str(root / "orders"), "--genesis", str(root / "genesis.json")]) == 0
    argv = ["operator", "batch", "--home", str(root / "op"), "--orders", str(root / "orders"),
            "--mark", "1040"]                     # ignored: the market has an oracle
    for u in net["urls"]:
        argv += ["--validator", u]
    capsys.readouterr()
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "FINAL: block 1" in out and "4/4 validators" in out, out
    with Store.open(str(root / "op" / "node.db")) as store:
        block = store.get_block(1)
        view = store.view()
    assert len(block.observations) == 4
    idx = oracle_index(block.observations, view.validators, "oracle-cli", 0, 1).index
    assert block.mark_price == mark_and_breaker(1000, idx, 500)[0]
    status = NodeClient(net["urls"][2], 30).status()
    fig = status["markets"]["0"]
    assert (fig["mark"], fig["index"], fig["oracle"]) == (block.mark_price, idx, True)
    # fees: 3 lots at P on each side, 10 bps; half to the fund (500 at genesis), half rewarded
    fee = 2 * (3 * block.price * 10 // 10_000)
    assert int(fig["insurance_fund"]) == 500 + fee // 2
    assert sum(int(v) for v in fig["rewards"].values()) == fee - fee // 2
    assert main(["operator", "monitor", "--home", str(root / "op")]) == 0
    view_out = capsys.readouterr().out
    assert "insurance fund" in view_out and "breaker off" in view_out
    assert "ok" in view_out and "below maintenance" not in view_out
