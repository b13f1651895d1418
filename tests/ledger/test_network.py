"""Validators as separate processes on loopback (``ledger.node.server``), with crash and catch-up.

One 4×4 settlement circuit (development SRS) and three proven blocks per
module: block 1 (four orders), a conflicting block 1' (two of them) and
block 2 on top of block 1.  Each test starts its own node processes (port 0,
ready once ``/status`` answers) and kills them in teardown.
"""

import json
import pathlib
import sqlite3
import subprocess
import sys
import threading
import warnings

import pytest
from ledger_chain import PARAMS, make_genesis
from network_nodes import Nodes, db_snapshot, http, make_home, wait_for

from circuits.settlement import settlement_circuit
from ledger.core.block import Block, block_to_json
from ledger.core import keys
from ledger.cli.main import main as cli_main
from ledger.chain.finality import Quorum
from ledger.node.client import NetworkError, NodeClient, statuses
from ledger.operator.round import run_round
from ledger.operator.engine import Operator
from ledger.core.orders import new_order
from ledger.chain.params import approval_to_json, sign_change
from ledger.node.server import MAX_REQUEST_BYTES
from ledger.chain.store import Store
from ledger.chain.validator import Validator
from prover import dev_srs, setup
from verifier.fields import R_MOD

ROOT = pathlib.Path(__file__).resolve().parents[2]
N = K = 4
SPECS1 = [(1, "buy", 101, 10), (2, "sell", 99, 10), (3, "buy", 100, 5), (4, "sell", 100, 5)]
SPECS2 = [(1, "sell", 100, 4), (3, "buy", 100, 4)]


def _finalize_in_process(store, vk, vkeys, block):
    q = Quorum(store, vk)
    for k in vkeys.values():
        q.add(Validator(k, store, vk).attest(block), block)
    signed = q.signed_block(block)
    q.finalize(block)
    return signed


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        srs = dev_srs(15)
    pk, vk = setup(settlement_circuit(N, K), srs)
    genesis, akeys, vkeys = make_genesis(n_accounts=4, n_validators=4)
    root = tmp_path_factory.mktemp("net-chain")
    store = Store.open(root / "operator.db")
    store.init_genesis(genesis)
    states = {a.account_id: a.initial_state() for a in genesis.accounts}
    op = Operator(store, pk, vk, N, K)
    orders1 = [new_order(akeys[a], a, PARAMS.market_id, s, p, n, 50) for a, s, p, n in SPECS1]
    for o in orders1:
        op.submit(*o)
    p1 = op.propose(1, 100, PARAMS, states)
    other_store = Store.open(root / "operator2.db")
    other_store.init_genesis(genesis)
    other = Operator(other_store, pk, vk, N, K)
    for o in orders1[:2]:
        other.submit(*o)
    conflict = other.propose(1, 100, PARAMS, states).block
    signed1 = _finalize_in_process(store, vk, vkeys, p1.block)
    op.settled(p1.block)
    for a, s, p, n in SPECS2:
        op.submit(*new_order(akeys[a], a, PARAMS.market_id, s, p, n, 50))
    p2 = op.propose(2, 100, PARAMS, {**states, **p1.new_states})
    signed2 = _finalize_in_process(store, vk, vkeys, p2.block)
    assert conflict.hash() != p1.block.hash() and p2.block.volume == 4
    return {"genesis": genesis, "vkeys": vkeys, "vk": vk, "vk_json": vk.to_json(),
            "block1": p1.block, "conflict1": conflict, "block2": p2.block,
            "signed1": signed1, "signed2": signed2, "root_after2": store.state_root()}


@pytest.fixture
def nodes():
    registry = Nodes(single_phase=True)          # these tests drive the legacy POST /propose
    yield registry
    registry.stop_all()


@pytest.fixture
def homes(chain, tmp_path):
    return [make_home(tmp_path, f"v{i}", chain["genesis"], chain["vkeys"][f"v{i}"],
                      chain["vk_json"]) for i in range(4)]


def quorum(chain, tmp_path, name="operator-view.db"):
    """A Quorum over a fresh store at genesis: the operator's view of the validator set."""
    s = Store.open(tmp_path / name)
    s.init_genesis(chain["genesis"])
    return Quorum(s, chain["vk"])


