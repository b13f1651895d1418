"""Bad input to the operator, validator and quorum: one-line errors, nothing queued or stored.

No proofs here (test_pipeline.py proves): blocks come from ``ledger_chain.build_block``
with a placeholder proof, and the quorum runs without a verifying key.
"""

import dataclasses

import pytest
from ledger_chain import PARAMS, build_block, make_genesis, make_orders, snapshot

from ledger.core import keys
from ledger.chain.finality import Quorum
from ledger.operator.engine import Operator
from ledger.core.orders import new_order
from ledger.chain.store import Store
from ledger.chain.validator import Validator


@pytest.fixture
def chain(tmp_path):
    genesis, account_keys, validator_keys = make_genesis(n_accounts=4, n_validators=4)
    store = Store.open(tmp_path / "node.db")
    store.init_genesis(genesis)
    return store, account_keys, validator_keys


def one_line(excinfo):
    return "\n" not in str(excinfo.value)


def test_submit_refusals(chain):
    store, account_keys, _ = chain
    op = Operator(store, None, None, 4, 4)
    order, opening = new_order(account_keys[1], 1, PARAMS.market_id, "buy", 100, 3, 10)

    forged = dataclasses.replace(order, signature=bytes(64), check_point=False)
    with pytest.raises(ValueError, match="signature does not verify") as e:
        op.submit(forged, opening)
    assert one_line(e)
    other, _ = new_order(account_keys[2], 1, PARAMS.market_id, "buy", 100, 3, 10)
    with pytest.raises(ValueError, match="signature does not verify"):
        op.submit(other, opening)                    # signed with account 2's key for account 1
    stranger, st_open = new_order(keys.generate(), 9, PARAMS.market_id, "buy", 100, 3, 10)
    with pytest.raises(ValueError, match="unknown account 9"):
        op.submit(stranger, st_open)
    _, wrong_opening = new_order(account_keys[1], 1, PARAMS.market_id, "buy", 100, 4, 10)
    with pytest.raises(ValueError, match="opening does not open"):
        op.submit(order, wrong_opening)
    with pytest.raises(ValueError, match="needs a SignedOrder"):
        op.submit(opening, opening)
    assert op.pending() == []

    assert op.submit(order, opening) == order.nullifier()
    with pytest.raises(ValueError, match="already pending"):
        op.submit(order, opening)
    assert op.pending() == [(order, opening)]


def test_submit_refuses_expired_order(chain):
    store, account_keys, _ = chain
    op = Operator(store, None, None, 4, 4)
    store.apply_block(build_block(store, make_orders(account_keys, [(2, "sell", 100, 1)])),
                      expected_parent=store.head()[1])
    order, opening = new_order(account_keys[1], 1, PARAMS.market_id, "buy", 100, 3, 1)
    with pytest.raises(ValueError, match="expired at height 1 \\(next block is 2\\)"):
        op.submit(order, opening)
    with pytest.raises(ValueError, match="does not follow the head"):
        op.propose(1, 100, PARAMS, {})
    with pytest.raises(ValueError, match="n_slots must be a positive integer"):
        Operator(store, None, None, 0, 4)


def test_validator_refuses_foreign_key_and_non_blocks(chain):
    store, _, validator_keys = chain
    with pytest.raises(ValueError, match="not a validator key"):
        Validator(keys.generate(), store, None)
    v = Validator(validator_keys["v2"], store, None)
    assert v.name == "v2"
    assert v.check("block") == (False, "not a block")


def test_quorum_refuses_bad_attestations(chain):
    store, account_keys, validator_keys = chain
    block = build_block(store, make_orders(account_keys, [(1, "buy", 100, 2)]))
    other = build_block(store, make_orders(account_keys, [(2, "sell", 100, 2)]))
    vs = {n: Validator(k, store, None) for n, k in validator_keys.items()}
    q = Quorum(store)
    before = snapshot(store)

    name, height, h, sig = vs["v0"].sign(block)
    with pytest.raises(ValueError, match="does not verify") as e:
        q.add((name, height, h, bytes(64)), block)
    assert one_line(e)
    with pytest.raises(ValueError, match="does not verify"):   # v1's signature under v0's name
        q.add(("v0", height, h, vs["v1"].sign(block).signature), block)
    with pytest.raises(ValueError, match="unknown validator 'v9'"):
        q.add(("v9", height, h, sig), block)
    with pytest.raises(ValueError, match="is not for block 1"):
        q.add(vs["v0"].sign(other), block)
    with pytest.raises(ValueError, match="attestation must be"):
        q.add("v0", block)
    assert q.signers(1, block.hash()) == []
    assert snapshot(store) == before                # refusals are not evidence

    store.slash("v3")
    with pytest.raises(ValueError, match="slashed validator 'v3'"):
        q.add(vs["v3"].sign(block), block)
    for n in ("v0", "v1"):
        q.add(vs[n].sign(block), block)
    assert not q.is_final(1, block.hash())           # 20 of 30
    q.add(vs["v2"].sign(block), block)
    assert q.is_final(1, block.hash())
    assert q.finalize(block) == block.hash() == store.head()[1]
