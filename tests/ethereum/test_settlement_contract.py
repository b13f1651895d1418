"""Settlement.sol on anvil: settle's checks, the deposit queue, claims, the cap, the committee.

Every refusal is its own test and compares the contract's whole state (every
getter and the first 40 raw storage slots, plus token balances) before and
after: nothing changes.  The happy path also runs on the in-process chain.
"""

import pytest
from eth_account import Account
from web3.logs import DISCARD

from evm_fixtures import anvil, pyevm  # noqa: F401 (fixtures)
from ledger.ethereum.chain import ChainError, send
from ledger.ethereum.settlement import (
    block_hash, cap_change_hash, certificate, committee_change_hash, settle, sign,
)
from ledger.ethereum.words import proof_words
from settlement_fixtures import GENESIS_HASH, LEDGER_ID, World
from verifier.fields import R_MOD


@pytest.fixture(scope="module")
def world(anvil, srs):
    return World(anvil, srs)


def snapshot(w3, settlement, token):
    f = settlement.functions
    state = {name: getattr(f, name)().call() for name in (
        "height", "lastBlockHash", "lastSettledAt", "frozen", "totalStake", "capBps", "govNonce",
        "depositHead", "depositTail", "collateral", "owed", "members")}
    for a in (1, 2, 3):
        state[f"account{a}"] = (f.commitmentOf(a).call(), f.claimable(a).call(), f.ownerOf(a).call())
    for i in range(4):
        state[f"deposit{i}"] = f.depositAt(i).call()
    state["storage"] = [w3.eth.get_storage_at(settlement.address, i) for i in range(40)]
    state["balances"] = [token.functions.balanceOf(a).call() for a in [settlement.address] + w3.eth.accounts[:4]]
    return state


def refused(w3, settlement, token, action, reason):
    before = snapshot(w3, settlement, token)
    with pytest.raises(ChainError, match=reason):
        action()
    assert snapshot(w3, settlement, token) == before


def c(world, a):
    return world.genesis_commitments[a]


def _settle(world, settlement, height, parent, public, proof, sigs=None):
    sigs = world.sign(settlement, height, parent, public, proof) if sigs is None else sigs
    return settle(world.w3, settlement, height, parent, public, proof, sigs, world.w3.eth.accounts[0])


# ---------------------------------------------------------------- accepted

def test_block_hash_matches_the_contract(world):
    settlement, _ = world.fresh()
    public, proof = world.block(1, [{"id": 1, "old": c(world, 1), "new": 5}])
    words = proof_words(proof)
    assert settlement.functions.blockHash(1, GENESIS_HASH, public, words).call() == \
        block_hash(LEDGER_ID, 1, GENESIS_HASH, public, proof)


def test_settle_deposit_withdraw_claim(world):
    w3 = world.w3
    settlement, token = world.fresh()
    send(w3, settlement.functions.deposit(1, 500), w3.eth.accounts[3])
    assert settlement.functions.pendingDeposits().call() == 1
    public, proof = world.block(1, [{"id": 1, "old": c(world, 1), "new": 11, "deposit": 500, "withdraw": 200}])
    receipt = _settle(world, settlement, 1, GENESIS_HASH, public, proof)
    h = block_hash(LEDGER_ID, 1, GENESIS_HASH, public, proof)
    f = settlement.functions
    assert (f.height().call(), f.lastBlockHash().call(), f.commitmentOf(1).call()) == (1, h, 11)
    assert f.commitmentOf(2).call() == c(world, 2)                 # untouched slot stays
    assert (f.depositHead().call(), f.claimable(1).call(), f.owed().call()) == (1, 200, 200)
    assert settlement.events.Settled().process_receipt(receipt, errors=DISCARD)[0]["args"]["blockHash"] == h
    owner = world.owners[0]
    before = token.functions.balanceOf(owner).call()
    send(w3, f.claim(1), owner)
    assert token.functions.balanceOf(owner).call() == before + 200
    assert (f.claimable(1).call(), f.collateral().call(), f.owed().call()) == (0, 300, 0)
    # block 2 on block 1
    public2, proof2 = world.block(2, [{"id": 1, "old": 11, "new": 12}, {"id": 2, "old": c(world, 2), "new": 9}])
    _settle(world, settlement, 2, h, public2, proof2)
    assert (f.height().call(), f.commitmentOf(2).call()) == (2, 9)


