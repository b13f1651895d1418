"""An attacker's inputs to a validator node's HTTP routes: every one answers a 4xx with a
one-line JSON ``{"error"}``, never a 500 or a traceback, and a refused POST leaves the
node's SQLite file (head, state, sign and round logs, evidence) exactly as it was."""

import json

import pytest

from circuits.settlement_data import MarketParams, n_public_inputs
from ledger.core import keys
from ledger.core.genesis import (Genesis, GenesisAccount, GenesisMarket, GenesisValidator,
                                 PerpConfig, genesis_to_json)
from ledger.core.limits import HEIGHT_BOUND
from ledger.node.server import MAX_REQUEST_BYTES, create_app
from ledger.node.service import Node, init_home

from tests.ledger.network_nodes import db_snapshot
from tests.ledger.small_vk import settlement_shaped_vk_json

MARKET = MarketParams(0, 1000, 500, 10, 500, 100, 5000)


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    """One node (an oracle market, a price source) and its Flask client, shared by the module."""
    root = tmp_path_factory.mktemp("hostile")
    vkeys = {f"v{i}": keys.generate() for i in range(3)}
    g = Genesis("hostile-chain", [GenesisMarket(MARKET, 10_000, PerpConfig(True, 100, 10, 0))],
                [GenesisValidator(n, 10, keys.public_key_hex(k)) for n, k in vkeys.items()],
                [GenesisAccount(1, keys.public_key_hex(keys.generate()), 1000, 0)])
    (root / "genesis.json").write_text(json.dumps(genesis_to_json(g)))
    (root / "vk.json").write_text(json.dumps(settlement_shaped_vk_json()))
    keys.save_private_key(vkeys["v0"], root / "v0.pem")
    home = root / "home"
    init_home(str(home), str(root / "genesis.json"), str(root / "v0.pem"), str(root / "vk.json"))
    (home / "price_source").write_text("sim:5:10000\n")
    logs = []
    node = Node(str(home), log=logs.append)
    yield node, create_app(node).test_client(), home, logs
    node.close()


def _one_line_error(r, status=None):
    assert 400 <= r.status_code < 500, (r.status_code, r.get_data(as_text=True))
    if status is not None:
        assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == "application/json"
    body = r.get_data(as_text=True)
    assert "Traceback" not in body and body.count("\n") == 1
    obj = json.loads(body)
    assert list(obj) == ["error"] and obj["error"] and "\n" not in obj["error"]
    return obj["error"]


def _block(node, **change):
    height, head = node.store.head()
    b = {"kind": "darkmatch-block", "version": 1, "height": height + 1, "parent_hash": head,
         "n_orders": 1, "n_accounts": 1, "public_inputs": ["0"] * n_public_inputs(1, 1),
         "proof": {}, "state_root": "00" * 32, "orders": [None], "signatures": []}
    b.update(change)
    return {k: v for k, v in b.items() if v is not _DROP}


_DROP = object()
BAD_HEIGHTS = ["1e3", "-1", "\u0663", "0x10", "+1", " 1", "1.0", "9" * 30,
               str(HEIGHT_BOUND), "9999999999999999999", "%00", "1%0a2"]


@pytest.mark.parametrize("route", ["/observations/0/{}", "/observations/{}/1", "/anchor/{}",
                                   "/round/lock/{}", "/blocks/{}", "/param-changes/{}"])
@pytest.mark.parametrize("height", BAD_HEIGHTS)
def test_bad_path_height(net, route, height):
    _, c, _, _ = net
    msg = _one_line_error(c.get(route.format(height)))
    word = "market" if route.startswith("/observations/{}") else "height"
    assert msg.startswith(f"{word} must be a decimal integer") or "404" in msg, msg


@pytest.mark.parametrize("path, status, word", [
    ("/anchor/1", 404, "height 1"), ("/anchor/9223372036854775807", 404, "height"),
    ("/round/lock/9223372036854775807", None, None),
    ("/observations/99/1", 404, "market 99"), ("/observations/0/5", 409, "next block"),
    ("/round/nope", 405, "Method"), ("/nope", 404, "Not Found"),
])
def test_get_refusals(net, path, status, word):
    _, c, _, _ = net
    r = c.get(path)
    if status is None:                       # the largest height is a valid question
        assert r.status_code == 200 and r.json["lock"] is None
        return
    assert word in _one_line_error(r, status)


def test_metrics_and_evidence_reads_ignore_junk(net):
    _, c, _, _ = net
    assert c.get("/metrics?x=%ff&y=1e999").status_code == 200
    assert c.get("/evidence?evidence=1").json["evidence"] == []
    _one_line_error(c.put("/metrics"), 405)
    _one_line_error(c.delete("/evidence"), 405)


