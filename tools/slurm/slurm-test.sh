#!/usr/bin/env bash
# make slurm-test: a 24-run sweep through a real (one-node) Slurm cluster, compared byte for byte
# with a local run; then a cancelled task, a merge that reports it, and a re-submission that
# runs only what was missing.
#
# Needs root (the cluster's daemons) and the Debian packages slurmctld slurmd slurm-client munge
# (the Makefile installs them). The cluster lives under $SLURM_LOCAL_DIR and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNNER=$PWD/.build/release/runner
EXPERIMENT=$PWD/tools/slurm/sweep24.yaml
WORK=$(mktemp -d "${TMPDIR:-/tmp}/netsweep-slurm-test.XXXXXX")
chmod 0755 "$WORK"   # munged wants every folder above its socket searchable
export SLURM_LOCAL_DIR=$WORK/cluster
export SLURM_LOCAL_LINK_ETC=0
log() { echo "[slurm-test $(date +%T)] $*"; }
fail() { echo "[slurm-test] FAIL: $*" >&2; exit 1; }
cleanup() {
  tools/slurm/stop-local-cluster.sh --purge >/dev/null 2>&1 || true
  [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

# wait_until SECONDS MESSAGE COMMAND…: polls COMMAND every 0.2 s; fails with MESSAGE at the deadline.
wait_until() {
  local limit=$(( SECONDS + $1 )) message=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $limit ] || fail "$message"
    sleep 0.2
  done
}
running() { [ "$(squeue -h -j "$1" -o %T 2>/dev/null)" = RUNNING ]; }
# submit DIR [OPTIONS…]: submits the sweep into DIR and prints the array job id.
submit() {
  local out=$1; shift
  "$RUNNER" slurm "$EXPERIMENT" --tasks 4 --out "$out" "$@" >"$WORK/submit.log"
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["array_job"])' "$out/slurm24/slurm/submission.json"
}
# merge_code DIR: waits for the merge job of DIR and prints its exit code.
merge_code() {
  wait_until 300 "the merge job of $1 did not end" test -s "$1/slurm24/slurm/merge.exit"
  cat "$1/slurm24/slurm/merge.exit"
}

tools/slurm/start-local-cluster.sh
# shellcheck disable=SC1091
. "$SLURM_LOCAL_DIR/env.sh"

# without_wall CSV: the file without its wall_seconds column (no cell of these files holds a comma).
without_wall() {
  awk -F, '{ sub(/\r$/, "") } NR == 1 { for (i = 1; i <= NF; i++) if ($i == "wall_seconds") w = i }
           { out = ""; for (i = 1; i <= NF; i++) if (i != w) out = out (out == "" && i == 1 ? "" : ",") $i; print out }' "$1"
}
# compare A B [RUNS]: the three reports (summary.csv without its wall_seconds column) and every params.npz.
compare() {
  local a=$1 b=$2 runs=${3:-24} file
  for file in curves.csv accuracy_table.csv; do
    cmp -s "$a/$file" "$b/$file" || { diff "$a/$file" "$b/$file" | head -5; fail "$file differs between $a and $b"; }
  done
  # Without the wall_seconds column (found by its header: halving adds columns after it).
  diff <(without_wall "$a/summary.csv") <(without_wall "$b/summary.csv") >/dev/null \
    || { diff <(without_wall "$a/summary.csv") <(without_wall "$b/summary.csv") | head -5; fail "summary.csv differs"; }
  local count=0
  for params in "$a"/runs/*/params.npz; do
    cmp -s "$params" "$b/runs/$(basename "$(dirname "$params")")/params.npz" || fail "$params differs"
    count=$((count + 1))
  done
  [ "$count" -eq "$runs" ] || fail "$count params.npz in $a, expected $runs"
  log "identical: summary.csv (apart from wall times), curves.csv, accuracy_table.csv, $count params.npz"
}

log "local run, --jobs 2"
"$RUNNER" "$EXPERIMENT" --jobs 2 --quiet --out "$WORK/local" >/dev/null

log "the same sweep as 4 array tasks + merge, through sbatch"
"$RUNNER" slurm "$EXPERIMENT" --tasks 4 --out "$WORK/cluster" --wait --wait-timeout 600
compare "$WORK/local/slurm24" "$WORK/cluster/slurm24"

log "the time-limit warning (SIGUSR1, as --signal=B:USR1@N sends it): the task stops, requeues itself and finishes"
array=$(submit "$WORK/requeue")
wait_until 120 "task 0 of array $array never ran" \
  sh -c "pgrep -f -- '--out $WORK/requeue .*--shard 0/4' && ls $WORK/requeue/slurm24/runs/*/claim"
sleep 1
# What --signal=B:USR1@N makes slurmd do, done directly on this one node: SIGUSR1 to the batch
# shell, which is the runner (exec). (scancel --batch --signal=USR1 races the task's own
# requeue: its request is retried for about 90 s and then signals the requeued task again.)
kill -USR1 "$(pgrep -f -- "--out $WORK/requeue .*--shard 0/4" | head -1)"
# Slurm holds a requeued job back for a while (its begin time is set ahead); release it at once.
task_log="$WORK/requeue/slurm24/slurm/logs/task-${array}_0.out"
wait_until 60 "task 0 did not requeue itself after SIGUSR1" grep -q "requeueing Slurm job ${array}_0" "$task_log"
for _ in $(seq 1 300); do
  state=$(squeue -h -j "${array}_0" -o "%T %r" 2>/dev/null || true)
  case "$state" in
    "PENDING BeginTime"*) scontrol update JobId="${array}_0" StartTime=now >/dev/null 2>&1 || true ;;
    RUNNING*) [ "${seen_pending:-0}" = 1 ] && break ;;
  esac
  case "$state" in PENDING*) seen_pending=1 ;; esac
  sleep 0.2
