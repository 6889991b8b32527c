#!/usr/bin/env bash
# make report-test: the HTML report in a real browser. Renders report.html of the quickstart and
# of the planar hidden-size sweep (a 2-D dataset) with headless Chromium, and fails when a page
# takes more than 10 s, logs a console message, holds an <img> (the report has none: a broken
# image would be one), has fewer inline SVG figures than figures/*.svg files, or renders blank.
# KEEP=DIR keeps the screenshots there.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNNER=$PWD/.build/release/runner
WORK=$(mktemp -d "${TMPDIR:-/tmp}/netsweep-report-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
BROWSER=$(command -v chromium || command -v chromium-headless-shell || true)
[ -n "$BROWSER" ] || { echo "report-test: chromium is not installed (make report-test installs it)" >&2; exit 1; }
fail() { echo "[report-test] FAIL: $*" >&2; exit 1; }

for experiment in quickstart planar_hidden_sizes; do
  "$RUNNER" "experiments/$experiment.yaml" --out "$WORK" --quiet >/dev/null || [ $? -eq 1 ] || fail "runner $experiment failed"
  report="$WORK/$experiment/report.html"
  [ -s "$report" ] || fail "$report was not written"
  start=$(date +%s.%N)
  timeout 10 "$BROWSER" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,2600 \
    --enable-logging=stderr --v=0 --screenshot="$WORK/$experiment.png" "file://$report" 2>"$WORK/$experiment.log" >/dev/null \
    || fail "$experiment: the browser did not render the page within 10 s"
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  if grep "CONSOLE" "$WORK/$experiment.log"; then fail "$experiment: the page logged to the console"; fi
  timeout 10 "$BROWSER" --headless --no-sandbox --disable-gpu --dump-dom "file://$report" 2>/dev/null >"$WORK/$experiment.dom"
  svgs=$(grep -o "<svg" "$WORK/$experiment.dom" | wc -l)
  files=$(ls "$WORK/$experiment/figures/"*.svg | wc -l)
  [ "$svgs" -ge "$files" ] && [ "$files" -ge 2 ] || fail "$experiment: $svgs figures in the page, $files files"
  ! grep -q "<img" "$WORK/$experiment.dom" || fail "$experiment: the page holds an <img>"
  python3 tools/png_check.py "$WORK/$experiment.png"
  echo "[report-test] $experiment: rendered in ${seconds:0:4} s, $svgs figures, no console message"
  [ -z "${KEEP:-}" ] || { mkdir -p "$KEEP"; cp "$WORK/$experiment.png" "$WORK/$experiment/report.html" "$KEEP/" ; cp "$WORK/$experiment/report.html" "$KEEP/$experiment.html"; }
done
echo "[report-test] passed"
