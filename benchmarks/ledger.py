"""Ledger throughput: batches per minute and finality latency, validators as processes on loopback.

    python benchmarks/ledger.py [--slots 16] [--validators 4] [--batches 3] [--keep DIR]

Sets up a market (``ledger.operator.scenario.Market``: genesis, ``--slots``
traders, a development SRS and the ``--slots``×``--slots`` settlement
circuit), starts ``--validators`` validator nodes as separate processes
(``python -m ledger.node.server`` on 127.0.0.1, homes laid out by
``darkmatch validator init``), then runs ``--batches`` batches through the
operator's one loop (``Market.batch`` → ``ledger.operator.loop.run_batch``):
the traders' orders go to the operator, which matches and proves the batch;
``ledger.operator.rounds.run_in_rounds`` runs it in the two-phase rounds
over HTTP (the validators' locks, then each node re-checks the block and its
proof and prevotes, precommits on the polka and attests the commit), and
broadcasts the finalize, which every node stores.

Per batch it measures the prove time and the finality latency (proposal sent
→ every node answered that it stored the block); batches per minute is
60 / (median prove + median finality), the steady rate of one operator with
one core pair.  Prints a table, then as its last line one JSON object:
``slots``, ``validators``, ``batches``, ``gates``, ``setup_s``,
``prove_s`` (median), ``finality_s`` (median), ``verify_share`` (finality as a
fraction of the batch), ``batches_per_min``.
"""

import argparse
import contextlib
import io
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from ledger.core import keys  # noqa: E402
from ledger.cli.main import main as cli_main  # noqa: E402
from ledger.node.client import NodeClient  # noqa: E402
from ledger.operator.round import collect_observations  # noqa: E402
from ledger.operator.rounds import run_in_rounds  # noqa: E402
from ledger.node.service import URL_FILE  # noqa: E402
from ledger.operator.scenario import MARK_PRICE, MARKET, Market  # noqa: E402
from prover.kernels.warmup import warmup  # noqa: E402

READY_S = 180


def start_nodes(folder, market):
    """One home and one ``python -m ledger.node.server`` process per validator; (procs, urls)."""
    procs, urls = [], []
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for name, key in market.validator_keys.items():
        key_file = os.path.join(folder, f"{name}.pem")
        keys.save_private_key(key, key_file)
        home = os.path.join(folder, "nodes", name)
        with contextlib.redirect_stdout(io.StringIO()):
            rc = cli_main(["validator", "init", "--home", home, "--genesis",
                           os.path.join(market.folder, "genesis.json"), "--key", key_file,
                           "--vk", os.path.join(market.folder, "verification_key.json")])
        if rc != 0:
            raise SystemExit(f"validator init failed for {name}")
        with open(os.path.join(home, "price_source"), "w") as f:    # the oracle's feed
            f.write(f"sim:1:{MARK_PRICE}\n")
        log = open(os.path.join(home, "node.log"), "ab")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "ledger.node.server", "--home", home, "--port", "0"],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT))
        urls.append(home)
    deadline = time.monotonic() + READY_S
    for i, home in enumerate(urls):
        url_file = os.path.join(home, URL_FILE)
        while True:
            if procs[i].poll() is not None:
                raise SystemExit(f"validator node in {home} exited (see {home}/node.log)")
            if os.path.exists(url_file):
                url = open(url_file).read().strip()
                try:
                    NodeClient(url, timeout=5).status()
                    urls[i] = url
                    break
                except ValueError:
                    pass
            if time.monotonic() > deadline:
                raise SystemExit(f"validator node in {home} did not start")
            time.sleep(0.1)
    return procs, urls


def stop_nodes(procs):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slots", type=int, default=16, help="traders = order = account slots")
    ap.add_argument("--validators", type=int, default=4)
    ap.add_argument("--batches", type=int, default=3)
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temp dir)")
    args = ap.parse_args(argv)
    folder = args.keep or tempfile.mkdtemp(prefix="darkmatch-ledger-bench-")
    os.makedirs(folder, exist_ok=True)
    urllib.request.install_opener(urllib.request.build_opener(urllib.request.ProxyHandler({})))
    print(f"kernels: {warmup():.1f} s (JIT or cache load)", flush=True)
    t = time.perf_counter()
    market = Market.create(os.path.join(folder, "market"), traders=args.slots,
                           validators=args.validators,
                           progress=lambda m: print(f"setup: {m}", flush=True))
    setup_s = time.perf_counter() - t
    print(f"setup {setup_s:.1f} s, {market.gates:,} gates", flush=True)
    procs, urls = start_nodes(folder, market)
    rows = []
    try:
        print(f"{len(urls)} validator nodes: {' '.join(urls)}", flush=True)
        operator_quorum = market.quorums[0]          # the operator's node counts signatures
        for height in range(1, args.batches + 1):
            observations, _ = collect_observations(urls, MARKET.market_id, height, timeout=60)
            res = market.batch(height, lambda block: run_in_rounds(
                urls, block, None, operator_quorum.store, operator_quorum, timeout=300),
                observations=observations)
            rnd, volume = res.round, res.proposal.block.volume
            if rnd.block is None or len(rnd.finalized) != len(urls):
                raise SystemExit(f"block {height} not final on every node: "
                                 f"{rnd.refusals or rnd.finalize_errors}")
            rows.append((height, volume, res.prove_s, res.finality_s))
            print(f"block {height}: V={volume} prove {res.prove_s:.2f} s, "
                  f"finality {res.finality_s:.3f} s ({len(rnd.finalized)}/{len(urls)} stored)",
                  flush=True)
    finally:
        stop_nodes(procs)
        market.close()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    prove = statistics.median(r[2] for r in rows)
    final = statistics.median(r[3] for r in rows)
    print("\n| slots | validators | gates | prove s (median) | finality s (median) | batches/min |")
    print(f"| {args.slots}x{args.slots} | {len(urls)} | {market.gates:,} | {prove:.2f} | "
          f"{final:.3f} | {60 / (prove + final):.2f} |")
    print(json.dumps({"slots": args.slots, "validators": len(urls), "batches": len(rows),
                      "gates": market.gates, "setup_s": round(setup_s, 2),
                      "prove_s": round(prove, 3), "finality_s": round(final, 4),
                      "verify_share": round(final / (prove + final), 4),
                      "batches_per_min": round(60 / (prove + final), 3)}))


if __name__ == "__main__":
    main()
