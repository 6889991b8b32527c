#!/usr/bin/env python3
"""`make bench`: NetSweep's runner against the NumPy baseline (../shared/reference/bench_numpy.py),
side by side in one run, on workloads W1-W7 of ../shared/reference/README.md.

For every workload and precision: one warm-up of each side (not with --quick), then --pairs pairs run alternately
(NetSweep, NumPy, NetSweep, NumPy, ...), each in its own process. NetSweep's time is the
training time the runner records per run in summary.csv (W3: the sum of its two runs; W7: the
whole sweep process, start-up included); NumPy's is bench_numpy.py's own timing of the training
call. Both sides use the same number of BLAS threads (OPENBLAS_NUM_THREADS, default: all cores).
Peak RSS is each process's maximum resident set (wait4). GFLOP/s count matrix products only
(the reference README's rule). Writes results/bench/bench.csv and prints the table.

  python3 tools/bench.py [--quick] [--pairs N] [--only W1,W4] [--precision float64,float32]
  NETSWEEP_REFERENCE=/path/to/bench_numpy.py python3 tools/bench.py   # baseline elsewhere
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER = os.path.join(ROOT, ".build", "release", "runner")
# The NumPy baseline: $NETSWEEP_REFERENCE (a bench_numpy.py), else ../shared/reference beside the checkout.
REFERENCE = os.environ.get("NETSWEEP_REFERENCE") or os.path.normpath(
    os.path.join(ROOT, "..", "shared", "reference", "bench_numpy.py"))
OUT = os.path.join(ROOT, "results", "bench")
NAMES = {"W1": "cat-2layer", "W2": "cat-4layer", "W3": "tanh_vs_relu", "W4": "planar",
         "W5": "cifar-2layer", "W6": "mnist-mlp", "W7": "sweep"}
ITERATIONS = {"W1": 2500, "W2": 2500, "W3": 3000, "W4": 10000, "W5": 1000, "W6": 2345, "W7": 5000}


def run_measured(command, env):
    """Runs a command and returns (wall seconds, peak RSS MiB, stdout) using wait4."""
    with tempfile.TemporaryFile(mode="w+") as out, tempfile.TemporaryFile(mode="w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read()
        if process.returncode != 0:
            sys.exit(f"command failed ({process.returncode}): {' '.join(command)}\n{stdout}\n{err.read()}")
        return wall, usage.ru_maxrss / 1024.0, stdout


def netsweep(workload, precision, scale, jobs, env):
    experiment = os.path.join(ROOT, "bench", f"{workload}.yaml")
    out = os.path.join(OUT, "runs", f"{precision}-jobs{jobs}")
    command = [RUNNER, experiment, "--force", "--quiet", "--jobs", str(jobs), "--out", out,
               "--set", f"precision={precision}", "--set", f"name={workload}"]
    if scale < 1:
        command += ["--set", f"training.iterations={max(1, round(ITERATIONS[workload] * scale))}"]
    wall, rss, _ = run_measured(command, env)
    with open(os.path.join(out, workload, "summary.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    flops = 0.0
    for row in rows:
        with open(os.path.join(out, workload, "runs", row["run_id"], "record.json")) as f:
            flops += json.load(f)["flops"]
    seconds = wall if workload == "W7" else sum(float(row["wall_seconds"]) for row in rows)
    return seconds, rss, flops


def numpy_side(workload, precision, scale, variant, env):
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as log:
        command = [sys.executable, REFERENCE, "workloads", "--only", workload, "--repeats", "1", "--budget", "0",
                   "--dtype", precision, "--scale", str(scale), "--json", log.name]
        _, rss, _ = run_measured(command, env)
        records = [json.loads(line) for line in open(log.name)]
    if workload == "W7":
        records = [r for r in records if r.get("variant") == variant]
    return records[-1]["median"], rss


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="10%% of the iterations and no warm-up (a smoke run, about 1.5 minutes)")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--only", default="W1,W2,W3,W4,W5,W6,W7")
    parser.add_argument("--precision", default="float64,float32")
    args = parser.parse_args()
    if not os.path.isfile(REFERENCE):
        sys.exit(f"bench: cannot find the NumPy baseline {REFERENCE}; expected ../shared/reference/bench_numpy.py "
                 "beside the checkout, or set NETSWEEP_REFERENCE to its path")
    scale = 0.1 if args.quick else 1.0
    threads = os.environ.get("OPENBLAS_NUM_THREADS") or str(os.cpu_count())
    env = dict(os.environ, OPENBLAS_NUM_THREADS=threads)
    os.makedirs(OUT, exist_ok=True)
    rows = []
    for precision in args.precision.split(","):
        for workload in args.only.split(","):
            variants = [("serial", 1), ("pool2", 2)] if workload == "W7" else [("", 1)]
            for variant, jobs in variants:
                if not args.quick:                                        # warm-up
                    netsweep(workload, precision, scale, jobs, env)
                    numpy_side(workload, precision, scale, variant, env)
                ours, theirs, our_rss, their_rss, flops = [], [], [], [], 0.0
                for _ in range(args.pairs):
                    seconds, rss, flops = netsweep(workload, precision, scale, jobs, env)
                    ours.append(seconds); our_rss.append(rss)
                    seconds, rss = numpy_side(workload, precision, scale, variant, env)
                    theirs.append(seconds); their_rss.append(rss)
                a, b = statistics.median(ours), statistics.median(theirs)
                row = {"workload": workload + (f" {variant}" if variant else ""), "name": NAMES[workload],
                       "precision": precision, "blas_threads": 1 if jobs > 1 else threads,
                       "netsweep_median_s": round(a, 4), "numpy_median_s": round(b, 4), "ratio": round(b / a, 2),
                       "netsweep_gflops": round(flops / a / 1e9, 2),
                       "netsweep_peak_rss_mib": round(max(our_rss), 1), "numpy_peak_rss_mib": round(max(their_rss), 1),
                       "pairs": args.pairs, "scale": scale}
                rows.append(row)
                print(f"{row['workload']:10s} {precision:8s} NetSweep {a:8.3f}s  NumPy {b:8.3f}s  ratio {b / a:6.2f}x  "
                      f"{row['netsweep_gflops']:6.2f} GFLOP/s  RSS {row['netsweep_peak_rss_mib']:7.1f} / "
                      f"{row['numpy_peak_rss_mib']:7.1f} MiB", flush=True)
    path = os.path.join(OUT, "bench.csv")
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"\nwrote {path} ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, OPENBLAS_NUM_THREADS={threads})")


if __name__ == "__main__":
    main()
