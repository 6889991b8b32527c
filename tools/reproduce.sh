#!/usr/bin/env bash
# Runs every reproduction whose data are present (`make reproduce`), re-training from scratch
# (--force), and fails if any expectation fails. A reproduction whose data are missing is
# reported as skipped, never as passed. Prints a summary table at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
RUNNER=${RUNNER:-.build/release/runner}
JOBS=${JOBS:-$(nproc)}
EXPERIMENTS=${EXPERIMENTS:-"toy_backprop planar_hidden_sizes tanh_vs_relu deep_cat cifar_two_layer cs231n_two_layer fashion_mlp mnist_search quickstart lr_depth_width"}

summary=()
failed=0
for name in $EXPERIMENTS; do
  file="experiments/$name.yaml"
  start=$(date +%s)
  echo "=== $name"
  "$RUNNER" "$file" --force --quiet --skip-missing-data --jobs "$JOBS"
  status=$?
  seconds=$(( $(date +%s) - start ))
  case $status in
    0) result="pass" ;;
    3) result="SKIPPED (data missing)" ;;
    *) result="FAIL (exit $status)"; failed=1 ;;
  esac
  summary+=("$(printf '%-22s %-24s %5ss' "$name" "$result" "$seconds")")
done

echo
echo "reproductions:"
printf '%-22s %-24s %6s\n' experiment result time
printf '%s\n' "${summary[@]}"
exit $failed