def test_settle_in_process(pyevm, srs):
    w = World(pyevm, srs)
    settlement, token = w.fresh()
    send(pyevm, settlement.functions.deposit(2, 70), pyevm.eth.accounts[0])
    public, proof = w.block(1, [{"id": 2, "old": w.genesis_commitments[2], "new": 3, "deposit": 70}])
    receipt = _settle(w, settlement, 1, GENESIS_HASH, public, proof)
    assert receipt.gasUsed < 1_200_000
    assert settlement.functions.commitmentOf(2).call() == 3 and settlement.functions.depositHead().call() == 1


# ---------------------------------------------------------------- settle refusals

@pytest.fixture
def fresh(world):
    settlement, token = world.fresh()
    public, proof = world.block(1, [{"id": 1, "old": c(world, 1), "new": 5}])
    return settlement, token, public, proof


def test_wrong_height_is_refused(world, fresh):
    settlement, token, _, _ = fresh
    public, proof = world.block(2, [{"id": 1, "old": c(world, 1), "new": 5}])
    refused(world.w3, settlement, token, lambda: _settle(world, settlement, 2, GENESIS_HASH, public, proof),
            "WrongHeight")


def test_height_field_other_than_the_block_height_is_refused(world, fresh):
    settlement, token, _, _ = fresh
    public, proof = world.block(5, [{"id": 1, "old": c(world, 1), "new": 5}])
    refused(world.w3, settlement, token, lambda: _settle(world, settlement, 1, GENESIS_HASH, public, proof),
            "WrongHeight")


def test_wrong_parent_is_refused(world, fresh):
    settlement, token, public, proof = fresh
    refused(world.w3, settlement, token, lambda: _settle(world, settlement, 1, b"\x01" * 32, public, proof),
            "WrongParent")


def test_proof_for_other_public_inputs_is_refused(world, fresh):
    settlement, token, public, proof = fresh
    other = list(public)
    other[public.index(5)] = 6                        # new commitment 6: signed by the committee, not proven
    refused(world.w3, settlement, token, lambda: _settle(world, settlement, 1, GENESIS_HASH, other, proof),
            "BadProof")


def test_tampered_proof_word_is_refused(world, fresh):
    settlement, token, public, proof = fresh
    words = proof_words(proof)
    words[20] = (words[20] + 1) % R_MOD
    refused(world.w3, settlement, token, lambda: _settle(world, settlement, 1, GENESIS_HASH, public, words),
            "BadProof")


def test_too_little_stake_is_refused(world, fresh):
    settlement, token, public, proof = fresh
    sigs = world.sign(settlement, 1, GENESIS_HASH, public, proof, signers=world.committee[:2])   # 2/4 of stake
    refused(world.w3, settlement, token,
            lambda: _settle(world, settlement, 1, GENESIS_HASH, public, proof, sigs), "InsufficientStake")


def test_exactly_two_thirds_is_not_enough(world):
    stakes = (1, 1, 1, 3)                                   # total 6
    settlement, token = world.fresh(stakes=stakes)
    public, proof = world.block(1, [{"id": 1, "old": c(world, 1), "new": 5}])
    big = world.committee[3]
    small = world.committee[:3]
    # 3 + 1 = 4 = exactly 2/3 of 6: refused; 3 + 1 + 1 = 5: accepted
    sigs = world.sign(settlement, 1, GENESIS_HASH, public, proof, signers=[big, small[0]])
    refused(world.w3, settlement, token,
            lambda: _settle(world, settlement, 1, GENESIS_HASH, public, proof, sigs), "InsufficientStake")
    _settle(world, settlement, 1, GENESIS_HASH, public, proof,
            world.sign(settlement, 1, GENESIS_HASH, public, proof, signers=[big] + small[:2]))
    assert settlement.functions.height().call() == 1


