"""The liquidation slots at the edges of their count and in the encrypted circuit.

λ = min(K, 4): K = 1, 2, 3 give λ = K, K = 5 gives 4 and a circuit may be built with none.  At
each size a valid liquidation proves and the cheats a slot count invites are refused: a flag no
slot can hold, a slot holding an unflagged account, slots swapped.  The encrypted circuit
(``circuits.settlement_cipher``) carries the same slots: a liquidation proves there, a forged
selection is refused, and the liquidated account's ciphertext must be of its state after the
close.  With the real prover (2 × 2, λ = 2) two liquidations prove and verify, and mixed
selection bits give no valid proof even to a prover that skips its own checks."""

import importlib
import random
import warnings

import pytest
from forge import forge, same_gates, tapped, tapped_cipher
from settlement_cases import PERP, account, assert_valid, liquidation, order, refuses, settle

from circuits import encryption as enc
from circuits.account_state import Opening
from circuits.builder import CircuitError
from circuits.settlement import settlement_circuit
from circuits.settlement_cipher import EncryptedSettlementCircuit
from circuits.settlement_data import liquidation_slots
from prover import dev_srs, prove, setup
from prover.setup import domain_power
from verifier import verify
from verifier.fields import R_MOD

prove_mod = importlib.import_module("prover.steps")

SELECT = "liquidation: slot selection"


def selection(mapping):
    """A forged selection for one liquidation slot: account slot → value."""
    return lambda honest, *flags: [mapping.get(k, 0) for k in range(len(flags))]


def flat(cash, slots, insurance_old=100):
    """Account 1 alone: flat, cash ``cash``: liquidatable only when cash < 0 (no counterparty is
    needed: the closing order has size 0)."""
    return settle([], [account(1, cash)], P=100, M=100, params=PERP, liquidate=(0,),
                  insurance_old=insurance_old, slots=slots)


def crossing(slots):
    """Long 10 / cash −970 and short 10 / cash 1 030, both E = 30 < 50: their closing orders
    cross each other at P = M = 100."""
    return liquidation(orders=[], accounts=[account(1, -970, 10), account(3, 1030, -10)],
                       liquidate=(0, 1), F=0, slots=slots)


# ------------------------------------------------------------------ K = 1
@pytest.fixture(scope="module")
def one():
    c = tapped(2, 1)
    assert c.n_liquidations == liquidation_slots(1) == 1
    return c


def test_K1_a_flat_account_with_negative_cash_is_liquidated(one):
    w = flat(-30, (2, 1))
    assert (w.deficits, w.insurance_new, w.new_accounts[0].cash) == (30, 70, 0)
    assert_valid(one, w)
    w = settle([], [account(1, -130)], P=100, M=100, params=PERP, liquidate=(0,),
               insurance_old=100, shortfall=30, slots=(2, 1))   # the fund has 100 of 130
    assert w.insurance_new == 0
    assert_valid(one, w)


def test_K1_the_cheats(one):
    refuses(one, one.assignment(flat(0, (2, 1))),
            "liquidation: below maintenance, liquidation slot 0")      # E = 0: not below
    with forge(one, SELECT, "_hint_pick", selection({})):             # flag, empty slot
        refuses(one, one.assignment(flat(-30, (2, 1))), SELECT)
    w = settle([], [account(1, -30)], P=100, M=100, params=PERP, slots=(2, 1))
    refuses(one, one.assignment(w), "A2: maintenance margin, account slot 0")  # no flag
    with forge(one, SELECT, "_hint_pick", selection({0: 1})):         # slot, no flag
        refuses(one, one.assignment(w), SELECT)
    with forge(one, SELECT, "_hint_pick", selection({0: 2})):         # a selection bit of 2
        asg = one.assignment(flat(-30, (2, 1)))
        asg["account0.liquidate"] = 2
        refuses(one, asg, "slots")


# ------------------------------------------------------------------ K = 2, 3
@pytest.fixture(scope="module")
def two():
    c = tapped(4, 2)
    assert c.n_liquidations == 2
    return c


def test_K2_both_accounts_liquidated_against_each_other(two):
    w = crossing((4, 2))
    assert w.closing_fills == [10, 10] and w.penalties == 20
    assert_valid(two, w)


def test_K2_the_cheats(two):
    w = crossing((4, 2))
    with forge(two, SELECT, "_hint_pick", selection({1: 1}), nth=0), \
            forge(two, SELECT, "_hint_pick", selection({0: 1}), nth=1):   # swapped
        refuses(two, two.assignment(w), SELECT)
    with forge(two, SELECT, "_hint_pick", selection({0: 1, 1: 1}), nth=0), \
            forge(two, SELECT, "_hint_pick", selection({}), nth=1):       # one holds both
        refuses(two, two.assignment(w), SELECT)
    with forge(two, SELECT, "_hint_pick", selection({0: 2, 1: R_MOD - 1}), nth=0), \
            forge(two, SELECT, "_hint_pick", selection({0: R_MOD - 1, 1: 2}), nth=1):
        refuses(two, two.assignment(w), SELECT)                         # non-boolean mix


def test_K3_three_slots_and_a_flag_on_a_healthy_third():
    c = settlement_circuit(4, 3)
    assert c.n_liquidations == 3
    c.cs = c.compile()
    w = crossing((4, 3))
    assert_valid(c, w)
    asg = c.assignment(settle([], [account(1, -970, 10), account(3, 1030, -10), account(4, 10**6)],
                              P=100, M=100, params=PERP, liquidate=(0, 1), slots=(4, 3)))
    asg["account2.liquidate"] = 1                 # healthy: slot 2 holds it, and refuses it
    refuses(c, asg, "liquidation: below maintenance, liquidation slot 2")


