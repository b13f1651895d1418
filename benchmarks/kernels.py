"""Kernel benchmarks: field multiply, G1 mixed add, NTT, MSM, JIT compile — against peers.

    python benchmarks/kernels.py [--quick] [--repeat K]

Prints a table, then as its LAST line one JSON object with fr_mul_ns,
fq_mul_ns, fq_mul_ifma_ns (eight-lane AVX-512 IFMA product, when the CPU has it),
g1_mixed_add_ns, ntt_2_16_s, ntt_2_20_s, msm_2_16_s, msm_2_20_s (and, with the IFMA
reduction, msm_2_*_scalar_reduce_s: the scalar reduction interleaved in the same run),
msm_2_16_vs_pyecc, jit_cold_s, jit_cached_s and the peers measured in the same
run (Python-int and galois multiply, py_ecc scalar multiply).  ``--quick``
skips the 2^20 sizes.  Times are medians of K runs after a warm-up; on a
shared 2-core machine compare ratios, not absolute numbers.

Single-thread figures (fr_mul_ns, g1_mixed_add_ns) run the kernels on the calling
thread over 4096-element arrays, called repeatedly (Fr mul: the range kernel behind
``fr.mul_vec`` into a preallocated output), so operands stay in cache and the figure
is the operation's cost (over 2^20 elements this VM's memory bandwidth, not
the multiply, sets the pace); NTT and MSM use both cores.  The MSM peer is py_ecc doing the same MSM point
by point (scalar multiply + add), timed on a subset and scaled to 2^16.

``rss_*_mib`` is the resident set of a fresh process started from the populated
cache, after each stage of getting ready to prove: Python + NumPy, ``import
numba``, ``import prover``, Numba's first target-context refresh (its runtime
compiled by LLVM and every implementation registry imported; Numba does this
before it loads any cached kernel), and ``warmup()`` (the cached kernels).
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from prover.kernels import fq, fr, g1, ifma, msm, ntt  # noqa: E402
from prover.kernels import srs_kernels as sk  # noqa: E402
from prover.kernels.convert import ints_to_limbs  # noqa: E402
from prover.kernels.warmup import warmup  # noqa: E402
from verifier.fields import Q_MOD, R_MOD  # noqa: E402


def median_time(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def rand_fr(n, seed=1):
    rng = np.random.default_rng(seed)
    limbs = rng.integers(0, 2**63, size=(n, 4), dtype=np.uint64)
    limbs[:, 3] &= np.uint64((1 << 60) - 1)             # < 2^252 < r
    return fr.to_mont_vec(limbs)


def rand_scalars(n, seed=2):
    rng = random.Random(seed)
    return ints_to_limbs(rng.randrange(R_MOD) for _ in range(n))


def rand_points(n, seed=3):
    table = sk.fixed_base_table(g1.points_to_array([(1, 2)])[0])
    return sk.fixed_base_affine(table, rand_scalars(n, seed))


IN_CACHE = 1 << 12     #: elements per call for per-operation figures (operands stay in L2)
CALLS = 256


def per_op_ns(fn, repeat):
    """ns per element of ``fn`` on IN_CACHE elements, called CALLS times (compute, not DRAM, bound)."""
    def many():
        for _ in range(CALLS):
            fn()
    return median_time(many, repeat) / (CALLS * IN_CACHE) * 1e9


def bench_field(repeat):
    a, b = rand_fr(IN_CACHE, 1), rand_fr(IN_CACHE, 2)
    out = np.empty_like(a)
    mul_ns = per_op_ns(lambda: fr._mul_vec_range(a, b, out, 0, IN_CACHE), repeat)
    import galois
    GF = galois.GF(R_MOD, primitive_element=5, verify=False)
    xs = [random.randrange(R_MOD) for _ in range(20000)]
    ys = [random.randrange(R_MOD) for _ in range(20000)]
    py_ns = median_time(lambda: [x * y % R_MOD for x, y in zip(xs, ys)], repeat) / len(xs) * 1e9
    ga, gb = GF(xs), GF(ys)
    gal_ns = median_time(lambda: ga * gb, repeat) / len(xs) * 1e9
    return {"fr_mul_ns": mul_ns, "pyint_mul_ns": py_ns, "galois_mul_ns": gal_ns}


def bench_fq_ifma(repeat):
    """Fq product: the scalar 4×64-bit kernel (``fq.mul``'s) against the eight-lane IFMA one
    (``ifma.mul_groups``), interleaved run by run on the same IN_CACHE-element workload."""
    rng = random.Random(7)
    xs = [rng.randrange(Q_MOD) for _ in range(IN_CACHE)]
    ys = [rng.randrange(Q_MOD) for _ in range(IN_CACHE)]
    a, b = fq.to_mont_vec(ints_to_limbs(xs)), fq.to_mont_vec(ints_to_limbs(ys))
    out = np.empty_like(a)
    res = {"fq_mul_ns": per_op_ns(lambda: fq._mul_vec_range(a, b, out, 0, IN_CACHE), repeat)}
    if ifma.available():
        A, B = ifma.to_mont(xs), ifma.to_mont(ys)
        O = np.empty_like(A)
        groups = A.shape[0]
        scalar, vector = [], []
        for _ in range(3):
            scalar.append(per_op_ns(lambda: fq._mul_vec_range(a, b, out, 0, IN_CACHE), repeat))
            vector.append(per_op_ns(lambda: ifma.mul_groups(O, A, B, 0, groups), repeat))
        res["fq_mul_ns"] = statistics.median(scalar)
        res["fq_mul_ifma_ns"] = statistics.median(vector)
        res["fq_mul_ifma_speedup"] = res["fq_mul_ns"] / res["fq_mul_ifma_ns"]
    return res


def bench_g1(repeat):
    P = rand_points(IN_CACHE, 4)
    J = g1.affine_to_jac(rand_points(IN_CACHE, 5))
    add_ns = per_op_ns(lambda: g1.add_mixed_vec(J, P), repeat)
    return {"g1_mixed_add_ns": add_ns}


def bench_ntt(repeat, quick):
    out = {}
    for p in (16,) if quick else (16, 20):
        a = rand_fr(1 << p, p)
        out[f"ntt_2_{p}_s"] = median_time(lambda: ntt.ntt(a), repeat)
    return out


def bench_msm(repeat, quick):
    out = {}
    for p in (16,) if quick else (16, 20):
        pts, sc = rand_points(1 << p, 10 + p), rand_scalars(1 << p, 20 + p)
        reps = max(1, repeat if p < 20 else 2)
        out[f"msm_2_{p}_s"] = median_time(lambda: msm.msm(pts, sc), reps)
        if msm.REDUCE is not msm._reduce_buckets:        # IFMA reduction: the scalar one as peer
            vec, scalar = msm.REDUCE, msm._reduce_buckets
            times = {"vec": [], "scalar": []}
            for _ in range(reps):                        # interleaved, same run
                for key, reduce in (("scalar", scalar), ("vec", vec)):
                    msm.REDUCE = reduce
                    times[key].append(median_time(lambda: msm.msm(pts, sc), 1))
            msm.REDUCE = vec
            out[f"msm_2_{p}_s"] = statistics.median(times["vec"])
            out[f"msm_2_{p}_scalar_reduce_s"] = statistics.median(times["scalar"])
    # py_ecc point by point on a subset, scaled to 2^16
    from py_ecc import optimized_bn128 as bn
    k = 16
    ints = [random.randrange(R_MOD) for _ in range(k)]
    pts = [bn.multiply(bn.G1, random.randrange(R_MOD)) for _ in range(k)]

    def pyecc():
        acc = bn.Z1
        for p_, s_ in zip(pts, ints):
            acc = bn.add(acc, bn.multiply(p_, s_))
        return acc
    per_point = median_time(pyecc, max(1, repeat // 2)) / k
    out["pyecc_msm_2_16_s_scaled"] = per_point * (1 << 16)
    out["msm_2_16_vs_pyecc"] = out["pyecc_msm_2_16_s_scaled"] / out["msm_2_16_s"]
    return out


def bench_jit():
    """Cold compile of the kernels a proof uses (``warmup()``: dev SRS, setup and a proof of a
    tiny circuit) into an empty cache, then a start from that cache."""
    code = "from prover.kernels.warmup import warmup; warmup()"
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=ROOT)
        for key in ("jit_cold_s", "jit_cached_s"):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)
            out[key] = time.perf_counter() - t
        out.update(bench_rss(cache))
    return out


_RSS_STAGES = """
import json, re
def rss():
    return round(int(re.search(r"VmRSS:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1024, 1)
out = {}
import numpy
out["rss_numpy_mib"] = rss()
import numba
out["rss_numba_mib"] = rss()
import prover
out["rss_prover_mib"] = rss()
from numba.core.registry import cpu_target
cpu_target.target_context.refresh()
out["rss_numba_refresh_mib"] = rss()
from prover.kernels.warmup import warmup
warmup()
out["rss_warm_mib"] = rss()
print(json.dumps(out))
"""


def bench_rss(cache):
    """RSS (MiB) of a fresh process after each stage of getting ready to prove (module doc)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", _RSS_STAGES], env=env, check=True, cwd=ROOT,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the 2^20 sizes")
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    args = ap.parse_args(argv)
    warmup()
    res = {}
    res.update(bench_field(args.repeat))
    res.update(bench_fq_ifma(args.repeat))
    res.update(bench_g1(args.repeat))
    res.update(bench_ntt(args.repeat, args.quick))
    res.update(bench_msm(args.repeat, args.quick))
    res.update(bench_jit())
    rows = [
        ("Fr mul (1 thread)", f"{res['fr_mul_ns']:.1f} ns", f"Python int {res['pyint_mul_ns']:.0f} ns, "
         f"galois {res['galois_mul_ns']:.0f} ns"),
        ("Fq mul (1 thread)", f"{res['fq_mul_ns']:.1f} ns", ""),
    ]
    if "fq_mul_ifma_ns" in res:
        rows.append(("Fq mul, 8-lane IFMA (1 thread)", f"{res['fq_mul_ifma_ns']:.1f} ns",
                     f"{res['fq_mul_ifma_speedup']:.1f}× the scalar Fq mul, same run"))
    rows.append(("G1 mixed add (1 thread)", f"{res['g1_mixed_add_ns']:.0f} ns", ""))
    for p in (16, 20):
        if f"ntt_2_{p}_s" in res:
            rows.append((f"NTT 2^{p}", f"{res[f'ntt_2_{p}_s']:.3f} s", ""))
    for p in (16, 20):
        if f"msm_2_{p}_s" in res:
            peer = (f"py_ecc {res['pyecc_msm_2_16_s_scaled']:.0f} s → {res['msm_2_16_vs_pyecc']:.0f}× faster"
                    if p == 16 else "")
            rows.append((f"MSM 2^{p}", f"{res[f'msm_2_{p}_s']:.3f} s", peer))
            if f"msm_2_{p}_scalar_reduce_s" in res:
                sc_s = res[f"msm_2_{p}_scalar_reduce_s"]
                rows.append((f"MSM 2^{p}, scalar bucket reduction", f"{sc_s:.3f} s",
                             f"IFMA reduction {sc_s / res[f'msm_2_{p}_s']:.2f}× faster, same run"))
    rows.append(("JIT cold compile (a proof's kernels)", f"{res['jit_cold_s']:.1f} s", ""))
    rows.append(("JIT cached start", f"{res['jit_cached_s']:.2f} s", ""))
    rows.append(("RSS ready to prove (cached kernels)", f"{res['rss_warm_mib']:.0f} MiB",
                 (f"after NumPy {res['rss_numpy_mib']:.0f}, numba {res['rss_numba_mib']:.0f}, prover "
                  f"{res['rss_prover_mib']:.0f}, Numba's refresh {res['rss_numba_refresh_mib']:.0f}")))
    w = max(len(r[0]) for r in rows)
    print(f"{'kernel':<{w}}  {'median':>12}  peer")
    for name, val, peer in rows:
        print(f"{name:<{w}}  {val:>12}  {peer}")
    print(json.dumps({k: round(v, 4) for k, v in res.items()}))


if __name__ == "__main__":
    main()
