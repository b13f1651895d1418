"""Self-custody in the ledger: accounts made by ``darkmatch account new`` register encryption
keys in the genesis; the operator's blocks carry each touched account's new opening encrypted
to that key, proven; a trader recovers its exact state from the blocks alone with a copy of its
key folder on another machine, also through a node and the command line; a wrong key recovers
nothing; a block whose ciphertexts differ from the proven ones, or that carries another key, or
no ciphertext for an account with a key, is refused and nothing is stored."""

import dataclasses
import shutil
import warnings

import pytest
from ledger_chain import PARAMS, build_block, snapshot
from network_nodes import NodeProcess, make_home

from circuits.settlement_cipher import settlement_circuit
from ledger.chain.finality import Quorum
from ledger.chain.rules import BlockRejected
from ledger.chain.store import Store
from ledger.chain.validator import Validator
from ledger.cli.account import load_account, load_encryption_public, load_encryption_secret
from ledger.cli.main import main as cli_main
from ledger.core import keys
from ledger.core.block import Block, block_from_json, block_to_json
from ledger.core.custody import CustodyError, margin, recover
from ledger.core.genesis import Genesis, GenesisAccount, GenesisMarket, GenesisValidator
from ledger.core.orders import new_order
from ledger.node.client import NodeClient
from ledger.operator.engine import Operator
from prover import dev_srs, setup
from verifier.errors import Rejected
from verifier.fields import R_MOD