done
code=$(merge_code "$WORK/requeue")
[ "$code" = 0 ] || { cat "$WORK"/requeue/slurm24/slurm/logs/merge-*.out; fail "the merge after a requeued task exited $code"; }
compare "$WORK/local/slurm24" "$WORK/requeue/slurm24"

log "cancel one task mid-run"
array=$(submit "$WORK/cancel" --parallel 4)
wait_until 120 "task 1 of array $array never ran" running "${array}_1"
sleep 1.5
for _ in $(seq 1 50); do scancel "${array}_1" 2>/dev/null && break; sleep 0.3; done
code=$(merge_code "$WORK/cancel")
merge_log=$(ls "$WORK"/cancel/slurm24/slurm/logs/merge-*.out)
[ "$code" = 4 ] || { cat "$merge_log"; fail "the merge after a cancelled task exited $code, expected 4"; }
missing=$(grep -c "^missing: run .*, shard 1," "$merge_log" || true)
others=$(grep "^missing: " "$merge_log" | grep -vc ", shard 1," || true)
[ "$missing" -ge 1 ] && [ "$others" -eq 0 ] || { cat "$merge_log"; fail "expected missing runs of shard 1 only"; }
log "the merge exited 4 and listed $missing missing runs, all of shard 1"

log "re-submit: only the missing runs execute"
"$RUNNER" slurm "$EXPERIMENT" --tasks 4 --out "$WORK/cancel" --wait --wait-timeout 600 | tee "$WORK/resubmit.log"
grep -q "1 of 4 shards have runs to do" "$WORK/resubmit.log" || fail "the re-submission did not submit shard 1 alone"
task_log=$(ls -t "$WORK"/cancel/slurm24/slurm/logs/task-*_1.out | head -1)
grep -q "shard 1/4: .* — $missing run now" "$task_log" || { cat "$task_log"; fail "the re-submitted task did not run exactly the $missing missing runs"; }
compare "$WORK/local/slurm24" "$WORK/cancel/slurm24"

log "successive halving as 3 array tasks sharing each rung, against a local run"
HALVING=$PWD/tools/slurm/halving9.yaml
"$RUNNER" "$HALVING" --jobs 2 --quiet --out "$WORK/local" >/dev/null
"$RUNNER" slurm "$HALVING" --tasks 3 --out "$WORK/halving" --wait --wait-timeout 600 > "$WORK/halving.log" \
  || { cat "$WORK/halving.log" "$WORK"/halving/halving9/slurm/logs/*.out; fail "the halving sweep on Slurm failed"; }
cmp -s "$WORK/local/halving9/schedule.json" "$WORK/halving/halving9/schedule.json" \
  || { diff "$WORK/local/halving9/schedule.json" "$WORK/halving/halving9/schedule.json" | head; fail "schedule.json differs"; }
grep -q "^successive halving (eta 3, validation_cost): 9 → 3 → 1 runs" "$WORK/halving.log" \
  || { cat "$WORK/halving.log"; fail "the merge did not print the halving line"; }
compare "$WORK/local/halving9" "$WORK/halving/halving9" 9
tasks=$(grep -l "halving9 shard" "$WORK"/halving/halving9/slurm/logs/task-*.out | wc -l)
waited=$(cat "$WORK"/halving/halving9/slurm/logs/task-*.out | grep -c "successive halving: waiting at the" || true)
log "schedule.json identical; $tasks tasks ran, $waited waits at a rung for another task's runs"
log "passed"
