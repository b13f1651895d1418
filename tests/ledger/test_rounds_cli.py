"""`darkmatch operator batch --rounds` against validator processes (docs/liveness.md §Rounds):
a batch with 2 of 4 validators up is not final; the retry with all 4 up runs the stored block
in the next round and finalizes it, with today's attestations on the stored block."""

import json

from network_nodes import make_home
from test_liveness_cli import _cli, _dead_url, _orders, net  # noqa: F401  (the fixture)

from ledger.core.block import block_from_json
from ledger.node.client import NodeClient


def test_rounds_retry_after_two_of_four_down_finalizes_in_the_next_round(net, capsys):  # noqa: F811
    root, nodes = net["root"], net["nodes"]
    rc, out, err = _cli(capsys, "operator", "init", "--home", root / "op", "--genesis",
                        root / "genesis.json", "--slots", 2, "--key", root / "op-account")
    assert rc == 0, out + err
    vk_json = json.loads((root / "op" / "verification_key.json").read_text())
    homes = [make_home(root, n, net["genesis"], k, vk_json) for n, k in net["vkeys"].items()]
    up = [n.url for n in nodes.start_many(homes[:2])]
    orders = _orders(root, "orders1", [(1, "buy", 100, 4), (2, "sell", 100, 4)])

    def batch(urls, folder):
        argv = ["operator", "batch", "--home", root / "op", "--orders", folder,
                "--timeout", 60]
        for u in urls:
            argv += ["--validator", u]
        return _cli(capsys, *argv)

    rc, out, err = batch(up + [_dead_url(), _dead_url()], orders)
    assert rc == 1 and "NOT FINAL: block 1" in out, out + err
    stored = json.loads((root / "op" / "proposal.json").read_text())
    locks = [NodeClient(u, 30).request("GET", "/round/lock/1") for u in up]
    assert [x["top_round"] for x in locks] == [0, 0] and [x["lock"] for x in locks] == [None] * 2
    later = _orders(root, "orders2", [(1, "sell", 100, 1), (2, "buy", 100, 1)])
    urls = up + [n.url for n in nodes.start_many(homes[2:])]
    rc, out, err = batch(urls, later)
    assert rc == 0, out + err
    assert "re-sending the stored proposal for block 1" in out and "FINAL: block 1" in out
    assert {NodeClient(u, 30).status()["head"]["hash"] for u in urls} == \
        {block_from_json(stored).hash()}
    locks = [NodeClient(u, 30).request("GET", "/round/lock/1") for u in urls]
    assert {x["top_round"] for x in locks} == {1}                      # the retry: round 1
    final = NodeClient(up[0], 30).block(1)
    assert {s["validator"] for s in final["signatures"]} == {"v0", "v1", "v2", "v3"}
    assert not (root / "op" / "proposal.json").exists()
    rc, out, err = batch(urls, later)                                   # block 2: round 0
    assert rc == 0 and "FINAL: block 2" in out, out + err


def test_rounds_proposal_lost_before_a_polka_a_new_block_finalizes(net, capsys):  # noqa: F811
    root, nodes = net["root"], net["nodes"]
    rc, out, err = _cli(capsys, "operator", "init", "--home", root / "op", "--genesis",
                        root / "genesis.json", "--slots", 2, "--key", root / "op-account")
    assert rc == 0, out + err
    vk_json = json.loads((root / "op" / "verification_key.json").read_text())
    homes = [make_home(root, n, net["genesis"], k, vk_json) for n, k in net["vkeys"].items()]
    up = [n.url for n in nodes.start_many(homes[:2])]

    def batch(urls, folder):
        argv = ["operator", "batch", "--home", root / "op", "--orders", folder,
                "--timeout", 60]
        for u in urls:
            argv += ["--validator", u]
        return _cli(capsys, *argv)

    first = _orders(root, "orders1", [(1, "buy", 100, 4), (2, "sell", 100, 4)])
    rc, out, err = batch(up + [_dead_url(), _dead_url()], first)
    assert rc == 1 and "NOT FINAL: block 1" in out, out + err
    lost = block_from_json(json.loads((root / "op" / "proposal.json").read_text()))
    for f in ("proposal.json", "pending.json"):                # the operator's disk is lost
        (root / "op" / f).unlink()
    other = _orders(root, "orders2", [(1, "buy", 100, 2), (2, "sell", 100, 2)])
    urls = up + [n.url for n in nodes.start_many(homes[2:])]
    rc, out, err = batch(urls, other)
    assert rc == 0 and "FINAL: block 1" in out, out + err
    heads = {NodeClient(u, 30).status()["head"]["hash"] for u in urls}
    assert len(heads) == 1 and heads != {lost.hash()}          # the new block, everywhere
    locks = [NodeClient(u, 30).request("GET", "/round/lock/1") for u in urls]
    assert {x["top_round"] for x in locks} == {1}
