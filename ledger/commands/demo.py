"""``darkmatch demo``: the main job, end to end, on a fresh machine with no arguments.

Today it demonstrates the proof system the ledger will stand on: it builds a
circuit (a chain of multiply-add gates, ``--power`` sets the domain size),
makes a development SRS, runs setup, proves, verifies with the pure-Python
verifier, and writes ``verification_key.json``, ``proof.json`` and
``public.json`` (snarkjs formats) into ``--out``.  The order-book batch with
validators and finality replaces it when the ledger lands (issue 6).
"""

import json
import os
import time
import warnings

__all__ = ["register", "run", "demo_circuit"]


def demo_circuit(gates: int):
    """x, out public: out = f(x) for a chain of ``gates`` multiply-add steps."""
    from circuits import Circuit
    c = Circuit()
    x = c.private("x")
    acc = x
    for i in range(gates):
        acc = c.add(c.mul(acc, x), i)
    c.assert_equal(acc, c.public("out"))
    return c


def run(args) -> int:
    from ledger.cli import UserError
    if not 3 <= args.power <= 20:
        raise UserError("--power must be between 3 and 20")
    from prover import dev_srs, prove, setup
    from prover.srs import DevelopmentSRSWarning
    from verifier import verify
    from verifier.fields import R_MOD

    from prover.kernels.warmup import warmup

    gates = max(1, ((1 << args.power) - 4) // 2)
    print(f"darkmatch demo: proof system (domain 2^{args.power}); ledger demo arrives with issue 6")
    print("  compiling kernels (first run only; cached afterwards) ...", flush=True)
    t_jit = warmup()
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DevelopmentSRSWarning)
        srs = dev_srs(args.power)
    t_srs = time.perf_counter() - t
    print("  SRS: development tau (NOT for production: use `darkmatch ceremony` or a .ptau)")
    circuit = demo_circuit(gates)
    x = 7
    out = x
    for i in range(gates):
        out = (out * x + i) % R_MOD
    t = time.perf_counter()
    pk, vk = setup(circuit, srs)
    t_setup = time.perf_counter() - t
    t = time.perf_counter()
    proof, public = prove(pk, {"x": x, "out": out})
    t_prove = time.perf_counter() - t
    t = time.perf_counter()
    ok = verify(vk, public, proof)
    t_verify = time.perf_counter() - t
    os.makedirs(args.out, exist_ok=True)
    for name, obj in (("verification_key.json", vk.to_json()), ("proof.json", proof.to_json()),
                      ("public.json", [str(v) for v in public])):
        with open(os.path.join(args.out, name), "w") as f:
            json.dump(obj, f, indent=1)
    rows = [("gates", f"{circuit.n_gates}"), ("kernels", f"{t_jit:.2f} s (JIT or cache load)"),
            ("dev SRS", f"{t_srs:.2f} s"), ("setup", f"{t_setup:.2f} s"),
            ("prove", f"{t_prove:.2f} s"), ("verify", f"{t_verify:.2f} s"),
            ("verified", "yes" if ok else "NO")]
    for k, v in rows:
        print(f"  {k:<9} {v}")
    print(f"  files in {args.out}/: check with `darkmatch verify --vk {args.out}/verification_key.json "
          f"--proof {args.out}/proof.json --public {args.out}/public.json` or `snarkjs plonk verify`")
    return 0 if ok else 1


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the end-to-end demo", description=__doc__.splitlines()[0])
    p.add_argument("--power", type=int, default=12, help="log2 of the domain size (default 12)")
    p.add_argument("--out", default="darkmatch-demo", help="output folder (default darkmatch-demo)")
    p.set_defaults(func=run)