# ------------------------------------------------------------------ K = 5: four slots
def test_K5_a_fifth_flag_has_no_slot():
    c = settlement_circuit(4, 5)
    assert c.n_liquidations == 4
    c.cs = c.compile()
    accounts = [account(i, -30 * i) for i in range(1, 5)] + [account(5, 1000)]
    # four flat accounts with negative cash, a fifth healthy
    w = settle([], accounts, P=100, M=100, params=PERP, liquidate=(0, 1, 2, 3),
               insurance_old=1000, slots=(4, 5))
    assert w.deficits == 300
    assert_valid(c, w)                            # four liquidations, one per slot
    asg = c.assignment(w)
    asg["account4.liquidate"] = 1                 # a fifth flag: no slot is left for it, so
    # the selection refuses it before any slot could check its health
    refuses(c, asg, SELECT)
    with pytest.raises(ValueError, match="liquidates at most 4"):
        settle([], accounts, P=100, M=100, params=PERP, liquidate=range(5), slots=(4, 5))


def test_a_circuit_without_liquidation_slots_refuses_every_flag():
    c = settlement_circuit(2, 2, n_liquidations=0)
    c.cs = c.compile()
    assert c.n_gates < settlement_circuit(2, 2).n_gates
    assert_valid(c, settle([order(1, "buy", 100, 5), order(2, "sell", 100, 5)],
                           [account(1, 10**6), account(2, 10**6)], P=100, M=100, params=PERP,
                           slots=(2, 2)))
    asg = settlement_circuit(2, 2).assignment(flat(-30, (2, 2)))
    del asg["liquidation0.fill"], asg["liquidation1.fill"]
    refuses(c, asg, SELECT)
    with pytest.raises(CircuitError, match="0 liquidation slots"):
        c.assignment(flat(-30, (2, 2)))


# ------------------------------------------------------------------ the encrypted circuit
class _Rng(random.Random):
    def randbelow(self, n):
        return self.randrange(n)


RNG = _Rng(412)
KEYS = {i: enc.keypair(RNG)[1] for i in (1, 2)}
E_BLOCK = RNG.randrange(1, 2**200)


@pytest.fixture(scope="module")
def cipher():
    c = tapped_cipher(2, 2)
    assert same_gates(c, EncryptedSettlementCircuit(2, 2)) and c.n_liquidations == 2
    return c


def test_cipher_a_liquidation_proves_and_a_forged_selection_does_not(cipher):
    w = liquidation(slots=(2, 2))
    cipher.check(cipher.assignment(w, keys=KEYS, e=E_BLOCK), cipher.cs)
    with forge(cipher, SELECT, "_hint_pick", selection({1: 1}), nth=0):   # the healthy buyer
        refuses(cipher, cipher.assignment(w, keys=KEYS, e=E_BLOCK), SELECT)
    with forge(cipher, SELECT, "_hint_pick", selection({}), nth=0):       # nobody
        refuses(cipher, cipher.assignment(w, keys=KEYS, e=E_BLOCK), SELECT)


def test_cipher_the_liquidated_account_is_encrypted_after_its_close(cipher):
    """A ciphertext of the liquidated account's state after funding but before its close (long
    10, cash −970) is refused: the opening encrypted is the one the slot handed back."""
    w = liquidation(slots=(2, 2))
    good = cipher.assignment(w, keys=KEYS, e=E_BLOCK)
    new = w.new_accounts[0]
    unclosed = enc.encrypt(Opening(-970, 10, 3, new.blinding), KEYS[1], E_BLOCK, account=1,
                           tau=enc.tweak(w.height, PERP.market_id))
    asg = dict(good, **{f"account0.c{i}": x for i, x in enumerate(unclosed)})
    refuses(cipher, asg, "encryption, account slot 0")


# ------------------------------------------------------------------ the real prover
@pytest.fixture(scope="module")
def proving():
    """A 2 × 2 circuit (λ = 2) with keys; the cheating prover solves with its gates."""
    c = tapped(2, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        srs = dev_srs(domain_power(c))
    pk, vk = setup(c, srs)
    return c, pk, vk


def test_a_two_slot_liquidation_proves_and_verifies(proving):
    c, pk, vk = proving
    w = crossing((2, 2))
    proof, public = prove(pk, c.assignment(w))
    assert public == w.public_inputs() and verify(vk, public, proof)
    for name in ("account0.liquidate", "account1.liquidate", "penalties", "deficits"):
        forged = list(public)
        forged[c.public_names.index(name)] += 1
        assert not verify(vk, forged, proof), name


def test_a_prover_skipping_checks_gets_no_proof_for_mixed_selection_bits(proving, monkeypatch):
    """The non-boolean mix of the two crossing liquidations, proven by a prover that skips its
    own gate, degree and opening checks: the proof does not verify."""
    c, pk, vk = proving
    w = crossing((2, 2))
    with forge(c, SELECT, "_hint_pick", selection({0: 2, 1: R_MOD - 1}), nth=0), \
            forge(c, SELECT, "_hint_pick", selection({0: R_MOD - 1, 1: 2}), nth=1):
        refuses(c, c.assignment(w), SELECT)
        monkeypatch.setattr(type(c), "check", lambda self, a, cs=None: self.solve(a))
        monkeypatch.setattr(prove_mod.quotient, "check_degree", lambda t, n: None)
        monkeypatch.setattr(prove_mod.opening, "check_exact", lambda *r: None)
        proof, public = prove(pk, c.assignment(w))
    assert public == w.public_inputs()
    assert not verify(vk, public, proof)
