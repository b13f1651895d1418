"""Exit-circuit benchmark: what a trader's machine pays to prove its exit from a frozen contract.

    python benchmarks/exit.py [--repeat 5] [--runs 3] [--no-peer]

The trader's path (``darkmatch exit``): read the powers of τ the 2^11 domain
needs from the ceremony's .ptau (``prover.srs.ptau_powers``), take the exit
verifier's key as deployed, build the proving key for it (``setup(..., vk=)``:
no commitments) and prove, on the Python-int kernels
(``prover.kernels.backend.python_kernels``), then verify.  The parent process
plays the deployer: a development SRS written as a .ptau, and the key from a
full setup.

Measures, for ``circuits.exit.ExitCircuit``:

* ``gates`` and the domain power;
* ``first_run_s``: the trader's path in a fresh Python process with an EMPTY
  Numba cache (``NUMBA_CACHE_DIR`` a new temporary folder), wall clock from
  process start (imports included): the fastest of ``--runs`` such processes,
  one after the other (each one a first run; on a shared machine the others'
  load decides much of the wall clock), all of them in ``first_runs_s``; the
  fastest one's stages in ``first_run_stages``, its CPU time in
  ``first_run_cpu_s`` (this process's, not its MSM child's), and the Numba
  kernels it compiled (``first_run_compiled``, expected empty);
* the peer, in the same run: ``numba_first_run_s``, the same path with the Numba
  kernels (a full ``load_ptau``, setup and prove), again in a fresh process with
  an empty cache: what the exit cost before; ``numba_over_python_first_run`` is
  its ratio to the median first run (``first_run_median_s``); ``--no-peer``
  skips it;
* warm, in this process (median of ``--repeat``): ``prove_s`` on the Python-int
  kernels, ``prove_numba_s`` on the compiled Numba kernels, ``verify_s`` (the
  pure-Python verifier).

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
import json, sys, time
t0 = time.perf_counter()
stages, compiled = {}, []
def mark(name):
    global t0
    t = time.perf_counter(); stages[name] = round(t - t0, 3); t0 = t
from numba.core import event
class Seen(event.Listener):
    def on_start(self, e): pass
    def on_end(self, e): compiled.append(e.data["dispatcher"].py_func.__qualname__)
event.register("numba:compile", Seen())
from circuits.account_state import Opening
from circuits.exit import ExitCircuit
from prover import load_ptau, prove, setup
from prover.kernels.backend import python_kernels
from prover.srs import ptau_powers
from verifier import verify
from verifier.marshal import VerifyingKey
python = sys.argv[1] == "python"
mark("import")
c = ExitCircuit()
vk = VerifyingKey.from_json(json.load(open(sys.argv[3])))
mark("build")
with python_kernels() if python else open(sys.argv[3]):
    srs = ptau_powers(sys.argv[2], vk.power) if python else load_ptau(sys.argv[2])
    mark("srs")
    pk, _ = setup(c, srs, vk=vk) if python else setup(c, srs)
    mark("setup")
    asg = c.assignment(7, Opening(-2_000_000, 300, 40, 123456789), 10_000, 52, 0xBEEF, 1, 0xE5CA9E)
    proof, public = prove(pk, asg)
    mark("prove")
ok = verify(vk, public, proof)
mark("verify")
print(json.dumps({"ok": ok, "stages": stages, "cpu": round(time.process_time(), 3),
                  "compiled": sorted(set(compiled))}))
"""


