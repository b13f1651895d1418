"""PLONK end to end: the documented interface, refusal of bad witnesses, zero knowledge."""

import importlib

import numpy as np
import pytest

from circuits import Circuit, CircuitError, UnsatisfiedError
from prover import prove
from prover.setup import setup
from verifier import Proof, VerifyingKey, verify
from verifier.fields import R_MOD
from verifier.marshal import PROOF_EVALS, PROOF_POINTS

#: the module of ``prove``'s steps (its collaborators are monkeypatched below)
prove_mod = importlib.import_module("prover.steps")


def square_circuit():
    c = Circuit()
    x = c.private("x")
    out = c.public("out")
    y = c.mul(x, x)
    c.assert_equal(c.add(y, 5), out)
    return c


def test_documented_interface(srs):
    c = square_circuit()
    pk, vk = setup(c, srs)
    proof, public = prove(pk, {"x": 3, "out": 14})
    assert public == [14]
    assert verify(vk, public, proof)
    assert verify(VerifyingKey.from_json(vk.to_json()), public, Proof.from_json(proof.to_json()))
    assert c.is_satisfied({"x": 3, "out": 14}) and not c.is_satisfied({"x": 3, "out": 15})
    assert c.n_gates == 4


def test_progress_reports_the_named_steps_in_order(srs):
    from prover import STEPS
    pk, vk = setup(square_circuit(), srs)
    seen = []
    proof, public = prove(pk, {"x": 3, "out": 14}, progress=lambda *a: seen.append(a))
    assert seen == [(step, i, 6) for i, step in enumerate(STEPS)]
    assert STEPS == ("solve", "commit_wires", "compute_z", "compute_quotient", "evaluate", "open")
    assert verify(vk, public, proof)


def mixed_circuit():
    """Every builder operation, a long linear combination, constants, a hint and booleans."""
    c = Circuit()
    a, b = c.public("a"), c.public("b")
    s = c.private("s")
    bits = c.hint(lambda v: [(v >> i) & 1 for i in range(4)], [s], n_out=4)
    for bit in bits:
        c.assert_bool(bit)
    with c.labelled("s from bits"):
        c.assert_equal(c.lincomb([(bit, 1 << i) for i, bit in enumerate(bits)]), s)
    prod = c.mul(c.sub(a, b), c.add(s, 7))
    inv = c.hint(lambda v: pow(v, -1, R_MOD), [prod])
    c.assert_mul(prod, inv, c.constant(1))
    c.assert_equal(c.lincomb([(a, 3), (b, -2), (s, 5), (prod, 1)], const=11), c.public("out"))
    c.assert_zero(c.sub(c.mul(s, 2), c.add(s, s)))
    return c


def test_mixed_circuit_proves(srs):
    c = mixed_circuit()
    a, b, s = 20, 6, 11
    out = (3 * a - 2 * b + 5 * s + (a - b) * (s + 7) + 11) % R_MOD
    pk, vk = setup(c, srs)
    proof, public = prove(pk, {"a": a, "b": b, "s": s, "out": out})
    assert public == [a, b, out]
    assert verify(vk, public, proof)


def test_unsatisfying_witness_is_refused_with_its_label(srs):
    c = mixed_circuit()
    pk, _ = setup(c, srs)
    with pytest.raises(UnsatisfiedError, match="s from bits"):
        prove(pk, {"a": 20, "b": 6, "s": 17, "out": 0})   # 17 needs 5 bits
    with pytest.raises(UnsatisfiedError, match="gate 3"):
        prove(setup(square_circuit(), srs)[0], {"x": 3, "out": 15})


def test_missing_and_unknown_inputs_are_named(srs):
    pk, _ = setup(square_circuit(), srs)
    with pytest.raises(CircuitError, match="missing value for input 'out'"):
        prove(pk, {"x": 3})
    with pytest.raises(CircuitError, match="unknown input 'y'"):
        prove(pk, {"x": 3, "out": 14, "y": 1})


def test_malicious_prover_skipping_checks_produces_no_valid_proof(srs, monkeypatch):
    """Bypass the solver's gate check and the prover's own sanity checks: the proof must not verify."""
    c = square_circuit()
    pk, vk = setup(c, srs)
    monkeypatch.setattr(type(c), "check", lambda self, assignment, cs=None: self.solve(assignment))
    with pytest.raises(ValueError, match="quotient is not a polynomial"):
        prove(pk, {"x": 3, "out": 15})
    monkeypatch.setattr(prove_mod.quotient, "check_degree", lambda t, n: None)
    with pytest.raises(ValueError, match="opening division is not exact"):
        prove(pk, {"x": 3, "out": 15})
    monkeypatch.setattr(prove_mod.opening, "check_exact", lambda *r: None)
    proof, public = prove(pk, {"x": 3, "out": 15})
    assert public == [15]
    assert not verify(vk, public, proof)
    assert not verify(vk, [14], proof)


def test_circuit_without_public_inputs(srs):
    c = Circuit()
    x = c.private("x")
    c.assert_equal(c.mul(x, x), 49)
    pk, vk = setup(c, srs)
    proof, public = prove(pk, {"x": 7})
    assert public == [] and verify(vk, public, proof)


