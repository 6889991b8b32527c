#!/usr/bin/env python3
"""W8 on the NumPy side: the 1 000 runs of bench/W8.yaml (2-h-1 on W4's data, 10 widths ×
4 activations × 5 learning rates × 5 seeds, 2 000 iterations each, the cost computed where it is
recorded) through the reference's numpy_mlp.train_full_batch, in a multiprocessing.Pool of
--processes workers (fork, data built before the fork). Prints one JSON line:
{"seconds": wall time of the pool, "runs": 1000, "runs_per_second": ...}.

  python3 tools/bench_w8_numpy.py [--processes 2] [--scale 0.1] [--dtype float64]
"""
import argparse
import json
import multiprocessing as mp
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.dirname(os.environ.get("NETSWEEP_REFERENCE") or os.path.normpath(
    os.path.join(ROOT, "..", "shared", "reference", "bench_numpy.py")))
sys.path.insert(0, REFERENCE)
import numpy as np  # noqa: E402
import numpy_mlp as nm  # noqa: E402
import bench_numpy as bn  # noqa: E402

WIDTHS = [1, 2, 3, 4, 6, 8, 12, 16, 32, 64]
ACTIVATIONS = ["tanh", "relu", "sigmoid", "leaky_relu"]
LEARNING_RATES = [0.05, 0.1, 0.2, 0.5, 1.0]
SEEDS = [1, 2, 3, 4, 5]
ITERATIONS = 2000


def job(arguments):
    width, activation, learning_rate, seed, iterations, dtype = arguments
    X, Y = bn.get_data(bn.WORKLOADS["W4"], np.dtype(dtype))
    result = nm.train_full_batch(X, Y, [2, width, 1], iterations=iterations, lr=learning_rate,
                                 hidden=activation, output="sigmoid", seed=seed)
    return result.final_cost


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    args = parser.parse_args()
    np.seterr(all="ignore")  # a diverging run computes NaNs, as the runner's stops early
    iterations = max(1, round(ITERATIONS * args.scale))
    jobs = [(w, a, lr, s, iterations, args.dtype)
            for w in WIDTHS for a in ACTIVATIONS for lr in LEARNING_RATES for s in SEEDS]
    bn.get_data(bn.WORKLOADS["W4"], np.dtype(args.dtype))  # before the fork and the clock
    start = time.perf_counter()
    with mp.get_context("fork").Pool(args.processes) as pool:
        costs = pool.map(job, jobs, chunksize=4)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "runs": len(jobs), "runs_per_second": len(jobs) / seconds,
                      "iterations": iterations, "non_finite": sum(1 for c in costs if not np.isfinite(c))}))


if __name__ == "__main__":
    main()
