"""Start-up cost of ``darkmatch plonk prove``: where the whole command's time goes, before/after.

    python benchmarks/startup.py                          # 2^12 and 2^16, this tree
    python benchmarks/startup.py --powers 12 16 --baseline HEAD~3 --reps 5
    python benchmarks/startup.py --snarkjs                # snarkjs's command in the same run

Per power p, the circom Poseidon chain of ``benchmarks/zkey.py`` (same
calibration, same template) is compiled once, its witness computed by
``snarkjs wtns calculate`` and its zkey made by ``darkmatch plonk setup`` (byte
for byte snarkjs's).  Then, for each tree (this one, and ``--baseline REV``
exported with ``git archive`` into --out; and with ``--no-cache-too`` this tree
with the proving-key cache of ``prover.snarkjs.keycache`` off, i.e. a first
proof with a new zkey), alternating run by run:

* ``cmd_s``: the wall time of the whole ``python -m ledger.cli plonk prove zkey
  wtns proof.json public.json`` process (the launcher of benchmarks/plonk.py,
  which also gives its peak RSS and ``cpu_s``, user + system CPU seconds over all
  its threads: on a shared machine the steadier of the two);
* ``python_s``: a bare ``python -c pass`` (the interpreter's own start, a floor);
* ``phases``: the same steps as the command, timed inside one fresh process
  (``--child``): ``cli`` (import ``ledger.cli.main``, build the parser, parse),
  ``import`` (``prover.snarkjs``), ``read`` (``read_zkey`` + ``read_wtns``),
  ``key`` (``proving_key``), ``prove``, ``write``; plus which heavy packages
  the command had loaded (``ledger`` role packages, web3/eth, py_ecc, scipy).

With ``--cold`` each tree's command first runs once with an empty
``NUMBA_CACHE_DIR`` (``cold_cmd_s``: everything compiles, as on a first install).
A warm-up command then runs in each tree (Numba cache compile/load), so every
timed run starts from a populated kernel cache: the cached start a user sees
after the first proof.  Medians over --reps.  Prints a table and, as the LAST
stdout line, one JSON object keyed by tree then power.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from plonk import make_ptau, run_measured  # noqa: E402
from zkey import CIRCOMLIB, SNARKJS, compile_chain, hashes_for, rows_of  # noqa: E402

_HEAVY = ("ledger.exchange", "ledger.chain", "ledger.node", "ledger.operator", "ledger.ethereum",
          "web3", "eth_account", "eth_abi", "aiohttp", "scipy", "py_ecc", "circuits")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def child(zkey: str, wtns: str) -> dict:
    """The command's steps, timed one by one in this (fresh) process."""
    t0 = time.perf_counter()
    out, marks = {}, []

    def mark(name):
        marks.append((name, time.perf_counter()))

    from ledger.cli.main import build_parser
    argv = ["plonk", "prove", zkey, wtns, os.devnull, os.devnull]
    try:
        args = build_parser(["plonk"]).parse_args(argv)        # what main() builds for plonk
    except TypeError:                                         # an older tree: the whole parser
        args = build_parser().parse_args(argv)
    mark("cli")
    from prover.snarkjs import proving_key, read_wtns, read_zkey
    from prover.steps import prove
    mark("import")
    zk, w = read_zkey(args.zkey), read_wtns(args.witness)
    mark("read")
    pk = proving_key(zk)
    mark("key")
    proof, public = prove(pk, w)
    mark("prove")
    from ledger.cli.plonk import write_json
    write_json(args.proof, proof.to_json())
    write_json(args.public, [str(x) for x in public])
    mark("write")
    prev = t0
    for name, t in marks:
        out[name] = round(t - prev, 4)
        prev = t
    out["total"] = round(prev - t0, 4)
    out["loaded"] = sorted(p for p in _HEAVY if p in sys.modules)
    out["modules"] = len(sys.modules)
    return out


def prepare(power: int, out: pathlib.Path, ptau, base: int, per: int):
    """(zkey, wtns) for the 2^power Poseidon chain, made once per --out."""
    d = out / f"p{power}"
    d.mkdir(parents=True, exist_ok=True)
    zkey, wtns = d / "circuit.zkey", d / "w.wtns"
    if zkey.exists() and wtns.exists():
        return zkey, wtns
    if not (d / "lib").exists():
        import shutil
        shutil.copytree(CIRCOMLIB, d / "lib")
    r1cs = compile_chain(hashes_for(power, base, per), d)
    name = r1cs.stem
    (d / "input.json").write_text(json.dumps({"x": "1", "y": "2"}))
    _run([SNARKJS, "wtns", "calculate", f"{name}_js/{name}.wasm", "input.json", wtns.name], d)
    from prover.snarkjs import plonk_setup
    info = plonk_setup(r1cs, ptau, zkey)
    if info["power"] != power:
        raise RuntimeError(f"the chain landed in domain 2^{info['power']}, not 2^{power}")
    return zkey, wtns