def altered_proof(block):
    proof = dict(block.proof, eval_a=str((int(block.proof["eval_a"]) + 1) % R_MOD))
    return Block(block.height, block.parent_hash, N, K, block.public_inputs, proof,
                 block.state_root, block.orders)


def heads(ns):
    return [(n.status()["head"]["height"], n.status()["head"]["hash"]) for n in ns]


def test_four_processes_finalize_proven_batches(chain, homes, nodes, tmp_path):
    ns = [nodes.start(homes[0], cli=True)] + nodes.start_many(homes[1:])   # CLI and module
    urls = [n.url for n in ns]
    assert all(u.startswith("http://127.0.0.1:") for u in urls)
    sts = statuses(urls + ["http://127.0.0.1:9"])               # port 9: nobody listens
    assert [(sts[u]["validator"], sts[u]["head"]["height"]) for u in urls] == \
        [(f"v{i}", 0) for i in range(4)]
    assert {sts[u]["chain_id"] for u in urls} == {"test-chain"}
    assert "unreachable" in sts["http://127.0.0.1:9"]
    b1, b2 = chain["block1"], chain["block2"]
    q = quorum(chain, tmp_path)
    r = run_round(urls, b1, q, timeout=120, apply=True)
    assert r.refusals == {} and sorted(a.validator for a in r.attestations.values()) == \
        ["v0", "v1", "v2", "v3"]
    assert r.finalize_errors == {} and {a["status"] for a in r.finalized.values()} == {"stored"}
    assert r.stored_hash == b1.hash()
    assert heads(ns) == [(1, b1.hash())] * 4
    r = run_round(urls, b2, q, timeout=120, apply=True)
    assert r.block is not None and r.finalize_errors == {}
    assert heads(ns) == [(2, b2.hash())] * 4
    assert {n.status()["state_root"] for n in ns} == {chain["root_after2"]}
    for n in ns:
        got = NodeClient(n.url).block(1)
        assert got["state_root"] == b1.state_root and len(got["signatures"]) == 4
        assert NodeClient(n.url).block(3) is None
    again = NodeClient(urls[1]).finalize(r.block)                 # a repeated broadcast
    assert again == {"status": "known", "height": 2, "hash": b2.hash()}


def test_kill9_during_commit_keeps_state_and_catches_up(chain, homes, nodes, tmp_path):
    ns = nodes.start_many(homes[:3]) + [nodes.start(homes[3], fault="stall-commit:2")]
    urls = [n.url for n in ns]
    b1, b2 = chain["block1"], chain["block2"]
    q = quorum(chain, tmp_path)
    assert run_round(urls, b1, q, timeout=120).finalize_errors == {}
    v3 = ns[3]
    before = db_snapshot(homes[3])
    killer = threading.Thread(target=lambda: (wait_for(v3.fault_hit, "the stall", 300),
                                              v3.kill()), daemon=True)
    killer.start()
    r = run_round(urls, b2, q, timeout=120)                       # v3 dies mid-commit
    killer.join(timeout=300)
    assert v3.proc.returncode == -9
    assert len(r.attestations) == 4 and set(r.finalize_errors) == {v3.url}
    assert heads(ns[:3]) == [(2, b2.hash())] * 3
    after = db_snapshot(homes[3])                                 # the last finalized state
    assert after.pop("signlog") == [(1, b1.hash()), (2, b2.hash())]
    assert before.pop("signlog") == [(1, b1.hash())]
    assert after == before
    c = sqlite3.connect(homes[3] / "node.db")
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    c.close()
    with Store.open(homes[3] / "node.db") as s:
        assert s.head() == (1, b1.hash()) and s.state_root() == b1.state_root
    back = nodes.start(homes[3], peers=urls[:3])                   # restarts and catches up
    wait_for(lambda: back.status()["head"]["height"] == 2, "v3 to catch up")
    st = back.status()
    assert st["head"]["hash"] == b2.hash() and st["state_root"] == chain["root_after2"]
    assert st["bad_peers"] == {}
    assert "caught up from 1 to 2" in back.output()


