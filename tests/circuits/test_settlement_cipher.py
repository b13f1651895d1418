"""The settlement statement with encrypted openings: rows per slot within budget; every active
account recovers its exact new state from the public inputs alone; a wrong key recovers nothing;
a witness whose ciphertext does not encrypt the committed opening cannot be proven; with the real
prover each changed ciphertext public input is rejected and a prover that skips its own checks
gets no valid proof."""

import importlib
import random
import warnings

import pytest
from settlement_cases import PERP, account, order, settle

from circuits import UnsatisfiedError
from circuits import babyjub as bj
from circuits import encryption as enc
from circuits.account_state import Opening
from circuits.settlement import settlement_circuit as plain
from circuits.settlement_cipher import (
    ENCRYPTION_ROWS_PER_BLOCK, ENCRYPTION_ROWS_PER_SLOT, EncryptedSettlementCircuit,
    cipher_names, settlement_circuit,
)
from prover import dev_srs, prove, setup
from prover.setup import domain_power
from verifier import verify
from verifier.errors import Rejected
from verifier.fields import R_MOD

prove_mod = importlib.import_module("prover.steps")


class _Rng(random.Random):
    def randbelow(self, n):
        return self.randrange(n)


RNG = _Rng(2026)
SECRETS = {i: enc.keypair(RNG) for i in (1, 2)}
KEYS = {i: A for i, (_, A) in SECRETS.items()}
E_BLOCK = RNG.randrange(1, bj.L)


def batch(**kw):
    """Account 1 sells 10 to account 2 at P = M = 100 with funding F = 3, a deposit to 2."""
    orders = [order(2, "buy", 100, 10), order(1, "sell", 100, 10)]
    accounts = [account(1, 50_000, 4, funding=1), account(2, 90_000, -2)]
    return settle(orders, accounts, P=100, M=100, params=PERP, F=3, deposits={1: 777},
                  slots=(2, 2), height=9, **kw)


@pytest.fixture(scope="module")
def circuit():
    c = settlement_circuit(2, 2, encrypted=True)
    c.cs = c.compile()
    return c


def test_rows_added_per_slot_and_per_block():
    p1, p2 = plain(1, 1).n_gates, plain(1, 2).n_gates
    c1, c2 = settlement_circuit(1, 1).n_gates, settlement_circuit(1, 2).n_gates
    per_slot = (c2 - p2) - (c1 - p1)
    assert per_slot == ENCRYPTION_ROWS_PER_SLOT <= 6_000          # 6 public rows + 5,444 gates
    assert (c1 - p1) - per_slot == ENCRYPTION_ROWS_PER_BLOCK
    assert isinstance(settlement_circuit(1, 1, encrypted=False), type(plain(1, 1)))


def test_public_inputs_follow_the_plain_ones(circuit):
    n = len(plain(2, 2).public_names)
    assert circuit.public_names[:n] == plain(2, 2).public_names
    assert circuit.public_names[n:] == cipher_names(2)


def _ciphertext(v, ident):
    k = next(k for k in range(2) if v[f"account{k}.id"] == ident)
    return [v[f"account{k}.c{i}"] for i in range(4)], v[f"account{k}.new"]


def test_each_account_recovers_its_exact_state_from_the_public_inputs(circuit):
    w = batch()
    asg = circuit.assignment(w, keys=KEYS, e=E_BLOCK)
    wit = circuit.check(asg, circuit.cs)
    v = dict(zip(circuit.public_names, circuit.public_values(wit)))
    tau = enc.tweak(9, PERP.market_id)
    for new in w.new_accounts:
        if new is None:
            continue
        ct, stored = _ciphertext(v, new.account)
        got = enc.recover(ct, (v["ex"], v["ey"]), SECRETS[new.account][0], account=new.account,
                          tau=tau, stored=stored)
        assert got == Opening(new.cash, new.position, new.funding_index, new.blinding)
        assert got.funding == 3
        wrong = SECRETS[3 - new.account][0]
        with pytest.raises(Rejected):
            enc.recover(ct, (v["ex"], v["ey"]), wrong, account=new.account, tau=tau,
                        stored=stored)


def _refuses(circuit, asg, label):
    with pytest.raises(UnsatisfiedError, match=label):
        circuit.check(asg, circuit.cs)


