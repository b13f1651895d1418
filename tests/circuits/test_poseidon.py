"""circuits.poseidon: constants and hashes against circomlibjs, the gadget against the native."""

import json
import random
import subprocess
import warnings

import pytest
from conftest import TESTS, VECTORS
from hypothesis import given, settings, strategies as st

from circuits import Circuit, CircuitError, UnsatisfiedError
from circuits import poseidon as P
from circuits import poseidon_params as pp
from prover import prove
from prover.setup import setup
from prover.srs import dev_srs
from verifier import verify
from verifier.fields import R_MOD as R

FEW = settings(max_examples=6, deadline=None)
CIRCOMLIBJS = TESTS / "node_modules" / "circomlibjs"
MAKE_JS = VECTORS / "poseidon" / "make.js"
field = st.one_of(st.integers(0, R - 1), st.sampled_from([0, 1, R - 1]))


def _vectors():
    return json.loads((VECTORS / "poseidon" / "vectors.json").read_text())["vectors"]


# ------------------------------------------------------------------ native
def test_native_hash_matches_the_committed_circomlibjs_vectors():
    vectors = _vectors()
    assert {len(v["inputs"]) for v in vectors} >= {1, 2, 3, 4, 5}
    for v in vectors:
        assert P.hash([int(x) for x in v["inputs"]]) == int(v["output"]), v["inputs"]


def test_known_answer_without_files():
    """poseidon([1, 2]) as published with circomlib's tests."""
    assert P.hash([1, 2]) == 0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a


@FEW
@given(st.integers(2, 6).flatmap(lambda t: st.lists(field, min_size=t, max_size=t)))
def test_optimized_schedule_is_the_same_permutation(state):
    assert P.permute_optimized(state) == P.permute(state)


def test_bad_arity_and_types():
    for bad in ([], list(range(P.MAX_INPUTS + 1))):
        with pytest.raises(ValueError):
            P.hash(bad)
        with pytest.raises(CircuitError):
            P.hash_gadget(Circuit(), bad)
    with pytest.raises(TypeError):
        P.hash([1.5, 2])
    with pytest.raises(ValueError):
        pp.params(1)


# ------------------------------------------------------------------ the gadget
def hash_circuit(k, public_out=True):
    c = Circuit()
    xs = [c.private(f"x{i}") for i in range(k)]
    out = P.hash_gadget(c, xs)
    if public_out:
        c.assert_equal(out, c.public("h"))
    return c, out


def assignment(values, h=None):
    a = {f"x{i}": v for i, v in enumerate(values)}
    if h is not None:
        a["h"] = h
    return a


@FEW
@given(st.integers(1, 5).flatmap(lambda k: st.lists(field, min_size=k, max_size=k)))
def test_gadget_matches_native_on_random_inputs(values):
    c, out = hash_circuit(len(values), public_out=False)
    w = c.check(assignment(values))
    assert w[out.index] == P.hash(values)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_gadget_on_edges_and_a_wrong_output(k):
    c, _ = hash_circuit(k)
    for values in ([0] * k, [R - 1] * k, [(R - 1) * (i % 2) for i in range(k)]):
        h = P.hash(values)
        assert c.is_satisfied(assignment(values, h))
        assert not c.is_satisfied(assignment(values, (h + 1) % R))


def test_gadget_with_constant_inputs():
    c = Circuit()
    x = c.private("x")
    mixed, consts = P.hash_gadget(c, [x, 5]), P.hash_gadget(c, [4, 5])
    w = c.check({"x": 4})
    assert w[mixed.index] == w[consts.index] == P.hash([4, 5])


def test_two_input_cost_target():
    c, _ = hash_circuit(2, public_out=False)
    assert c.n_gates <= 700


def test_every_wire_of_the_gadget_is_pinned():
    """Each wire is fixed by the rows: changing any one value of a witness breaks a row."""
    c, _ = hash_circuit(2)
    cs = c.compile()
    w = c.check(assignment([3, R - 5], P.hash([3, R - 5])), cs)
    for i in range(1, len(w)):
        bad = list(w)
        bad[i] = (bad[i] + 1) % R
        assert c.first_failure(bad, cs) is not None, f"wire {i} is free"


def test_poseidon_circuit_proves_and_verifies():
    c, _ = hash_circuit(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pk, vk = setup(c, dev_srs(10))
    values = [random.randrange(R), random.randrange(R)]
    proof, public = prove(pk, assignment(values, P.hash(values)))
    assert public == [P.hash(values)] and verify(vk, public, proof)
    assert not verify(vk, [(public[0] + 1) % R], proof)
    with pytest.raises(UnsatisfiedError):
        prove(pk, assignment(values, (P.hash(values) + 1) % R))


# ------------------------------------------------------------------ circomlibjs itself
def _require_circomlibjs(snarkjs):
    """The snarkjs fixture runs `npm ci` (or skips/fails without node); circomlibjs comes too."""
    assert (CIRCOMLIBJS / "package.json").exists(), "npm ci in tests/ did not install circomlibjs"


@pytest.mark.parametrize("t", range(2, P.MAX_INPUTS + 2))
def test_generated_constants_equal_circomlibjs_tables(snarkjs, t):
    _require_circomlibjs(snarkjs)
    tables = json.loads((CIRCOMLIBJS / "src" / "poseidon_constants.json").read_text())
    consts, mds = pp.grain_constants(t)
    assert consts == [int(x, 16) for x in tables["C"][t - 2]]
    assert mds == [[int(x, 16) for x in row] for row in tables["M"][t - 2]]


def test_live_cross_check_with_circomlibjs(snarkjs):
    _require_circomlibjs(snarkjs)
    rng = random.Random()
    cases = [[rng.choice([0, R - 1, rng.randrange(R), rng.getrandbits(64)]) for _ in range(k)]
             for k in [1, 2, 3, 4, 5] * 3 + [rng.randint(6, P.MAX_INPUTS)]]
    p = subprocess.run(["node", str(MAKE_JS), "--stdin"], input=json.dumps([[str(x) for x in ins]
                       for ins in cases]), capture_output=True, text=True, timeout=120, cwd=TESTS)
    assert p.returncode == 0, p.stderr
    assert [int(h) for h in json.loads(p.stdout)] == [P.hash(ins) for ins in cases]
