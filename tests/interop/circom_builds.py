"""Fixtures for the circom/snarkjs file interop tests: circuits compiled by circom2 once a session.

(A helper module, not a conftest: a second conftest.py would shadow the ``conftest`` module
that the test files import.  ``test_circom_zkey.py`` imports these fixtures.)

``circom_build(name)`` compiles one of ``CIRCUITS`` with circom2 (npm, pinned in
tests/package.json, circomlib templates copied next to it because circom2 runs
under WASI and only sees the working folder), computes its witness with
``snarkjs wtns calculate`` and runs ``snarkjs plonk setup`` on the session's
.ptau; the results are cached per session.  Without node the tests skip, and
under ``DARKMATCH_REQUIRE_SNARKJS=1`` they fail instead (as the ``snarkjs``
fixture does).
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import warnings

import pytest

from conftest import TESTS, run_snarkjs

ROOT = TESTS.parent
CIRCOMLIB = TESTS / "node_modules" / "circomlib" / "circuits"
#: the .ptau power of the session (Merkle depth 4 needs 2^12 rows)
PTAU_POWER = 12

CIRCUITS = {
    # a Poseidon hash of two field elements, the first public
    "poseidon": ("""pragma circom 2.0.0;
include "lib/poseidon.circom";
template Hash() {
    signal input a;
    signal input b;
    signal output out;
    component h = Poseidon(2);
    h.inputs[0] <== a;
    h.inputs[1] <== b;
    out <== h.out;
}
component main {public [a]} = Hash();
""", {"a": "3", "b": "5"}),
    # a depth-4 Merkle path with Poseidon; the root is the public output
    "merkle": ("""pragma circom 2.0.0;
include "lib/poseidon.circom";
include "lib/mux1.circom";
template MerklePath(depth) {
    signal input leaf;
    signal input siblings[depth];
    signal input index[depth];
    signal output root;
    signal level[depth + 1];
    component mux[depth];
    component h[depth];
    level[0] <== leaf;
    for (var i = 0; i < depth; i++) {
        index[i] * (1 - index[i]) === 0;
        mux[i] = MultiMux1(2);
        mux[i].c[0][0] <== level[i];
        mux[i].c[0][1] <== siblings[i];
        mux[i].c[1][0] <== siblings[i];
        mux[i].c[1][1] <== level[i];
        mux[i].s <== index[i];
        h[i] = Poseidon(2);
        h[i].inputs[0] <== mux[i].out[0];
        h[i].inputs[1] <== mux[i].out[1];
        level[i + 1] <== h[i].out;
    }
    root <== level[depth];
}
component main = MerklePath(4);
""", {"leaf": "7", "siblings": ["11", "13", "17", "19"], "index": ["1", "0", "1", "1"]}),
    # x < bound with x range-checked to 32 bits; bound public
    "range": ("""pragma circom 2.0.0;
include "lib/bitify.circom";
include "lib/comparators.circom";
template Range(n) {
    signal input x;
    signal input bound;
    signal output ok;
    component bits = Num2Bits(n);
    bits.in <== x;
    component lt = LessThan(n);
    lt.in[0] <== x;
    lt.in[1] <== bound;
    ok <== lt.out;
    ok === 1;
}
component main {public [bound]} = Range(32);
""", {"x": "123456", "bound": "1000000"}),
}


def require_node_tool(path: pathlib.Path, what: str) -> pathlib.Path:
    if path.exists() and shutil.which("node"):
        return path
    msg = f"{what} unavailable (needs node; run `npm ci` in tests/)"
    if os.environ.get("DARKMATCH_REQUIRE_SNARKJS") == "1":
        pytest.fail(msg + " but DARKMATCH_REQUIRE_SNARKJS=1")
    pytest.skip(msg)


def darkmatch(*args, cwd=None, timeout=300):
    """Run the ``darkmatch`` CLI of this checkout in a subprocess; (returncode, stdout, stderr)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "ledger.cli", *map(str, args)], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture(scope="session")
def circom2(snarkjs):
    return require_node_tool(TESTS / "node_modules" / ".bin" / "circom2", "circom2")


@pytest.fixture(scope="session")
def session_ptau(tmp_path_factory):
    """A prepared .ptau of power PTAU_POWER (dev SRS written by prover.srs.export_ptau)."""
    from prover.srs import dev_srs, export_ptau
    path = tmp_path_factory.mktemp("ptau") / f"dev{PTAU_POWER}.ptau"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_ptau(dev_srs(PTAU_POWER), path)
    return path


class Build:
    """One compiled circuit: r1cs, snarkjs's zkey, its vk.json and a witness, in ``dir``."""

    def __init__(self, name, d: pathlib.Path):
        self.name, self.dir = name, d
        self.r1cs = d / f"{name}.r1cs"
        self.zkey = d / "snarkjs.zkey"
        self.vk = d / "vk.json"
        self.wtns = d / "witness.wtns"


@pytest.fixture(scope="session")
def circom_build(tmp_path_factory, circom2, snarkjs, session_ptau):
    cache = {}

    def build(name) -> Build:
        if name in cache:
            return cache[name]
        source, inputs = CIRCUITS[name]
        d = tmp_path_factory.mktemp(f"circom-{name}")
        shutil.copytree(CIRCOMLIB, d / "lib")
        (d / f"{name}.circom").write_text(source)
        (d / "input.json").write_text(json.dumps(inputs))
        p = subprocess.run([str(circom2), f"{name}.circom", "--r1cs", "--wasm"], cwd=d,
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stdout + p.stderr
        b = Build(name, d)
        for args in (("wtns", "calculate", f"{name}_js/{name}.wasm", "input.json", b.wtns),
                     ("plonk", "setup", b.r1cs, session_ptau, b.zkey),
                     ("zkey", "export", "verificationkey", b.zkey, b.vk)):
            rc, out = run_snarkjs(snarkjs, *args, cwd=d)
            assert rc == 0 and "ERROR" not in out, out
        cache[name] = b
        return b

    return build
