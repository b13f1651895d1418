"""The 4 × 4 settlement circuit with the real prover: a valid batch proves and verifies; the
prover refuses a rule-breaking witness by the rule's name; a forged proof does not verify."""

import importlib
import warnings

import pytest
from settlement_cases import base_batch, liquidation

from circuits import UnsatisfiedError, poseidon
from circuits.settlement import SettlementCircuit, settlement_circuit
from circuits.settlement_data import CASH_OFFSET, POSITION_OFFSET
from prover import dev_srs, prove, setup
from verifier import Proof, VerifyingKey, verify

prove_mod = importlib.import_module("prover.steps")


@pytest.fixture(scope="module")
def keys():
    sc = settlement_circuit(4, 4)
    assert sc.n_gates <= 1 << 15
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        srs = dev_srs(15)
    pk, vk = setup(sc, srs)
    return sc, pk, vk


def test_valid_batch_proves_and_verifies(keys):
    sc, pk, vk = keys
    w = base_batch()
    proof, public = prove(pk, sc.assignment(w))
    assert public == w.public_inputs()
    assert verify(vk, public, proof)
    assert verify(VerifyingKey.from_json(vk.to_json()), public, Proof.from_json(proof.to_json()))
    names = sc.public_names
    for i in map(names.index, ("V", "order0.cx", "account0.new")):
        forged = list(public)
        forged[i] += 1
        assert not verify(vk, forged, proof)


def test_a_liquidation_with_funding_proves_and_verifies(keys):
    """Funding F = 3 pushes account 1 below maintenance; it is liquidated through the auction
    with a penalty to the insurance fund; each perpetual public input is bound."""
    sc, pk, vk = keys
    w = liquidation()
    proof, public = prove(pk, sc.assignment(w))
    assert public == w.public_inputs() and verify(vk, public, proof)
    names = sc.public_names
    for name in ("funding_index", "penalties", "insurance_new", "reduce_only",
                 "account0.liquidate", "account1.deposit", "account1.withdraw"):
        forged = list(public)
        forged[names.index(name)] += 1
        assert not verify(vk, forged, proof), name


def stolen_cash(sc):
    """The operator credits account 1 with a million extra quote units (breaks A1)."""
    w = base_batch()
    asg = sc.assignment(w)
    a = w.new_accounts[0]
    asg["account0.new"] = poseidon.hash([a.account, a.cash + 10**6 + CASH_OFFSET,
                                         a.position + POSITION_OFFSET, a.blinding])
    return asg


def test_prover_refuses_with_the_rule_name(keys):
    sc, pk, _ = keys
    with pytest.raises(UnsatisfiedError, match=r"\(A1: account slot 0"):
        prove(pk, stolen_cash(sc))
    asg = sc.assignment(base_batch(fills=[5, 2, 2, 9]))
    with pytest.raises(UnsatisfiedError, match=r"\(R5\)"):
        prove(pk, asg)


def test_malicious_prover_skipping_checks_produces_no_valid_proof(keys, monkeypatch):
    sc, pk, vk = keys
    asg = stolen_cash(sc)
    monkeypatch.setattr(SettlementCircuit, "check", lambda self, a, cs=None: self.solve(a))
    monkeypatch.setattr(prove_mod.quotient, "check_degree", lambda t, n: None)
    monkeypatch.setattr(prove_mod.opening, "check_exact", lambda *r: None)
    proof, public = prove(pk, asg)
    assert public[sc.public_names.index("account0.new")] == asg["account0.new"]
    assert not verify(vk, public, proof)
    assert not verify(vk, base_batch().public_inputs(), proof)
