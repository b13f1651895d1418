"""The ledger on its settlement contract, end to end with the real batch circuit (2 × 2).

A scripted market (``ledger.operator.scenario.Market``, 2 traders, 4
validators) deploys its contracts (``Market.attach_chain``) on a real EVM —
anvil, and once the in-process py-evm chain — and runs real batches:
deposits queued on the vault are credited by the circuit and consumed by the
contract, a trader's signed withdrawal is debited and claimable by its
wallet only, once; the contract's block hash chain equals every node's
``AnchorChain``.  Each refusal is its own test.
"""

import warnings

import pytest

from evm_fixtures import anvil  # noqa: F401 (fixture)
from ledger.ethereum.anchor import AnchorChain, block_flows
from ledger.ethereum.chain import ChainError, in_process
from ledger.ethereum.withdrawals import check_withdrawal, consumable, new_withdrawal
from ledger.operator.scenario import CASH, Market
from verifier.errors import Rejected


@pytest.fixture
def market(tmp_path, anvil):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = Market.create(str(tmp_path / "m"), traders=2, validators=4)
    m.attach_chain(anvil)
    yield m
    m.close()


def state(m):
    f = m.chain.onchain.settlement.functions
    return {"height": f.height().call(), "hash": f.lastBlockHash().call(), "head": f.depositHead().call(),
            "tail": f.depositTail().call(), "collateral": f.collateral().call(), "owed": f.owed().call(),
            "claimable": [f.claimable(a).call() for a in (1, 2)],
            "commitments": [f.commitmentOf(a).call() for a in (1, 2)],
            "balances": [m.chain.balance(a) for a in (1, 2)]}


def test_consumable_is_the_queue_prefix_with_increasing_accounts():
    assert consumable([(1, 5), (3, 1), (2, 9), (4, 1)], 8) == [(1, 5), (3, 1)]
    assert consumable([(1, 5), (1, 6)], 8) == [(1, 5)]
    assert consumable([(1, 5), (2, 6), (3, 7)], 2) == [(1, 5), (2, 6)]
    assert consumable([], 4) == []


def test_deposits_are_credited_and_consumed_and_the_hash_chains_agree(market):
    ch = market.chain
    ch.deposit(1, 5000)
    ch.deposit(2, 7000)
    report = market.run_batch(1)
    block = market.operator.store.get_block(1)
    assert block_flows(block) == ({1: 5000, 2: 7000}, {})
    assert (report.deposits, report.gas > 0, report.hard_s > 0) == (12000, True, True)
    s = state(market)
    assert (s["height"], s["head"], s["tail"], s["collateral"]) == (1, 2, 2, 12000)
    for node in market.nodes:
        assert AnchorChain(node).at(1) == s["hash"]
    assert s["commitments"] == [market.operator.store.account_commitment(a) for a in (1, 2)]
    assert ch.onchain.height() == 1 and ch.onchain.settled[1].gas == report.gas


def test_deposits_out_of_account_order_wait_for_the_next_block(market):
    ch = market.chain
    ch.deposit(2, 700)
    ch.deposit(1, 500)               # account 1 after 2: its slot comes first, so not in this block
    market.run_batch(1)
    assert block_flows(market.operator.store.get_block(1))[0] == {2: 700}
    assert state(market)["head"] == 1
    market.run_batch(2)
    assert block_flows(market.operator.store.get_block(2))[0] == {1: 500}
    assert state(market)["head"] == 2


def test_withdrawal_is_claimable_by_the_owner_once(market):
    ch = market.chain
    ch.deposit(1, 5000)
    market.run_batch(1)
    ch.request_withdrawal(2, 3000)
    report = market.run_batch(2)
    assert report.withdrawals == 3000
    assert block_flows(market.operator.store.get_block(2))[1] == {2: 3000}
    before = ch.balance(2)
    ch.claim(2)
    assert ch.balance(2) == before + 3000
    s = state(market)
    assert (s["claimable"], s["owed"], s["collateral"]) == ([0, 0], 0, 2000)


