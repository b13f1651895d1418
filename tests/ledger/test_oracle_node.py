"""A validator node's oracle duty over HTTP (GET /observations/<market>/<height>), the risk
figures of /status, and the operator's collection of observations."""

import json
import threading
import warnings

import pytest
from werkzeug.serving import make_server

from circuits.settlement import settlement_circuit
from circuits.settlement_data import MarketParams
from prover import dev_srs, setup
from ledger.core import keys
from ledger.core.genesis import (Genesis, GenesisAccount, GenesisMarket, GenesisValidator,
                                 PerpConfig, genesis_to_json)
from ledger.chain.oracle_quorum import oracle_index
from ledger.node.server import create_app
from ledger.node.service import Node, init_home
from ledger.operator.round import collect_observations

MARKET = MarketParams(0, 1000, 500, 10, 500, 100, 5000)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("oracle-node")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, vk = setup(settlement_circuit(1, 1), dev_srs(14))
    vkeys = {f"v{i}": keys.generate() for i in range(3)}
    g = Genesis("oracle-chain", [GenesisMarket(MARKET, 10_000, PerpConfig(True, 100, 10, 0)),
                                 GenesisMarket(MarketParams(7, 1000, 500, 10, 500), 100)],
                [GenesisValidator(n, 10, keys.public_key_hex(k)) for n, k in vkeys.items()],
                [GenesisAccount(1, keys.public_key_hex(keys.generate()), 1000, 0)])
    (root / "genesis.json").write_text(json.dumps(genesis_to_json(g)))
    (root / "vk.json").write_text(json.dumps(vk.to_json()))
    for n, k in vkeys.items():
        keys.save_private_key(k, root / f"{n}.pem")
    return root, g, vkeys


def _node(files, tmp_path, name, source="sim:5:10000"):
    root, _, _ = files
    home = tmp_path / name
    init_home(str(home), str(root / "genesis.json"), str(root / f"{name}.pem"),
              str(root / "vk.json"))
    if source is not None:
        (home / "price_source").write_text(source + "\n")
    return Node(str(home), log=lambda m: None)


def test_observation_route(files, tmp_path):
    node = _node(files, tmp_path, "v0")
    try:
        c = create_app(node).test_client()
        r = c.get("/observations/0/1")
        assert r.status_code == 200, r.json
        obs = r.json
        assert (obs["chain_id"], obs["market_id"], obs["height"], obs["validator"]) == (
            "oracle-chain", 0, 1, "v0")
        assert c.get("/observations/0/1").json == obs          # once per height
        assert c.get("/observations/0/2").status_code == 409    # not the next block
        assert "next block only" in c.get("/observations/0/2").json["error"]
        assert c.get("/observations/7/1").status_code == 404    # not an oracle market
        assert c.get("/observations/x/1").status_code == 400
        figures = c.get("/status").json["markets"]["0"]
        assert figures == {"mark": 10_000, "index": 0, "oracle": True, "breaker": False,
                           "reduce_only": False, "funding_index": 0, "insurance_fund": "0",
                           "shortfall": "0", "rewards": {}}
    finally:
        node.close()


def test_a_node_without_a_source_observes_nothing(files, tmp_path):
    node = _node(files, tmp_path, "v1", source=None)
    try:
        r = create_app(node).test_client().get("/observations/0/1")
        assert r.status_code == 404 and "no price source" in r.json["error"]
    finally:
        node.close()


def test_a_failing_source_is_a_one_line_refusal(files, tmp_path):
    node = _node(files, tmp_path, "v2", source=f"file:{tmp_path}/missing.json")
    try:
        r = create_app(node).test_client().get("/observations/0/1")
        assert r.status_code == 422 and "cannot read" in r.json["error"]
        assert "\n" not in r.json["error"]
    finally:
        node.close()


def test_operator_collects_a_quorum_over_http(files, tmp_path):
    _, g, vkeys = files
    nodes = [_node(files, tmp_path, n) for n in vkeys]
    servers = [make_server("127.0.0.1", 0, create_app(n), threaded=True) for n in nodes]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    try:
        urls = [f"http://127.0.0.1:{s.server_port}" for s in servers]
        obs, failures = collect_observations(urls + ["http://127.0.0.1:9"], 0, 1, timeout=5)
        assert [o.validator for o in obs] == list(vkeys) and list(failures) == [
            "http://127.0.0.1:9"]
        view = nodes[0].store.view()
        idx = oracle_index(obs, view.validators, g.chain_id, 0, 1)
        assert idx.signed_stake == 30 and idx.index in {o.price for o in obs}
    finally:
        for s in servers:
            s.shutdown()
        for n in nodes:
            n.close()


def test_a_restarted_node_serves_the_observation_it_signed(files, tmp_path):
    node = _node(files, tmp_path, "v2")
    try:
        first = create_app(node).test_client().get("/observations/0/1").json
    finally:
        node.close()
    # the node restarts with a source that now reads another price: it still serves (and
    # so signs) only the price it signed for this height before the restart
    (tmp_path / "v2" / "price_source").write_text("sim:99:20000\n")
    node = Node(str(tmp_path / "v2"), log=lambda m: None)
    try:
        assert node.observer.source.price(0, 1) != first["price"]
        again = create_app(node).test_client().get("/observations/0/1").json
    finally:
        node.close()
    assert again == first
