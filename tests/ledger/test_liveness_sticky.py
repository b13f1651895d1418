"""Sticky, operator-signed proposals (docs/liveness.md): a failed round is retried with the same
stored block, validators answer it with the signature they already gave, proposals the genesis
operator did not sign are refused, and two signed proposals at one height are evidence."""

import json
import socket

import pytest
from liveness_net import Served, node_home, shared_chain, sign_proposal
from network_nodes import http

from ledger.chain.finality import Quorum
from ledger.chain.store import Store
from ledger.cli.main import main as cli_main
from ledger.core import keys
from ledger.chain.proposals import MemoryProposalLog, ProposalLog
from ledger.core.block import block_to_json, proposal_bytes
from ledger.node.client import NetworkError, NodeClient
from ledger.operator.proposal import (PROPOSAL_FILE, drop_proposal, live_proposal,
                                      store_proposal)
from ledger.operator.round import run_round

TIMEOUT = 60


@pytest.fixture
def chain(tmp_path_factory):
    return shared_chain(tmp_path_factory)


@pytest.fixture
def net(chain, tmp_path):
    """Four validator homes; ``start(i)`` serves one; every served node stops at teardown."""
    homes = [node_home(chain, tmp_path, f"v{i}") for i in range(4)]
    served = {}

    def start(i):
        served[i] = Served(homes[i], single_phase=True)     # the legacy POST /propose
        return served[i].url

    yield homes, start, served
    for s in served.values():
        s.stop()


def operator_store(chain, path):
    s = Store.open(path)
    s.init_genesis(chain["genesis"])
    return s