def test_a_second_claim_is_refused(market):
    ch = market.chain
    ch.deposit(1, 5000)
    market.run_batch(1)
    ch.request_withdrawal(1, 100)
    market.run_batch(2)
    ch.claim(1)
    before = state(market)
    with pytest.raises(ChainError, match="NothingToClaim"):
        ch.claim(1)
    assert state(market) == before


def test_a_claim_by_another_address_is_refused(market):
    ch = market.chain
    ch.deposit(1, 5000)
    market.run_batch(1)
    ch.request_withdrawal(1, 100)
    market.run_batch(2)
    before = state(market)
    from ledger.ethereum.chain import send
    with pytest.raises(ChainError, match="NotOwner"):
        send(ch.w3, ch.onchain.settlement.functions.claim(1), ch.wallets[2], contract=ch.onchain.settlement)
    assert state(market) == before


def test_a_withdrawal_beyond_equity_is_not_debited(market):
    ch = market.chain
    ch.deposit(1, 5000)
    market.run_batch(1)
    ch.request_withdrawal(2, CASH * 10)          # far beyond the account's equity
    report = market.run_batch(2)
    assert report.withdrawals == 0 and block_flows(market.operator.store.get_block(2))[1] == {}
    assert state(market)["claimable"] == [0, 0]


def test_stale_or_forged_withdrawal_requests_are_refused(market):
    store = market.operator.store
    c1 = store.account_commitment(1)
    with pytest.raises(Rejected, match="bad signature"):
        check_withdrawal(store, new_withdrawal(market.trader_keys[2], 1, 10, c1))
    with pytest.raises(Rejected, match="stale"):
        check_withdrawal(store, new_withdrawal(market.trader_keys[1], 1, 10, c1 + 1))
    check_withdrawal(store, new_withdrawal(market.trader_keys[1], 1, 10, c1))


def test_a_block_without_a_quorum_certificate_is_refused_and_not_hard_final(market):
    ch = market.chain
    signers, ch.signers = ch.signers, ch.signers[:2]          # 2 of 4 equal stakes: no quorum
    with pytest.raises(ChainError, match="InsufficientStake"):
        market.run_batch(1)
    assert market.operator.store.head()[0] == 1               # soft-final on the ledger
    assert ch.onchain.height() == 0 and 1 not in ch.onchain.settled
    ch.signers = signers
    ch.settle(market.operator.store.get_block(1))
    assert ch.onchain.height() == 1


def test_a_validator_signs_only_blocks_final_in_its_own_store(market):
    ch = market.chain
    market.run_batch(1)
    block = market.operator.store.get_block(1)
    other = market.nodes[1]
    assert ch.signers[0].sign(block)                          # final in its store
    from ledger.core.block import Block
    forged = Block(2, block.hash(), block.n_orders, block.n_accounts,
                   [2 if i == 1 else v for i, v in enumerate(block.public_inputs)], block.proof,
                   block.state_root, block.orders)
    with pytest.raises(Rejected, match="not final here"):
        ch.signers[0].sign(forged)
    assert other.head()[0] == 1


def test_a_deposit_above_the_security_cap_is_refused(market):
    ch = market.chain
    sec = ch.onchain.security()
    assert sec["cap"] == sec["stake"] == 400 * 10**6
    ch.deposit(1, 1000)
    before = state(market)
    with pytest.raises(ChainError, match="CapExceeded"):
        ch.deposit(2, sec["cap"] - 1000 + 1)
    after = state(market)
    before["balances"][1] = after["balances"][1]               # the test tokens it minted itself
    assert after == before
    ch.deposit(2, sec["cap"] - 1000)                           # exactly the cap: accepted
    assert ch.onchain.security()["collateral"] == sec["cap"]


