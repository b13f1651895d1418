"""The settlement circuit's flow group: deposits and withdrawals after the account slots.

The batch circuit lays its public inputs out as globals, order slots, account
slots (active, id, old, new) and then one flow slot per account slot
(liquidate, deposit, withdraw).  ``settlement_layout(N, K)`` must name exactly
those indices, and the contract must read slot k's deposit and withdrawal from
flow slot k — not from the account slot, which for K > 1 holds the next
account's fields.  The on-chain tests use a purpose-built statement with that
same shape (3 account slots) on a real EVM (anvil).
"""

from dataclasses import replace

import pytest
from eth_account import Account

from circuits import Circuit
from circuits.settlement_data import n_public_inputs, public_names
from evm_fixtures import anvil  # noqa: F401 (fixture)
from ledger.ethereum.chain import ChainError, send
from ledger.ethereum.deploy import deploy, deploy_verifier
from ledger.ethereum.settlement import Genesis, block_hash, certificate, settle, settlement_layout
from prover import prove
from prover.setup import setup
from verifier.fields import R_MOD

LEDGER_ID = bytes.fromhex("f1" * 32)
GENESIS_HASH = bytes.fromhex("0e" * 32)
N, K = 1, 3
LAYOUT = settlement_layout(N, K)


@pytest.mark.parametrize("n,k", [(1, 1), (2, 2), (3, 5), (8, 8), (16, 16)])
def test_layout_names_the_circuits_fields(n, k):
    layout = settlement_layout(n, k)
    names = public_names(n, k)
    assert layout.n_public == n_public_inputs(n, k) == len(names)
    assert names[layout.height_index] == "height"
    for slot in range(k):
        base = layout.account_slot(slot)
        assert names[base + layout.off_active] == f"account{slot}.active"
        assert names[base + layout.off_id] == f"account{slot}.id"
        assert names[base + layout.off_old] == f"account{slot}.old"
        assert names[base + layout.off_new] == f"account{slot}.new"
        assert names[layout.deposit_index(slot)] == f"account{slot}.deposit"
        assert names[layout.withdraw_index(slot)] == f"account{slot}.withdraw"


def flow_circuit():
    """Public inputs named and ordered as the batch circuit's (globals shortened to LAYOUT's)."""
    c = Circuit()
    names = public_names(N, K)
    wires = {name: c.public(name) for name in names}
    for slot in range(K):
        a = {f: wires[f"account{slot}.{f}"] for f in ("active", "old", "new")}
        delta = c.private(f"account{slot}.delta")
        c.assert_zero(c.mul(a["active"], c.sub(c.sub(a["new"], a["old"]), delta)))
    return c


class FlowWorld:
    def __init__(self, w3, srs):
        self.w3 = w3
        self.pk, self.vk = setup(flow_circuit(), srs)
        self.committee = [Account.create() for _ in range(4)]
        self.verifier = deploy_verifier(w3, self.vk)
        self.owners = w3.eth.accounts[1:4]
        self.commitments = {10: 111, 20: 222, 30: 333}

    def fresh(self):
        token = deploy(self.w3, "TestToken", ("test", "TT"))
        g = Genesis(LEDGER_ID, GENESIS_HASH, 0, tuple(a.address for a in self.committee), (1, 1, 1, 1),
                    10**6, (10, 20, 30), (111, 222, 333), tuple(self.owners))
        settlement = deploy(self.w3, "Settlement", (self.verifier.address, token.address,
                                                    LAYOUT.to_abi(), g.to_abi()))
        for who in self.w3.eth.accounts[:4]:
            token.functions.mint(who, 10**9).transact({"from": who})
            token.functions.approve(settlement.address, 2**256 - 1).transact({"from": who})
        return settlement, token

    def block(self, height, slots):
        """slots: K entries of None or {id, old, new, deposit, withdraw}."""
        names = public_names(N, K)
        a = dict.fromkeys(names, 0)
        a.update({"height": height, "P": 1, "M": 1})
        for slot, s in enumerate(slots):
            if s is None:
                a[f"account{slot}.delta"] = 0
                continue
            a.update({f"account{slot}.active": 1, f"account{slot}.id": s["id"],
                      f"account{slot}.old": s["old"], f"account{slot}.new": s["new"],
                      f"account{slot}.deposit": s.get("deposit", 0),
                      f"account{slot}.withdraw": s.get("withdraw", 0)})
            a[f"account{slot}.delta"] = (s["new"] - s["old"]) % R_MOD
        proof, public = prove(self.pk, a)
        return [int(x) for x in public], proof

    def settle(self, settlement, height, parent, public, proof):
        sigs = certificate(self.committee[:3], block_hash(LEDGER_ID, height, parent, public, proof))
        return settle(self.w3, settlement, height, parent, public, proof, sigs, self.w3.eth.accounts[0])


