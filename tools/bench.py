#!/usr/bin/env python3
"""`make bench`: NetSweep's runner against the NumPy baseline (../shared/reference/bench_numpy.py),
side by side in one run, on workloads W1-W7 of ../shared/reference/README.md and W8 (sweep
throughput: bench/W8.yaml, 1 000 small runs, against tools/bench_w8_numpy.py's Pool(2)).

For every workload and precision: one warm-up of each side (not with --quick), then --pairs pairs run alternately
(NetSweep, NumPy, NetSweep, NumPy, ...), each in its own process. NetSweep's time is the
training time the runner records per run in summary.csv (W3: the sum of its two runs; W7: the
whole sweep process, start-up included); NumPy's is bench_numpy.py's own timing of the training
call. Both sides use the same number of BLAS threads (OPENBLAS_NUM_THREADS, default: all cores).
Peak RSS is each process's maximum resident set (wait4). GFLOP/s count matrix products only
(the reference README's rule). Writes results/bench/bench.csv and prints the table.

W8 runs at --w8-scale of its 2 000 iterations (default 0.25: the NumPy pool takes about a minute
then) with at most 2 pairs and no warm-up; its times are whole processes, reported also as runs
per second, for --jobs 1 and --jobs 2 (the NumPy side: a 2-process pool).

With TORCH_PYTHON=/path/to/python (a Python with torch; not in CI, the wheel is 5 GB), W1, W2,
W4, W5 and W6 also run ../shared/reference/bench_torch.py in both modes (manual backward and
autograd) in the same alternation, adding torch_* columns.

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
         "W5": "cifar-2layer", "W6": "mnist-mlp", "W7": "sweep", "W8": "sweep-throughput"}
ITERATIONS = {"W1": 2500, "W2": 2500, "W3": 3000, "W4": 10000, "W5": 1000, "W6": 2345, "W7": 5000, "W8": 2000}
TORCH_WORKLOADS = {"W1", "W2", "W4", "W5", "W6"}
TORCH_PYTHON = os.environ.get("TORCH_PYTHON")


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
    seconds = wall if workload in ("W7", "W8") else sum(float(row["wall_seconds"]) for row in rows)
    return seconds, rss, flops


def w8_numpy_side(precision, scale, env):
    command = [sys.executable, os.path.join(ROOT, "tools", "bench_w8_numpy.py"), "--processes", "2",
               "--scale", str(scale), "--dtype", precision]
    _, rss, stdout = run_measured(command, env)
    return json.loads(stdout.strip().splitlines()[-1])["seconds"], rss


def torch_side(workload, precision, scale, mode, env):
    """bench_torch.py's median of one repeat (its own timing of the training loop)."""
    command = [TORCH_PYTHON, os.path.join(os.path.dirname(REFERENCE), "bench_torch.py"), "--only", workload,
               "--dtype", precision, "--mode", mode, "--threads", env["OPENBLAS_NUM_THREADS"], "--repeats", "1",
               "--scale", str(scale)]
    _, _, stdout = run_measured(command, env)
    for line in stdout.splitlines():
        if line.startswith(workload + " ") and "median=" in line:
            return float(line.split("median=")[1].split("s")[0])
    sys.exit(f"bench: no median in bench_torch.py's output:\n{stdout}")


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
    parser.add_argument("--only", default="W1,W2,W3,W4,W5,W6,W7,W8")
    parser.add_argument("--precision", default="float64,float32")
    parser.add_argument("--w8-scale", type=float, default=0.25,
                        help="fraction of W8's 2 000 iterations (default 0.25; with --quick, a tenth of it)")
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
            variants = [("serial", 1), ("pool2", 2)] if workload == "W7" \
                else [("jobs1", 1), ("jobs2", 2)] if workload == "W8" else [("", 1)]
            w8 = workload == "W8"
            workload_scale = args.w8_scale * scale if w8 else scale
            pairs = min(args.pairs, 2) if w8 else args.pairs
            torch_modes = ["manual", "autograd"] if TORCH_PYTHON and workload in TORCH_WORKLOADS else []
            for variant, jobs in variants:
                def theirs_once():
                    if w8:
                        return w8_numpy_side(precision, workload_scale, env)
                    return numpy_side(workload, precision, workload_scale, variant, env)
                if not args.quick and not w8:                             # warm-up
                    netsweep(workload, precision, workload_scale, jobs, env)
                    theirs_once()
                ours, theirs, our_rss, their_rss, flops = [], [], [], [], 0.0
                torch_times = {mode: [] for mode in torch_modes}
                for _ in range(pairs):
                    seconds, rss, flops = netsweep(workload, precision, workload_scale, jobs, env)
                    ours.append(seconds); our_rss.append(rss)
                    seconds, rss = theirs_once()
                    theirs.append(seconds); their_rss.append(rss)
                    for mode in torch_modes:
                        torch_times[mode].append(torch_side(workload, precision, workload_scale, mode, env))
                a, b = statistics.median(ours), statistics.median(theirs)
                row = {"workload": workload + (f" {variant}" if variant else ""), "name": NAMES[workload],
                       "precision": precision, "blas_threads": 1 if jobs > 1 else threads,
                       "netsweep_median_s": round(a, 4), "numpy_median_s": round(b, 4), "ratio": round(b / a, 2),
                       "netsweep_gflops": round(flops / a / 1e9, 2),
                       "netsweep_peak_rss_mib": round(max(our_rss), 1), "numpy_peak_rss_mib": round(max(their_rss), 1),
                       "pairs": pairs, "scale": workload_scale}
                if w8:
                    row["netsweep_runs_per_s"] = round(1000 / a, 1)
                    row["numpy_runs_per_s"] = round(1000 / b, 1)
                for mode, times in torch_times.items():
                    row[f"torch_{mode}_median_s"] = round(statistics.median(times), 4)
                    row[f"ratio_torch_{mode}"] = round(statistics.median(times) / a, 2)
                rows.append(row)
                print(f"{row['workload']:10s} {precision:8s} NetSweep {a:8.3f}s  NumPy {b:8.3f}s  ratio {b / a:6.2f}x  "
                      f"{row['netsweep_gflops']:6.2f} GFLOP/s  RSS {row['netsweep_peak_rss_mib']:7.1f} / "
                      f"{row['numpy_peak_rss_mib']:7.1f} MiB"
                      + "".join(f"  torch {mode} {row[f'ratio_torch_{mode}']:5.2f}x" for mode in torch_times)
                      + (f"  {row['netsweep_runs_per_s']} runs/s vs {row['numpy_runs_per_s']}" if w8 else ""), flush=True)
    path = os.path.join(OUT, "bench.csv")
    with open(path, "w", newline="") as f:
        fields = []
        for row in rows:
            fields += [key for key in row if key not in fields]
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"\nwrote {path} ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, OPENBLAS_NUM_THREADS={threads})")


if __name__ == "__main__":
    main()
