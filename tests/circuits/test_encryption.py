"""Encrypted openings: native twin against circomlibjs, round trips, wrong keys, key checks,
and the in-circuit statement (a ciphertext that does not encrypt the opening cannot be proven)."""

import json
import os
import pathlib
import random
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits import Circuit, UnsatisfiedError
from circuits import babyjub as bj
from circuits import encryption as enc
from circuits.account_state import FUNDING_OFFSET, Opening
from circuits.account_state import commitment
from circuits.poseidon import permute, permute_gadget
from circuits.settlement_data import CASH_OFFSET, POSITION_OFFSET
from verifier.errors import BadInput, Rejected
from verifier.fields import R_MOD

TESTS = pathlib.Path(__file__).resolve().parents[1]
REF = TESTS / "vectors" / "encryption" / "ref.mjs"
FAST = settings(max_examples=20, deadline=None)
T8 = bj.mul(bj.GENERATOR, bj.L)                       # a point of order 8

openings = st.builds(
    Opening,
    cash=st.integers(-CASH_OFFSET + 1, CASH_OFFSET - 1),
    position=st.integers(-POSITION_OFFSET + 1, POSITION_OFFSET - 1),
    funding=st.integers(-FUNDING_OFFSET + 1, FUNDING_OFFSET - 1),
    blinding=st.integers(0, R_MOD - 1))
secrets_ = st.integers(1, bj.L - 1)
accounts = st.integers(0, 2**40 - 1)
taus = st.integers(0, 2**80 - 1)


# ------------------------------------------------------------------ reference: circomlibjs
@pytest.fixture(scope="module")
def node_ref(snarkjs):
    if not (TESTS / "node_modules" / "circomlibjs").exists():
        msg = "circomlibjs missing from tests/node_modules (run `npm ci` in tests/)"
        if os.environ.get("DARKMATCH_REQUIRE_SNARKJS") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return REF


def _check_against(ref) -> int:
    """Compare circomlibjs's A, E, S (both ways) and key stream with the native twin."""
    assert int(ref["domain"]) == enc.DOMAIN
    pt = lambda P: tuple(int(v) for v in P)    # noqa: E731
    for c in ref["cases"]:
        a, e, account, tau = (int(c[k]) for k in ("a", "e", "account", "tau"))
        A, E = enc.public_key(a), enc.ephemeral(_Fixed(e - 1))[1]
        assert pt(c["A"]) == A and pt(c["E"]) == E
        S = enc.shared_point(e, A)
        assert pt(c["S"]) == S == enc.shared_point(a, E) == pt(c["S2"])
        assert [int(k) for k in c["keys"]] == enc.key_stream(S, account, tau)
    return len(ref["cases"])


def test_committed_circomlibjs_vectors():
    ref = json.loads((REF.parent / "vectors.json").read_text())
    assert _check_against(ref) >= 9