def _run(cmd, cwd, env=None):
    p = subprocess.run(list(map(str, cmd)), cwd=cwd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({p.returncode}):\n{(p.stdout + p.stderr)[-3000:]}")
    return p.stdout


def export_tree(rev: str, out: pathlib.Path) -> pathlib.Path:
    """``git archive rev`` unpacked under --out (reused if there)."""
    sha = _run(["git", "rev-parse", "--short", rev], ROOT).strip()
    d = out / f"tree-{sha}"
    if not d.exists():
        tmp = out / f"tree-{sha}.partial"
        tmp.mkdir(parents=True, exist_ok=True)
        subprocess.run(f"git archive {sha} | tar -x -C {tmp}", shell=True, cwd=ROOT, check=True)
        tmp.rename(d)
    return d


def _env(tree):
    """(path, extra environment) → the environment of its commands."""
    path, extra = tree
    return dict(os.environ, PYTHONPATH=str(path), **extra)


def _command(tree, zkey, wtns, d):
    env = _env(tree)
    cmd = [sys.executable, "-m", "ledger.cli", "plonk", "prove", zkey, wtns,
           d / "proof.json", d / "public.json"]
    old = dict(os.environ)
    os.environ.update(env)
    try:
        rc, wall, rss, cpu, txt = run_measured(cmd, cwd=tree[0])
    finally:
        os.environ.clear()
        os.environ.update(old)
    if rc != 0:
        raise RuntimeError(f"darkmatch plonk prove failed in {tree}:\n{txt[-2000:]}")
    return wall, rss, cpu


def measure(trees: dict, power, zkey, wtns, reps, snarkjs, cold_compile=False) -> dict:
    res = {name: {"cmd": [], "mib": [], "cpu": [], "phases": []} for name in trees}
    if snarkjs:
        res["snarkjs"] = {"cmd": [], "mib": [], "cpu": []}
    py = []
    cold = {}
    if cold_compile:                                # an empty Numba cache: everything compiles
        import tempfile
        for name, (path, extra) in trees.items():
            with tempfile.TemporaryDirectory() as nc:
                wall, _rss, cpu = _command((path, dict(extra, NUMBA_CACHE_DIR=nc)), zkey, wtns,
                                           zkey.parent)
            cold[name] = (round(wall, 2), round(cpu, 2))
            log(f"2^{power} {name}: cold compile command {wall:.1f} s ({cpu:.1f} s CPU)")
    for name, tree in trees.items():               # warm-up: Numba cache load or compile
        t = time.perf_counter()
        _command(tree, zkey, wtns, zkey.parent)
        log(f"2^{power} {name}: warm-up {time.perf_counter() - t:.1f} s")
    for i in range(reps):
        log(f"2^{power}: run {i + 1}/{reps}")
        rc, wall, *_ = run_measured([sys.executable, "-c", "pass"])
        py.append(wall)
        for name, tree in trees.items():
            wall, rss, cpu = _command(tree, zkey, wtns, zkey.parent)
            r = res[name]
            r["cmd"].append(wall)
            r["mib"].append(rss)
            r["cpu"].append(cpu)
            txt = _run([sys.executable, __file__, "--child", zkey, wtns], tree[0], _env(tree))
            r["phases"].append(json.loads(txt.strip().splitlines()[-1]))
        if snarkjs:
            rc, wall, rss, cpu, txt = run_measured(
                [SNARKJS, "plonk", "prove", zkey, wtns, zkey.parent / "sj_proof.json",
                 zkey.parent / "sj_public.json"], cwd=zkey.parent)
            if rc != 0:
                raise RuntimeError(f"snarkjs plonk prove failed:\n{txt[-2000:]}")
            res["snarkjs"]["cmd"].append(wall)
            res["snarkjs"]["mib"].append(rss)
            res["snarkjs"]["cpu"].append(cpu)
    out = {"python_s": round(statistics.median(py), 4)}
    for name, r in res.items():
        o = {"cmd_s": round(statistics.median(r["cmd"]), 3),
             "cmd_runs_s": [round(x, 3) for x in r["cmd"]],
             "cpu_s": round(statistics.median(r["cpu"]), 3),
             "peak_mib": round(max(r["mib"]), 1)}
        if "phases" in r:
            ph = r["phases"]
            o["phases"] = {k: round(statistics.median(p[k] for p in ph), 4)
                           for k in ("cli", "import", "read", "key", "prove", "write", "total")}
            o["start_s"] = round(o["cmd_s"] - o["phases"]["prove"], 3)
            o["loaded"] = ph[-1]["loaded"]
            o["modules"] = ph[-1]["modules"]
        if name in cold:
            o["cold_cmd_s"], o["cold_cmd_cpu_s"] = cold[name]
        out[name] = o
    if snarkjs:
        for name in trees:
            out[name]["ratio_vs_snarkjs"] = round(out["snarkjs"]["cmd_s"] / out[name]["cmd_s"], 2)
            out[name]["cpu_ratio_vs_snarkjs"] = round(out["snarkjs"]["cpu_s"] / out[name]["cpu_s"], 2)
    return out


def table(results) -> str:
    head = ("2^p", "tree", "command s", "command CPU s", "prove s", "start s (cmd − prove)",
            "cli", "import", "read", "key", "write", "peak MiB", "× snarkjs", "× snarkjs CPU")
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for p, r in sorted(results.items()):
        for name, o in r.items():
            if not isinstance(o, dict) or "phases" not in o:
                continue
            ph = o["phases"]
            lines.append(" | ".join(str(x) for x in (
                p, name, o["cmd_s"], o["cpu_s"], ph["prove"], o["start_s"], ph["cli"],
                ph["import"], ph["read"], ph["key"], ph["write"], o["peak_mib"],
                o.get("ratio_vs_snarkjs", "-"), o.get("cpu_ratio_vs_snarkjs", "-"))))
        extra = f"python -c pass {r['python_s']} s"
        if "snarkjs" in r:
            sj = r["snarkjs"]
            extra += f"; snarkjs {sj['cmd_s']} s ({sj['cpu_s']} s CPU), {sj['peak_mib']} MiB"
        lines.append(f"2^{p}: {extra}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--powers", type=int, nargs="+", default=[12, 16])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--baseline", metavar="REV", help="also time this git revision, same run")
    ap.add_argument("--snarkjs", action="store_true", help="also time snarkjs plonk prove")
    ap.add_argument("--cold", action="store_true",
                    help="first time each tree's command with an empty NUMBA_CACHE_DIR (cold compile)")
    ap.add_argument("--no-cache-too", action="store_true",
                    help="also time this tree with the proving-key cache off (DARKMATCH_KEY_CACHE=0)")
    ap.add_argument("--out", type=pathlib.Path, default=ROOT / "bench-out" / "startup")
    ap.add_argument("--child", nargs=2, metavar=("ZKEY", "WTNS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        sys.path.insert(0, os.environ.get("PYTHONPATH", str(ROOT)).split(os.pathsep)[0])
        print(json.dumps(child(*args.child)))
        return 0
    sys.path.insert(0, str(ROOT))
    if not (SNARKJS.exists() and CIRCOMLIB.exists()):
        sys.exit("benchmarks/startup.py: needs snarkjs, circom2 and circomlib: `npm ci` in tests/")
    args.out.mkdir(parents=True, exist_ok=True)
    ptau = make_ptau(max(args.powers), args.out)
    cal = args.out / "calibration"
    cal.mkdir(exist_ok=True)
    if not (cal / "lib").exists():
        import shutil
        shutil.copytree(CIRCOMLIB, cal / "lib")
    r1, r2 = rows_of(1, cal, ptau), rows_of(2, cal, ptau)
    base, per = r1 - (r2 - r1), r2 - r1
    cache = {"DARKMATCH_CACHE_DIR": str(args.out / "key-cache")}
    trees = {"this": (ROOT, cache)}
    if args.no_cache_too:
        trees["this, no key cache"] = (ROOT, {"DARKMATCH_KEY_CACHE": "0"})
    if args.baseline:
        trees[f"baseline {args.baseline}"] = (export_tree(args.baseline, args.out), cache)
    results = {}
    for power in args.powers:
        zkey, wtns = prepare(power, args.out, ptau, base, per)
        results[power] = measure(trees, power, zkey, wtns, args.reps, args.snarkjs,
                                 args.cold and power == args.powers[0])
        log(json.dumps(results[power]))
    print(table(results))
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
