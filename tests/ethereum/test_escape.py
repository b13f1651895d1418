"""Escape.sol on anvil: forced withdrawals, the freeze after the governed time and not before,
a frozen contract refuses blocks, and exits with real exit proofs: the owner is paid its equity
once; a proof for another account, a stale commitment or more than the equity is refused, and
so is an exit or a refusal made for another chain or another Escape deployment.

Every refusal compares the contract's whole state (getters, the first 60 raw storage slots,
token balances) before and after: nothing changes and nothing is paid.
"""

import pytest
from web3.logs import DISCARD

from circuits.account_state import Opening, commitment
from circuits.exit import exit_amount
from circuits.refusal import RefusalCircuit
from circuits.settlement_data import FUNDING_OFFSET
from evm_fixtures import anvil  # noqa: F401 (fixture)
from escape_fixtures import (
    ACCOUNTS, FREEZE_AFTER, GENESIS_HASH, LEDGER_ID, EscapeWorld,
)
from ledger.ethereum.chain import ChainError, send
from ledger.ethereum.escape import (
    ExitRefused, claim_exit, deployed_exit_key, exit_proving_key, exit_view,
    freeze_after_change_hash, prove_exit,
)
from ledger.ethereum.settlement import certificate, settle
from ledger.ethereum.words import proof_words
from prover import prove
from verifier import verify
from verifier.fields import R_MOD


@pytest.fixture(scope="module")
def world(anvil):
    return EscapeWorld(anvil)


def snapshot(w3, escape, token):
    f = escape.functions
    state = {name: getattr(f, name)().call() for name in (
        "height", "lastBlockHash", "lastSettledAt", "frozen", "frozenAt", "freezeAfter",
        "lastMark", "lastFunding", "insurance", "rewards", "collateral", "owed", "govNonce")}
    for a in ACCOUNTS:
        state[a] = (f.commitmentOf(a).call(), f.exited(a).call(), f.requestedAt(a).call(),
                    f.requestedAmount(a).call(), f.keyX(a).call())
    state["storage"] = [w3.eth.get_storage_at(escape.address, i) for i in range(60)]
    state["balances"] = [token.functions.balanceOf(a).call()
                         for a in [escape.address] + w3.eth.accounts[:4]]
    return state


def refused(w3, escape, token, action, reason):
    before = snapshot(w3, escape, token)
    with pytest.raises(ChainError, match=reason):
        action()
    assert snapshot(w3, escape, token) == before


def at_next(w3, t):
    w3.provider.make_request("evm_setNextBlockTimestamp", [t])


def now(w3):
    return w3.eth.get_block("latest").timestamp


def commit(world, a, cash, position=0, funding=0, tag=0):
    op = Opening(cash=cash, position=position, funding=funding, blinding=1000 * a + tag)
    return op, commitment(a, op)


def _settle(world, escape, slots, **kw):
    height = escape.functions.height().call() + 1
    parent = escape.functions.lastBlockHash().call()
    public, proof = world.block(height, slots, **kw)
    sigs = world.sign(height, parent, public, proof)
    return settle(world.w3, escape, height, parent, public, proof, sigs, world.w3.eth.accounts[0])


def _stale_block(world, escape, a, new):
    """A block moving account ``a`` from its genesis commitment to ``new``."""
    return _settle(world, escape, [{"id": a, "old": commitment(a, world.openings[a]), "new": new}])


def _freeze(world, escape, account=1):
    """Let the chain stall past the freeze time, then freeze."""
    at_next(world.w3, escape.functions.lastSettledAt().call() + FREEZE_AFTER)
    send(world.w3, escape.functions.freeze(account), world.w3.eth.accounts[5], gas=200_000)
    assert escape.functions.frozen().call()


# ---------------------------------------------------------------- blocks

