"""What encrypted openings cost the operator: the same batch proven plain and encrypted.

    python benchmarks/custody.py [--sizes 2,4] [--seed S]

For each size N it builds one N×N batch with ``benchmarks/settlement.py``'s book
(a crossing book plus one account liquidated after a funding payment), gives
every account an encryption key, and proves the batch twice in the same run:
with the plain circuit and with ``settlement_circuit(N, N, encrypted=True)``.
Reported per size: rows and domain power of each, the rows added per account
slot and per block (measured against the plain circuit), prove and verify time
of each (the fastest of ``--repeat`` runs after a first, warm-up one) and their
ratio (encrypted / plain, same process, same witness).  Prints
a table, then as the LAST line one JSON object keyed by size.  Exit status 1 if
a proof does not verify.
"""

import argparse
import json
import os
import random
import secrets
import sys
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from settlement import FUNDING, MARK, PARAMS, random_book  # noqa: E402

from circuits import babyjub, encryption  # noqa: E402
from circuits.settlement import settlement_circuit as plain_circuit  # noqa: E402
from circuits.settlement_cipher import settlement_circuit  # noqa: E402
from ledger.exchange.matching import match_batch  # noqa: E402
from prover import dev_srs, prove, setup  # noqa: E402
from prover.setup import domain_power  # noqa: E402
from prover.srs import DevelopmentSRSWarning  # noqa: E402
from verifier import verify  # noqa: E402


def _timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def run_size(n: int, seed: int, repeat: int = 3) -> dict:
    rng = random.Random(seed + n)
    orders, openings, accounts = random_book(n, rng)
    res = match_batch(orders=orders[:n - 1], accounts=accounts, mark_price=MARK, params=PARAMS,
                      funding_index=FUNDING, liquidate=[999], insurance=10**6)
    witness = res.to_witness(1, n, n, openings=openings[:n - 1])
    keys = {a: encryption.keypair()[1] for a in accounts}
    e = 1 + secrets.randbelow(babyjub.L - 1)
    out = {}
    circuits = {"plain": plain_circuit(n, n), "encrypted": settlement_circuit(n, n)}
    power = max(domain_power(c) for c in circuits.values())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DevelopmentSRSWarning)
        srs = dev_srs(power)
    for name, c in circuits.items():
        asg = c.assignment(witness) if name == "plain" else c.assignment(witness, keys=keys, e=e)
        pk, vk = setup(c, srs)
        runs = [_timed(prove, pk, asg) for _ in range(repeat)]       # the first one warms up
        (proof, public), prove_s = runs[-1][0], min(t for _, t in runs[1:] or runs)
        checks = [_timed(verify, vk, public, proof) for _ in range(repeat)]
        ok, verify_s = all(v for v, _ in checks), min(t for _, t in checks[1:] or checks)
        out[name] = dict(gates=c.n_gates, power=domain_power(c), prove_s=round(prove_s, 3),
                         verify_s=round(verify_s, 3), verified=bool(ok),
                         n_public=len(public))
    out["prove_ratio"] = round(out["encrypted"]["prove_s"] / out["plain"]["prove_s"], 2)
    slot = (settlement_circuit(1, 2).n_gates - plain_circuit(1, 2).n_gates) \
        - (settlement_circuit(1, 1).n_gates - plain_circuit(1, 1).n_gates)
    out["rows_per_slot"] = slot
    out["rows_per_block"] = settlement_circuit(1, 1).n_gates - plain_circuit(1, 1).n_gates - slot
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2,4", help="comma-separated N (N×N slots)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="proofs per circuit (first: warm-up)")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {}
    print(f"{'N':>3} {'circuit':>10} {'rows':>8} {'2^k':>4} {'prove s':>8} {'verify s':>9}")
    for n in sizes:
        r = run_size(n, args.seed, max(1, args.repeat))
        results[n] = r
        for name in ("plain", "encrypted"):
            c = r[name]
            print(f"{n:>3} {name:>10} {c['gates']:>8,} {c['power']:>4} {c['prove_s']:>8.3f} "
                  f"{c['verify_s']:>9.3f}")
        print(f"    encrypted / plain prove time {r['prove_ratio']}x; "
              f"{r['rows_per_slot']:,} rows per account slot, {r['rows_per_block']:,} per block")
    print(json.dumps(results))
    return 0 if all(r[k]["verified"] for r in results.values() for k in ("plain", "encrypted")) else 1


if __name__ == "__main__":
    sys.exit(main())
