"""Ledger throughput of this tree against another revision, in the same run, interleaved.

    python benchmarks/ledger_ab.py [--baseline REV] [--rounds 3] [--slots 16] [--batches 3]

Extracts ``--baseline`` (``git archive``) into a temporary folder and runs
``benchmarks/ledger.py`` alternately from that tree and from this one
(baseline, this, this, baseline, baseline, this, …: the order flips every
round, so a load that rises or falls through the run hits both), each run
a fresh process with its own market, nodes and proofs and ``PYTHONPATH``
set to its tree.  The first run
of the baseline tree also compiles its kernels (Numba caches them in that
tree); ``ledger.py`` reports that apart from the batches.  Per tree it takes
the medians over the rounds of each run's ``batches_per_min``, ``prove_s``
and ``finality_s`` (each run's own figures are medians over its batches).
On a shared machine read the ratio, this / baseline, not the absolute
figures.  Prints one line per run, then as its LAST line one JSON object:
``baseline``, ``rounds``, ``slots``, per tree (``baseline``, ``this``) the
runs and medians, ``ratio`` (this / baseline) of the three medians, and
``paired_bpm_ratios`` (this / baseline batches per minute round by round,
the two runs of a round being adjacent in time) with their median.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = "873ee1e"        # before the perpetual market (oracle, funding, liquidations)
KEYS = ("batches_per_min", "prove_s", "finality_s")


def extract(rev: str, folder: str) -> str:
    """The tree of ``rev`` extracted under ``folder``; its path."""
    tar = os.path.join(folder, "src.tar")
    subprocess.run(["git", "archive", "-o", tar, rev], cwd=ROOT, check=True)
    tree = os.path.join(folder, "tree")
    with tarfile.open(tar) as t:
        t.extractall(tree, filter="data")
    return tree


def run_once(tree: str, slots: int, batches: int) -> dict:
    """One ``benchmarks/ledger.py`` run from ``tree``; its JSON line."""
    env = dict(os.environ, PYTHONPATH=tree)
    out = subprocess.run([sys.executable, os.path.join(tree, "benchmarks", "ledger.py"),
                          "--slots", str(slots), "--batches", str(batches)], cwd=tree, env=env,
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"ledger.py in {tree} failed:\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default=BASELINE, help="git revision to compare against")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--slots", type=int, default=16)
    ap.add_argument("--batches", type=int, default=3)
    args = ap.parse_args(argv)
    runs = {"baseline": [], "this": []}
    with tempfile.TemporaryDirectory(prefix="darkmatch-ledger-ab-") as d:
        trees = {"baseline": extract(args.baseline, d), "this": ROOT}
        for r in range(args.rounds):
            order = ("baseline", "this") if r % 2 == 0 else ("this", "baseline")
            for which in order:
                res = run_once(trees[which], args.slots, args.batches)
                runs[which].append(res)
                print(f"round {r + 1} {which}: " + ", ".join(f"{k} {res[k]}" for k in KEYS),
                      flush=True)
    med = {w: {k: statistics.median(x[k] for x in rs) for k in KEYS} for w, rs in runs.items()}
    ratio = {k: round(med["this"][k] / med["baseline"][k], 3) for k in KEYS}
    paired = [round(t["batches_per_min"] / b["batches_per_min"], 3)
              for t, b in zip(runs["this"], runs["baseline"])]
    print(f"this / baseline: {ratio}; batches/min per round: {paired}")
    print(json.dumps({"baseline": args.baseline, "rounds": args.rounds, "slots": args.slots,
                      "batches": args.batches, "runs": runs, "median": med, "ratio": ratio,
                      "paired_bpm_ratios": paired,
                      "paired_bpm_median": statistics.median(paired)}))


if __name__ == "__main__":
    main()
