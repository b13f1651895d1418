"""The on-chain PLONK verifier (PlonkKeyVerifier: key set at deployment) against our prover.

Same tamper set as tests/verifier/test_soundness.py, word by word: every one of
the 24 proof words, every commitment moved by [1]₁ or replaced by infinity or
moved off the curve, every evaluation changed or made non-canonical (+ r),
every public input changed or made non-canonical, inputs swapped, two valid
proofs mixed.  The full set runs on anvil (a real EVM); the in-process py-evm
chain (≈ 1 s per pairing) runs one case of each kind.  Every rejected case is
also rejected by the pure-Python verifier, so the two agree.
"""

import pytest

from circuits import Circuit
from evm_fixtures import anvil, pyevm  # noqa: F401 (fixtures)
from ledger.ethereum.chain import ChainError
from ledger.ethereum.deploy import deploy, deploy_verifier
from ledger.ethereum.words import proof_from_words, proof_words, vk_words
from prover import prove
from prover.setup import setup
from verifier import verify
from verifier.curve import G1_GEN, g1_add
from verifier.fields import Q_MOD, R_MOD
from verifier.marshal import PROOF_EVALS, PROOF_POINTS


def statement_circuit():
    c = Circuit()
    x, y = c.private("x"), c.private("y")
    out, k = c.public("out"), c.public("k")
    c.assert_equal(c.add(c.mul(c.mul(x, y), k), x), out)
    return c


@pytest.fixture(scope="module")
def valid(srs):
    pk, vk = setup(statement_circuit(), srs)
    proof, public = prove(pk, {"x": 3, "y": 4, "k": 5, "out": 63})
    assert verify(vk, public, proof)
    return vk, [int(x) for x in public], proof, pk


@pytest.fixture(scope="module", params=["anvil", "pyevm"])
def chain(request):
    return request.getfixturevalue(request.param), request.param


@pytest.fixture(scope="module")
def on_anvil(anvil, valid):
    return deploy_verifier(anvil, valid[0])


@pytest.fixture(scope="module")
def on_chain(chain, valid):
    w3, name = chain
    return deploy_verifier(w3, valid[0]), name


def accepts(contract, words, public) -> bool:
    return contract.functions.verifyProof([int(w) for w in words], [int(x) for x in public]).call()


def python_accepts(vk, words, public) -> bool:
    """The pure-Python verifier on the same words (``verify`` validates the hand-built proof)."""
    return verify(vk, public, proof_from_words(words))


# ---- accepted ----

def test_our_proof_is_accepted(on_chain, valid):
    contract, _ = on_chain
    vk, public, proof, _ = valid
    assert accepts(contract, proof_words(proof), public)


def test_a_second_proof_of_another_statement_is_accepted(on_anvil, valid):
    vk, _, _, pk = valid
    proof2, public2 = prove(pk, {"x": 2, "y": 7, "k": 1, "out": 16})
    assert accepts(on_anvil, proof_words(proof2), public2)


def test_the_deployed_key_reads_back(on_anvil, valid):
    assert on_anvil.functions.verificationKey().call() == vk_words(valid[0])
    assert on_anvil.functions.nPublic().call() == 2


# ---- the tamper set, on anvil ----

@pytest.mark.parametrize("word", range(24))
def test_each_proof_word_changed_is_rejected(on_anvil, valid, word):
    vk, public, proof, _ = valid
    words = proof_words(proof)
    words[word] += 1
    assert not accepts(on_anvil, words, public)
    assert not python_accepts(vk, words, public)


@pytest.mark.parametrize("name", PROOF_POINTS)
def test_changed_commitment_is_rejected(on_anvil, valid, name):
    vk, public, proof, _ = valid
    forged = proof.replace(**{name: g1_add(getattr(proof, name), G1_GEN)})
    assert not verify(vk, public, forged)
    assert not accepts(on_anvil, proof_words(forged), public)


@pytest.mark.parametrize("name", PROOF_POINTS)
def test_commitment_replaced_by_infinity_is_rejected(on_anvil, valid, name):
    vk, public, proof, _ = valid
    assert not accepts(on_anvil, proof_words(proof.replace(**{name: None})), public)