@pytest.fixture(scope="module")
def world(anvil, srs):
    return FlowWorld(anvil, srs)


def test_contract_counts_the_flow_group_in_its_public_inputs(world):
    settlement, _ = world.fresh()
    assert settlement.functions.nPublic().call() == LAYOUT.n_public == n_public_inputs(N, K)


def test_deposits_of_later_slots_are_read_from_their_flow_slots(world):
    w3 = world.w3
    settlement, _ = world.fresh()
    send(w3, settlement.functions.deposit(20, 5), w3.eth.accounts[0])
    send(w3, settlement.functions.deposit(30, 7), w3.eth.accounts[0])
    public, proof = world.block(1, [{"id": 10, "old": 111, "new": 1},
                                    {"id": 20, "old": 222, "new": 2, "deposit": 5},
                                    {"id": 30, "old": 333, "new": 3, "deposit": 7}])
    world.settle(settlement, 1, GENESIS_HASH, public, proof)
    f = settlement.functions
    assert (f.depositHead().call(), f.pendingDeposits().call()) == (2, 0)
    assert [f.commitmentOf(a).call() for a in (10, 20, 30)] == [1, 2, 3]


def test_withdrawal_of_a_later_slot_is_claimable_by_that_account_only(world):
    w3 = world.w3
    settlement, token = world.fresh()
    send(w3, settlement.functions.deposit(10, 50), w3.eth.accounts[0])
    public, proof = world.block(1, [{"id": 10, "old": 111, "new": 1, "deposit": 50},
                                    None,
                                    {"id": 30, "old": 333, "new": 3, "withdraw": 9}])
    world.settle(settlement, 1, GENESIS_HASH, public, proof)
    f = settlement.functions
    assert [f.claimable(a).call() for a in (10, 20, 30)] == [0, 0, 9]
    before = token.functions.balanceOf(world.owners[2]).call()
    send(w3, f.claim(30), world.owners[2])
    assert token.functions.balanceOf(world.owners[2]).call() == before + 9


def test_a_deposit_in_another_slot_than_queued_is_refused(world):
    w3 = world.w3
    settlement, _ = world.fresh()
    send(w3, settlement.functions.deposit(30, 7), w3.eth.accounts[0])
    # the amount sits in slot 1's flow (account 20), the queue holds account 30's deposit
    public, proof = world.block(1, [None, {"id": 20, "old": 222, "new": 2, "deposit": 7},
                                    {"id": 30, "old": 333, "new": 3}])
    height = settlement.functions.height().call()
    with pytest.raises(ChainError, match="DepositMismatch"):
        world.settle(settlement, 1, GENESIS_HASH, public, proof)
    assert settlement.functions.height().call() == height
    assert settlement.functions.depositHead().call() == 0


@pytest.mark.parametrize("field,value", [("off_deposit", 3), ("off_withdraw", 3)])
def test_flow_offset_outside_the_flow_slot_is_refused_at_deployment(world, field, value):
    bad = replace(LAYOUT, **{field: value})
    g = Genesis(LEDGER_ID, GENESIS_HASH, 0, tuple(a.address for a in world.committee), (1, 1, 1, 1), 1)
    with pytest.raises(ChainError, match="WrongLayout"):
        deploy(world.w3, "Settlement", (world.verifier.address, world.verifier.address, bad.to_abi(),
                                        g.to_abi()))


def test_contract_deposit_bound_is_the_circuits_flow_bound(world):
    from ledger.core.limits import FLOW_BOUND
    settlement, _ = world.fresh()
    assert settlement.functions.MAX_AMOUNT().call() == FLOW_BOUND - 1
    with pytest.raises(ChainError, match="BadAmount"):
        send(world.w3, settlement.functions.deposit(10, FLOW_BOUND), world.w3.eth.accounts[0],
             contract=settlement)
    assert settlement.functions.depositTail().call() == 0
