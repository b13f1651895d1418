"""Exit-circuit benchmark: what a trader's machine pays to prove its exit from a frozen contract.

    python benchmarks/exit.py [--repeat 5]

Measures, for ``circuits.exit.ExitCircuit``:

* ``gates`` and the domain power;
* ``first_run_s``: a fresh Python process with an EMPTY Numba cache
  (``NUMBA_CACHE_DIR`` a new temporary folder) that imports the prover, builds
  the circuit, makes the SRS (``dev_srs``; a real trader loads a ceremony's
  .ptau instead), runs setup, proves and verifies — the whole first run,
  compile included, wall clock from process start; its stages in
  ``first_run_stages``;
* ``cold_s``: the same in a second fresh process, now with that cache filled
  (every later run of the CLI);
* ``prove_s``: median in-process prove time over ``--repeat`` runs (warm),
  with ``verify_s`` (the pure-Python verifier) measured in the same run as the
  peer, and their ratio.

Prints a table, then as the LAST line one JSON object.  Exit code 1 if a proof
does not verify.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

TARGET_S = 5.0

_RUN = r"""
import json, sys, time, warnings
t0 = time.perf_counter()
stages = {}
def mark(name):
    global t0
    t = time.perf_counter(); stages[name] = round(t - t0, 3); t0 = t
from circuits.account_state import Opening
from circuits.exit import ExitCircuit
from prover import dev_srs, prove, setup
from prover.setup import domain_power
from verifier import verify
mark("import")
c = ExitCircuit()
mark("build")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    srs = dev_srs(domain_power(c))
mark("srs")
pk, vk = setup(c, srs)
mark("setup")
asg = c.assignment(7, Opening(-2_000_000, 300, 40, 123456789), 10_000, 52, 0xBEEF)
proof, public = prove(pk, asg)
mark("prove")
ok = verify(vk, public, proof)
mark("verify")
print(json.dumps({"ok": ok, "stages": stages}))
"""


def fresh_process(cache: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=ROOT)
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", _RUN], env=env, cwd=ROOT, capture_output=True,
                       text=True, check=True)
    wall = time.perf_counter() - t
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["wall_s"] = wall
    return out


def in_process(repeat: int) -> dict:
    from circuits.account_state import Opening
    from circuits.exit import ExitCircuit
    from prover import dev_srs, prove, setup
    from prover.setup import domain_power
    from verifier import verify

    c = ExitCircuit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        srs = dev_srs(domain_power(c))
    pk, vk = setup(c, srs)
    asg = c.assignment(7, Opening(-2_000_000, 300, 40, 123456789), 10_000, 52, 0xBEEF)
    prove(pk, asg)                                          # compile or load, not timed
    proves, verifies, ok = [], [], True
    for _ in range(repeat):
        t = time.perf_counter()
        proof, public = prove(pk, asg)
        proves.append(time.perf_counter() - t)
        t = time.perf_counter()
        ok &= verify(vk, public, proof)
        verifies.append(time.perf_counter() - t)
    return dict(gates=c.n_gates, power=domain_power(c), prove_s=statistics.median(proves),
                verify_s=statistics.median(verifies), ok=ok)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="in-process proofs (median)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as cache:
        first = fresh_process(cache)
        cold = fresh_process(cache)
    warm = in_process(args.repeat)
    res = dict(
        gates=warm["gates"], power=warm["power"],
        first_run_s=round(first["wall_s"], 3), first_run_stages=first["stages"],
        cold_s=round(cold["wall_s"], 3), cold_stages=cold["stages"],
        prove_s=round(warm["prove_s"], 4), verify_s=round(warm["verify_s"], 4),
        prove_vs_verify=round(warm["prove_s"] / warm["verify_s"], 2),
        target_s=TARGET_S, first_run_within_target=first["wall_s"] < TARGET_S,
        verified=bool(first["ok"] and cold["ok"] and warm["ok"]), cpus=os.cpu_count())
    rows = [
        ("gates (domain)", f"{res['gates']} (2^{res['power']})"),
        ("first run, empty Numba cache", f"{res['first_run_s']:.2f} s  {first['stages']}"),
        ("fresh process, cache filled", f"{res['cold_s']:.2f} s  {cold['stages']}"),
        (f"prove, warm (median of {args.repeat})", f"{res['prove_s']:.3f} s"),
        ("verify (pure Python), same run", f"{res['verify_s']:.3f} s"),
    ]
    for k, v in rows:
        print(f"{k:<36} {v}")
    print(json.dumps(res))
    return 0 if res["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
