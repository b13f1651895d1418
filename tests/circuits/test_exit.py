"""The exit circuit: the amount is exactly max(0, equity at the mark with funding settled);
every wrong witness is refused by its named gate; the real prover's proof verifies and each
changed public input is rejected."""

import importlib
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import circuits.bits as bits_mod
from circuits import UnsatisfiedError, poseidon
from circuits.account_state import FUNDING_OFFSET, Opening, commitment
from circuits.exit import (
    EXIT_PUBLIC, ExitCircuit, ExitError, equity, exit_amount, public_inputs,
)
from circuits.settlement_data import CASH_OFFSET, POSITION_OFFSET
from prover import dev_srs, prove, setup
from prover.setup import domain_power
from verifier import Proof, VerifyingKey, verify
from verifier.fields import R_MOD

prove_mod = importlib.import_module("prover.steps")
FAST = settings(max_examples=15, deadline=None)
RECIPIENT = 0x5AFE00000000000000000000000000000000BEEF
HERE = (31337, 0xE5CA9E00000000000000000000000000000000E5)     # chain id, Escape's address
ALICE = Opening(cash=-2_000_000, position=300, funding=40, blinding=12345678901234567890)


@pytest.fixture(scope="module")
def circuit():
    return ExitCircuit()


def _fails(circuit, asg, label):
    with pytest.raises(UnsatisfiedError, match=label):
        circuit.check(asg)


# ------------------------------------------------------------------ native
def test_amount_examples():
    # long 300 lots from F_a = 40 to F = 52: pays 300·12 = 3,600 funding; worth 300·10,000
    assert equity(ALICE, 10_000, 52) == -2_000_000 - 3_600 + 3_000_000
    assert exit_amount(ALICE, 10_000, 52) == 996_400
    assert exit_amount(ALICE, 6_000, 52) == 0                # under water: floored
    short = Opening(cash=5_000, position=-10, funding=-7, blinding=1)
    assert equity(short, 400, -2) == 5_000 + 10 * 5 - 4_000  # the short receives funding
    for bad in ((ALICE, -1, 0), (ALICE, 1 << 32, 0), (ALICE, 1, FUNDING_OFFSET), ("x", 1, 0)):
        with pytest.raises(ExitError):
            exit_amount(*bad)
    for bad in ((1 << 160, *HERE), (0, 1 << 64, HERE[1]), (0, HERE[0], 1 << 160), (0, -1, 1)):
        with pytest.raises(ExitError):
            public_inputs(1, ALICE, 1, 0, *bad)


openings = st.builds(
    Opening,
    cash=st.integers(-CASH_OFFSET + 1, CASH_OFFSET - 1),
    position=st.integers(-POSITION_OFFSET + 1, POSITION_OFFSET - 1),
    funding=st.integers(-FUNDING_OFFSET + 1, FUNDING_OFFSET - 1),
    blinding=st.integers(0, R_MOD - 1))


@FAST
@given(openings, st.integers(0, 2**32 - 1), st.integers(-FUNDING_OFFSET + 1, FUNDING_OFFSET - 1),
       st.integers(0, 2**40 - 1), st.integers(0, 2**160 - 1), st.integers(0, 2**64 - 1),
       st.integers(0, 2**160 - 1))
def test_circuit_accepts_every_honest_exit(circuit, opening, mark, funding, account, recipient,
                                           chain_id, contract):
    asg = circuit.assignment(account, opening, mark, funding, recipient, chain_id, contract)
    q = opening.cash - opening.position * (funding - opening.funding) + opening.position * mark
    assert asg["amount"] == max(0, q)                       # the statement, in Python ints
    w = circuit.check(asg)
    assert circuit.public_values(w) == public_inputs(account, opening, mark, funding, recipient,
                                                     chain_id, contract)


# ------------------------------------------------------------------ soundness, one by one
def test_wrong_opening(circuit):
    asg = circuit.assignment(7, ALICE, 10_000, 52, RECIPIENT, *HERE)
    asg["cash"] += 1_000_000                                 # claims cash it does not have
    asg["amount"] += 1_000_000
    _fails(circuit, asg, r"exit: opening")


def test_wrong_blinding(circuit):
    asg = circuit.assignment(7, ALICE, 10_000, 52, RECIPIENT, *HERE)
    asg["blinding"] += 1
    _fails(circuit, asg, r"exit: opening")


def test_another_accounts_commitment(circuit):
    asg = circuit.assignment(7, ALICE, 10_000, 52, RECIPIENT, *HERE)
    asg["commitment"] = commitment(8, ALICE)                 # Alice's opening, stored for 8
    _fails(circuit, asg, r"exit: opening")
    asg = circuit.assignment(7, ALICE, 10_000, 52, RECIPIENT, *HERE)
    asg["account"] = 8                                       # or claiming as account 8
    _fails(circuit, asg, r"exit: opening")


def test_amount_above_equity(circuit):
    asg = circuit.assignment(7, ALICE, 10_000, 52, RECIPIENT, *HERE)
    asg["amount"] += 1
    _fails(circuit, asg, r"exit: amount")


def test_amount_below_equity(circuit):
    asg = circuit.assignment(7, ALICE, 10_000, 52, RECIPIENT, *HERE)
    asg["amount"] -= 1
    _fails(circuit, asg, r"exit: amount")


