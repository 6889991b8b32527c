#!/usr/bin/env python3
"""Plan, status and merge times of a synthetic sweep split into shards (README, "Running on a
cluster"). The runs are not trained: shard 0's are, and the first one's record, curve and
parameters are copied to every other run of the plan with that run's id, index and swept values, as a finished sweep would
leave them. Usage: tools/slurm/scale.py [RUNS ...] (default 1000 10000), with the release
runner built (make build). Prints one line per size; writes nothing outside a temporary folder."""
import json, os, shutil, subprocess, sys, tempfile, time

RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".build", "release", "runner")
SHARDS = 100


def timed(arguments, cwd, ok=(0,)):
    start = time.perf_counter()
    result = subprocess.run([RUNNER] + arguments, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in ok:
        sys.exit(f"runner {' '.join(arguments)}: exit {result.returncode}: {result.stderr}")
    return elapsed


def measure(runs, folder):
    widths = 100
    rates = runs // widths
    experiment = os.path.join(folder, "scale.yaml")
    with open(experiment, "w") as f:
        f.write("name: scale\n"
                "dataset: {generator: moons, n: 100, seed: 7}\n"
                "model: {depth: 1, width: 4, activation: tanh, output: sigmoid}\n"
                "training: {optimizer: gd, learning_rate: 0.1, iterations: 200, record_every: 50}\n"
                "sweep:\n"
                f"  width: [{', '.join(str(w) for w in range(1, widths + 1))}]\n"
                f"  learning_rate: [{', '.join(repr(0.001 * (i + 1)) for i in range(rates))}]\n")
    limit = ["--max-runs", str(max(runs, 10000))]
    plan = timed(["plan", experiment] + limit, folder)
    submit = timed(["slurm", experiment, "--tasks", str(SHARDS), "--dry-run"] + limit, folder)
    results = os.path.join(folder, "results", "scale")
    # The runs of shard 0 are trained; the first one's files are copied to every other run.
    timed([experiment, "--shard", f"0/{SHARDS}", "--quiet"] + limit, folder)
    with open(os.path.join(results, "plan.json")) as f:
        entries = json.load(f)["runs"]
    done = [e for e in entries if os.path.exists(os.path.join(results, "runs", e["id"], "record.json"))]
    template_dir = os.path.join(results, "runs", done[0]["id"])
    with open(os.path.join(template_dir, "record.json")) as f:
        template = json.load(f)
    start = time.perf_counter()
    for entry in entries:
        run_dir = os.path.join(results, "runs", entry["id"])
        if run_dir == template_dir:
            continue
        os.makedirs(run_dir, exist_ok=True)
        record = dict(template, id=entry["id"], index=entry["index"],
                      configuration_index=entry["configuration_index"], swept_values=entry["swept_values"])
        with open(os.path.join(run_dir, "record.json"), "w") as f:
            json.dump(record, f)
        for name in ("curve.csv", "params.npz"):
            shutil.copyfile(os.path.join(template_dir, name), os.path.join(run_dir, name))
    written = time.perf_counter() - start
    status = timed(["status", results], folder)
    merge = timed(["merge", results], folder)
    with open(os.path.join(results, "summary.csv")) as f:
        rows = sum(1 for _ in f) - 1
    assert rows == runs, rows
    report = os.path.getsize(os.path.join(results, "report.html")) / 2**20
    merge_csv = timed(["merge", results, "--no-html"], folder)
    render = None
    browser = shutil.which("chromium") or shutil.which("chromium-headless-shell")
    if browser:
        start = time.perf_counter()
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--screenshot=" + os.path.join(folder, "r.png"),
                        "--window-size=1200,2000", "file://" + os.path.join(results, "report.html")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=True)
        render = time.perf_counter() - start
    print(f"{runs:>6} runs, {SHARDS} shards: plan {plan:.2f} s, slurm --dry-run {submit:.2f} s, "
          f"status {status:.2f} s, merge {merge:.2f} s ({merge_csv:.2f} s without the HTML report; "
          f"report.html {report:.1f} MiB" + (f", rendered by Chromium in {render:.1f} s" if render else "") + ")"
          f" (records written in {written:.1f} s)", flush=True)


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    for runs in sizes:
        with tempfile.TemporaryDirectory() as folder:
            measure(runs, folder)


if __name__ == "__main__":
    main()