def test_restarted_validator_never_signs_a_second_block_at_a_height(chain, homes, nodes):
    b1, conflict = chain["block1"], chain["conflict1"]
    v0 = nodes.start(homes[0])
    att = NodeClient(v0.url).propose(b1)
    v0.kill()                                     # kill -9 right after the answer
    v0 = nodes.start(homes[0])
    with pytest.raises(NetworkError, match="HTTP 409: validator v0 already signed another "
                                           "block at height 1"):
        NodeClient(v0.url).propose(conflict)
    assert NodeClient(v0.url).propose(b1) == att  # the same block again: the same signature
    assert db_snapshot(homes[0])["signlog"] == [(1, b1.hash())]
    assert v0.status()["head"]["height"] == 0


def test_faulty_minority_cannot_finalize_bad_block_nor_stop_good_one(chain, homes, nodes,
                                                                     tmp_path):
    ns = nodes.start_many(homes[:3]) + [nodes.start(homes[3], fault="sign-anything")]
    urls = [n.url for n in ns]
    b1, bad = chain["block1"], altered_proof(chain["block1"])
    before = [db_snapshot(h) for h in homes[:3]]
    q = quorum(chain, tmp_path)
    r = run_round(urls, bad, q, timeout=120)
    assert r.block is None and r.finalized == {} and list(r.attestations) == []
    assert all("proof rejected" in r.refusals[u] for u in urls[:3])
    assert "signed block 1 whose proof fails" in r.refusals[urls[3]]   # evidence, operator side
    forced = NodeClient(urls[3]).propose(bad)                          # v3's signature
    signed_bad = bad.with_signatures([(forced.validator, forced.signature)])
    for u in urls[:3]:
        with pytest.raises(NetworkError, match="HTTP 422: block 1 is not final: 10 of 40"):
            NodeClient(u).finalize(signed_bad)
    assert [db_snapshot(h) for h in homes[:3]] == before
    q = quorum(chain, tmp_path, "operator-view-2.db")
    r = run_round(urls, b1, q, timeout=120)                            # the good block
    assert len(r.attestations) == 4 and r.finalize_errors == {}
    assert heads(ns) == [(1, b1.hash())] * 4
    # v3 also signs a conflicting block 1': a node that stored block 1 sees the double sign
    twice = NodeClient(urls[3]).propose(chain["conflict1"])
    status, body, _ = http(urls[0] + "/finalize", "POST", json.dumps(block_to_json(
        chain["conflict1"].with_signatures([(twice.validator, twice.signature)]))))
    assert status == 422 and "validator 'v3' signed two blocks at height 1: evidence kept" in \
        body["error"]
    snap = db_snapshot(homes[0])         # kept for a block to carry; slashing is that block's
    assert [(k, v, h) for _, k, v, h, _ in snap["pending_evidence"]] == [("double-sign", "v3", 1)]
    assert [row[0] for row in snap["validators"] if row[3]] == []
    assert [(e["kind"], e["validator"]) for e in NodeClient(urls[0]).evidence()] == \
        [("double-sign", "v3")]
    assert ns[0].status()["head"] == {"height": 1, "hash": b1.hash()}


def test_catch_up_rechecks_and_skips_a_tampering_peer(chain, homes, nodes, tmp_path):
    v0, v1 = nodes.start_many(homes[:2])
    v3 = nodes.start(homes[3], fault="tamper-blocks")
    v2 = nodes.start(homes[2], peers=[v3.url, v0.url])      # a peer order that tries v3 first
    q = quorum(chain, tmp_path)
    for b in (chain["block1"], chain["block2"]):            # v2 hears nothing of these rounds
        r = run_round([v0.url, v1.url, v3.url], b, q, timeout=120)
        assert len(r.finalized) == 3
    assert v2.status()["head"]["height"] == 0
    # a finalized block above head + 1 makes v2 catch up: v3's blocks are refused, v0's
    # (blocks 1 and 2) re-checked and stored, so block 2 is then known
    assert NodeClient(v2.url).finalize(r.block)["status"] == "known"
    st = v2.status()
    assert st["head"] == {"height": 2, "hash": chain["block2"].hash()}
    assert st["state_root"] == chain["root_after2"]
    assert list(st["bad_peers"]) == [v3.url]
    assert "block 1: attestation signature by" in st["bad_peers"][v3.url]
    assert "does not verify" in st["bad_peers"][v3.url]