def test_settled_block_records_mark_funding_fund_and_rewards(world):
    escape, _ = world.fresh()
    _, new = commit(world, 1, 9_000, 3, -5)
    _settle(world, escape, [{"id": 1, "old": commitment(1, world.openings[1]), "new": new}],
            mark=123, funding=-5, fee=1_000, insurance_bps=2_000, insurance=700)
    f = escape.functions
    assert (f.lastMark().call(), f.lastFunding().call() - (1 << 47)) == (123, -5)
    assert f.fundingField().call() == -5 % R_MOD
    assert (f.insurance().call(), f.rewards().call()) == (700, 800)
    assert f.commitmentOf(1).call() == new


def test_block_with_a_key_other_than_the_registered_one_is_refused(world):
    escape, token = world.fresh()
    _, new = commit(world, 2, 1)
    slot = {"id": 2, "old": commitment(2, world.openings[2]), "new": new, "key": world.key(1)}
    refused(world.w3, escape, token, lambda: _settle(world, escape, [slot]), "WrongKey")


def test_genesis_keys_are_registered_at_deployment(world):
    keys = tuple(world.key(a) for a in ACCOUNTS)
    escape, _ = world.fresh(register=(), genesis_keys=keys)
    assert [(escape.functions.keyX(a).call(), escape.functions.keyY(a).call())
            for a in ACCOUNTS] == list(keys)
    _, new = commit(world, 3, 0, tag=1)
    _settle(world, escape, [{"id": 3, "old": commitment(3, world.openings[3]), "new": new}])
    with pytest.raises(ChainError):                      # one key short of the accounts
        world.fresh(register=(), genesis_keys=keys[:2])


def test_a_trader_recovers_its_state_from_the_chain_alone(world):
    from circuits import encryption as enc
    from ledger.core.custody import CustodyError
    from ledger.ethereum.escape import recover_from_chain
    from verifier.errors import Rejected
    escape, _ = world.fresh()
    op, new = commit(world, 1, 5_000, -3, 7, tag=4)
    e, E = enc.ephemeral()
    ct = enc.encrypt(op, world.key(1), e, account=1, tau=enc.tweak(1, 7))
    _settle(world, escape, [{"id": 1, "old": commitment(1, world.openings[1]), "new": new,
                             "ciphertext": ct}], block_key=E)
    got = recover_from_chain(escape, 1, world.secrets[1][0])
    assert (got.opening, got.height, got.commitment) == (op, 1, new)
    with pytest.raises(Rejected, match="block 1 on chain: decrypted state"):
        recover_from_chain(escape, 1, world.secrets[2][0])          # another trader's key
    with pytest.raises(CustodyError, match="no encrypted opening of account 3"):
        recover_from_chain(escape, 3, world.secrets[3][0])


def test_a_deployment_with_indices_outside_the_layout_is_refused(world):
    from ledger.ethereum.settlement import NONE
    for bad in ({"mark_index": 9}, {"funding_index": 99}, {"block_key_index": 10**6},
                {"key_base": NONE}, {"fee_index": NONE}, {"freeze_after": 0}):
        with pytest.raises(ChainError, match="WrongLayout|reverted"):
            world.fresh(register=(), **bad)


def test_only_the_owner_registers_a_key_or_requests(world):
    escape, token = world.fresh()
    stranger = world.w3.eth.accounts[5]
    refused(world.w3, escape, token,
            lambda: send(world.w3, escape.functions.registerKey(1, 5, 6), stranger,
                         contract=escape), "NotOwner")
    refused(world.w3, escape, token,
            lambda: send(world.w3, escape.functions.requestWithdrawal(1, 5), stranger,
                         contract=escape), "NotOwner")


# ---------------------------------------------------------------- forced withdrawal and freeze

