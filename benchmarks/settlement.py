"""Batch-settlement benchmark: one N×N batch per size, matched, proven and verified.

    python benchmarks/settlement.py [--sizes 4,16,64] [--snarkjs] [--seed S] [--baseline REV]

For each size N (N order slots, N account slots) it builds a random crossing
book (one order per trader, prices around the mark) plus one account that a
funding payment pushes below maintenance and that is liquidated in the batch,
runs the matching engine (``ledger.exchange.matching``), turns the result into the
circuit witness, makes a development SRS of the needed power, and times setup,
prove and verify.

Gates: per order slot = gates(N + 1, N) − gates(N, N), per account slot =
gates(N, N + 1) − gates(N, N), for this tree and for the circuit at git
revision ``--baseline`` (default: the spot-only circuit before the perpetual
rules, built from ``git archive`` in a subprocess in the same run; skipped
when git or the revision is missing).  A circuit with a fixed number of
liquidation slots (min(N, 4): the same at N and N + 1, so they are not in the
per-account slope; the whole circuit includes them) also reports that number
and the gates of one more liquidation slot.  With
``--snarkjs`` it also runs ``snarkjs plonk verify`` on each proof (snarkjs from
tests/ or benchmarks/ node_modules).  Prints a table, then as the LAST line one
JSON object keyed by size with gates, prove_s, verify_s, proof_bytes, verified
(plus srs_s, setup_s, price, volume, snarkjs_verified when asked).

proof_bytes is the uncompressed binary size of a PLONK proof (9 G1 points of
64 bytes, 6 scalars of 32 bytes), the same at every size; proof_json_bytes is
the size of snarkjs's proof.json.
"""

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from circuits import babyjub  # noqa: E402
from circuits.settlement import settlement_circuit  # noqa: E402
from ledger.exchange.matching import match_batch  # noqa: E402
from prover import dev_srs, prove, setup  # noqa: E402
from prover.srs import DevelopmentSRSWarning  # noqa: E402
from prover.setup import domain_power  # noqa: E402
from verifier import verify  # noqa: E402

PARAMS = dict(im_bps=1000, mm_bps=500, fee_bps=5, band_bps=500, liquidation_bps=100,
              insurance_bps=2000)
MARK = 10_000
FUNDING = 200               # the batch's funding index F
BASELINE = "92acdb8"        # the spot-only settlement circuit
_SLOPES = """
import json, sys
from circuits.settlement import settlement_circuit as s
n = int(sys.argv[1]); c = s(n, n); base = c.n_gates
lq = getattr(c, "n_liquidations", None)
per_liq = None if lq is None or lq >= n else s(n, n, lq + 1).n_gates - base
print(json.dumps([base, s(n + 1, n).n_gates - base, s(n, n + 1).n_gates - base, lq, per_liq]))
"""


def gate_slopes(n: int, root: str = ROOT) -> dict:
    """Gates of the N×N circuit and the extra gates of one more order / account slot."""
    out = subprocess.run([sys.executable, "-c", _SLOPES, str(n)], capture_output=True,
                         text=True, cwd=root, env=dict(os.environ, PYTHONPATH=root), check=True)
    total, per_order, per_account, n_liq, per_liq = json.loads(out.stdout)
    out = dict(gates=total, per_order=per_order, per_account=per_account)
    if n_liq is not None:                    # circuits with a fixed number of liquidation slots
        out.update(liquidation_slots=n_liq, per_liquidation_slot=per_liq)
    return out


def baseline_slopes(n: int, rev: str):
    """gate_slopes of the circuit at git revision ``rev`` (None when it cannot be built)."""
    with tempfile.TemporaryDirectory() as d:
        tar = os.path.join(d, "src.tar")
        r = subprocess.run(["git", "archive", "-o", tar, rev, "circuits", "verifier"], cwd=ROOT,
                           capture_output=True)
        if r.returncode:
            return None
        with tarfile.open(tar) as t:
            t.extractall(d, filter="data")
        return gate_slopes(n, d)


def random_book(n: int, rng: random.Random):
    """n traders, one order each, alternating sides; buys lean above the mark and sells below,
    so the book crosses (limits within ±2 % of the mark)."""
    orders, openings, accounts = [], [], {}
    for i in range(n):
        acct = 1000 + i
        side = "buy" if i % 2 == 0 else "sell"
        price = MARK + (rng.randint(-50, 200) if side == "buy" else rng.randint(-200, 50))
        orders.append(dict(account=acct, side=side, price=price, size=rng.randint(1, 50), market=1))
        openings.append(dict(nonce=rng.getrandbits(64), rho=secrets.randbelow(babyjub.L)))
        accounts[acct] = dict(cash=10**9, position=0, blinding=secrets.randbelow(1 << 250))
    # long 5 lots with equity 3 000 ≥ 2 500 (maintenance) until it pays 5·(F − 0) = 1 000 of
    # funding: then it is liquidated
    accounts[999] = dict(cash=-5 * MARK + 3000, position=5, funding_index=0,
                         blinding=secrets.randbelow(1 << 250))
    return orders, openings, accounts