def test_non_member_signature_is_refused(world, fresh):
    settlement, token, public, proof = fresh
    sigs = world.sign(settlement, 1, GENESIS_HASH, public, proof, signers=world.committee[:3] + [world.outsider])
    refused(world.w3, settlement, token,
            lambda: _settle(world, settlement, 1, GENESIS_HASH, public, proof, sigs), "NotMember")


def test_unsorted_or_repeated_signers_are_refused(world, fresh):
    settlement, token, public, proof = fresh
    h = block_hash(LEDGER_ID, 1, GENESIS_HASH, public, proof)
    one = sorted(world.committee, key=lambda a: int(a.address, 16))
    repeated = sign(one[0], h) * 3
    backwards = b"".join(sign(a, h) for a in reversed(one[:3]))
    for sigs in (repeated, backwards):
        refused(world.w3, settlement, token,
                lambda: _settle(world, settlement, 1, GENESIS_HASH, public, proof, sigs), "UnsortedSigners")


def test_high_s_signature_is_refused(world, fresh):
    settlement, token, public, proof = fresh
    h = block_hash(LEDGER_ID, 1, GENESIS_HASH, public, proof)
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    signers = sorted(world.committee[:3], key=lambda a: int(a.address, 16))
    parts = [sign(a, h) for a in signers]
    r, s, v = parts[0][:32], int.from_bytes(parts[0][32:64], "big"), parts[0][64]
    parts[0] = r + (n - s).to_bytes(32, "big") + bytes([55 - v])      # the same signature, malleated
    refused(world.w3, settlement, token,
            lambda: _settle(world, settlement, 1, GENESIS_HASH, public, proof, b"".join(parts)), "BadSignature")


def test_replayed_block_is_refused(world, fresh):
    settlement, token, public, proof = fresh
    _settle(world, settlement, 1, GENESIS_HASH, public, proof)
    refused(world.w3, settlement, token, lambda: _settle(world, settlement, 1, GENESIS_HASH, public, proof),
            "WrongHeight")


def test_stale_commitment_is_refused(world, fresh):
    settlement, token, _, _ = fresh
    public, proof = world.block(1, [{"id": 1, "old": c(world, 1) + 1, "new": 5}])
    refused(world.w3, settlement, token, lambda: _settle(world, settlement, 1, GENESIS_HASH, public, proof),
            "StaleCommitment")


def test_certificate_of_another_ledger_is_refused(world, fresh):
    settlement, token, public, proof = fresh
    h = block_hash(b"\x77" * 32, 1, GENESIS_HASH, public, proof)
    sigs = certificate(world.committee[:3], h)
    refused(world.w3, settlement, token,
            lambda: _settle(world, settlement, 1, GENESIS_HASH, public, proof, sigs), "NotMember")


# ---------------------------------------------------------------- deposits

def test_deposits_consumed_out_of_order_are_refused(world):
    w3 = world.w3
    settlement, token = world.fresh()
    send(w3, settlement.functions.deposit(2, 7), w3.eth.accounts[0])
    send(w3, settlement.functions.deposit(1, 5), w3.eth.accounts[0])
    public, proof = world.block(1, [{"id": 1, "old": c(world, 1), "new": 3, "deposit": 5},
                                    {"id": 2, "old": c(world, 2), "new": 4, "deposit": 7}])
    refused(w3, settlement, token, lambda: _settle(world, settlement, 1, GENESIS_HASH, public, proof),
            "DepositMismatch")


