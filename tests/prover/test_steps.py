"""The prover's named steps share the verifier's transcript object and linearisation function."""

import pytest

from circuits import Circuit
from prover import STEPS
from prover.commit import commit
from prover.opening import evaluate, linearisation
from prover.setup import setup
from prover.steps import Prover
from verifier import Evaluations, verify
from verifier.curve import G1_GEN, g1_add, g1_mul
from verifier.fields import R_MOD
from verifier.linearisation import lagrange_evals, linearise, public_input_eval, r0, vanishing_eval
from verifier.plonk import compute_challenges, partial_commitment
from verifier.transcript import PlonkTranscript


def _circuit():
    c = Circuit()
    x, y = c.private("x"), c.public("y")
    c.assert_equal(c.add(c.mul(x, x), c.mul(x, 3)), y)
    return c


@pytest.fixture(scope="module")
def proved(srs):
    pk, vk = setup(_circuit(), srs)
    p = Prover(pk, {"x": 5, "y": 40})
    for step in STEPS:
        getattr(p, step)()
    proof = p.proof()
    assert p.public == [40] and verify(vk, p.public, proof)
    return pk, vk, p, proof


def test_each_step_fills_its_named_fields(srs):
    pk, _ = setup(_circuit(), srs)
    p = Prover(pk, {"x": 5, "y": 40})
    expect = {"solve": [], "commit_wires": ["A", "B", "C"], "compute_z": ["Z"],
              "compute_quotient": ["T1", "T2", "T3"], "evaluate": [], "open": ["Wxi", "Wxiw"]}
    for step in STEPS:
        before = dict(vars(p.commitments))
        getattr(p, step)()
        after = vars(p.commitments)
        assert [k for k in after if after[k] != before[k]] == expect[step], step
    assert all(getattr(p.polys, k) is not None for k in ("a", "b", "c", "z", "T1", "T2", "T3"))
    assert isinstance(p.evaluations, Evaluations)


def test_prover_and_verifier_squeeze_the_same_challenges(proved):
    _, vk, p, proof = proved
    mine, theirs = p.transcript.challenges(), compute_challenges(vk, p.public, proof)
    assert (mine.beta, mine.gamma, mine.alpha, mine.zeta, mine.v) == (
        theirs.beta, theirs.gamma, theirs.alpha, theirs.zeta, theirs.v)
    assert mine.u is None and theirs.u is not None          # the prover opens before u
    assert proof.evaluations == p.evaluations


def test_transcript_rounds_run_in_order_only(proved):
    _, vk, _, proof = proved
    t = PlonkTranscript(vk, [40])
    with pytest.raises(RuntimeError, match="absorb_z out of order"):
        t.absorb_z(proof.Z)
    with pytest.raises(RuntimeError, match="no challenges"):
        t.challenges()
    t.absorb_wires(proof.A, proof.B, proof.C)
    with pytest.raises(RuntimeError, match="absorb_wires out of order"):
        t.absorb_wires(proof.A, proof.B, proof.C)
    t.absorb_z(proof.Z)
    t.absorb_quotient(proof.T1, proof.T2, proof.T3)
    t.absorb_evaluations(proof.evaluations)
    t.absorb_openings(proof.Wxi, proof.Wxiw)
    with pytest.raises(RuntimeError, match="out of order"):
        t.absorb_openings(proof.Wxi, proof.Wxiw)
    assert t.challenges() == compute_challenges(vk, [40], proof)


def test_the_prover_commits_to_the_linearisation_the_verifier_computes(proved):
    """[R]₁ from the prover's polynomials is the verifier's [D]₁ − u·[z]₁ + r₀·[1]₁ (D leaves
    the constant r₀ to [E]₁), and R(ζ) = 0."""
    pk, vk, p, proof = proved
    ch = compute_challenges(vk, p.public, proof)
    lin = linearise(vk, p.public, proof.evaluations, ch)
    R = linearisation(pk, p.polys, lin)
    assert evaluate(R, ch.zeta) == 0
    ours = g1_add(commit(pk.srs_g1, R), g1_mul(proof.Z, ch.u))
    assert ours == g1_add(partial_commitment(vk, proof, ch, lin), g1_mul(G1_GEN, lin.r0))


def test_r0_takes_evaluations_by_name(proved):
    _, vk, p, proof = proved
    ch = compute_challenges(vk, p.public, proof)
    zh = vanishing_eval(ch.zeta, vk.n)
    lag = lagrange_evals(ch.zeta, zh, vk.n, vk.omega, vk.n_public)
    pi = public_input_eval(p.public, lag)
    by_name = r0(ev=p.evaluations, ch=ch, pi=pi, l0=lag[0])
    assert by_name == linearise(vk, p.public, p.evaluations, ch).r0
    ev = p.evaluations
    b, g, a = ch.beta, ch.gamma, ch.alpha                    # the formula, written out here
    assert by_name == (pi - lag[0] * a * a - a * (ev.eval_a + b * ev.eval_s1 + g)
                       * (ev.eval_b + b * ev.eval_s2 + g) * (ev.eval_c + g) * ev.eval_zw) % R_MOD
