"""The ledger's own encrypted blocks on Escape, on anvil, then every trader's exit.

Two traders made by ``darkmatch account new`` (each with its encryption key in
the genesis) and three validators run an encrypted 2 × 2 ledger
(``Operator(..., encrypted=True)``, real PLONK proofs).  ``OnChain.deploy``
deploys Escape for it (the encrypted layout, ``batch_params``, the genesis
keys); the traders deposit on the vault, block 1 credits the deposits, block 2
trades, and the operator's ``OnChain.submit`` settles both.  A block whose
ciphertext or block-key public inputs were changed, even re-signed by the
committee, is refused (``BadProof``) with nothing stored.  Then the operator
censors a forced withdrawal: the contract freezes at exactly the governed time,
refuses the next block, and each trader, with a copy of its key folder only,
reads its state from the contract's events (``darkmatch account state``) and
takes its equity out (``darkmatch exit``); the vault ends with the insurance
fund plus the validators' rewards.
"""

import shutil
import warnings

import pytest
from eth_account import Account

from circuits.account_state import Opening
from circuits.exit import exit_amount
from circuits.settlement_cipher import cipher_names, settlement_circuit
from circuits.settlement_data import MarketParams, public_names
from evm_fixtures import anvil  # noqa: F401 (fixture)
from ledger.chain.finality import Quorum
from ledger.chain.store import Store
from ledger.chain.validator import Validator
from ledger.cli.account import load_account, load_encryption_public
from ledger.cli.main import main as cli_main
from ledger.core import keys
from ledger.core.genesis import Genesis, GenesisAccount, GenesisMarket, GenesisValidator
from ledger.core.orders import new_order
from ledger.ethereum.anchor import EthSigner
from ledger.ethereum.chain import ChainError, advance_clock, send
from circuits.refusal import RefusalCircuit, RefusalError
from ledger.ethereum.escape import exit_keys, refusal_keys, refuse_withdrawal
from ledger.ethereum.withdrawals import new_withdrawal
from ledger.ethereum.words import proof_words
from ledger.ethereum.settlement import block_hash, certificate, settle
from ledger.operator.engine import Operator
from ledger.operator.onchain import OnChain
from prover import dev_srs, export_ptau, prove, setup

PARAMS = MarketParams(market_id=3, im_bps=1000, mm_bps=500, fee_bps=10, band_bps=500,
                      insurance_bps=5000)
CASH = 1_000_000
FREEZE_AFTER = 3_600
NAMES = public_names(2, 2) + cipher_names(2)


