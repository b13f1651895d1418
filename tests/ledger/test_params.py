"""Parameter changes need validators with > 2/3 of the stake (ledger.chain.params); refusals store nothing."""

import pytest
from ledger_chain import PARAMS, build_block, make_genesis, make_orders, snapshot

from ledger.core import keys
from ledger.chain.params import (apply_approved, apply_document, approval_from_json, approval_to_json,
                           change_bytes, sign_change)
from ledger.chain.store import Store

MARGINS = {"kind": "market", "market_id": PARAMS.market_id, "im_bps": 2000, "mm_bps": 1000,
           "fee_bps": 5, "band_bps": 300}


@pytest.fixture
def chain(tmp_path):
    genesis, akeys, vkeys = make_genesis(n_accounts=2, n_validators=4)   # 4 × 10 stake
    s = Store.open(tmp_path / "node.db")
    s.init_genesis(genesis)
    yield s, akeys, vkeys
    s.close()


def _sigs(store, vkeys, names, change=MARGINS, height=None):
    h = store.head()[0] if height is None else height
    return [(n, sign_change(vkeys[n], store.genesis_hash(), h, change)) for n in names]


def _refused(store, needle, change, height, sigs):
    before = snapshot(store)
    with pytest.raises(ValueError) as e:
        apply_approved(store, change, height, sigs)
    msg = str(e.value)
    assert needle in msg and "\n" not in msg, msg
    assert snapshot(store) == before


def test_quorum_applies_a_margin_change(chain):
    store, _, vkeys = chain
    assert apply_approved(store, MARGINS, 0, _sigs(store, vkeys, ["v0", "v1", "v2"])) == 1
    params, _ = store.market(PARAMS.market_id)
    assert (params.im_bps, params.mm_bps, params.fee_bps, params.band_bps) == (2000, 1000, 5, 300)
    assert store.param_changes() == [(1, 0, MARGINS)]


def test_two_thirds_is_not_enough(chain):
    store, _, vkeys = chain
    _refused(store, "signed by 20 of 40 stake (needs > 2/3)", MARGINS, 0,
             _sigs(store, vkeys, ["v0", "v1"]))


def test_each_bad_signature_refuses_the_change(chain):
    store, _, vkeys = chain
    good = _sigs(store, vkeys, ["v0", "v1", "v2"])
    forged = good[:2] + [("v2", sign_change(keys.generate(), store.genesis_hash(), 0, MARGINS))]
    _refused(store, "signature by 'v2' does not verify", MARGINS, 0, forged)
    _refused(store, "unknown validator 'mallory'", MARGINS, 0,
             good + [("mallory", good[0][1])])
    _refused(store, "signed the parameter change twice", MARGINS, 0, good[:2] + good[:1])
    other = {**MARGINS, "fee_bps": 0}                       # signatures are for MARGINS
    _refused(store, "does not verify", other, 0, good)


def test_stale_height_and_replay_refused(chain):
    store, akeys, vkeys = chain
    sigs = _sigs(store, vkeys, ["v0", "v1", "v2", "v3"])
    store.apply_block(build_block(store, make_orders(akeys, [(1, "buy", 100, 1),
                                                            (2, "sell", 100, 1)])),
                      expected_parent=store.head()[1])
    _refused(store, "approved at height 0, the head is 1", MARGINS, 0, sigs)
    now = _sigs(store, vkeys, ["v0", "v1", "v2"])
    assert apply_approved(store, MARGINS, 1, now) == 1
    _refused(store, "already applied at height 1", MARGINS, 1, now)


def test_slashed_signers_do_not_count(chain):
    store, _, vkeys = chain
    store.slash("v3")                                       # total unslashed stake: 30
    _refused(store, "signed by 20 of 30 stake", MARGINS, 0,
             _sigs(store, vkeys, ["v0", "v1", "v3"]))
    assert apply_approved(store, MARGINS, 0, _sigs(store, vkeys, ["v0", "v1", "v2"])) == 1


def test_validator_set_change_by_quorum(chain):
    store, _, vkeys = chain
    new = keys.generate()
    change = {"kind": "validator", "name": "v4", "public_key": keys.public_key_hex(new),
              "stake": 20}
    apply_approved(store, change, 0, _sigs(store, vkeys, ["v0", "v1", "v2"], change))
    assert store.total_stake() == 60 and store.validator("v4").stake == 20
    # the new validator's stake now counts: 3 of the old 4 (30 of 60) are no longer enough
    _refused(store, "signed by 30 of 60 stake", MARGINS, 0,
             _sigs(store, {**vkeys, "v4": new}, ["v0", "v1", "v2"]))


def test_signed_bytes_name_ledger_height_and_change(chain):
    store, _, _ = chain
    gh = store.genesis_hash()
    base = change_bytes(gh, 0, MARGINS)
    assert base.startswith(b"darkmatch/param-change/v1\x00") and len(base) == 26 + 32
    assert len({base, change_bytes(gh, 1, MARGINS), change_bytes("00" * 32, 0, MARGINS),
                change_bytes(gh, 0, {**MARGINS, "im_bps": 2001})}) == 4
    with pytest.raises(ValueError, match="non-negative integer"):
        apply_approved(store, MARGINS, -1, [])


def test_approvals_are_kept_and_travel_as_documents(chain, tmp_path):
    """The store keeps each change's signatures; another node re-checks and applies the
    document; a tampered document is refused there."""
    store, _, vkeys = chain
    sigs = _sigs(store, vkeys, ["v0", "v1", "v2"])
    apply_approved(store, MARGINS, 0, sigs)
    [(change, kept)] = store.param_approvals(0)
    assert change == MARGINS and kept == sigs
    doc = approval_to_json(change, 0, kept)
    assert approval_from_json(doc) == (MARGINS, 0, sigs)
    other = Store.open(tmp_path / "other.db")
    other.init_genesis(store.genesis())
    tampered = approval_to_json({**MARGINS, "fee_bps": 0}, 0, kept)
    _refused(other, "does not verify", *approval_from_json(tampered))
    assert apply_document(other, doc) == 1
    assert other.market(PARAMS.market_id) == store.market(PARAMS.market_id)
    for bad, needle in [({**doc, "kind": "darkmatch-block"}, "kind"),
                        ({**doc, "height": -1}, "height"),
                        ({**doc, "change": [1]}, "change must be a JSON object"),
                        ({**doc, "signatures": [{"validator": "v0"}]}, "missing field")]:
        with pytest.raises(ValueError, match=needle):
            apply_document(other, bad)
    other.close()
