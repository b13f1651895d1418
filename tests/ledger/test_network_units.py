"""In-process pieces of the validator network: the sign log, strict JSON, blocks with signatures.

``Quorum.finalize_signed`` is what ``POST /finalize`` and catch-up run; here
it is driven with the test chain's blocks (placeholder proofs, so the quorum
checks no proof: ``vk=None``) to cover each of its steps.
"""

import pytest
from ledger_chain import build_block, make_genesis, make_orders, snapshot

from ledger.core import keys
from ledger.chain.finality import Misbehaviour, Quorum, is_quorum
from ledger.core.codec import MAX_JSON_DEPTH, parse_json
from ledger.node.client import parse_attestation
from ledger.chain.signlog import MemorySignLog, SignConflict, SignLog, SignLogError
from ledger.chain.store import Store

H1, H2 = "a" * 64, "b" * 64


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_signlog_records_once_per_height(tmp_path, kind):
    log = SignLog(tmp_path / "node.db") if kind == "sqlite" else MemorySignLog()
    assert log.get(1) is None
    log.record(1, H1)
    log.record(1, H1)                              # the same block again: fine
    with pytest.raises(SignConflict, match="already signed another block at height 1 "
                                            r"\(aaaaaaaaaaaaaaaa…\)") as e:
        log.record(1, H2)
    assert e.value.prior == H1 and log.get(1) == H1
    log.record(2, H2)
    for bad in [(0, H1), (True, H1), (1, "ab"), (1, None)]:
        with pytest.raises(SignLogError):
            log.record(*bad)
    log.close()


def test_signlog_survives_reopening_beside_the_store(tmp_path):
    g, _, _ = make_genesis()
    path = tmp_path / "node.db"
    with Store.open(path) as s:
        s.init_genesis(g)
        before = snapshot(s)
    log = SignLog(path)
    log.record(7, H1)
    log.close()
    log = SignLog(path)                            # a restart
    with pytest.raises(SignConflict):
        log.record(7, H2)
    log.close()
    with Store.open(path) as s:                    # the store's own tables are untouched
        assert snapshot(s) == before


def test_signlog_refuses_a_bad_file(tmp_path):
    (tmp_path / "junk.db").write_bytes(b"not a database" * 100)
    with pytest.raises(SignLogError, match="cannot open sign log"):
        SignLog(tmp_path / "junk.db")


def test_parse_json_is_strict_and_bounded():
    assert parse_json(b'{"a": "[[[[\\"{{", "b": [[1]]}') == {"a": '[[[["{{', "b": [[1]]}
    assert parse_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    for data, why in [(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), "nested"),
                      (b"[" * 10**6, "nested"), (b"NaN", "NaN"), (b"[Infinity]", "Infinity"),
                      (b"\xff", "not UTF-8"), (b"{", "Expecting")]:
        with pytest.raises(ValueError, match=why):
            parse_json(data)


def test_parse_attestation():
    att = parse_attestation({"validator": "v0", "height": 3, "hash": H1,
                             "signature": "00" * 64})
    assert (att.validator, att.height, att.block_hash, att.signature) == ("v0", 3, H1,
                                                                          bytes(64))
    for bad in [{"validator": "v0", "height": 0, "hash": H1, "signature": "00" * 64},
                {"validator": "v0", "height": 1, "hash": H1, "signature": "00"},
                {"validator": "v 0", "height": 1, "hash": H1, "signature": "00" * 64},
                {"validator": "v0", "height": 1, "hash": H1}, []]:
        with pytest.raises(ValueError):
            parse_attestation(bad)


def test_is_quorum():
    assert is_quorum(3, 4) and not is_quorum(2, 3) and is_quorum(21, 30)
    assert not is_quorum(20, 30) and not is_quorum(0, 0)


@pytest.fixture
def ledger(tmp_path):
    g, akeys, vkeys = make_genesis(n_accounts=4, n_validators=4)
    s = Store.open(tmp_path / "node.db")
    s.init_genesis(g)
    yield s, akeys, vkeys
    s.close()


def signed(block, vkeys, names):
    return block.with_signatures([(n, keys.sign(vkeys[n], block.attestation_bytes()))
                                  for n in names])


def test_finalize_signed_stores_a_quorum_block_once(ledger):
    store, akeys, vkeys = ledger
    b = build_block(store, make_orders(akeys, [(1, "buy", 100, 1)]))
    q = Quorum(store)
    assert q.finalize_signed(signed(b, vkeys, ["v0", "v1", "v3"])) == b.hash()
    assert store.head() == (1, b.hash())
    assert [n for n, _ in store.get_block(1).signatures] == ["v0", "v1", "v3"]
    before = snapshot(store)
    q.forget(2)
    assert Quorum(store).finalize_signed(signed(b, vkeys, ["v2", "v1", "v0"])) == b.hash()
    assert snapshot(store) == before                # already final: nothing to do


@pytest.mark.parametrize("case", ["no signatures", "forged", "unknown", "two of four",
                                  "wrong height", "forged on a known block"])