def snarkjs_exe():
    for d in ("tests", "benchmarks"):
        exe = os.path.join(ROOT, d, "node_modules", ".bin", "snarkjs")
        if os.path.exists(exe):
            return exe
    return None


def snarkjs_verify(vk, public, proof) -> bool:
    exe = snarkjs_exe()
    if exe is None:
        raise SystemExit("--snarkjs: snarkjs not installed (run `npm ci` in tests/)")
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for name, obj in (("vk", vk.to_json()), ("public", [str(x) for x in public]),
                          ("proof", proof.to_json())):
            p = os.path.join(d, name + ".json")
            with open(p, "w") as f:
                json.dump(obj, f)
            paths.append(p)
        r = subprocess.run([exe, "plonk", "verify", *paths], capture_output=True, text=True)
        return r.returncode == 0 and "OK!" in r.stdout


def run_size(n: int, seed: int, with_snarkjs: bool) -> dict:
    rng = random.Random(seed + n)
    orders, openings, accounts = random_book(n, rng)
    res = match_batch(orders=orders[:n - 1], accounts=accounts, mark_price=MARK, params=PARAMS,
                      funding_index=FUNDING, liquidate=[999], insurance=10**6)
    witness = res.to_witness(1, n, n, openings=openings[:n - 1])
    circuit = settlement_circuit(n, n)
    assignment = circuit.assignment(witness)
    gates = circuit.n_gates
    power = domain_power(circuit)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DevelopmentSRSWarning)
        srs = dev_srs(power)
    srs_s = time.perf_counter() - t
    t = time.perf_counter()
    pk, vk = setup(circuit, srs)
    setup_s = time.perf_counter() - t
    t = time.perf_counter()
    proof, public = prove(pk, assignment)
    prove_s = time.perf_counter() - t
    t = time.perf_counter()
    ok = verify(vk, public, proof)
    verify_s = time.perf_counter() - t
    out = dict(gates=gates, power=power, price=res.price, volume=res.volume,
               liquidated=list(res.liquidated), penalties=sum(res.penalties.values()),
               srs_s=srs_s,
               setup_s=setup_s, prove_s=prove_s, verify_s=verify_s, proof_bytes=9 * 64 + 6 * 32,
               proof_json_bytes=len(json.dumps(proof.to_json())), verified=bool(ok))
    if with_snarkjs:
        out["snarkjs_verified"] = snarkjs_verify(vk, public, proof)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="4,16,64", help="comma-separated N (N×N slots)")
    ap.add_argument("--snarkjs", action="store_true", help="also run snarkjs plonk verify")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--baseline", default=BASELINE, help="git revision of the 'before' circuit")
    ap.add_argument("--gates-at", type=int, default=16, help="N of the gates-per-slot table")
    args = ap.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        raise SystemExit("--sizes: expected comma-separated integers, e.g. 4,16,64") from None
    gates = {"after": gate_slopes(args.gates_at), "before": baseline_slopes(args.gates_at,
                                                                             args.baseline)}
    print(f"gates at {args.gates_at}x{args.gates_at}:   {'total':>8} {'per order':>10} "
          f"{'per account':>12}")
    for k, g in gates.items():
        if g:
            liq = (f"   ({g['liquidation_slots']} liquidation slots, "
                   f"{g['per_liquidation_slot']} gates each)" if "liquidation_slots" in g else "")
            print(f"  {k:<6} {'':>10} {g['gates']:>8} {g['per_order']:>10} {g['per_account']:>12}"
                  f"{liq}")
    if gates["before"]:
        b, a = gates["before"], gates["after"]
        gates["ratio"] = {k: round(a[k] / b[k], 4) for k in ("gates", "per_order", "per_account")}
        gates["ratio"]["per_pair"] = round((a["per_order"] + a["per_account"])
                                           / (b["per_order"] + b["per_account"]), 4)
        print(f"  after/before: {gates['ratio']}", flush=True)
    from prover.kernels.warmup import warmup
    warmup()
    results = {"gates": gates}
    for n in sizes:
        results[str(n)] = r = run_size(n, args.seed, args.snarkjs)
        extra = f"  snarkjs {'OK' if r.get('snarkjs_verified') else 'FAIL'}" if args.snarkjs else ""
        print(f"{n}x{n}: {r['gates']} gates (2^{r['power']}), P={r['price']} V={r['volume']}, "
              f"setup {r['setup_s']:.1f} s, prove {r['prove_s']:.2f} s, verify {r['verify_s']:.3f} s, "
              f"verified {r['verified']}{extra}", flush=True)
    print(f"{'size':>6} {'gates':>8} {'per pair':>9} {'prove s':>8} {'verify s':>9} {'proof B':>8} ok")
    for k, r in results.items():
        if k == "gates":
            continue
        n = int(k)
        print(f"{k + 'x' + k:>6} {r['gates']:>8} {r['gates'] // n:>9} {r['prove_s']:>8.2f} "
              f"{r['verify_s']:>9.3f} {r['proof_bytes']:>8} {r['verified']}")
    print(json.dumps({k: {kk: (round(v, 4) if isinstance(v, float) else v) for kk, v in r.items()}
                      if k != "gates" else r for k, r in results.items()}))


if __name__ == "__main__":
    main()