def test_settles_on_the_in_process_chain(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = Market.create(str(tmp_path / "m"), traders=2, validators=4)
        m.attach_chain(in_process())
    try:
        m.chain.deposit(2, 70)
        report = m.run_batch(1)
        assert m.chain.onchain.height() == 1 and report.deposits == 70
        assert m.chain.onchain.settlement.functions.lastBlockHash().call() == AnchorChain(m.nodes[2]).at(1)
        assert 300_000 < report.gas < 1_200_000
    finally:
        m.close()


def _watch(market, tmp_path, w3, name):
    from ledger.ethereum.config import write_deployment
    from ledger.ethereum.settlement import settlement_layout
    from ledger.node.ethereum import NodeEthereum
    s = market.chain.onchain.settlement
    dep = tmp_path / f"{name}.json"
    write_deployment(dep, chain_id=w3.eth.chain_id, verifier=s.functions.verifier().call(),
                     settlement=s.address, token=s.functions.token().call(),
                     ledger_id=s.functions.ledgerId().call(), layout=settlement_layout(2, 2))
    (tmp_path / name).mkdir()
    return str(dep)


def test_a_node_reports_hard_finality_only_for_its_own_blocks(market, tmp_path, anvil):
    from ledger.node.ethereum import NodeEthereum
    url = anvil.provider.endpoint_uri
    market.run_batch(1)
    watcher = NodeEthereum(str(tmp_path), market.nodes[1], rpc=url,
                           deployment=_watch(market, tmp_path, anvil, "own"))
    st = watcher.status()
    assert (st["soft"], st["hard"]) == (1, 1) and "contract_error" not in st
    # another ledger's contract, which settled that ledger's block 1: never hard-final here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        other = Market.create(str(tmp_path / "other"), traders=2, validators=4)
    try:
        other.attach_chain(anvil)
        other.run_batch(1)
        foreign = NodeEthereum(str(tmp_path), market.nodes[1], rpc=url,
                               deployment=_watch(other, tmp_path, anvil, "foreign"))
        st = foreign.status()
        assert st["hard"] is None and "not this ledger's" in st["contract_error"]
    finally:
        other.close()


def test_a_node_ahead_of_itself_on_the_contract_is_not_hard_final(market, tmp_path, anvil):
    from ledger.node.ethereum import NodeEthereum
    market.run_batch(1)
    # a fresh store of the same genesis that has not stored block 1 yet
    from ledger.chain.store import Store
    behind = Store.open(str(tmp_path / "behind.db"))
    behind.init_genesis(market.genesis)
    try:
        st = NodeEthereum(str(tmp_path), behind, rpc=anvil.provider.endpoint_uri,
                          deployment=_watch(market, tmp_path, anvil, "behind")).status()
        assert (st["soft"], st["hard"]) == (0, None) and "ahead of this node" in st["contract_error"]
    finally:
        behind.close()


def test_a_witness_that_withdraws_beyond_equity_cannot_be_proven(market):
    from dataclasses import replace

    from circuits import UnsatisfiedError
    from ledger.exchange.matching import match_batch
    from ledger.operator.scenario import MARKET
    from prover import prove
    op = market.operator
    res = match_batch([], market.states, market.mark, MARKET, withdrawals={1: 1})
    w = res.to_witness(1, op.n_slots, op.k_slots, openings=[])
    prove(op.pk, op.circuit.assignment(w))                    # the honest 1-unit withdrawal proves
    big = CASH * 10
    lie = replace(w, withdrawals=[big] + list(w.withdrawals[1:]),
                  new_accounts=[replace(w.new_accounts[0], cash=w.new_accounts[0].cash + 1 - big)]
                  + list(w.new_accounts[1:]))
    with pytest.raises(UnsatisfiedError, match="A2"):
        prove(op.pk, op.circuit.assignment(lie))



def test_deposits_beyond_the_account_slots_wait_in_queue_order(market, monkeypatch):
    from types import SimpleNamespace

    import ledger.operator.engine as engine
    from ledger.operator.scenario import MARKET
    seen = []

    class Fits(Exception):
        pass

    def fake_match(openings, states, mark, params, deposits=None, withdrawals=None, **perp):
        seen.append(dict(deposits))
        participants = sorted(set(deposits) | {9})          # account 9 trades in the batch
        if len(participants) <= market.operator.k_slots:
            raise Fits
        return SimpleNamespace(participants=participants)

    monkeypatch.setattr(engine, "match_batch", fake_match)
    with pytest.raises(Fits):
        market.operator.propose(1, market.mark, MARKET, market.states, deposits={1: 10, 2: 20, 3: 30},
                                observations=market.observations(1))
    assert seen == [{1: 10, 2: 20, 3: 30}, {1: 10, 2: 20}, {1: 10}]