def _expect_error(status, body, text, code):
    assert status == code, text
    assert isinstance(body, dict) and list(body) == ["error"], text
    assert "\n" not in body["error"] and "Traceback" not in body["error"] and body["error"]


def test_parameter_change_by_quorum_reaches_a_node_that_was_down(chain, homes, nodes, tmp_path):
    """A validator-set change signed by 3 of 4 goes to the 3 running nodes; v3, started later,
    applies it (re-checked) before block 1 when it catches up; short quorums are refused."""
    ns = nodes.start_many(homes[:3])
    urls = [n.url for n in ns]
    gh = ns[0].status()["genesis_hash"]
    change = {"kind": "validator", "name": "v4", "stake": 1,
              "public_key": keys.public_key_hex(keys.generate())}
    sign = {n: sign_change(chain["vkeys"][n], gh, 0, change) for n in ("v0", "v1", "v2")}
    short = approval_to_json(change, 0, [(n, sign[n]) for n in ("v0", "v1")])
    before = db_snapshot(homes[0])
    status, body, _ = http(urls[0] + "/param-change", "POST", json.dumps(short))
    assert status == 422 and "signed by 20 of 40 stake" in body["error"]
    assert db_snapshot(homes[0]) == before
    doc = approval_to_json(change, 0, sorted(sign.items()))
    assert [NodeClient(u).param_change(doc)["status"] for u in urls] == ["applied"] * 3
    assert NodeClient(urls[0]).param_change(doc)["status"] == "known"
    r = run_round(urls, chain["block1"], quorum(chain, tmp_path), timeout=120)
    assert r.block is not None and set(r.finalized) == set(urls)     # 30 of 41 stake
    status, body, _ = http(urls[0] + "/param-change", "POST", json.dumps(doc))
    assert status == 409 and "the head is 1" in body["error"]
    late = nodes.start(homes[3], peers=urls)
    wait_for(lambda: late.status()["head"]["height"] == 1, "v3 to catch up")
    for table in ("validators", "param_changes"):
        assert db_snapshot(homes[3])[table] == db_snapshot(homes[0])[table], table
    assert NodeClient(late.url).param_changes(0) == [doc]


def test_bad_http_input_answers_4xx_and_stores_nothing(chain, homes, nodes):
    v0 = nodes.start(homes[0])
    u = v0.url
    b1 = chain["block1"]
    before = db_snapshot(homes[0])
    wrong_height = list(b1.public_inputs)
    wrong_height[1] = 2
    at2 = Block(2, b1.parent_hash, N, K, wrong_height, b1.proof, b1.state_root, b1.orders)
    signed = chain["signed1"]
    forged = signed.with_signatures([signed.signatures[0], ("v1", bytes(64)),
                                     *signed.signatures[2:]])
    unknown = signed.with_signatures([*signed.signatures[:3], ("vx", bytes(64))])
    j = lambda b: json.dumps(block_to_json(b))
    cases = [
        ("/propose", "POST", "{not json", 400, "not valid JSON"),
        ("/propose", "POST", "", 400, "empty request body"),
        ("/propose", "POST", "NaN", 400, "NaN is not allowed"),
        ("/propose", "POST", b"\xff\xfe\x00", 400, "not UTF-8"),
        ("/propose", "POST", "[" * 100000 + "]" * 100000, 400, "nested deeper than 64"),
        ("/propose", "POST", "[]", 400, "expected a JSON object"),
        ("/propose", "POST", json.dumps({"kind": "darkmatch-order", "version": 1}), 400,
         "kind must be 'darkmatch-block'"),
        ("/propose", "POST", "x" * (MAX_REQUEST_BYTES + 1), 413, "413 Request Entity Too Large"),
        ("/propose", "POST", j(at2), 409, "node is behind: head is 0"),
        ("/propose", "POST", j(signed), 400, "a proposal carries no signatures"),
        ("/propose", "POST", j(altered_proof(b1)), 422, "proof rejected"),
        ("/finalize", "POST", j(b1), 422, "block 1 carries no signatures"),
        ("/finalize", "POST", j(forged), 422, "attestation signature by 'v1' does not verify"),
        ("/finalize", "POST", j(unknown), 422, "unknown validator 'vx'"),
        ("/finalize", "POST", j(signed.with_signatures(signed.signatures[:2])), 422,
         "block 1 is not final: 20 of 40"),
        ("/blocks/1", "GET", None, 404, "no finalized block at height 1 (head is 0)"),
        ("/blocks/0", "GET", None, 404, "no finalized block at height 0"),
        ("/blocks/-1", "GET", None, 400, "height must be a decimal integer"),
        ("/blocks/" + "9" * 30, "GET", None, 400, "height must be a decimal integer"),
        ("/nowhere", "GET", None, 404, "404 Not Found"),
        ("/propose", "GET", None, 405, "405 Method Not Allowed"),
        ("/status", "DELETE", None, 405, "405 Method Not Allowed"),
    ]
    for path, method, body, code, needle in cases:
        status, parsed, text = http(u + path, method, body)
        _expect_error(status, parsed, f"{method} {path}: {text[:300]}", code)
        assert needle in parsed["error"], (path, parsed["error"])
    assert db_snapshot(homes[0]) == before
    assert v0.status()["head"]["height"] == 0 and v0.proc.poll() is None
    assert NodeClient(u).finalize(signed)["status"] == "stored"     # and it still works