def test_stale_funding_index_gives_a_different_amount(circuit):
    asg = circuit.assignment(7, ALICE, 10_000, 52, RECIPIENT, *HERE)
    asg["funding"] = 40                                      # skipping the funding owed
    _fails(circuit, asg, r"exit: amount")


def test_negative_equity_floors_at_zero(circuit):
    asg = circuit.assignment(7, ALICE, 6_000, 52, RECIPIENT, *HERE)
    assert asg["amount"] == 0
    circuit.check(asg)
    q = equity(ALICE, 6_000, 52)
    assert q < 0
    for claim in (1, q % R_MOD, -q):                         # a little, the wrapped debt, |q|
        bad = dict(asg, amount=claim)
        _fails(circuit, bad, r"exit: amount")


def test_lying_sign_cannot_zero_a_positive_equity(circuit, monkeypatch):
    asg = circuit.assignment(7, ALICE, 10_000, 52, RECIPIENT, *HERE)
    monkeypatch.setattr(bits_mod, "_hint_negative", lambda v: 1)   # prover says "negative"
    asg["amount"] = 0
    _fails(circuit, asg, r"exit: amount")


def test_lying_sign_cannot_pay_a_negative_equity(circuit, monkeypatch):
    asg = circuit.assignment(7, ALICE, 6_000, 52, RECIPIENT, *HERE)
    monkeypatch.setattr(bits_mod, "_hint_negative", lambda v: 0)   # prover says "positive"
    asg["amount"] = equity(ALICE, 6_000, 52) % R_MOD
    _fails(circuit, asg, r"exit: amount")


def test_out_of_range_cash_cannot_be_opened(circuit):
    cash = CASH_OFFSET                                       # 2^80: one past the range
    asg = circuit.assignment(7, Opening(0, 0, 0, 5), 1, 0, RECIPIENT, *HERE)
    asg["cash"] = cash
    asg["commitment"] = poseidon.hash([7, cash + CASH_OFFSET, POSITION_OFFSET, 5])   # packed, F_a = 0
    asg["amount"] = cash
    _fails(circuit, asg, r"exit: opening: account state: ranges")


def test_out_of_range_public_inputs(circuit):
    for name, value in (("recipient", 1 << 160), ("mark", 1 << 32), ("account", 1 << 40),
                        ("funding", FUNDING_OFFSET)):
        asg = circuit.assignment(7, ALICE, 10_000, 52, RECIPIENT, *HERE)
        asg[name] = value
        _fails(circuit, asg, r"exit: ranges")


# ------------------------------------------------------------------ the real prover
@pytest.fixture(scope="module")
def keys(circuit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        srs = dev_srs(domain_power(circuit))
    pk, vk = setup(circuit, srs)
    proof, public = prove(pk, circuit.assignment(7, ALICE, 10_000, 52, RECIPIENT, *HERE))
    return pk, vk, proof, public


def test_exit_proves_and_verifies(keys):
    pk, vk, proof, public = keys
    assert pk.vk.power == 11
    assert public == public_inputs(7, ALICE, 10_000, 52, RECIPIENT, *HERE)
    assert verify(vk, public, proof)
    assert verify(VerifyingKey.from_json(vk.to_json()), public, Proof.from_json(proof.to_json()))


@pytest.mark.parametrize("name", EXIT_PUBLIC)
def test_each_changed_public_input_is_rejected(keys, name):
    _, vk, proof, public = keys
    forged = list(public)
    forged[EXIT_PUBLIC.index(name)] = (forged[EXIT_PUBLIC.index(name)] + 1) % R_MOD
    assert not verify(vk, forged, proof)


def test_proof_for_another_recipient_is_rejected(keys):
    _, vk, proof, _ = keys
    assert not verify(vk, public_inputs(7, ALICE, 10_000, 52, RECIPIENT ^ 1, *HERE), proof)


@pytest.mark.parametrize("where", [(HERE[0] + 1, HERE[1]), (1, HERE[1]), (HERE[0], HERE[1] ^ 1),
                                   (HERE[0], 0)])
def test_proof_for_another_deployment_is_rejected(keys, where):
    """The same exit replayed on another chain, or on another Escape contract."""
    _, vk, proof, public = keys
    assert public[-2:] == list(HERE)
    assert not verify(vk, public_inputs(7, ALICE, 10_000, 52, RECIPIENT, *where), proof)


def test_prover_refuses_an_over_claim_by_name(keys, circuit):
    pk = keys[0]
    asg = circuit.assignment(7, ALICE, 10_000, 52, RECIPIENT, *HERE)
    asg["amount"] += 1
    with pytest.raises(UnsatisfiedError, match=r"exit: amount"):
        prove(pk, asg)


def test_malicious_prover_skipping_checks_produces_no_valid_proof(keys, circuit, monkeypatch):
    pk, vk, _, _ = keys
    asg = circuit.assignment(7, ALICE, 10_000, 52, RECIPIENT, *HERE)
    asg["amount"] += 1_000
    monkeypatch.setattr(ExitCircuit, "check", lambda self, a, cs=None: self.solve(a))
    monkeypatch.setattr(prove_mod.quotient, "check_degree", lambda t, n: None)
    monkeypatch.setattr(prove_mod.opening, "check_exact", lambda *r: None)
    proof, public = prove(pk, asg)
    assert public[EXIT_PUBLIC.index("amount")] == asg["amount"]
    assert not verify(vk, public, proof)