@pytest.fixture(scope="module")
def world(tmp_path_factory, anvil):
    w3 = anvil
    root = tmp_path_factory.mktemp("escape-ledger")
    for a in (1, 2):
        assert cli_main(["account", "new", "--out", str(root / "a" / f"t{a}"), "--id", str(a)]) == 0
    shutil.copytree(root / "a", root / "b")                    # "another machine"
    signing, accounts = {}, []
    for a in (1, 2):
        key, aid, pub = load_account(root / "a" / f"t{a}")
        signing[a] = key
        accounts.append(GenesisAccount(aid, pub, 0, None,
                                       load_encryption_public(root / "a" / f"t{a}")))
    vkeys = {f"v{i}": keys.generate() for i in range(3)}
    genesis = Genesis("escape-ledger", [GenesisMarket(PARAMS, 100)],
                      [GenesisValidator(n, 10, keys.public_key_hex(k)) for n, k in vkeys.items()],
                      accounts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pk, vk = setup(settlement_circuit(2, 2, encrypted=True), dev_srs(15))
        exit_srs = dev_srs(11)
    _, exit_pk, exit_vk = exit_keys(exit_srs)
    _, refusal_pk, refusal_vk = refusal_keys(exit_srs)
    export_ptau(exit_srs, root / "exit.ptau")
    store = Store.open(root / "operator.db")
    store.init_genesis(genesis)
    op = Operator(store, pk, vk, 2, 2, encrypted=True)
    eth_keys = {n: Account.create() for n in vkeys}
    signers = [EthSigner(k, store) for k in eth_keys.values()]
    owners = dict(zip((1, 2), w3.eth.accounts[1:3]))
    onchain = OnChain.deploy(w3, store, vk, 2, 2, {n: k.address for n, k in eth_keys.items()},
                             owners, stake_unit=10**6, exit_vk=exit_vk,
                             freeze_after=FREEZE_AFTER, refusal_vk=refusal_vk)
    yield dict(w3=w3, root=root, store=store, op=op, vk=vk, vkeys=vkeys, signing=signing, exit_pk=exit_pk, exit_vk=exit_vk, refusal_pk=refusal_pk,
               signers=signers, eth_keys=eth_keys, owners=owners, onchain=onchain,
               states={a.account_id: a.initial_state() for a in accounts}, history={})
    store.close()


def propose(world, height, orders=(), deposits=None, withdrawals=None):
    """Block ``height`` proposed, attested by the three validators and stored final."""
    op = world["op"]
    for a, side, price in orders:
        op.submit(*new_order(world["signing"][a], a, PARAMS.market_id, side, price, 10, height))
    proposal = op.propose(height, 100, PARAMS, world["states"], deposits=deposits,
                          withdrawals=withdrawals)
    block = proposal.block
    q = Quorum(world["store"], world["vk"])
    for k in world["vkeys"].values():
        q.add(Validator(k, world["store"], world["vk"]).attest(block), block)
    q.finalize(block)
    op.settled(block)
    world["states"].update(proposal.new_states)
    world["history"][height] = dict(world["states"])
    return world["store"].get_block(height)


def contract_state(world):
    f = world["onchain"].settlement.functions
    return {"height": f.height().call(), "hash": f.lastBlockHash().call(),
            "commitments": [f.commitmentOf(a).call() for a in (1, 2)],
            "mark": f.lastMark().call(), "collateral": f.collateral().call(),
            "frozen": f.frozen().call()}


def test_the_ledgers_encrypted_blocks_settle_and_publish_their_openings(world):
    onchain = world["onchain"]
    escape = onchain.settlement
    assert escape.functions.nPublic().call() == len(NAMES)
    for a in (1, 2):
        onchain.deposit(world["owners"][a], a, CASH)
    block1 = propose(world, 1, deposits=onchain.next_deposits())
    assert block1.encrypted
    done = onchain.submit(block1, world["signers"])
    block2 = propose(world, 2, orders=((1, "buy", 101), (2, "sell", 99)))
    assert block2.volume == 10
    done2 = onchain.submit(block2, world["signers"])
    print(f"\nsettle gas, encrypted 2x2 ledger block on Escape: block 1 (deposits) {done.gas}, "
          f"block 2 (trade) {done2.gas}")
    s = contract_state(world)
    assert s["height"] == 2 and s["collateral"] == 2 * CASH
    assert s["commitments"] == [world["store"].account_commitment(a) for a in (1, 2)]
    assert s["hash"] == onchain.chain.at(2)
    logs = escape.events.OpeningPublished().get_logs(from_block=0)
    assert sorted((e.args.account, e.args.height) for e in logs) == [(1, 1), (1, 2), (2, 1), (2, 2)]
    cts = block2.ciphertexts()
    for e in logs:
        if e.args.height == 2:
            c = cts[e.args.account]
            assert tuple(e.args.ciphertext) == tuple(c.ciphertext)
            assert (e.args.ex, e.args.ey) == tuple(c.block_key)
            assert e.args.tweak == c.tweak and e.args.commitment == c.commitment


@pytest.mark.parametrize("name", ["account0.c0", "account1.c3", "ex", "account0.ax"])
def test_a_block_with_changed_encryption_inputs_is_refused_even_when_signed(world, name):
    """Block 3 (a second trade) with one public input of the encrypted group changed and the
    committee's signatures over the changed block: the proof does not verify."""
    w3, onchain = world["w3"], world["onchain"]
    if world["store"].head()[0] < 3:
        propose(world, 3, orders=((1, "sell", 99), (2, "buy", 101)))
    block = world["store"].get_block(3)
    public = [int(x) for x in block.public_inputs]
    public[NAMES.index(name)] = (public[NAMES.index(name)] + 1) % (1 << 254)
    before = contract_state(world)
    parent = onchain.chain.at(2)
    digest = block_hash(onchain.chain.id, 3, parent, public, block.proof)
    with pytest.raises(ChainError, match="BadProof"):
        settle(w3, onchain.settlement, 3, parent, public, block.proof,
               certificate(list(world["eth_keys"].values()), digest), w3.eth.accounts[0])
    assert contract_state(world) == before


def test_an_unservable_request_is_refused_with_a_proof_and_cannot_freeze(world):
    """The freeze-griefing fix.  A request a block can serve cannot be refused (no refusal
    witness; a proof made for another amount is ``BadProof``) and a block serves it
    (``WithdrawalServed``); a request beyond what the account can withdraw is cancelled by
    the refusal statement's proof, and its time passing freezes nothing.  A proof gone stale
    (a block touched the account) and a refusal with nothing pending are refused."""
    w3, onchain = world["w3"], world["onchain"]
    escape = onchain.settlement
    f = escape.functions
    if f.height().call() < 3:
        onchain.submit(world["store"].get_block(3), world["signers"])
    assert f.lastMm().call() == PARAMS.mm_bps
    s = world["history"][3][2]
    assert s.position == 0                  # block 3 closed the trade: all equity is free
    opening = _opening(world, 2)
    equity = exit_amount(opening, f.lastMark().call(), f.lastFunding().call() - (1 << 47))
    assert 0 < equity < 10**15
    owner, anyone, pk = world["owners"][2], w3.eth.accounts[6], world["refusal_pk"]
    with pytest.raises(ChainError, match="NotRefusable"):             # nothing pending
        send(w3, f.refuseWithdrawal(2, [0] * 24), anyone, contract=escape)
    send(w3, f.requestWithdrawal(2, equity), owner, contract=escape)   # servable
    with pytest.raises(RefusalError, match="can serve"):
        refuse_withdrawal(w3, escape, pk, 2, opening, anyone)
    wrong = _refusal_words(world, opening, equity + 1)               # proof of another amount
    with pytest.raises(ChainError, match="BadProof"):
        send(w3, f.refuseWithdrawal(2, wrong), anyone, contract=escape)
    req = new_withdrawal(world["signing"][2], 2, equity, world["store"].account_commitment(2))
    block = propose(world, world["store"].head()[0] + 1, withdrawals=[req])
    onchain.submit(block, world["signers"])
    assert f.requestedAt(2).call() == 0 and f.claimable(2).call() == equity
    send(w3, f.claim(2), owner, contract=escape)
    world["claimed"] = equity
    # asking for more than it owns (now 0)
    send(w3, f.requestWithdrawal(2, 10**15), owner, contract=escape)
    asked = f.requestedAt(2).call()
    stale = _refusal_words(world, _opening(world, 2), 10**15)
    # a block that touches account 2 (a deposit of 500) makes that proof stale
    onchain.deposit(owner, 2, 500)
    world["deposited"] = 500
    block = propose(world, world["store"].head()[0] + 1, deposits=onchain.next_deposits())
    onchain.submit(block, world["signers"])
    assert f.requestedAt(2).call() == asked                 # 500 does not serve 10^15
    before = contract_state(world)
    with pytest.raises(ChainError, match="BadProof"):
        send(w3, f.refuseWithdrawal(2, stale), anyone, contract=escape)
    assert (f.requestedAt(2).call(), contract_state(world)) == (asked, before)
    receipt = refuse_withdrawal(w3, escape, pk, 2, _opening(world, 2), anyone)
    print(f"\nrefuseWithdrawal gas: {receipt.gasUsed}")
    assert (f.requestedAt(2).call(), f.requestedAmount(2).call()) == (0, 0)
    ev = escape.events.WithdrawalRefused().process_receipt(receipt)[0].args
    assert (ev.account, ev.requested) == (2, 10**15)
    # its time passes with blocks settling: no freeze
    block = propose(world, world["store"].head()[0] + 1)
    advance_clock(w3, asked + FREEZE_AFTER - 5)
    onchain.submit(block, world["signers"])
    advance_clock(w3, asked + FREEZE_AFTER + 5)
    with pytest.raises(ChainError, match="TooEarly"):
        send(w3, f.freeze(2), anyone, contract=escape)


def _refusal_words(world, opening, amount):
    """A refusal proof of ``amount`` for account 2 at the contract's current mark."""
    escape = world["onchain"].settlement
    f = escape.functions
    asg = RefusalCircuit().assignment(2, opening, f.lastMark().call(),
                                      f.lastFunding().call() - (1 << 47), f.lastMm().call(),
                                      amount, world["w3"].eth.chain_id, int(escape.address, 16))
    return [int(w) for w in proof_words(prove(world["refusal_pk"], asg)[0])]


def _opening(world, account):
    s = world["states"][account]
    return Opening(s.cash, s.position, s.funding_index, s.blinding)


def test_a_censored_request_freezes_and_every_trader_exits_with_its_equity(world, capsys):
    w3, onchain, root = world["w3"], world["onchain"], world["root"]
    escape, token = onchain.settlement, onchain.token
    f = escape.functions
    if f.height().call() < 3:                        # block 3 (untampered) settles
        onchain.submit(world["store"].get_block(3), world["signers"])
    send(w3, f.requestWithdrawal(1, 1_000), world["owners"][1], contract=escape)
    asked = f.requestedAt(1).call()
    # the operator keeps settling but censors the request: block 4 leaves account 1 out
    h = world["store"].head()[0] + 1
    block4 = propose(world, h)
    advance_clock(w3, asked + FREEZE_AFTER - 10)
    onchain.submit(block4, world["signers"])
    advance_clock(w3, asked + FREEZE_AFTER - 1)
    with pytest.raises(ChainError, match="TooEarly"):
        send(w3, f.freeze(1), w3.eth.accounts[5], contract=escape)
    advance_clock(w3, asked + FREEZE_AFTER)
    send(w3, f.freeze(1), w3.eth.accounts[5], gas=200_000)
    block5 = propose(world, h + 1, orders=((1, "buy", 101), (2, "sell", 99)))
    before = contract_state(world)
    with pytest.raises(ChainError, match="Frozen"):
        onchain.submit(block5, world["signers"])
    assert contract_state(world) == before and before["frozen"] and before["height"] == h
    chain = ["--rpc", w3.provider.endpoint_uri, "--escape", escape.address]
    mark, funding = f.lastMark().call(), f.lastFunding().call() - (1 << 47)
    paid = 0
    capsys.readouterr()
    for a in (1, 2):
        # the state as of the last settled block h: block h + 1 is final on the ledger only
        state = world["history"][h][a]
        rc = cli_main(["account", "state", "--account-dir", str(root / "b" / f"t{a}"), *chain])
        out, err = capsys.readouterr()
        assert rc == 0, err
        assert f"cash {state.cash}  position {state.position}" in out
        want = exit_amount(Opening(state.cash, state.position, state.funding_index,
                                   state.blinding), mark, funding)
        bal = token.functions.balanceOf(world["owners"][a]).call()
        rc = cli_main(["exit", *chain, "--ptau", str(root / "exit.ptau"),
                       "--account-dir", str(root / "b" / f"t{a}")])
        out, err = capsys.readouterr()
        assert rc == 0, err
        assert f"account {a}: exit of {want} paid to {world['owners'][a]}" in out
        print(out.strip())
        assert token.functions.balanceOf(world["owners"][a]).call() == bal + want
        paid += want
    # positions net to zero: the vault keeps exactly the insurance fund and the rewards
    assert f.collateral().call() == 2 * CASH + world.get("deposited", 0) - world.get(
        "claimed", 0) - paid == f.insurance().call() + f.rewards().call()
    assert f.insurance().call() > 0 and f.rewards().call() > 0
    rc = cli_main(["exit", *chain, "--ptau", str(root / "exit.ptau"),
                   "--account-dir", str(root / "b" / "t2")])
    assert rc == 2 and "already exited" in capsys.readouterr().err



@pytest.mark.parametrize("case", ["keys without exit key", "exit key without keys",
                                  "an account without a key"])
def test_deploy_refuses_a_mismatched_custody_setup(world, tmp_path, case):
    """Escape needs the exit verifier and a key for every genesis account; a ledger without
    keys gets the plain contract and no exit key."""
    root, w3 = world["root"], world["w3"]
    enc = [load_encryption_public(root / "a" / f"t{a}") for a in (1, 2)]
    if case == "exit key without keys":
        enc = [None, None]
    elif case == "an account without a key":
        enc = [enc[0], None]
    accounts = [GenesisAccount(a, keys.public_key_hex(world["signing"][a]), 0, None, enc[a - 1])
                for a in (1, 2)]
    genesis = Genesis("escape-ledger-deploy", [GenesisMarket(PARAMS, 100)],
                      [GenesisValidator(n, 10, keys.public_key_hex(k))
                       for n, k in world["vkeys"].items()], accounts)
    store = Store.open(tmp_path / "node.db")
    store.init_genesis(genesis)
    exit_vk = None if case == "keys without exit key" else world["exit_vk"]
    want = {"keys without exit key": "needs the exit circuit's verification key",
            "exit key without keys": "registers no encryption keys",
            "an account without a key": "account 2 registers no encryption key"}[case]
    n_before = w3.eth.block_number
    with pytest.raises(ChainError, match=want):
        OnChain.deploy(w3, store, world["vk"], 2, 2,
                       {n: k.address for n, k in world["eth_keys"].items()}, world["owners"],
                       exit_vk=exit_vk)
    assert w3.eth.block_number == n_before                 # nothing was deployed
    store.close()