def test_a_ciphertext_of_anything_but_the_new_opening_is_refused(circuit):
    w = batch()
    good = circuit.assignment(w, keys=KEYS, e=E_BLOCK)
    tau = enc.tweak(9, PERP.market_id)
    old = w.old_accounts[0]
    stale = enc.encrypt(Opening(old.cash, old.position, old.funding_index, old.blinding),
                        KEYS[1], E_BLOCK, account=1, tau=tau)     # the OLD opening
    other_key = enc.encrypt(Opening(w.new_accounts[0].cash, w.new_accounts[0].position, 3,
                                    w.new_accounts[0].blinding), KEYS[2], E_BLOCK, account=1,
                            tau=tau)                             # to account 2's key
    for ct in (stale, other_key, [1, 2, 3, 4]):
        asg = dict(good, **{f"account0.c{i}": x for i, x in enumerate(ct)})
        _refuses(circuit, asg, r"encryption, account slot 0: encryption: ciphertext")
    asg = dict(good, **{"account1.c2": (good["account1.c2"] + 1) % R_MOD})
    _refuses(circuit, asg, r"encryption, account slot 1: encryption: ciphertext")


def test_published_key_and_block_key_are_bound(circuit):
    good = circuit.assignment(batch(), keys=KEYS, e=E_BLOCK)
    asg = dict(good, **{"account0.ax": KEYS[2][0], "account0.ay": KEYS[2][1]})
    _refuses(circuit, asg, r"encryption, account slot 0: encryption: ciphertext")
    asg = dict(good, ex=(good["ex"] + 1) % R_MOD)
    _refuses(circuit, asg, r"encryption: E is the published one")
    asg = dict(good, e=good["e"] + 1)                            # E no longer e·B8
    _refuses(circuit, asg, r"encryption: E is the published one")


def test_inactive_slot_carries_no_key_and_no_ciphertext():
    c = settlement_circuit(2, 3)
    c.cs = c.compile()
    good = c.assignment(settle([order(2, "buy", 100, 10), order(1, "sell", 100, 10)],
                               [account(1, 50_000), account(2, 90_000)], P=100, M=100,
                               slots=(2, 3)), keys=KEYS, e=E_BLOCK)
    c.check(good, c.cs)
    for name in ("account2.ax", "account2.c0"):
        _refuses(c, dict(good, **{name: 5}), r"encryption, account slot 2")


def test_a_missing_key_is_a_one_line_error():
    with pytest.raises(enc.EncryptionError, match="account 2 has no registered encryption key"):
        settlement_circuit(2, 2).assignment(batch(), keys={1: KEYS[1]}, e=E_BLOCK)


# ------------------------------------------------------------------ the real prover
@pytest.fixture(scope="module")
def proved(circuit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        srs = dev_srs(domain_power(circuit))
    pk, vk = setup(circuit, srs)
    asg = circuit.assignment(batch(), keys=KEYS, e=E_BLOCK)
    proof, public = prove(pk, asg)
    return dict(pk=pk, vk=vk, asg=asg, proof=proof, public=public)


def test_block_proves_and_verifies(circuit, proved):
    assert verify(proved["vk"], proved["public"], proved["proof"])
    assert proved["public"][:len(batch().public_inputs())] == batch().public_inputs()


@pytest.mark.parametrize("name", ["ex", "ey", "account0.ax", "account0.ay", "account0.c0",
                                  "account0.c1", "account0.c2", "account0.c3", "account1.c3"])
def test_each_changed_ciphertext_public_input_is_rejected(circuit, proved, name):
    forged = list(proved["public"])
    i = circuit.public_names.index(name)
    forged[i] = (forged[i] + 1) % R_MOD
    assert not verify(proved["vk"], forged, proved["proof"])


def test_prover_refuses_a_garbage_ciphertext_by_name(proved):
    asg = dict(proved["asg"], **{"account1.c0": 424242})
    with pytest.raises(UnsatisfiedError, match=r"encryption, account slot 1: encryption: ciphertext"):
        prove(proved["pk"], asg)


def test_malicious_prover_skipping_checks_produces_no_valid_proof(circuit, proved, monkeypatch):
    asg = dict(proved["asg"], **{"account1.c0": 424242})
    monkeypatch.setattr(EncryptedSettlementCircuit, "check", lambda self, a, cs=None: self.solve(a))
    monkeypatch.setattr(prove_mod.quotient, "check_degree", lambda t, n: None)
    monkeypatch.setattr(prove_mod.opening, "check_exact", lambda *r: None)
    proof, public = prove(proved["pk"], asg)
    assert public[circuit.public_names.index("account1.c0")] == 424242
    assert not verify(proved["vk"], public, proof)