def test_deposit_with_another_amount_is_refused(world):
    w3 = world.w3
    settlement, token = world.fresh()
    send(w3, settlement.functions.deposit(1, 5), w3.eth.accounts[0])
    public, proof = world.block(1, [{"id": 1, "old": c(world, 1), "new": 3, "deposit": 6}])
    refused(w3, settlement, token, lambda: _settle(world, settlement, 1, GENESIS_HASH, public, proof),
            "DepositMismatch")


def test_deposit_consumed_twice_is_refused(world):
    w3 = world.w3
    settlement, token = world.fresh()
    send(w3, settlement.functions.deposit(1, 5), w3.eth.accounts[0])
    public, proof = world.block(1, [{"id": 1, "old": c(world, 1), "new": 3, "deposit": 5}])
    _settle(world, settlement, 1, GENESIS_HASH, public, proof)
    h1 = settlement.functions.lastBlockHash().call()
    public2, proof2 = world.block(2, [{"id": 1, "old": 3, "new": 4, "deposit": 5}])
    refused(w3, settlement, token, lambda: _settle(world, settlement, 2, h1, public2, proof2), "DepositMismatch")


def test_deposit_above_the_cap_is_refused(world):
    w3 = world.w3
    settlement, token = world.fresh(cap_bps=25_000)          # cap = 2.5 × 400 stake = 1000
    assert settlement.functions.collateralCap().call() == 1000
    send(w3, settlement.functions.deposit(1, 600), w3.eth.accounts[0])
    refused(w3, settlement, token, lambda: send(w3, settlement.functions.deposit(2, 401), w3.eth.accounts[0],
                                                contract=settlement), "CapExceeded")
    send(w3, settlement.functions.deposit(2, 400), w3.eth.accounts[0])


def test_deposit_to_an_unknown_account_is_refused(world):
    w3 = world.w3
    settlement, token = world.fresh()
    refused(w3, settlement, token, lambda: send(w3, settlement.functions.deposit(3, 5), w3.eth.accounts[0],
                                                contract=settlement), "UnknownAccount")


# ---------------------------------------------------------------- claims

@pytest.fixture
def withdrawn(world):
    w3 = world.w3
    settlement, token = world.fresh()
    send(w3, settlement.functions.deposit(1, 500), w3.eth.accounts[0])
    public, proof = world.block(1, [{"id": 1, "old": c(world, 1), "new": 3, "deposit": 500, "withdraw": 120}])
    _settle(world, settlement, 1, GENESIS_HASH, public, proof)
    return settlement, token


def test_claim_by_another_address_is_refused(world, withdrawn):
    settlement, token = withdrawn
    refused(world.w3, settlement, token,
            lambda: send(world.w3, settlement.functions.claim(1), world.owners[1], contract=settlement), "NotOwner")


def test_second_claim_is_refused(world, withdrawn):
    settlement, token = withdrawn
    send(world.w3, settlement.functions.claim(1), world.owners[0])
    refused(world.w3, settlement, token,
            lambda: send(world.w3, settlement.functions.claim(1), world.owners[0], contract=settlement),
            "NothingToClaim")


def test_withdrawal_beyond_the_vault_is_refused(world):
    settlement, token = world.fresh()
    public, proof = world.block(1, [{"id": 1, "old": c(world, 1), "new": 3, "withdraw": 1}])   # nothing deposited
    refused(world.w3, settlement, token, lambda: _settle(world, settlement, 1, GENESIS_HASH, public, proof),
            "Insolvent")


# ---------------------------------------------------------------- governance

