"""A validator node's GET /metrics (ledger.node.metrics): Prometheus text that the reference
parser reads, with the same figures as GET /status, and one registry per node."""

import json
import warnings

import pytest
from prometheus_client.parser import text_string_to_metric_families

from circuits.settlement import settlement_circuit
from circuits.settlement_data import FUNDING_OFFSET, GLOBALS, MarketParams
from prover import dev_srs, setup
from ledger.core import keys
from ledger.core.block import Block
from ledger.core.genesis import (Genesis, GenesisAccount, GenesisMarket, GenesisValidator,
                                 PerpConfig, genesis_to_json)
from ledger.core.observation import sign_observation
from ledger.node.server import create_app
from ledger.node.service import Node, init_home

from tests.ledger.ledger_chain import build_block, make_orders

PERP = MarketParams(0, 1000, 500, 10, 500, 100, 4000)
SPOT = MarketParams(7, 1000, 500, 10, 500)
STAKES = {"v0": 10, "v1": 20, "v2": 30}
CHAIN = "metrics-chain"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("metrics")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, vk = setup(settlement_circuit(1, 1), dev_srs(14))
    vkeys = {n: keys.generate() for n in STAKES}
    akeys = {a: keys.generate() for a in (1, 2)}
    g = Genesis(CHAIN, [GenesisMarket(PERP, 10_000, PerpConfig(True, 2000, 50, 1000)),
                        GenesisMarket(SPOT, 100)],
                [GenesisValidator(n, s, keys.public_key_hex(vkeys[n])) for n, s in STAKES.items()],
                [GenesisAccount(a, keys.public_key_hex(k), 10**9, 0) for a, k in akeys.items()])
    (root / "genesis.json").write_text(json.dumps(genesis_to_json(g)))
    (root / "vk.json").write_text(json.dumps(vk.to_json()))
    for n, k in vkeys.items():
        keys.save_private_key(k, root / f"{n}.pem")
    return root, vkeys, akeys


def _node(files, tmp_path, name):
    root, _, _ = files
    home = tmp_path / name
    init_home(str(home), str(root / "genesis.json"), str(root / f"{name}.pem"),
              str(root / "vk.json"))
    return Node(str(home), log=lambda m: None)


def _advance(node, vkeys, akeys):
    """One oracle block: index 10_250 (by stake), a jump past the band, fees and a penalty."""
    store = node.store
    prices = {"v0": 10_100, "v1": 10_200, "v2": 10_700}     # lower median by stake: 10_200
    obs = [sign_observation(vkeys[n], n, CHAIN, 0, 1, p) for n, p in prices.items()]
    orders = make_orders(akeys, [(1, "buy", 10_200, 1), (2, "sell", 10_200, 1)])
    b = build_block(store, orders, params=PERP, price=10_200, mark=10_200, volume=1)
    pi = list(b.public_inputs)
    fund = 1000 + 70 + 1003 * 4000 // 10_000                  # old + penalties + fee share
    for name, v in dict(funding_index=FUNDING_OFFSET, fee_total=1003, penalties=70,
                        insurance_old=1000, insurance_new=fund).items():
        pi[GLOBALS.index(name)] = v
    store.apply_block(Block(1, b.parent_hash, b.n_orders, b.n_accounts, pi, b.proof,
                            b.state_root, b.orders, (), observations=tuple(obs)),
                      expected_parent=store.head()[1])


def _scrape(client):
    r = client.get("/metrics")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    out = {}
    for family in text_string_to_metric_families(r.get_data(as_text=True)):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_equal_the_status_figures(files, tmp_path):
    _, vkeys, akeys = files
    node = _node(files, tmp_path, "v0")
    try:
        _advance(node, vkeys, akeys)
        c = create_app(node).test_client()
        status = c.get("/status").json
        m = _scrape(c)
    finally:
        node.close()
    assert m[("darkmatch_head_height", ())] == status["head"]["height"] == 1
    assert m[("darkmatch_finalized_blocks", ())] == 1
    assert m[("darkmatch_syncing", ())] == int(status["syncing"])
    figures = status["markets"]
    assert figures["0"]["insurance_fund"] == "1471" and figures["0"]["breaker"] is False
    for mid, f in figures.items():
        lab = (("market", mid),)
        for metric, key in [("mark_price", "mark"), ("index_price", "index"),
                            ("oracle", "oracle"), ("funding_index", "funding_index"),
                            ("insurance_fund", "insurance_fund"), ("shortfall", "shortfall"),
                            ("breaker", "breaker"), ("reduce_only", "reduce_only")]:
            assert m[("darkmatch_market_" + metric, lab)] == int(f[key]), (mid, metric)
        for name, amount in f["rewards"].items():
            assert m[("darkmatch_validator_reward", (("market", mid), ("validator", name)))] \
                == int(amount)
    assert figures["0"]["mark"] == figures["0"]["index"] == 10_200
    rewards = {n: int(a) for n, a in figures["0"]["rewards"].items()}
    assert sum(rewards.values()) == 1003 - 401 and len(rewards) == 3
    assert {k[1][0][1]: v for k, v in m.items() if k[0] == "darkmatch_validator_stake"} \
        == STAKES
    assert m[("darkmatch_unslashed_stake", ())] == sum(STAKES.values())
    # the /status request before the scrape was counted by route and status
    assert m[("darkmatch_http_requests_total",
              (("method", "GET"), ("route", "/status"), ("status", "200")))] == 1


def test_each_node_counts_its_own_requests(files, tmp_path):
    a, b = _node(files, tmp_path, "v1"), _node(files, tmp_path, "v2")
    try:
        ca, cb = create_app(a).test_client(), create_app(b).test_client()
        for _ in range(3):
            ca.get("/blocks/1")                                   # 404: past the head
        ca.get("/nowhere")
        cb.get("/blocks/x")                                       # 400
        ma, mb = _scrape(ca), _scrape(cb)
    finally:
        a.close()
        b.close()
    key = ("darkmatch_http_requests_total",
           (("method", "GET"), ("route", "/blocks/<height>"), ("status", "404")))
    assert ma[key] == 3 and key not in mb
    assert ma[("darkmatch_http_requests_total",
               (("method", "GET"), ("route", "unmatched"), ("status", "404")))] == 1
    assert mb[("darkmatch_http_requests_total",
               (("method", "GET"), ("route", "/blocks/<height>"), ("status", "400")))] == 1
    assert ma[("darkmatch_head_height", ())] == mb[("darkmatch_head_height", ())] == 0
