"""The encrypted-openings statement with the real prover: an honest block proves and verifies,
each changed public input (E, A, the ciphertext, the commitment, the nonce) is rejected, and a
prover that skips its own checks to publish garbage gets no valid proof."""

import importlib
import random
import warnings

import pytest

from circuits import UnsatisfiedError
from circuits import babyjub as bj
from circuits import encryption as enc
from circuits.account_state import Opening
from prover import dev_srs, prove, setup
from prover.setup import domain_power
from verifier import verify
from verifier.fields import R_MOD

prove_mod = importlib.import_module("prover.steps")


class _Rng(random.Random):
    def randbelow(self, n):
        return self.randrange(n)


@pytest.fixture(scope="module")
def block():
    c = enc.EncryptedOpenings(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        srs = dev_srs(domain_power(c))
    pk, vk = setup(c, srs)
    rng = _Rng(11)
    a, A = enc.keypair(rng)
    op = Opening(cash=-rng.randrange(2**79), position=rng.randrange(2**39),
                 funding=rng.randrange(-2**47, 2**47), blinding=rng.randrange(R_MOD))
    e, tau = rng.randrange(1, bj.L), enc.tweak(3, 2)
    asg = c.assignment(e, tau, [(21, op, A)])
    proof, public = prove(pk, asg)
    return dict(c=c, pk=pk, vk=vk, a=a, op=op, tau=tau, asg=asg, proof=proof, public=public)


def test_block_proves_verifies_and_the_trader_recovers_its_state(block):
    c, public = block["c"], block["public"]
    assert verify(block["vk"], public, block["proof"])
    v = dict(zip(c.public_names, public))
    ct = [v[f"slot0.c{i}"] for i in range(4)]
    got = enc.recover(ct, (v["ex"], v["ey"]), block["a"], account=21, tau=block["tau"],
                      stored=v["slot0.commitment"])
    assert got == block["op"]


@pytest.mark.parametrize("name", ["tweak", "ex", "ey", "slot0.id", "slot0.commitment",
                                  "slot0.ax", "slot0.ay", "slot0.c0", "slot0.c1", "slot0.c2",
                                  "slot0.c3"])
def test_each_changed_public_input_is_rejected(block, name):
    i = block["c"].public_names.index(name)
    forged = list(block["public"])
    forged[i] = (forged[i] + 1) % R_MOD
    assert not verify(block["vk"], forged, block["proof"])


def test_prover_refuses_garbage_by_name(block):
    asg = dict(block["asg"], **{"slot0.c3": 12345})
    with pytest.raises(UnsatisfiedError, match=r"slot 0: encryption: ciphertext"):
        prove(block["pk"], asg)


def test_malicious_prover_skipping_checks_produces_no_valid_proof(block, monkeypatch):
    asg = dict(block["asg"], **{"slot0.c3": 12345})
    monkeypatch.setattr(enc.EncryptedOpenings, "check", lambda self, a, cs=None: self.solve(a))
    monkeypatch.setattr(prove_mod.quotient, "check_degree", lambda t, n: None)
    monkeypatch.setattr(prove_mod.opening, "check_exact", lambda *r: None)
    proof, public = prove(block["pk"], asg)
    assert public[block["c"].public_names.index("slot0.c3")] == 12345
    assert not verify(block["vk"], public, proof)
