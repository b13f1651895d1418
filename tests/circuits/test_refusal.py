"""The refusal circuit: provable exactly when withdrawing the amount with the position unchanged
would leave the account below maintenance at the mark; every wrong witness is refused by its
named gate; the real prover's proof verifies and each changed public input is rejected."""

import importlib
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits import UnsatisfiedError
from circuits.account_state import FUNDING_OFFSET, Opening, commitment
from circuits.exit import equity
from circuits.refusal import (
    REFUSAL_PUBLIC, RefusalCircuit, RefusalError, public_inputs, refusable,
)
from prover import dev_srs, prove, setup
from prover.setup import domain_power
from verifier import verify
from verifier.fields import R_MOD

prove_mod = importlib.import_module("prover.steps")
FAST = settings(max_examples=15, deadline=None)
# long 300 lots, cash −2,000,000: equity 996,400 at M = 10,000, F = 52; maintenance 5 %:
# 300·10,000·500 / 10⁴ = 150,000, so at most 846,400 can be withdrawn
ALICE = Opening(cash=-2_000_000, position=300, funding=40, blinding=12345678901234567890)
FREE = 996_400 - 150_000
HERE = (31337, 0xE5CA9E00000000000000000000000000000000E5)     # chain id, Escape's address


@pytest.fixture(scope="module")
def circuit():
    return RefusalCircuit()


def test_the_bound_is_the_maintenance_requirement():
    assert equity(ALICE, 10_000, 52) == 996_400
    assert not refusable(ALICE, 10_000, 52, 500, FREE)
    assert refusable(ALICE, 10_000, 52, 500, FREE + 1)
    flat = Opening(cash=1_000, position=0, funding=0, blinding=3)
    assert not refusable(flat, 100, 0, 500, 1_000) and refusable(flat, 100, 0, 500, 1_001)
    under = Opening(cash=-10, position=0, funding=0, blinding=3)
    assert refusable(under, 100, 0, 500, 0)
    with pytest.raises(RefusalError, match="can serve"):
        public_inputs(7, ALICE, 10_000, 52, 500, FREE, *HERE)
    for bad in ((ALICE, 10_000, 52, 10_001, 1), (ALICE, 10_000, 52, 500, 1 << 64)):
        with pytest.raises(RefusalError):
            refusable(*bad)


@FAST
@given(cash=st.integers(-(1 << 60), 1 << 60), position=st.integers(-(1 << 30), 1 << 30),
       fa=st.integers(-1000, 1000), mark=st.integers(1, (1 << 32) - 1),
       funding=st.integers(-FUNDING_OFFSET + 1, FUNDING_OFFSET - 1),
       mm=st.integers(0, 10_000), amount=st.integers(0, (1 << 64) - 1))
def test_circuit_accepts_exactly_the_refusable_requests(circuit, cash, position, fa, mark,
                                                        funding, mm, amount):
    o = Opening(cash, position, fa, 99)
    if refusable(o, mark, funding, mm, amount):
        circuit.check(circuit.assignment(5, o, mark, funding, mm, amount, *HERE))
    else:                                   # a servable amount, forced in: no witness
        asg = {"account": 5, "commitment": commitment(5, o), "mark": mark,
               "funding": funding % R_MOD, "mm_bps": mm, "amount": amount, "cash": cash,
               "position": position, "funding_a": fa, "blinding": 99, "chain_id": HERE[0],
               "contract": HERE[1]}
        with pytest.raises(UnsatisfiedError, match="refusal: below maintenance"):
            circuit.check(asg)


def _asg(circuit, amount=FREE + 1):
    return circuit.assignment(7, ALICE, 10_000, 52, 500, amount, *HERE)


def test_a_servable_request_cannot_be_proven(circuit):
    asg = _asg(circuit)
    asg["amount"] = FREE
    with pytest.raises(UnsatisfiedError, match="refusal: below maintenance"):
        circuit.check(asg)


def test_a_lower_maintenance_rate_cannot_be_claimed(circuit):
    asg = _asg(circuit)
    asg["mm_bps"] = 400                       # 4 %: 120,000, so FREE + 1 would be servable
    with pytest.raises(UnsatisfiedError, match="refusal: below maintenance"):
        circuit.check(asg)


def test_a_smaller_position_cannot_be_claimed(circuit):
    asg = _asg(circuit)
    asg["position"] = 200
    with pytest.raises(UnsatisfiedError, match="refusal: opening"):
        circuit.check(asg)


def test_wrong_blinding_cannot_open(circuit):
    asg = _asg(circuit)
    asg["blinding"] += 1
    with pytest.raises(UnsatisfiedError, match="refusal: opening"):
        circuit.check(asg)


def test_out_of_range_public_inputs(circuit):
    for name, value in (("mm_bps", 1 << 14), ("amount", 1 << 64), ("mark", 1 << 32),
                        ("account", 1 << 40)):
        asg = _asg(circuit)
        asg[name] = value
        with pytest.raises(UnsatisfiedError):
            circuit.check(asg)


@pytest.fixture(scope="module")
def keys(circuit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        srs = dev_srs(domain_power(circuit))
    pk, vk = setup(circuit, srs)
    proof, public = prove(pk, _asg(circuit))
    return pk, vk, proof, public


def test_refusal_proves_and_verifies(keys, circuit):
    pk, vk, proof, public = keys
    print(f"\nrefusal circuit: {circuit.n_gates} gates, 2^{pk.vk.power}")
    assert pk.vk.power <= 11
    assert public == public_inputs(7, ALICE, 10_000, 52, 500, FREE + 1, *HERE)
    assert verify(vk, public, proof)


@pytest.mark.parametrize("name", REFUSAL_PUBLIC)
def test_each_changed_public_input_is_rejected(keys, name):
    _, vk, proof, public = keys
    forged = list(public)
    forged[REFUSAL_PUBLIC.index(name)] = (forged[REFUSAL_PUBLIC.index(name)] + 1) % R_MOD
    assert not verify(vk, forged, proof)


@pytest.mark.parametrize("where", [(HERE[0] + 1, HERE[1]), (HERE[0], HERE[1] ^ 1)])
def test_refusal_for_another_deployment_is_rejected(keys, where):
    """A refusal replayed on another chain, or on another Escape contract."""
    _, vk, proof, _ = keys
    assert not verify(vk, public_inputs(7, ALICE, 10_000, 52, 500, FREE + 1, *where), proof)


def test_malicious_prover_skipping_checks_produces_no_valid_proof(keys, circuit, monkeypatch):
    pk, vk, _, _ = keys
    asg = _asg(circuit)
    asg["amount"] = FREE                      # servable: no honest witness
    monkeypatch.setattr(RefusalCircuit, "check", lambda self, a, cs=None: self.solve(a))
    monkeypatch.setattr(prove_mod.quotient, "check_degree", lambda t, n: None)
    monkeypatch.setattr(prove_mod.opening, "check_exact", lambda *r: None)
    proof, public = prove(pk, asg)
    assert public[REFUSAL_PUBLIC.index("amount")] == FREE
    assert not verify(vk, public, proof)