def test_validator_init_refuses_bad_files(chain, tmp_path, capsys):
    g, vk_json = chain["genesis"], chain["vk_json"]
    home = make_home(tmp_path, "ok", g, chain["vkeys"]["v0"], vk_json)
    files = tmp_path / "ok-files"
    (tmp_path / "bad.json").write_text("{")
    from ledger.core import keys
    keys.save_private_key(keys.generate(), tmp_path / "stranger.pem")
    bad_vk = dict(vk_json, Qm=["1", "3", "1"])
    (tmp_path / "bad_vk.json").write_text(json.dumps(bad_vk))
    args = {"--genesis": files / "genesis.json", "--key": files / "key.pem",
            "--vk": files / "vk.json"}
    for flag, path, needle in [
            ("--genesis", tmp_path / "bad.json", "genesis"),
            ("--key", tmp_path / "stranger.pem", "is not a validator key of genesis"),
            ("--vk", tmp_path / "bad_vk.json", "verification key"),
            ("--vk", tmp_path / "missing.json", "not found")]:
        argv = ["validator", "init", "--home", str(tmp_path / "new")]
        for k, v in {**args, flag: path}.items():
            argv += [k, str(v)]
        assert cli_main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and needle in err, err
        assert not (tmp_path / "new").exists()
    argv = ["validator", "init", "--home", str(home)] + [str(x) for kv in args.items() for x in kv]
    assert cli_main(argv) == 2 and "already initialised" in capsys.readouterr().err


_NO_JIT = r"""
import json, os, sys, threading, time
from ledger.node import server
home, block_file = sys.argv[1:3]
threading.Thread(target=server.main, args=(["--home", home, "--port", "0"],),
                 daemon=True).start()
deadline = time.monotonic() + 120
while not os.path.exists(os.path.join(home, "node.url")):
    assert time.monotonic() < deadline, "node never listened"
    time.sleep(0.05)
from ledger.core.block import block_from_json, block_to_json
from ledger.node.client import NodeClient
client = NodeClient(open(os.path.join(home, "node.url")).read().strip())
with open(block_file) as f:
    block = block_from_json(json.load(f))
client.round_vote("prevote", {"block": block_to_json(block), "round": 0})   # proof checked here
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & {"prover", "numba"})))
"""


def test_node_checks_proofs_without_prover_or_numba(chain, homes, tmp_path):
    """The node process (``python -m ledger.node.server``) verifies a proof with the pure-Python
    verifier: neither ``prover`` nor ``numba`` is ever imported."""
    block_file = tmp_path / "block1.json"
    block_file.write_text(json.dumps(block_to_json(chain["block1"])))
    out = subprocess.run([sys.executable, "-c", _NO_JIT, str(homes[0]), str(block_file)],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
    assert "prevoted block 1" in out.stderr