def test_finalize_signed_refuses_and_stores_nothing(ledger, case):
    store, akeys, vkeys = ledger
    b = build_block(store, make_orders(akeys, [(1, "buy", 100, 1)]))
    if case == "forged on a known block":
        Quorum(store).finalize_signed(signed(b, vkeys, ["v0", "v1", "v2"]))
    before = snapshot(store)
    good = signed(b, vkeys, ["v0", "v1", "v2"])
    block, why = {
        "no signatures": (b, "block 1 carries no signatures"),
        "forged": (good.with_signatures([*good.signatures[:2], ("v2", bytes(64))]),
                   "attestation signature by 'v2' does not verify"),
        "forged on a known block": (good.with_signatures([*good.signatures[:2],
                                                          ("v3", bytes(64))]),
                                    "attestation signature by 'v3' does not verify"),
        "unknown": (good.with_signatures([*good.signatures, ("v9", bytes(64))]),
                    "unknown validator 'v9'"),
        "two of four": (signed(b, vkeys, ["v0", "v1"]), "block 1 is not final: 20 of 40"),
        "wrong height": (signed(build_block(store, [], accounts=[2], height=2), vkeys,
                                ["v0", "v1", "v2"]), "height does not follow the head"),
    }[case]
    with pytest.raises(ValueError, match=why):
        Quorum(store).finalize_signed(block)
    assert snapshot(store) == before


def test_finalize_signed_double_sign_is_evidence_and_slashed_signers_are_ignored(ledger):
    """A double sign seen here is kept as evidence; the slashing is the block's that carries
    it (docs/liveness.md), so until then this node counts stake as every other node does."""
    store, akeys, vkeys = ledger
    b = build_block(store, make_orders(akeys, [(1, "buy", 100, 1)]))
    other = build_block(store, make_orders(akeys, [(2, "sell", 100, 1)]))
    q = Quorum(store)
    q.finalize_signed(signed(b, vkeys, ["v0", "v1", "v2"]))
    q.forget(2)
    with pytest.raises(Misbehaviour, match="conflicts with finalized block 1.*'v0' signed two "
                                           "blocks at height 1: evidence kept"):
        q.finalize_signed(signed(other, vkeys, ["v0", "v3"]))
    [(kind, who, height, ev)] = store.pending_evidence()
    assert (kind, who, height) == ("double-sign", "v0", 1)
    assert {ev["first"]["hash"], ev["second"]["hash"]} == {b.hash(), other.hash()}
    assert store.evidence() == [] and not store.validator("v0").slashed
    assert store.head() == (1, b.hash())
    b2 = build_block(store, [], accounts=[3])                        # the others' next block
    q.finalize_signed(signed(b2, vkeys, ["v0", "v1", "v2"]))         # 30 of 40: accepted
    b3 = build_block(store, [], accounts=[4]).with_evidence([ev])    # the block carrying it
    q.finalize_signed(signed(b3, vkeys, ["v0", "v1", "v2"]))
    assert [(v, k, h) for _, v, k, h, _ in store.evidence()] == [("v0", "double-sign", 1)]
    assert store.validator("v0").slashed and not store.validator("v3").slashed
    assert store.pending_evidence() == []
    b4 = build_block(store, [], accounts=[3])
    with pytest.raises(ValueError, match="not final: 20 of 30"):
        q.finalize_signed(signed(b4, vkeys, ["v0", "v1", "v2"]))     # v0 no longer counts
    q.finalize_signed(signed(b4, vkeys, ["v0", "v1", "v2", "v3"]))
    assert [n for n, _ in store.get_block(4).signatures] == ["v1", "v2", "v3"]


def test_a_node_verifies_each_block_proof_once(tmp_path, monkeypatch):
    """The validator's check and the quorum share one verdict per block hash: a proposal and
    its finalize verify the proof once; a different block (another hash) is verified anew."""
    from types import SimpleNamespace

    import ledger.chain.finality as finality
    from ledger.chain.validator import Validator
    calls = []

    def counting_check(vk, public, proof):
        calls.append(proof)
        return SimpleNamespace(ok=True, reason="ok")
    monkeypatch.setattr(finality, "verify_check", counting_check)
    genesis, akeys, vkeys = make_genesis(n_accounts=2, n_validators=3)
    store = Store.open(tmp_path / "node.db")
    store.init_genesis(genesis)
    q = Quorum(store, vk=object())
    vals = [Validator(k, store, q.vk, proof_verdict=q.proof_verdict) for k in vkeys.values()]
    block = build_block(store, make_orders(akeys, [(1, "buy", 100, 1), (2, "sell", 100, 1)]))
    other = build_block(store, make_orders(akeys, [(1, "buy", 100, 2), (2, "sell", 100, 2)]))
    for v in vals:
        q.add(v.attest(block), block)
    assert len(calls) == 1
    assert vals[0].check(other) == (True, "ok") and len(calls) == 2
    q.finalize(block)
    assert store.head() == (1, block.hash()) and len(calls) == 2