def test_committee_change_by_quorum_and_old_committee_refused_after(world):
    w3 = world.w3
    settlement, token = world.fresh()
    new = sorted([Account.create() for _ in range(3)], key=lambda a: int(a.address, 16))
    members, stakes = [a.address for a in new], [50, 50, 50]
    h = committee_change_hash(LEDGER_ID, 0, members, stakes)
    assert settlement.functions.committeeChangeHash(members, stakes).call() == h
    refused(w3, settlement, token, lambda: send(w3, settlement.functions.changeCommittee(
        members, stakes, certificate(world.committee[:2], h)), w3.eth.accounts[0], contract=settlement),
        "InsufficientStake")
    send(w3, settlement.functions.changeCommittee(members, stakes, certificate(world.committee[:3], h)),
         w3.eth.accounts[0])
    assert settlement.functions.members().call() == [members, stakes]
    # the same approval cannot be replayed (the nonce moved on)
    refused(w3, settlement, token, lambda: send(w3, settlement.functions.changeCommittee(
        members, stakes, certificate(world.committee[:3], h)), w3.eth.accounts[0], contract=settlement),
        "NotMember")
    public, proof = world.block(1, [{"id": 1, "old": c(world, 1), "new": 5}])
    refused(w3, settlement, token, lambda: _settle(world, settlement, 1, GENESIS_HASH, public, proof), "NotMember")
    _settle(world, settlement, 1, GENESIS_HASH, public, proof,
            world.sign(settlement, 1, GENESIS_HASH, public, proof, signers=new))
    assert settlement.functions.height().call() == 1


def test_cap_change_by_quorum(world):
    w3 = world.w3
    settlement, token = world.fresh(cap_bps=10_000)
    h = cap_change_hash(LEDGER_ID, 0, 20_000)
    refused(w3, settlement, token, lambda: send(w3, settlement.functions.changeCap(
        20_000, certificate(world.committee[:1], h)), w3.eth.accounts[0], contract=settlement), "InsufficientStake")
    send(w3, settlement.functions.changeCap(20_000, certificate(world.committee[1:], h)), w3.eth.accounts[0])
    assert settlement.functions.collateralCap().call() == 800


def test_public_inputs_of_another_layout_are_refused(world, fresh):
    settlement, token, public, proof = fresh
    refused(world.w3, settlement, token,
            lambda: _settle(world, settlement, 1, GENESIS_HASH, public + [0], proof), "WrongLayout")


@pytest.mark.parametrize("field,value", [("n_accounts", 0), ("off_new", 6), ("height_index", 2), ("off_deposit", 9)])
def test_impossible_layout_is_refused_at_deployment(world, field, value):
    from dataclasses import replace
    from ledger.ethereum.deploy import deploy
    from ledger.ethereum.settlement import Genesis
    from settlement_fixtures import LAYOUT
    bad = replace(LAYOUT, **{field: value})
    genesis = Genesis(LEDGER_ID, GENESIS_HASH, 0, tuple(a.address for a in world.committee), (1, 1, 1, 1), 1)
    with pytest.raises(ChainError, match="WrongLayout"):
        deploy(world.w3, "Settlement", (world.verifier.address, world.verifier.address, bad.to_abi(),
                                        genesis.to_abi()))


def test_unsorted_or_zero_stake_committee_is_refused_at_deployment(world):
    from ledger.ethereum.deploy import deploy
    from settlement_fixtures import LAYOUT
    members = sorted((a.address for a in world.committee), key=lambda x: int(x, 16))
    for ms, stakes in ((members[::-1], [1, 1, 1, 1]), (members, [1, 0, 1, 1]), ([], [])):
        g = (LEDGER_ID, GENESIS_HASH, 0, ms, stakes, 1, [], [], [])
        with pytest.raises(ChainError, match="BadCommittee"):
            deploy(world.w3, "Settlement", (world.verifier.address, world.verifier.address, LAYOUT.to_abi(), g))


def test_block_hash_matches_the_contract_for_any_block(world):
    from hypothesis import given, settings, strategies as st
    settlement, _ = world.fresh()
    word = st.integers(min_value=0, max_value=2**256 - 1)

    @settings(max_examples=25, deadline=None)
    @given(height=word, parent=st.binary(min_size=32, max_size=32),
           public=st.lists(word, max_size=20), proof=st.lists(word, min_size=24, max_size=24))
    def check(height, parent, public, proof):
        assert settlement.functions.blockHash(height, parent, public, proof).call() == \
            block_hash(LEDGER_ID, height, parent, public, proof)

    check()
