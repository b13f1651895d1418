"""`darkmatch params approve|submit` against validator nodes as processes on loopback."""

import json

import pytest
from ledger_chain import PARAMS, make_genesis
from network_nodes import Nodes, db_snapshot, make_home
from small_vk import settlement_shaped_vk_json

from ledger.cli.main import main
from ledger.node.client import NodeClient

MARGINS = {"kind": "market", "market_id": PARAMS.market_id, "im_bps": 2000, "mm_bps": 1000,
           "fee_bps": 5, "band_bps": 300}


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    """Three of four validators running (a vk of a tiny circuit shaped like a 1 x 1 batch:
    no block is proven here)."""
    genesis, _, vkeys = make_genesis(n_accounts=2, n_validators=4)
    root = tmp_path_factory.mktemp("params-cli")
    homes = [make_home(root, n, genesis, k, settlement_shaped_vk_json())
             for n, k in vkeys.items()]
    nodes = Nodes()
    try:
        urls = [n.url for n in nodes.start_many(homes[:3])]
        (root / "change.json").write_text(json.dumps(MARGINS))
        yield {"root": root, "homes": homes, "urls": urls}
    finally:
        nodes.stop_all()


def _approve(net, i, capsys, folder=None):
    out = (folder or net["root"]) / f"approval-{i}.json"
    assert main(["params", "approve", "--home", str(net["homes"][i]), "--change",
                 str(net["root"] / "change.json"), "--out", str(out)]) == 0
    capsys.readouterr()
    return str(out)


def _submit(net, approvals, capsys):
    argv = ["params", "submit", "--approval", *approvals]
    for u in net["urls"]:
        argv += ["--validator", u]
    rc = main(argv)
    return rc, capsys.readouterr()


def test_two_of_four_is_refused_three_applies_everywhere(net, capsys):
    approvals = [_approve(net, i, capsys) for i in range(4)]      # v3 signs offline
    doc = json.loads(open(approvals[0]).read())
    assert (doc["validator"], doc["height"], doc["change"]) == ("v0", 0, MARGINS)
    before = [db_snapshot(h) for h in net["homes"][:3]]
    rc, cap = _submit(net, approvals[:2], capsys)
    assert rc == 1 and cap.out.count("signed by 20 of 40 stake (needs > 2/3)") == 3
    assert [db_snapshot(h) for h in net["homes"][:3]] == before
    rc, cap = _submit(net, [approvals[0], approvals[1], approvals[3]], capsys)
    assert rc == 0 and cap.out.count(": applied") == 3, cap.out
    rc, cap = _submit(net, approvals[:3], capsys)              # another quorum, same change
    assert rc == 0 and cap.out.count(": known") == 3
    for u in net["urls"]:
        [applied] = NodeClient(u).param_changes(0)
        assert applied["change"] == MARGINS and len(applied["signatures"]) == 3


def test_bad_input_one_line(net, capsys, tmp_path):
    bad = tmp_path / "bad.json"
    cases = [('{"kind": "fee"}', "kind 'market' or 'validator'"),
             ('{"kind": "market", "market_id": 0}', "has exactly the fields"),
             ("[1", "not valid JSON")]
    for content, needle in cases:
        bad.write_text(content)
        assert main(["params", "approve", "--home", str(net["homes"][0]), "--change",
                     str(bad)]) == 2
        err = capsys.readouterr().err
        assert needle in err and err.count("\n") == 1, err
    assert main(["params", "approve", "--home", str(tmp_path), "--change",
                 str(net["root"] / "change.json")]) == 2
    assert "not a validator home" in capsys.readouterr().err
    a0 = _approve(net, 0, capsys, tmp_path)
    other = json.loads(open(a0).read())
    other["height"] = 7
    (tmp_path / "a7.json").write_text(json.dumps(other))
    assert main(["params", "submit", "--approval", a0, str(tmp_path / "a7.json"),
                 "--validator", net["urls"][0]]) == 2
    assert "different heights" in capsys.readouterr().err
    assert main(["params", "submit", "--approval", a0]) == 2
    assert "--validator" in capsys.readouterr().err