def test_censored_withdrawal_freezes_after_the_governed_time_and_not_before(world):
    w3 = world.w3
    escape, token = world.fresh()
    f = escape.functions
    send(w3, f.requestWithdrawal(2, 500), world.owners[2], contract=escape)
    t0 = f.requestedAt(2).call()
    assert t0 and f.requestedAmount(2).call() == 500
    refused(w3, escape, token,
            lambda: send(w3, f.requestWithdrawal(2, 7), world.owners[2], contract=escape),
            "AlreadyRequested")
    # blocks keep settling (no stall) but ignore account 2's request
    at_next(w3, t0 + FREEZE_AFTER // 2)
    _, new = commit(world, 1, 10_000, tag=1)
    _stale_block(world, escape, 1, new)
    refused(w3, escape, token, lambda: send(w3, f.freeze(1), w3.eth.accounts[5],
                                            contract=escape), "TooEarly")
    at_next(w3, t0 + FREEZE_AFTER - 1)                     # one second early: refused
    refused(w3, escape, token, lambda: send(w3, f.freeze(2), w3.eth.accounts[5], gas=200_000),
            "reverted")
    assert not f.frozen().call()
    at_next(w3, t0 + FREEZE_AFTER)                         # on time: anyone freezes
    send(w3, f.freeze(2), w3.eth.accounts[5], gas=200_000)
    assert f.frozen().call() and f.frozenAt().call() == t0 + FREEZE_AFTER


def test_a_served_request_does_not_freeze(world):
    w3 = world.w3
    escape, token = world.fresh()
    f = escape.functions
    send(w3, f.requestWithdrawal(2, 500), world.owners[2], contract=escape)
    t0 = f.requestedAt(2).call()
    _, new = commit(world, 2, 19_500, tag=1)
    send(w3, f.deposit(1, 1_000), w3.eth.accounts[0], contract=escape)   # backs the claim
    _, new1 = commit(world, 1, 11_000, tag=1)
    at_next(w3, t0 + 10)                                   # the stall deadline moves past t0 + F
    receipt = _settle(world, escape, [
        {"id": 1, "old": commitment(1, world.openings[1]), "new": new1, "deposit": 1_000},
        {"id": 2, "old": commitment(2, world.openings[2]), "new": new, "withdraw": 500}])
    served = escape.events.WithdrawalServed().process_receipt(receipt, errors=DISCARD)
    assert [e.args.account for e in served] == [2]
    assert f.requestedAt(2).call() == 0
    at_next(w3, t0 + FREEZE_AFTER)
    refused(w3, escape, token, lambda: send(w3, f.freeze(2), w3.eth.accounts[5], gas=200_000),
            "reverted")
    assert f.claimable(2).call() == 500


def test_a_stalled_chain_freezes_after_the_governed_time(world):
    w3 = world.w3
    escape, token = world.fresh()
    f = escape.functions
    last = f.lastSettledAt().call()
    at_next(w3, last + FREEZE_AFTER - 1)
    refused(w3, escape, token, lambda: send(w3, f.freeze(3), w3.eth.accounts[5], gas=200_000),
            "reverted")
    at_next(w3, last + FREEZE_AFTER)
    send(w3, f.freeze(3), w3.eth.accounts[5], gas=200_000)
    assert f.frozen().call()


def test_a_frozen_contract_refuses_blocks_deposits_and_requests(world):
    w3 = world.w3
    escape, token = world.fresh()
    _freeze(world, escape)
    f = escape.functions
    _, new = commit(world, 1, 1)
    height, parent = 1, GENESIS_HASH
    public, proof = world.block(height, [{"id": 1, "old": commitment(1, world.openings[1]),
                                          "new": new}])
    sigs = world.sign(height, parent, public, proof)
    refused(w3, escape, token, lambda: settle(w3, escape, height, parent, public, proof, sigs,
                                              w3.eth.accounts[0]), "Frozen")
    refused(w3, escape, token, lambda: send(w3, f.deposit(1, 5), w3.eth.accounts[0],
                                            contract=escape), "Frozen")
    refused(w3, escape, token, lambda: send(w3, f.requestWithdrawal(1, 5), world.owners[1],
                                            contract=escape), "Frozen")
    refused(w3, escape, token, lambda: send(w3, f.freeze(1), w3.eth.accounts[5],
                                            contract=escape), "Frozen")


def test_the_freeze_time_is_governed_by_quorum(world):
    w3 = world.w3
    escape, token = world.fresh()
    f = escape.functions
    digest = freeze_after_change_hash(LEDGER_ID, 0, 50)
    assert f.freezeAfterChangeHash(50).call() == digest
    refused(w3, escape, token, lambda: send(w3, f.changeFreezeAfter(
        50, certificate(world.committee[:2], digest)), w3.eth.accounts[0], contract=escape),
        "InsufficientStake")
    send(w3, f.changeFreezeAfter(50, certificate(world.committee[:3], digest)),
         w3.eth.accounts[0], contract=escape)
    assert (f.freezeAfter().call(), f.govNonce().call()) == (50, 1)
    refused(w3, escape, token, lambda: send(w3, f.changeFreezeAfter(     # an approval is single-use
        50, certificate(world.committee[:3], digest)), w3.eth.accounts[0], contract=escape),
        "NotMember|InsufficientStake|BadSignature")


# ---------------------------------------------------------------- exits

def test_exit_pays_the_owner_its_equity_once(world):
    w3 = world.w3
    escape, token = world.fresh()
    f = escape.functions
    send(w3, f.deposit(1, 60_000), w3.eth.accounts[0], contract=escape)
    # account 1: long 4 lots bought at 100 with F_a = 2; the block settles M = 90, F = 5
    op1, new1 = commit(world, 1, 60_000 - 400, 4, 2, tag=2)
    _settle(world, escape, [{"id": 1, "old": commitment(1, world.openings[1]), "new": new1,
                             "deposit": 60_000}], mark=90, funding=5)
    view = exit_view(escape, 1)
    assert (view["mark"], view["funding"], view["commitment"]) == (90, 5, new1)
    amount, proof = prove_exit(world.exit_pk, 1, op1, view)
    assert amount == exit_amount(op1, 90, 5) == 59_600 - 4 * 3 + 4 * 90
    refused(w3, escape, token, lambda: claim_exit(w3, escape, 1, amount, proof,
                                                  w3.eth.accounts[5]), "NotFrozen")
    _freeze(world, escape)
    before = token.functions.balanceOf(world.owners[1]).call()
    receipt = claim_exit(w3, escape, 1, amount, proof, w3.eth.accounts[5])   # anyone submits
    assert token.functions.balanceOf(world.owners[1]).call() == before + amount
    assert f.exited(1).call() and f.collateral().call() == 60_000 - amount
    print(f"exit claim gas: {receipt.gasUsed}")
    assert receipt.gasUsed < 500_000
    refused(w3, escape, token, lambda: claim_exit(w3, escape, 1, amount, proof,
                                                  w3.eth.accounts[5]), "AlreadyExited")


@pytest.fixture(scope="module")
def frozen(world):
    """A frozen Escape: account 1 deposited 60,000 (block 1), then went long 4 at 100 with
    F_a = 2 (block 2: M = 90, F = 5); accounts 2 and 3 at genesis; an honest exit proof for
    account 1 and the opening of its stale block-1 commitment."""
    w3 = world.w3
    escape, token = world.fresh()
    send(w3, escape.functions.deposit(1, 60_000), w3.eth.accounts[0], contract=escape)
    op0, new0 = commit(world, 1, 60_000, tag=1)
    _settle(world, escape, [{"id": 1, "old": commitment(1, world.openings[1]), "new": new0,
                             "deposit": 60_000}])
    op1, new1 = commit(world, 1, 60_000 - 400, 4, 2, tag=2)
    _settle(world, escape, [{"id": 1, "old": new0, "new": new1}], mark=90, funding=5)
    _freeze(world, escape)
    amount, proof = prove_exit(world.exit_pk, 1, op1, exit_view(escape, 1))
    return dict(escape=escape, token=token, op0=op0, op1=op1, amount=amount, proof=proof)


def _own_proof(world, escape, account, opening, stored, recipient, mark=90, funding=5,
               where=None):
    """A proof of the exit statement with the given public commitment (honest circuit), for
    the deployment ``where`` = (chain id, contract address), by default ``escape`` here."""
    from prover import prove
    where = where or (world.w3.eth.chain_id, int(escape.address, 16))
    asg = world.exit_circuit.assignment(account, opening, mark, funding, int(recipient, 16),
                                        *where)
    asg["commitment"] = stored
    proof, _ = prove(world.exit_pk, asg)
    return exit_amount(opening, mark, funding), proof


def test_exit_for_more_than_the_equity_is_refused(world, frozen):
    fz = frozen
    refused(world.w3, fz["escape"], fz["token"], lambda: claim_exit(
        world.w3, fz["escape"], 1, fz["amount"] + 1, fz["proof"], world.w3.eth.accounts[5]),
        "BadProof")


def test_exit_proof_for_another_account_is_refused(world, frozen):
    fz = frozen
    refused(world.w3, fz["escape"], fz["token"], lambda: claim_exit(
        world.w3, fz["escape"], 2, fz["amount"], fz["proof"], world.w3.eth.accounts[5]),
        "BadProof")


def test_exit_proof_for_a_stale_commitment_is_refused(world, frozen):
    old = frozen["op0"]                                     # block 1: 60,000 cash, flat
    amount, proof = _own_proof(world, frozen["escape"], 1, old, commitment(1, old),
                               world.owners[1])
    assert amount == 60_000
    refused(world.w3, frozen["escape"], frozen["token"], lambda: claim_exit(
        world.w3, frozen["escape"], 1, amount, proof, world.w3.eth.accounts[5]), "BadProof")


def test_exit_proof_paying_another_address_is_refused(world, frozen):
    amount, proof = _own_proof(world, frozen["escape"], 1, frozen["op1"],
                               commitment(1, frozen["op1"]),
                               world.w3.eth.accounts[5])
    assert amount == frozen["amount"]
    refused(world.w3, frozen["escape"], frozen["token"], lambda: claim_exit(
        world.w3, frozen["escape"], 1, amount, proof, world.w3.eth.accounts[5]), "BadProof")


def test_a_forged_proof_word_is_refused(world, frozen):
    words = proof_words(frozen["proof"])
    words[5] = (words[5] + 1) % R_MOD
    refused(world.w3, frozen["escape"], frozen["token"], lambda: claim_exit(
        world.w3, frozen["escape"], 1, frozen["amount"], words, world.w3.eth.accounts[5]),
        "BadProof|reverted")


# ---------------------------------------------------------------- one deployment only

def test_exit_proof_for_another_chain_is_refused(world, frozen):
    w3, escape = world.w3, frozen["escape"]
    here = (w3.eth.chain_id, int(escape.address, 16))
    op1 = frozen["op1"]
    amount, proof = _own_proof(world, escape, 1, op1, commitment(1, op1), world.owners[1],
                               where=(here[0] + 1, here[1]))
    assert amount == frozen["amount"]
    refused(w3, escape, frozen["token"], lambda: claim_exit(
        w3, escape, 1, amount, proof, w3.eth.accounts[5]), "BadProof")


def test_exit_proof_is_refused_once_the_chain_id_is_another(world, frozen):
    """The honest proof, made for this chain, submitted after the node's chain id changed
    (anvil_setChainId): block.chainid is another, and the claim is refused."""
    w3, escape = world.w3, frozen["escape"]
    chain_id = w3.eth.chain_id
    w3.provider.make_request("anvil_setChainId", [chain_id + 7])
    try:
        assert escape.functions.exitInputs(1, 0).call()[6] == chain_id + 7
        refused(w3, escape, frozen["token"], lambda: claim_exit(
            w3, escape, 1, frozen["amount"], frozen["proof"], w3.eth.accounts[5]), "BadProof")
    finally:
        w3.provider.make_request("anvil_setChainId", [chain_id])
    assert w3.eth.chain_id == chain_id


def test_exit_proof_for_another_deployment_is_refused(world, frozen):
    """Two Escape contracts storing the same commitment for account 2: a proof made for one is
    refused by the other, and the other's own proof pays."""
    w3, a = world.w3, frozen["escape"]
    b, token_b = world.fresh()
    _freeze(world, b)
    assert a.functions.commitmentOf(2).call() == b.functions.commitmentOf(2).call()
    amount_a, proof_a = prove_exit(world.exit_pk, 2, world.openings[2], exit_view(a, 2))
    assert verify(world.exit_vk, a.functions.exitInputs(2, amount_a).call(), proof_a)
    refused(w3, b, token_b, lambda: claim_exit(w3, b, 2, amount_a, proof_a, w3.eth.accounts[5]),
            "BadProof")
    amount_b, proof_b = prove_exit(world.exit_pk, 2, world.openings[2], exit_view(b, 2))
    claim_exit(w3, b, 2, amount_b, proof_b, w3.eth.accounts[5])
    assert b.functions.exited(2).call() and not a.functions.exited(2).call()


def _refusal(world, escape, amount, where=None):
    """Words of a refusal proof for account 2 (its genesis opening) asking ``amount``, for the
    deployment ``where`` (by default ``escape`` on this chain)."""
    f = escape.functions
    where = where or (world.w3.eth.chain_id, int(escape.address, 16))
    asg = RefusalCircuit().assignment(2, world.openings[2], f.lastMark().call(),
                                      f.lastFunding().call() - FUNDING_OFFSET, f.lastMm().call(),
                                      amount, *where)
    return [int(w) for w in proof_words(prove(world.refusal_pk, asg)[0])]


def test_refusal_for_another_chain_or_deployment_is_refused(world):
    w3 = world.w3
    a, token = world.fresh()
    b, _ = world.fresh()
    for escape in (a, b):                     # account 2 holds nothing: 5 cannot be served
        send(w3, escape.functions.requestWithdrawal(2, 5), world.owners[2], contract=escape)
    here = (w3.eth.chain_id, int(a.address, 16))
    for where in ((here[0] + 1, here[1]), (here[0], int(b.address, 16))):
        words = _refusal(world, a, 5, where)
        refused(w3, a, token, lambda: send(w3, a.functions.refuseWithdrawal(2, words),
                                           w3.eth.accounts[0], contract=a), "BadProof")
    send(w3, a.functions.refuseWithdrawal(2, _refusal(world, a, 5)), w3.eth.accounts[0],
         contract=a)
    assert a.functions.requestedAt(2).call() == 0 and b.functions.requestedAt(2).call() != 0


# ---------------------------------------------------------------- the trader's key

def test_the_trader_builds_its_key_from_the_deployed_one(world, frozen):
    """``darkmatch exit``'s path: the exit verifier's key read from the chain, the proving key
    made for it from the SRS, the proof checked against it before anything is sent."""
    import dataclasses
    escape = frozen["escape"]
    vk = deployed_exit_key(escape)
    assert vk == world.exit_vk
    pk = exit_proving_key(world.exit_srs, vk)
    amount, proof = prove_exit(pk, 1, frozen["op1"], exit_view(escape, 1))
    assert amount == frozen["amount"]
    assert verify(vk, escape.functions.exitInputs(1, amount).call(), proof)
    with pytest.raises(ExitRefused, match="public input count"):
        exit_proving_key(world.exit_srs, dataclasses.replace(vk, n_public=6))
    with pytest.raises(ExitRefused, match=r"\[tau\]_2"):
        exit_proving_key(world.exit_srs, world.vk)         # the block verifier's key: another SRS
    wrong = exit_proving_key(world.exit_srs, dataclasses.replace(vk, Qm=vk.Ql))
    with pytest.raises(ExitRefused, match="does not verify"):
        prove_exit(wrong, 1, frozen["op1"], exit_view(escape, 1))