def fresh_process(kernels: str, ptau: str, vk_file: str) -> dict:
    """The trader's path in a new process with an empty Numba cache (module docstring)."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=ROOT)
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", _RUN, kernels, ptau, vk_file], env=env,
                           cwd=ROOT, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["wall_s"] = wall
    return out


def _median_time(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def in_process(srs, vk, repeat: int) -> dict:
    from circuits.account_state import Opening
    from circuits.exit import ExitCircuit
    from prover import prove, setup
    from prover.kernels.backend import python_kernels
    from verifier import verify

    c = ExitCircuit()
    pk, _ = setup(c, srs, vk=vk)
    asg = c.assignment(7, Opening(-2_000_000, 300, 40, 123456789), 10_000, 52, 0xBEEF, 1, 0xE5CA9E)

    def on_python():
        with python_kernels():
            return prove(pk, asg)
    prove(pk, asg)                                          # compile or load, not timed
    numba_s, (proof_n, public) = _median_time(lambda: prove(pk, asg), repeat)
    python_s, (proof_p, _) = _median_time(on_python, repeat)
    verify_s, ok = _median_time(lambda: verify(vk, public, proof_p), repeat)
    return dict(gates=c.n_gates, power=vk.power, prove_s=python_s, prove_numba_s=numba_s,
                verify_s=verify_s, ok=ok and verify(vk, public, proof_n))


def main(argv=None):
    from circuits.exit import ExitCircuit
    from prover import dev_srs, export_ptau, setup
    from prover.setup import domain_power

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="in-process proofs (median)")
    ap.add_argument("--runs", type=int, default=3, help="fresh first-run processes (fastest)")
    ap.add_argument("--no-peer", action="store_true",
                    help="skip the fresh-process run on the Numba kernels")
    args = ap.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        srs = dev_srs(domain_power(ExitCircuit()))
    _, vk = setup(ExitCircuit(), srs)                       # the deployer's key
    with tempfile.TemporaryDirectory() as tmp:
        ptau, vk_file = os.path.join(tmp, "exit.ptau"), os.path.join(tmp, "vk.json")
        export_ptau(srs, ptau)
        with open(vk_file, "w") as f:
            json.dump(vk.to_json(), f)
        runs = [fresh_process("python", ptau, vk_file) for _ in range(max(1, args.runs))]
        first = min(runs, key=lambda r: r["wall_s"])
        peer = None if args.no_peer else fresh_process("numba", ptau, vk_file)
    warm = in_process(srs, vk, args.repeat)
    median_s = statistics.median(r["wall_s"] for r in runs)
    res = dict(
        gates=warm["gates"], power=warm["power"],
        first_run_s=round(first["wall_s"], 3), first_runs_s=[round(r["wall_s"], 3) for r in runs],
        first_run_stages=first["stages"],
        first_run_cpu_s=first["cpu"],
        first_run_compiled=sorted(set().union(*(r["compiled"] for r in runs))),
        numba_first_run_s=None if peer is None else round(peer["wall_s"], 3),
        numba_first_run_stages=None if peer is None else peer["stages"],
        first_run_median_s=round(median_s, 3),
        numba_over_python_first_run=None if peer is None else round(peer["wall_s"] / median_s, 2),
        prove_s=round(warm["prove_s"], 4), prove_numba_s=round(warm["prove_numba_s"], 4),
        verify_s=round(warm["verify_s"], 4),
        target_s=TARGET_S, first_run_within_target=first["wall_s"] < TARGET_S,
        verified=bool(all(r["ok"] for r in runs) and (peer is None or peer["ok"]) and warm["ok"]),
        cpus=os.cpu_count())
    rows = [
        ("gates (domain)", f"{res['gates']} (2^{res['power']})"),
        ("first run, Python kernels (fastest)", f"{res['first_run_s']:.2f} s  {first['stages']}"),
        (f"  all {len(runs)} first runs", ", ".join(f"{r['wall_s']:.2f} s" for r in runs)),
        ("  CPU time, kernels compiled", f"{res['first_run_cpu_s']:.2f} s, {first['compiled']}"),
        ("first run, Numba kernels (peer)", "skipped" if peer is None
         else f"{res['numba_first_run_s']:.2f} s  {peer['stages']}"),
        (f"prove warm, Python (median of {args.repeat})", f"{res['prove_s']:.3f} s"),
        ("prove warm, Numba compiled", f"{res['prove_numba_s']:.3f} s"),
        ("verify (pure Python)", f"{res['verify_s']:.3f} s"),
    ]
    for k, v in rows:
        print(f"{k:<38} {v}")
    print(json.dumps(res))
    return 0 if res["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
