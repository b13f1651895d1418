"""`darkmatch operator batch` (two-phase rounds by default) against validator processes
(docs/liveness.md §Rounds): a batch with 2 of 4 validators up is not final; the retry with all
4 up runs the stored block in the next round and finalizes it, with today's attestations on the
stored block; a proposal lost before a polka is replaced by a new block; one lost after the
validators locked on it is proposed again from their lock; when pending.json lost its states,
the accounts it touched wait for their owners to hand them back (operator recover)."""

import json

import pytest

from test_liveness_cli import _cli, _dead_url, _operator_and_homes, _orders, net  # noqa: F401  (the fixture)

from ledger.core import keys
from ledger.core.block import block_from_json, block_to_json
from ledger.core.round_messages import round_proposal_bytes
from ledger.node.client import NodeClient


def test_rounds_retry_after_two_of_four_down_finalizes_in_the_next_round(net, capsys):  # noqa: F811
    root, nodes = net["root"], net["nodes"]
    homes = _operator_and_homes(net, capsys)
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
    homes = _operator_and_homes(net, capsys)
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


def _lock_two_at(root, urls, block):
    """Round 1 of ``block``: all four prevote, the first two precommit (they lock on it), and
    the operator dies before any commit."""
    op_key = keys.load_private_key(root / "op" / "operator_key.pem")
    body = {"block": block_to_json(block.with_operator_signature(None)), "round": 1,
            "operator_signature": keys.sign(op_key, round_proposal_bytes(
                block.height, 1, block.hash())).hex()}
    polka = [NodeClient(u, 30).round_vote("prevote", body) for u in urls]
    for u in urls[:2]:
        NodeClient(u, 30).round_vote("precommit", {"block": body["block"], "round": 1,
                                                   "polka": polka})
    assert [NodeClient(u, 30).round_lock(block.height)["lock"] is not None for u in urls] == \
        [True, True, False, False]


@pytest.mark.parametrize("pending_kept", [True, False])
def test_a_block_the_validators_are_locked_on_is_proposed_again(net, capsys, pending_kept):  # noqa: F811
    """The operator lost proposal.json after two validators locked on its block.  The next
    batch finds the lock and proposes that block again (no proof): it finalizes.  With
    pending.json kept its states are adopted; with pending.json lost too, the accounts it
    touched are marked state unknown: their orders are refused with one line until each
    owner decrypts its opening from the block (account state --out) and the operator takes
    it back (operator recover; a wrong opening is refused, nothing stored)."""
    root, nodes = net["root"], net["nodes"]
    homes = _operator_and_homes(net, capsys)
    urls = [n.url for n in nodes.start_many(homes)]

    def batch(folder):
        argv = ["operator", "batch", "--home", root / "op", "--orders", folder, "--timeout", 60]
        for u in urls:
            argv += ["--validator", u]
        return _cli(capsys, *argv)

    first = _orders(root, "orders1", [(1, "buy", 100, 4), (2, "sell", 100, 4)])
    rc, out, err = batch(first)                                  # block 1, final
    assert rc == 0 and "FINAL: block 1" in out, out + err
    rc, out, err = _cli(capsys, "operator", "batch", "--home", root / "op", "--orders",
                        _orders(root, "orders2", [(1, "sell", 100, 2), (2, "buy", 100, 2)]),
                        "--timeout", 60, "--validator", urls[0], "--validator", _dead_url(),
                        "--validator", _dead_url(), "--validator", _dead_url())
    assert rc == 1 and "NOT FINAL: block 2" in out, out + err   # round 0: one prevote
    stored = block_from_json(json.loads((root / "op" / "proposal.json").read_text()))
    _lock_two_at(root, urls, stored)
    (root / "op" / "proposal.json").unlink()                     # the disk loses it
    if not pending_kept:
        (root / "op" / "pending.json").unlink()
    other = _orders(root, "orders3", [(1, "buy", 100, 1), (2, "sell", 100, 1)])
    rc, out, err = batch(other)
    assert rc == 0, out + err
    assert "validators are locked on block 2" in out and "proposing it again" in out
    assert "FINAL: block 2" in out and "proving" not in out
    assert {NodeClient(u, 30).status()["head"]["hash"] for u in urls} == {stored.hash()}
    assert not (root / "op" / "pending.json").exists()
    if pending_kept:
        assert not (root / "op" / "unknown.json").exists()
        rc, out, err = batch(other)                              # the states were adopted
        assert rc == 0 and "FINAL: block 3" in out, out + err
        return
    assert "account(s) 1, 2 are marked state unknown" in out
    assert json.loads((root / "op" / "unknown.json").read_text())["accounts"] == \
        {"1": 2, "2": 2}
    rc, out, err = batch(other)                                  # both accounts left out
    assert rc == 2 and "Traceback" not in err and len(err.splitlines()) == 1, out + err
    assert out.count("state is unknown (lost with block 2") == 2 and "no order" in err
    for a in (1, 2):                                             # each owner decrypts its own
        rc, out, err = _cli(capsys, "account", "state", "--account-dir", root / f"t{a}",
                            "--node", urls[a], "--out", root / f"state{a}.json")
        assert rc == 0 and "at block 2" in out, out + err
    bad = json.loads((root / "state1.json").read_text())
    bad["states"][0]["blinding"] = str(int(bad["states"][0]["blinding"]) + 1)
    (root / "bad.json").write_text(json.dumps(bad))
    before = [(root / "op" / f).read_bytes() for f in ("states.json", "unknown.json")]
    for wrong in (root / "bad.json", root / "missing.json"):
        rc, out, err = _cli(capsys, "operator", "recover", "--home", root / "op", "--state",
                            root / "state2.json", "--state", wrong)
        assert rc == 2 and "Traceback" not in err and len(err.splitlines()) == 1, out + err
    assert "does not open the commitment" in _cli(
        capsys, "operator", "recover", "--home", root / "op", "--state", root / "bad.json")[2]
    assert [(root / "op" / f).read_bytes() for f in ("states.json", "unknown.json")] == before
    rc, out, err = _cli(capsys, "operator", "recover", "--home", root / "op", "--state",
                        root / "state1.json", "--state", root / "state2.json")
    assert rc == 0 and "recovered account(s) 1, 2" in out, out + err
    assert not (root / "op" / "unknown.json").exists()
    rc, out, err = _cli(capsys, "operator", "recover", "--home", root / "op", "--state",
                        root / "state1.json")
    assert rc == 2 and "not unknown" in err, out + err
    rc, out, err = batch(other)                                  # both trade again
    assert rc == 0 and "FINAL: block 3" in out, out + err