def dead_url():
    """A loopback URL nothing listens on (connection refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


def test_retry_after_two_of_four_down_finalizes_the_same_block(chain, net, tmp_path):
    homes, start, served = net
    op_home = tmp_path / "op"
    op_home.mkdir()
    store = operator_store(chain, op_home / "node.db")
    sent = store_proposal(op_home, chain["block1"], chain["op_key"])      # before sending
    assert json.loads((op_home / PROPOSAL_FILE).read_text())["operator_signature"] == \
        sent.operator_signature.hex()
    up = [start(0), start(1)]
    r = run_round(up + [dead_url(), dead_url()], sent, Quorum(store, chain["vk"]),
                  timeout=TIMEOUT, apply=True)
    assert r.block is None and len(r.attestations) == 2 and len(r.refusals) == 2
    first = {u: a.signature for u, a in r.attestations.items()}
    # the retry: the operator (a new process) finds its stored proposal, not a new block
    retry = live_proposal(op_home, store)
    assert retry.hash() == chain["block1"].hash() and retry.operator_signature == \
        sent.operator_signature
    urls = up + [start(2), start(3)]
    r = run_round(urls, retry, Quorum(store, chain["vk"]), timeout=TIMEOUT, apply=True)
    assert r.block is not None and len(r.attestations) == 4 and r.finalize_errors == {}
    assert {u: r.attestations[u].signature for u in up} == first      # the same signatures
    assert store.head() == (1, chain["block1"].hash())
    assert [s.node.store.head() for s in served.values()] == [(1, chain["block1"].hash())] * 4
    assert live_proposal(op_home, store) is None                      # final: dropped
    assert not (op_home / PROPOSAL_FILE).exists()


@pytest.mark.parametrize("signed_before_kill", [1, 2, 3])
def test_operator_killed_after_some_signatures_finalizes_on_restart(chain, net, tmp_path,
                                                                    signed_before_kill):
    homes, start, served = net
    urls = [start(i) for i in range(4)]
    op_home = tmp_path / "op"
    op_home.mkdir()
    sent = store_proposal(op_home, chain["block1"], chain["op_key"])
    given = [NodeClient(u, TIMEOUT).propose(sent) for u in urls[:signed_before_kill]]
    # the operator dies here; on restart it reads its home again
    store = operator_store(chain, op_home / "node.db")
    retry = live_proposal(op_home, store)
    assert retry is not None and retry.hash() == sent.hash()
    r = run_round(urls, retry, Quorum(store, chain["vk"]), timeout=TIMEOUT, apply=True)
    assert r.block is not None and r.refusals == {} and r.finalize_errors == {}
    assert [r.attestations[u].signature for u in urls[:signed_before_kill]] == \
        [a.signature for a in given]
    assert [s.node.store.head() for s in served.values()] == [(1, sent.hash())] * 4
    drop_proposal(op_home)


def test_a_proposal_the_operator_did_not_sign_is_refused_with_403(chain, net):
    homes, start, served = net
    url = start(0)
    b = chain["block1"]
    for label, block in [("unsigned", b),
                         ("another key", sign_proposal(chain, b, keys.generate())),
                         ("a validator's key", sign_proposal(chain, b, chain["vkeys"]["v1"])),
                         ("signature of another block",
                          b.with_operator_signature(sign_proposal(
                              chain, chain["conflict1"]).operator_signature))]:
        status, body, _ = http(url + "/propose", "POST", json.dumps(block_to_json(block)))
        assert status == 403, label
        assert "operator" in body["error"], label
    node = served[0].node
    assert node.signlog.get(1) is None and node.evidence()["evidence"] == []
    att = NodeClient(url, TIMEOUT).propose(sign_proposal(chain, b))   # the operator's: signed
    assert att.block_hash == b.hash()


def test_two_signed_proposals_at_one_height_are_kept_as_evidence(chain, net):
    homes, start, served = net
    url = start(0)
    good, other = sign_proposal(chain, chain["block1"]), sign_proposal(chain, chain["conflict1"])
    client = NodeClient(url, TIMEOUT)
    att = client.propose(good)
    with pytest.raises(NetworkError, match="HTTP 403: the operator signed two different "
                                           "blocks at height 1") as e:
        client.propose(other)
    assert e.value.status == 403
    assert served[0].node.signlog.get(1) == good.hash()              # nothing else signed
    [ev] = client.evidence()
    assert ev["kind"] == "operator-equivocation" and ev["height"] == 1
    assert {ev["first"]["hash"], ev["second"]["hash"]} == {good.hash(), other.hash()}
    for side in ("first", "second"):                                 # both verify
        blk = good if ev[side]["hash"] == good.hash() else other
        assert keys.verify(chain["genesis"].operator, blk.proposal_bytes(),
                           bytes.fromhex(ev[side]["signature"]))
    again = client.propose(good)                                     # a retry: same answer
    assert again == att
    status, body, _ = http(url + "/evidence")
    assert status == 200 and body["evidence"] == [ev]


def test_genesis_new_operator_key_sources(chain, tmp_path, capsys):
    key = keys.generate()
    pub = keys.public_key_hex(key)
    keys.save_private_key(key, tmp_path / "op.pem")
    (tmp_path / "op.pub").write_text(pub + "\n")
    (tmp_path / "junk").write_text("not a key")
    vkey = keys.public_key_hex(chain["vkeys"]["v0"])
    base = ["genesis", "new", "--chain-id", "c", "--market", "0,1000,500,10,500,100",
            "--validator", f"v0,{vkey},10"]
    for i, src in enumerate(["op.pem", "op.pub"]):
        out = tmp_path / f"g{i}.json"
        assert cli_main(base + ["--operator", str(tmp_path / src), "--out", str(out)]) == 0
        assert json.loads(out.read_text())["operator"] == pub
    capsys.readouterr()
    assert cli_main(base + ["--operator", str(tmp_path / "junk"),
                            "--out", str(tmp_path / "g.json")]) == 2
    err = capsys.readouterr().err
    assert "--operator" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "g.json").exists()
    assert cli_main(base + ["--operator", str(tmp_path / "op.pub"), "--validator",
                            f"v1,{pub},10", "--out", str(tmp_path / "g.json")]) == 2
    assert "also a validator key" in capsys.readouterr().err


def test_a_final_block_counts_as_the_operators_proposal_at_its_height(chain, net):
    """A node that never saw the proposal but stored the final block (it carries the operator's
    signature) still catches the operator signing another block at that height."""
    homes, start, served = net
    url = start(0)
    good = sign_proposal(chain, chain["block1"])
    final = good.with_signatures([(n, keys.sign(chain["vkeys"][n], good.attestation_bytes()))
                                  for n in ("v0", "v1", "v2")])
    assert NodeClient(url, TIMEOUT).finalize(final)["status"] == "stored"
    with pytest.raises(NetworkError, match="HTTP 403: the operator signed two different"):
        NodeClient(url, TIMEOUT).propose(sign_proposal(chain, chain["conflict1"]))
    [ev] = NodeClient(url, TIMEOUT).evidence()
    assert ev["kind"] == "operator-equivocation" and good.hash() in (ev["first"]["hash"],
                                                                     ev["second"]["hash"])


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_the_proposal_record_survives_a_restart(tmp_path, kind):
    op = keys.generate()
    a, b = "a" * 64, "b" * 64
    sig = {h: keys.sign(op, proposal_bytes(3, h)) for h in (a, b)}
    log = ProposalLog(tmp_path / "node.db") if kind == "sqlite" else MemoryProposalLog()
    assert log.see(3, b, sig[b]) is None and log.see(3, b, sig[b]) is None   # the same again
    if kind == "sqlite":
        log.close()
        log = ProposalLog(tmp_path / "node.db")                              # a restart
    ev = log.see(3, a, sig[a])
    assert ev["kind"] == "operator-equivocation" and ev["height"] == 3
    assert (ev["first"]["hash"], ev["second"]["hash"]) == (a, b)            # one order
    assert ev["first"]["signature"] == sig[a].hex()
    assert log.see(3, a, sig[a]) == ev and log.evidence() == [ev]
    log.close()