def test_two_proofs_of_one_statement_share_no_commitment(srs):
    pk, vk = setup(square_circuit(), srs)
    p1, pub = prove(pk, {"x": 3, "out": 14})
    p2, _ = prove(pk, {"x": 3, "out": 14})
    assert verify(vk, pub, p1) and verify(vk, pub, p2)
    for k in PROOF_POINTS + PROOF_EVALS:
        assert getattr(p1, k) != getattr(p2, k), k


def test_blinding_comes_from_the_csprng(srs, monkeypatch):
    """With the CSPRNG pinned, the proof is reproducible: nothing else is random."""
    pk, vk = setup(square_circuit(), srs)
    monkeypatch.setattr(prove_mod.secrets, "randbelow", lambda bound: 12345 % bound)
    p1, _ = prove(pk, {"x": 3, "out": 14})
    p2, _ = prove(pk, {"x": 3, "out": 14})
    assert p1 == p2


def test_setup_is_deterministic(srs):
    _, vk1 = setup(square_circuit(), srs)
    _, vk2 = setup(square_circuit(), srs)
    assert vk1 == vk2
    assert vk1.power == 3 and vk1.n_public == 1


def test_setup_rejects_a_too_small_srs(srs):
    c = Circuit()
    x = c.private("x")
    for _ in range(300):                  # > 256 rows: needs domain 2^9
        x = c.add(x, 1)
    c.public("p")
    with pytest.raises(ValueError, match="SRS too small"):
        setup(c, srs)


def test_domain_power_is_the_domain_setup_uses(srs):
    from prover.setup import domain_power
    c = square_circuit()                  # 4 rows: the smallest domain, 2^3
    assert domain_power(c) == setup(c, srs)[0].domain.power == 3
    x = c.private("y")
    for _ in range(5):                    # 9 rows: 2^4
        x = c.add(x, 1)
    assert c.n_gates == 9 and domain_power(c) == setup(c, srs)[0].domain.power == 4


def test_wire_layout_public_rows_first():
    cs = mixed_circuit().compile()
    assert cs.n_public == 3
    assert cs.ql[:3] == [1, 1, 1] and cs.qm[:3] == cs.qr[:3] == cs.qo[:3] == cs.qc[:3] == [0] * 3
    assert np.all(np.array(cs.b[:3]) == 0) and np.all(np.array(cs.c[:3]) == 0)


def test_interface_exactly_as_documented():
    """The issue's snippet, verbatim apart from the SRS size."""
    import warnings
    from circuits import Circuit
    from prover import dev_srs, prove, setup
    from verifier import Proof, VerifyingKey, verify
    c = Circuit()
    x = c.private("x")
    out = c.public("out")
    y = c.mul(x, x)
    c.assert_equal(c.add(y, 5), out)
    with pytest.warns(UserWarning, match="not for production"):
        srs = dev_srs(power=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pk, vk = setup(c, srs)
        proof, public = prove(pk, {"x": 3, "out": 14})
    assert verify(vk, public, proof)
    assert verify(VerifyingKey.from_json(vk.to_json()), public, Proof.from_json(proof.to_json()))


def test_nested_labels_compose():
    c = Circuit()
    x = c.private("x")
    with c.labelled("rule A"):
        with c.labelled("gadget"):
            c.assert_bool(x)
        c.assert_equal(x, 1)
    c.assert_zero(c.sub(x, 1))
    assert c.compile().labels == ["rule A: gadget", "rule A", None, None]
    with pytest.raises(UnsatisfiedError, match=r"\(rule A: gadget\)"):
        c.check({"x": 2})


@pytest.mark.parametrize("n_public", [0, 1, 3, 9])
def test_public_inputs_on_the_coset_both_ways(n_public, monkeypatch):
    """PI on the 4n coset from shifted L₀ values equals iNTT on H + coset NTT, and a proof
    with many public inputs (the iNTT path) verifies."""
    from prover import quotient
    from prover.domain import Domain
    dom = Domain(4)
    public = [R_MOD - 1, 0, 7, 12345, 1, 2, 3, 4, 5][:n_public]
    shifted = quotient.pi_on_coset(dom, public)
    monkeypatch.setattr(quotient, "PI_SHIFT_MAX", -1)
    assert np.array_equal(quotient.pi_on_coset(dom, public), shifted)


def test_many_public_inputs_prove(srs):
    from prover import quotient
    c = Circuit()
    xs = [c.public(f"x{i}") for i in range(quotient.PI_SHIFT_MAX + 2)]
    c.assert_equal(c.mul(xs[0], xs[1]), xs[2])
    pk, vk = setup(c, srs)
    values = {f"x{i}": i + 3 for i in range(len(xs))}
    values["x2"] = 3 * 4
    proof, public = prove(pk, values)
    assert verify(vk, public, proof)
    values["x5"] = 99
    proof, public = prove(pk, values)
    assert verify(vk, public, proof) and not verify(vk, [*public[:5], 98, *public[6:]], proof)