POST_ROUTES = ["/propose", "/finalize", "/evidence", "/param-change", "/round/prevote",
               "/round/precommit", "/round/attest"]
RAW_BODIES = {
    "empty": b"", "not utf-8": b"\xff\xfe{", "duplicate key": b'{"a": 1, "a": 2}',
    "nested duplicate key": b'{"kind": "x", "o": {"b": 1, "b": 1}}',
    "huge int": b"1" + b"0" * 5000, "huge int in object": b'{"height": 1' + b"0" * 5000 + b"}",
    "nested bomb": b"[" * 100_000, "object bomb": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "list": b"[]", "string": b'"x"', "null": b"null", "NaN": b"NaN", "Infinity": b"[Infinity]",
    "truncated": b'{"kind": ', "oversized": b"[" + b"1," * (MAX_REQUEST_BYTES // 2) + b"1]",
    "utf-16": '{"kind": "x"}'.encode("utf-16"),
}


@pytest.mark.parametrize("route", POST_ROUTES)
@pytest.mark.parametrize("name", sorted(RAW_BODIES))
def test_malformed_post_body(net, route, name):
    node, c, home, _ = net
    before = db_snapshot(home)
    for ctype in ("application/json", "text/plain"):
        r = c.post(route, data=RAW_BODIES[name], content_type=ctype)
        _one_line_error(r, 413 if name == "oversized" else 400)
    assert db_snapshot(home) == before


def test_duplicate_key_is_named(net):
    _, c, _, _ = net
    assert "duplicate key 'height'" in _one_line_error(
        c.post("/propose", data=b'{"height": 1, "height": 2}'), 400)


SIG = "ab" * 64
OBS = {"kind": "darkmatch-observation", "version": 1}
BLOCK_CASES = {
    "observations not a list": dict(observations=5),
    "observations empty": dict(observations=[]),
    "observation an int": dict(observations=[5]),
    "observation empty object": dict(observations=[{}]),
    "observation missing fields": dict(observations=[OBS]),
    "observation huge price": dict(observations=[dict(OBS, chain_id="hostile-chain",
                                                      market_id=0, height=1, price=10**40,
                                                      validator="v0", signature=SIG)]),
    "observation negative price": dict(observations=[dict(OBS, chain_id="hostile-chain",
                                                          market_id=0, height=1, price=-1,
                                                          validator="v0", signature=SIG)]),
    "withdrawals a string": dict(withdrawals="x"),
    "withdrawals empty": dict(withdrawals=[]),
    "withdrawal an int": dict(withdrawals=[7]),
    "withdrawal unknown kind": dict(withdrawals=[{"a": 1}]),
    "evidence an int": dict(evidence=1),
    "evidence empty": dict(evidence=[]),
    "evidence item an int": dict(evidence=[1]),
    "evidence item a string": dict(evidence=["x"]),
    "evidence item a list": dict(evidence=[[1, 2]]),
    "evidence item unknown kind": dict(evidence=[{"kind": "x"}]),
    "operator_signature an int": dict(operator_signature=5),
    "operator_signature short": dict(operator_signature="ab"),
    "operator_signature not hex": dict(operator_signature="zz" * 64),
    "operator_signature upper hex": dict(operator_signature="AB" * 64),
    "operator_signature null": dict(operator_signature=None),
    "height huge": dict(height=10**30),
    "height the largest": dict(height=HEIGHT_BOUND - 1),
    "height far ahead": dict(height=10**15),
    "height negative": dict(height=-1),
    "height zero": dict(height=0),
    "height a string": dict(height="1"),
    "height a float": dict(height=1.0),
    "height a bool": dict(height=True),
    "unknown field": dict(foo=1),
    "missing proof": dict(proof=_DROP),
    "missing kind": dict(kind=_DROP),
    "proof a list": dict(proof=[]),
    "public input not canonical": dict(public_inputs=["01"] + ["0"] * (n_public_inputs(1, 1) - 1)),
    "public input past the field": dict(public_inputs=["9" * 99] + ["0"] * (n_public_inputs(1, 1) - 1)),
    "public inputs too many": dict(public_inputs=["0"] * 100_000),
    "order an int": dict(orders=[5]),
    "signatures an int": dict(signatures=5),
    "signature an int": dict(signatures=[5]),
    "parent_hash short": dict(parent_hash="00"),
    "n_orders negative": dict(n_orders=-1),
    "version 2": dict(version=2),
}


def _post_refused(net, route, obj):
    node, c, home, _ = net
    before, head = db_snapshot(home), node.store.head()
    msg = _one_line_error(c.post(route, json=obj))
    assert db_snapshot(home) == before and node.store.head() == head
    return msg


@pytest.mark.parametrize("route", ["/propose", "/finalize"])
@pytest.mark.parametrize("name", sorted(BLOCK_CASES))
def test_block_malformed_fields(net, route, name):
    _post_refused(net, route, _block(net[0], **BLOCK_CASES[name]))


@pytest.mark.parametrize("name", sorted(BLOCK_CASES))
def test_round_prevote_malformed_block_fields(net, name):
    _post_refused(net, "/round/prevote", {"block": _block(net[0], **BLOCK_CASES[name]),
                                          "round": 0})


ROUND_CASES = {
    "block an int": {"block": 5, "round": 0},
    "block missing": {"round": 0},
    "round missing": {"round": _DROP},
    "round huge": {"round": 10**40},
    "round negative": {"round": -1},
    "round a string": {"round": "0"},
    "round a bool": {"round": False},
    "pol_round a string": {"round": 1, "pol_round": "0"},
    "pol_round negative": {"round": 1, "pol_round": -1},
    "operator_signature an int": {"round": 0, "operator_signature": 5},
    "polka an int": {"round": 0, "polka": 5},
    "polka vote an int": {"round": 0, "polka": [5]},
    "polka vote empty": {"round": 0, "polka": [{}]},
    "polka too long": {"round": 0, "polka": [{}] * 2000},
    "commit a dict": {"round": 0, "commit": {}},
    "unknown field": {"round": 0, "x": 1},
    "signed block": {"round": 0, "signed": True},
}


@pytest.mark.parametrize("phase", ["prevote", "precommit", "attest"])
@pytest.mark.parametrize("name", sorted(ROUND_CASES))
def test_round_malformed(net, phase, name):
    node = net[0]
    obj = {"block": _block(node), "round": 0,
           **{"precommit": {"polka": []}, "attest": {"commit": []}}.get(phase, {})}
    obj.update(ROUND_CASES[name])
    if obj.pop("signed", False):
        obj["block"] = _block(node, signatures=[{"validator": "v0", "signature": SIG}])
    obj = {k: v for k, v in obj.items() if v is not _DROP}
    _post_refused(net, f"/round/{phase}", obj)


EVIDENCE_CASES = {
    "an int": 5, "a list": [1], "empty object": {}, "wrong kind": {"kind": "x"},
    "evidence an int": {"kind": "darkmatch-evidence", "version": 1, "evidence": 5},
    "item an int": {"kind": "darkmatch-evidence", "version": 1, "evidence": [1]},
    "item empty": {"kind": "darkmatch-evidence", "version": 1, "evidence": [{}]},
    "item unknown kind": {"kind": "darkmatch-evidence", "version": 1,
                          "evidence": [{"kind": "double-sign"}]},
    "too many": {"kind": "darkmatch-evidence", "version": 1, "evidence": [{}] * 100_000},
    "unknown field": {"kind": "darkmatch-evidence", "version": 1, "evidence": [], "x": 1},
}


@pytest.mark.parametrize("name", sorted(EVIDENCE_CASES))
def test_post_evidence_malformed(net, name):
    _post_refused(net, "/evidence", EVIDENCE_CASES[name])


H1, H2 = "11" * 32, "22" * 32


def _ev(**change):
    e = {"kind": "double-sign", "validator": "v1", "height": 1,
         "first": {"hash": H1, "signature": SIG}, "second": {"hash": H2, "signature": SIG}}
    e.update(change)
    return {k: v for k, v in e.items() if v is not _DROP}


CRAFTED = {
    "unknown validator": (_ev(validator="zz"), 422),
    "signatures that do not verify": (_ev(), 422),
    "the largest height": (_ev(height=HEIGHT_BOUND - 1), 422),
    "height past int64": (_ev(height=HEIGHT_BOUND), 400),
    "height zero": (_ev(height=0), 400),
    "first an int": (_ev(first=5), 400),
    "first a list": (_ev(first=[1]), 400),
    "one hash twice": (_ev(second={"hash": H1, "signature": SIG}), 400),
    "hashes in the other order": (_ev(first={"hash": H2, "signature": SIG},
                                      second={"hash": H1, "signature": SIG}), 400),
    "validator an int": (_ev(validator=5), 400),
    "validator too long": (_ev(validator="v" * 10_000), 400),
    "operator equivocation without an operator": (_ev(kind="operator-equivocation",
                                                      validator=_DROP), 422),
}


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_post_evidence_crafted(net, name):
    item, status = CRAFTED[name]
    node, c, home, _ = net
    before = db_snapshot(home)
    _one_line_error(c.post("/evidence", json={"kind": "darkmatch-evidence", "version": 1,
                                              "evidence": [item]}), status)
    assert db_snapshot(home) == before and c.get("/evidence").json["evidence"] == []


def test_no_internal_error_was_logged(net):
    assert not [m for m in net[3] if "internal error" in m or "Traceback" in m]