N = K = 2
SPECS = [(1, "buy", 101, 10), (2, "sell", 99, 10)]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("custody")
    machine_a = root / "machine-a"
    for a in (1, 2):
        assert cli_main(["account", "new", "--out", str(machine_a / f"t{a}"), "--id", str(a)]) == 0
    accounts, signing = [], {}
    for a in (1, 2):
        key, aid, pub = load_account(machine_a / f"t{a}")
        signing[a] = key
        accounts.append(GenesisAccount(aid, pub, 1_000_000, None,
                                       load_encryption_public(machine_a / f"t{a}")))
    validator_keys = {f"v{i}": keys.generate() for i in range(3)}
    genesis = Genesis("custody-test", [GenesisMarket(PARAMS, 100)],
                      [GenesisValidator(n, 10, keys.public_key_hex(k))
                       for n, k in validator_keys.items()], accounts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pk, vk = setup(settlement_circuit(N, K, encrypted=True), dev_srs(15))
    store = Store.open(root / "operator.db")
    store.init_genesis(genesis)
    operator = Operator(store, pk, vk, N, K, encrypted=True)
    for a, side, price, size in SPECS:
        operator.submit(*new_order(signing[a], a, PARAMS.market_id, side, price, size, 50))
    states = {a.account_id: a.initial_state() for a in genesis.accounts}
    proposal = operator.propose(1, 100, PARAMS, states)
    machine_b = root / "machine-b"                       # the traders' key folders, copied
    shutil.copytree(machine_a, machine_b)
    return dict(root=root, genesis=genesis, vk=vk, validator_keys=validator_keys,
                proposal=proposal, machine_b=machine_b)


def node_store(world, path):
    s = Store.open(path)
    s.init_genesis(world["genesis"])
    return s


def finalize(world, store, block):
    q = Quorum(store, world["vk"])
    for k in world["validator_keys"].values():
        q.add(Validator(k, store, world["vk"]).attest(block), block)
    return q.finalize(block)


def test_block_carries_proven_ciphertexts_for_every_touched_account(world):
    block = world["proposal"].block
    assert block.encrypted and sorted(block.ciphertexts()) == [1, 2]
    again = block_from_json(block_to_json(block))
    assert again.hash() == block.hash() and again.ciphertexts() == block.ciphertexts()
    for a, item in block.ciphertexts().items():
        assert item.key == world["genesis"].accounts[a - 1].encryption_key
        assert item.commitment == world["proposal"].new_states[a].commitment()


def test_each_account_recovers_its_exact_state_on_another_machine(world, tmp_path):
    store = node_store(world, tmp_path / "node.db")
    block = world["proposal"].block
    finalize(world, store, block)
    blocks = [store.get_block(1)]                        # what any node serves
    for a in (1, 2):
        secret = load_encryption_secret(world["machine_b"] / f"t{a}")
        got = recover(blocks, a, secret)
        new = world["proposal"].new_states[a]
        assert (got.height, got.commitment) == (1, store.account_commitment(a))
        assert (got.opening.cash, got.opening.position, got.opening.funding,
                got.opening.blinding) == (new.cash, new.position, new.funding_index, new.blinding)
    m = margin(recover(blocks, 1, load_encryption_secret(world["machine_b"] / "t1")).opening,
               100, 0, PARAMS.mm_bps, PARAMS.im_bps)
    assert m["equity"] == world["proposal"].new_states[1].cash + 10 * 100


def test_a_wrong_key_cannot_decrypt(world):
    other = load_encryption_secret(world["machine_b"] / "t2")
    with pytest.raises(Rejected, match="block 1: decrypted state"):
        recover([world["proposal"].block], 1, other)
    with pytest.raises(CustodyError, match="no block touched account 9"):
        recover([world["proposal"].block], 9, other)


def _altered(block, name_index, delta=1):
    pi = list(block.public_inputs)
    pi[name_index] = (pi[name_index] + delta) % R_MOD
    return dataclasses.replace(block, public_inputs=tuple(pi))


def test_a_block_whose_ciphertexts_differ_from_the_proven_ones_is_refused(world, tmp_path):
    block = world["proposal"].block
    names = settlement_circuit(N, K, encrypted=True).public_names
    store = node_store(world, tmp_path / "node.db")
    before = snapshot(store)
    for name in ("account0.c0", "account1.c3", "ex"):
        bad = _altered(block, names.index(name))
        v = Validator(world["validator_keys"]["v0"], store, world["vk"])
        ok, reason = v.check(bad)
        assert not ok and "proof" in reason, name
        with pytest.raises(ValueError, match="will not sign"):
            v.attest(bad)
    assert snapshot(store) == before


def test_a_block_with_another_key_or_no_ciphertext_is_refused(world, tmp_path):
    block = world["proposal"].block
    names = settlement_circuit(N, K, encrypted=True).public_names
    store = node_store(world, tmp_path / "node.db")
    before = snapshot(store)
    pi = list(block.public_inputs)
    k1 = world["genesis"].accounts[1].encryption_key
    pi[names.index("account0.ax")], pi[names.index("account0.ay")] = k1
    swapped = dataclasses.replace(block, public_inputs=tuple(pi))
    with pytest.raises(BlockRejected, match="encryption key of account 1 is not the registered"):
        store.apply_block(swapped, expected_parent=store.head()[1])
    plain = build_block(store, [], accounts=[1])
    assert isinstance(plain, Block) and not plain.encrypted
    with pytest.raises(BlockRejected, match="registered an encryption key, the block carries no"):
        store.apply_block(plain, expected_parent=store.head()[1])
    assert snapshot(store) == before


def test_account_state_from_a_node_on_the_command_line(world, tmp_path, capsys):
    import json
    home = make_home(tmp_path, "v0", world["genesis"], world["validator_keys"]["v0"],
                     json.loads(json.dumps(world["vk"].to_json())))
    signed_store = node_store(world, tmp_path / "signer.db")
    block = world["proposal"].block
    finalize(world, signed_store, block)
    node = NodeProcess(home).start()
    try:
        node.wait_ready()
        NodeClient(node.url, 60).finalize(signed_store.get_block(1))
        capsys.readouterr()
        rc = cli_main(["account", "state", "--account-dir", str(world["machine_b"] / "t2"),
                       "--node", node.url])
        out = capsys.readouterr().out
        new = world["proposal"].new_states[2]
        assert rc == 0, out
        assert f"account 2 at block 1 (recovered from the block, opens its commitment " \
               f"{new.commitment():#x})" in out
        assert f"cash {new.cash}  position {new.position}  funding index 0" in out
        rc = cli_main(["account", "state", "--account-dir", str(tmp_path / "none"),
                       "--node", node.url])
        err = capsys.readouterr().err
        assert rc == 2 and "not found" in err and "Traceback" not in err
    finally:
        node.proc.terminate()
        node.proc.wait(timeout=30)


def test_block_layout_of_the_encrypted_tail(world):
    from ledger.core.block import BlockError
    block = world["proposal"].block
    names = settlement_circuit(N, K, encrypted=True).public_names
    with pytest.raises(BlockError, match="public inputs for 2 order and 2 account slots"):
        dataclasses.replace(block, public_inputs=block.public_inputs[:-1])
    plain = dataclasses.replace(block, public_inputs=block.public_inputs[:names.index("ex")])
    assert not plain.encrypted and plain.ciphertexts() == {}
    pi = list(block.public_inputs)                      # slot 1 made inactive, its key left
    for n in ("account1.active", "account1.id", "account1.old", "account1.new",
              "account1.deposit", "account1.withdraw", "account1.liquidate"):
        pi[names.index(n)] = 0
    with pytest.raises(BlockError, match="account slot 1 is inactive but carries a key"):
        dataclasses.replace(block, public_inputs=tuple(pi))


def test_escape_indices_name_the_batch_circuits_fields():
    """Escape's parameters for the real encrypted layout point at the fields they mean."""
    from ledger.ethereum.escape import batch_params
    names = settlement_circuit(N, K, encrypted=True).public_names
    p = batch_params(N, K)
    assert [names[i] for i in (p.mark_index, p.funding_index, p.insurance_index, p.fee_index,
                               p.insurance_bps_index, p.market_index)] == \
        ["M", "funding_index", "insurance_new", "fee_total", "insurance_bps", "market_id"]
    assert names[p.block_key_index:p.block_key_index + 2] == ("ex", "ey")
    for k in range(K):
        at = p.key_base + k * p.key_stride
        assert names[at:at + 6] == tuple(f"account{k}.{n}" for n in
                                         ("ax", "ay", "c0", "c1", "c2", "c3"))