def test_key_stream_and_ecdh_match_circomlibjs_live(node_ref):
    seed = random.SystemRandom().randrange(2**64)
    rng = random.Random(seed)
    cases = [dict(a=rng.randrange(1, bj.L), e=rng.randrange(1, bj.L),
                  account=rng.randrange(2**40), tau=rng.randrange(2**80)) for _ in range(6)]
    inp = {"domain": str(enc.DOMAIN), "cases": [{k: str(v) for k, v in c.items()} for c in cases]}
    p = subprocess.run(["node", str(node_ref), "--eval"], input=json.dumps(inp), cwd=TESTS,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    ref = json.loads(p.stdout)
    try:
        assert _check_against(ref) == len(cases)
    except AssertionError as e:
        raise AssertionError(f"random seed {seed}: {e}") from e


class _Fixed:
    """An rng whose randbelow returns a chosen value (to pin ephemeral())."""

    def __init__(self, v):
        self.v = v

    def randbelow(self, n):
        assert 0 <= self.v < n
        return self.v


# ------------------------------------------------------------------ native twin
@FAST
@given(openings, secrets_, secrets_, accounts, taus)
def test_round_trip(opening, a, e, account, tau):
    A = enc.public_key(a)
    ct = enc.encrypt(opening, A, e, account=account, tau=tau)
    E = bj.mul(bj.BASE8, e)
    assert enc.decrypt(ct, E, a, account=account, tau=tau) == opening.field_elements()
    assert enc.recover(ct, E, a, account=account, tau=tau,
                       stored=commitment(account, opening)) == opening
    assert ct != opening.field_elements()


@FAST
@given(openings, secrets_, secrets_, secrets_, accounts, taus)
def test_wrong_key_cannot_decrypt(opening, a, wrong, e, account, tau):
    if wrong == a:
        wrong = a % (bj.L - 1) + 1
    ct = enc.encrypt(opening, enc.public_key(a), e, account=account, tau=tau)
    E = bj.mul(bj.BASE8, e)
    got = enc.decrypt(ct, E, wrong, account=account, tau=tau)
    assert got != opening.field_elements()
    assert all(g != m for g, m in zip(got, opening.field_elements()))
    with pytest.raises(Rejected, match="wrong key|does not open"):
        enc.recover(ct, E, wrong, account=account, tau=tau, stored=commitment(account, opening))


@FAST
@given(openings, secrets_, secrets_, accounts, taus)
def test_key_stream_separates_accounts_and_blocks(opening, a, e, account, tau):
    A = enc.public_key(a)
    ct = enc.encrypt(opening, A, e, account=account, tau=tau)
    assert enc.encrypt(opening, A, e, account=account ^ 1, tau=tau) != ct
    assert enc.encrypt(opening, A, e, account=account, tau=tau ^ 1) != ct
    assert enc.encrypt(opening, A, e % (bj.L - 1) + 1, account=account, tau=tau) != ct
    E = bj.mul(bj.BASE8, e)
    assert enc.decrypt(ct, E, a, account=account ^ 1, tau=tau) != opening.field_elements()


def test_tweak_packs_height_and_market():
    assert enc.tweak(5, 1) == 5 * 2**16 + 1
    assert enc.tweak(2**64 - 1, 2**16 - 1) == 2**80 - 1
    for h, m in ((-1, 0), (2**64, 0), (0, 2**16), (0, -1)):
        with pytest.raises(BadInput):
            enc.tweak(h, m)


def test_public_key_check():
    _, A = enc.keypair()
    assert enc.check_public_key(A) == A
    assert enc.check_public_key(list(A)) == A
    bad = [bj.IDENTITY, T8, bj.add(A, T8), (A[0], A[1] + 1), (0, 0), "A", (1, 2, 3)]
    for P in bad:
        with pytest.raises(enc.EncryptionError):
            enc.check_public_key(P)
    with pytest.raises(enc.EncryptionError):         # encrypt refuses an unregistrable key
        enc.encrypt(Opening(0, 0, 0, 0), bj.add(A, T8), 5, account=1, tau=0)


def test_bad_inputs_are_one_line_errors():
    a, A = enc.keypair()
    for bad in (0, bj.L, -1, True, 1.5):
        with pytest.raises(enc.EncryptionError):
            enc.public_key(bad)
    E = bj.mul(bj.BASE8, 3)
    for ct in ([1, 2, 3], [1, 2, 3, R_MOD], "abcd", [1, 2, 3, -1]):
        with pytest.raises(enc.EncryptionError):
            enc.decrypt(ct, E, a, account=1, tau=0)
    with pytest.raises(BadInput):
        Opening(cash=CASH_OFFSET, position=0, funding=0, blinding=0)


# ------------------------------------------------------------------ in-circuit
def test_permute_gadget_matches_native():
    rng = random.Random(7)
    c = Circuit()
    xs = [c.private(f"x{i}") for i in range(4)]
    outs = permute_gadget(c, xs, init=enc.DOMAIN, outputs=(0, 1, 2, 3, 4))
    vals = [rng.randrange(R_MOD) for _ in range(4)]
    w = c.check({f"x{i}": v for i, v in enumerate(vals)})
    assert [w[o.index] for o in outs] == permute([enc.DOMAIN] + vals)


@pytest.fixture(scope="module")
def circuit2():
    return enc.EncryptedOpenings(2)


def _slots(rng):
    a, A = enc.keypair(rng)
    b, B = enc.keypair(rng)
    op0 = Opening(cash=-rng.randrange(2**79), position=rng.randrange(2**39),
                  funding=rng.randrange(-2**47, 2**47), blinding=rng.randrange(R_MOD))
    op1 = Opening(cash=rng.randrange(2**79), position=-rng.randrange(2**39),
                  funding=0, blinding=rng.randrange(R_MOD))
    return (a, A, op0), (b, B, op1)


class _Rng(random.Random):
    def randbelow(self, n):
        return self.randrange(n)


def test_circuit_ciphertexts_decrypt_to_the_committed_openings(circuit2):
    rng = _Rng(1)
    (a, A, op0), (b, B, op1) = _slots(rng)
    e, tau = rng.randrange(1, bj.L), enc.tweak(9, 3)
    for slots in ([(11, op0, A), (12, op1, B)], [(11, op0, A), None], [None, None]):
        asg = circuit2.assignment(e, tau, slots)
        circuit2.check(asg)
    E = (asg["ex"], asg["ey"])
    asg = circuit2.assignment(e, tau, [(11, op0, A), (12, op1, B)])
    for k, (acct, secret, op) in enumerate(((11, a, op0), (12, b, op1))):
        ct = [asg[f"slot{k}.c{i}"] for i in range(4)]
        stored = asg[f"slot{k}.commitment"]
        assert enc.recover(ct, E, secret, account=acct, tau=tau, stored=stored) == op


def _must_fail(circuit, asg, label):
    with pytest.raises(UnsatisfiedError, match=label):
        circuit.check(asg)


def test_garbage_ciphertext_cannot_be_proven(circuit2):
    rng = _Rng(2)
    (a, A, op0), (b, B, op1) = _slots(rng)
    e, tau = rng.randrange(1, bj.L), enc.tweak(9, 3)
    good = circuit2.assignment(e, tau, [(11, op0, A), (12, op1, B)])
    for i in range(4):                                   # any one element off
        asg = dict(good)
        asg[f"slot1.c{i}"] = (asg[f"slot1.c{i}"] + 1) % R_MOD
        _must_fail(circuit2, asg, r"slot 1: encryption: ciphertext")


def test_ciphertext_of_another_opening_cannot_be_proven(circuit2):
    rng = _Rng(3)
    (a, A, op0), (b, B, op1) = _slots(rng)
    e, tau = rng.randrange(1, bj.L), enc.tweak(9, 3)
    asg = circuit2.assignment(e, tau, [(11, op0, A), (12, op1, B)])
    stale = Opening(op0.cash + 1, op0.position, op0.funding, op0.blinding)
    ct = enc.encrypt(stale, A, e, account=11, tau=tau)      # a valid encryption, of a lie
    asg.update({f"slot0.c{i}": v for i, v in enumerate(ct)})
    _must_fail(circuit2, asg, r"slot 0: encryption: ciphertext")


def test_ciphertext_to_another_key_or_nonce_cannot_be_proven(circuit2):
    rng = _Rng(4)
    (a, A, op0), (b, B, op1) = _slots(rng)
    e, tau = rng.randrange(1, bj.L), enc.tweak(9, 3)
    base = circuit2.assignment(e, tau, [(11, op0, A), (12, op1, B)])
    for ct in (enc.encrypt(op0, B, e, account=11, tau=tau),        # to B's key
               enc.encrypt(op0, A, e, account=11, tau=tau + 1),    # for another block
               enc.encrypt(op0, A, e + 1, account=11, tau=tau)):   # with another block scalar
        asg = dict(base)
        asg.update({f"slot0.c{i}": v for i, v in enumerate(ct)})
        _must_fail(circuit2, asg, r"slot 0: encryption: ciphertext")


def test_published_E_must_be_the_scalar_used(circuit2):
    rng = _Rng(5)
    (a, A, op0), _ = _slots(rng)
    e, tau = rng.randrange(1, bj.L), enc.tweak(1, 1)
    asg = circuit2.assignment(e, tau, [(11, op0, A), None])
    other = bj.mul(bj.BASE8, e + 1)
    asg["ex"], asg["ey"] = other
    _must_fail(circuit2, asg, r"E is the published one")


def test_zero_ephemeral_scalar_cannot_be_proven(circuit2):
    rng = _Rng(6)
    (a, A, op0), _ = _slots(rng)
    asg = circuit2.assignment(1, 0, [(11, op0, A), None])
    asg["e"], asg["ex"], asg["ey"] = 0, 0, 1
    asg.update({f"slot0.c{i}": v for i, v in enumerate(
        [(m + k) % R_MOD for m, k in zip(op0.field_elements(),
                                          enc.key_stream(bj.IDENTITY, 11, 0))])})
    _must_fail(circuit2, asg, r"encryption: E = e·B8")


def test_inactive_slot_is_all_zero(circuit2):
    rng = _Rng(8)
    (a, A, op0), _ = _slots(rng)
    asg = circuit2.assignment(rng.randrange(1, bj.L), 0, [(11, op0, A), None])
    for name in ("ax", "c2", "commitment"):
        bad = dict(asg)
        bad[f"slot1.{name}"] = 5
        with pytest.raises(UnsatisfiedError, match="slot 1"):
            circuit2.check(bad)


def test_opening_must_open_the_commitment(circuit2):
    rng = _Rng(9)
    (a, A, op0), _ = _slots(rng)
    asg = circuit2.assignment(rng.randrange(1, bj.L), 0, [(11, op0, A), None])
    asg["slot0.commitment"] = (asg["slot0.commitment"] + 1) % R_MOD
    _must_fail(circuit2, asg, r"slot 0: opening equals the commitment")


def test_rows_per_block_and_per_slot_within_budget():
    c = Circuit()
    n0 = c.n_gates
    bits, _ = enc.ephemeral_gadget(c, c.private("e"))
    per_block = c.n_gates - n0
    rows = []
    for k, active in enumerate((None, c.private("a"))):
        w = [c.private(f"{k}.{i}") for i in range(12)]
        n0 = c.n_gates
        enc.encrypt_gadget(c, bits, w[0:2], w[2], w[3], w[4:8], w[8:12], active=active)
        rows.append(c.n_gates - n0)
    assert (per_block, *rows) == (1879, 5437, 5441)      # the figures of the module docstring
    assert max(rows) <= 6000                              # the budget per account slot