@pytest.mark.parametrize("i", range(len(PROOF_POINTS)))
def test_point_off_the_curve_is_rejected(on_anvil, valid, i):
    vk, public, proof, _ = valid
    words = proof_words(proof)
    words[2 * i + 1] = (words[2 * i + 1] + 1) % Q_MOD
    assert not accepts(on_anvil, words, public)


@pytest.mark.parametrize("i", range(len(PROOF_POINTS)))
def test_coordinate_not_below_q_is_rejected(on_anvil, valid, i):
    vk, public, proof, _ = valid
    words = proof_words(proof)
    words[2 * i] += Q_MOD                      # same residue, non-canonical
    assert not accepts(on_anvil, words, public)


@pytest.mark.parametrize("name", PROOF_EVALS)
def test_changed_evaluation_is_rejected(on_anvil, valid, name):
    vk, public, proof, _ = valid
    forged = proof.replace(**{name: (getattr(proof, name) + 1) % R_MOD})
    assert not accepts(on_anvil, proof_words(forged), public)


@pytest.mark.parametrize("i", range(len(PROOF_EVALS)))
def test_evaluation_not_below_r_is_rejected(on_anvil, valid, i):
    vk, public, proof, _ = valid
    words = proof_words(proof)
    words[18 + i] += R_MOD
    assert not accepts(on_anvil, words, public)


@pytest.mark.parametrize("index", [0, 1])
def test_changed_public_input_is_rejected(on_anvil, valid, index):
    vk, public, proof, _ = valid
    changed = list(public)
    changed[index] = (changed[index] + 1) % R_MOD
    assert not accepts(on_anvil, proof_words(proof), changed)


@pytest.mark.parametrize("index", [0, 1])
def test_public_input_not_below_r_is_rejected(on_anvil, valid, index):
    vk, public, proof, _ = valid
    changed = list(public)
    changed[index] += R_MOD
    assert not accepts(on_anvil, proof_words(proof), changed)


def test_swapped_public_inputs_are_rejected(on_anvil, valid):
    vk, public, proof, _ = valid
    assert not accepts(on_anvil, proof_words(proof), public[::-1])


def test_wrong_number_of_public_inputs_is_rejected(on_anvil, valid):
    vk, public, proof, _ = valid
    assert not accepts(on_anvil, proof_words(proof), public[:1])
    assert not accepts(on_anvil, proof_words(proof), public + [0])


def test_mixing_two_valid_proofs_is_rejected(on_anvil, valid):
    vk, public, proof, pk = valid
    other, _ = prove(pk, {"x": 3, "y": 4, "k": 5, "out": 63})
    assert accepts(on_anvil, proof_words(other), public)
    for name in PROOF_POINTS + PROOF_EVALS:
        mixed = proof.replace(**{name: getattr(other, name)})
        assert not accepts(on_anvil, proof_words(mixed), public), name


def test_proof_for_another_key_is_rejected(anvil, valid, srs):
    vk, public, proof, _ = valid
    other = Circuit()
    x, y = other.private("x"), other.private("y")
    out, k = other.public("out"), other.public("k")
    other.assert_equal(other.add(other.mul(other.mul(x, y), k), y), out)
    _, vk_other = setup(other, srs)
    assert not accepts(deploy_verifier(anvil, vk_other), proof_words(proof), public)


@pytest.mark.parametrize("word,value", [(0, 1), (16, 5), (17, 0), (17, 29), (25, 1 << 40), (21, Q_MOD)])
def test_malformed_key_is_refused_at_deployment(anvil, valid, word, value):
    words = vk_words(valid[0])
    words[word] = value
    with pytest.raises(ChainError, match="BadKey"):
        deploy(anvil, "PlonkKeyVerifier", (words,))


# ---- one of each kind on the in-process chain too ----

def test_tampers_are_rejected_in_process(pyevm, valid):
    vk, public, proof, _ = valid
    contract = deploy_verifier(pyevm, vk)
    words = proof_words(proof)
    bad_word = list(words)
    bad_word[4] += 1                                         # [c]₁.x
    bad_eval = list(words)
    bad_eval[20] += R_MOD                                    # c̄ + r
    assert not accepts(contract, bad_word, public)
    assert not accepts(contract, bad_eval, public)
    assert not accepts(contract, words, [public[0] + 1, public[1]])
