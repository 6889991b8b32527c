#!/usr/bin/env bash
# make spreadsheet-test: runs tools/spreadsheet/sweep.yaml and runner predict on its best run, opens
# summary.csv, curves.csv, accuracy_table.csv, expectations.csv and predictions.csv in LibreOffice
# Calc headlessly — with "detect special numbers" on and off —
# and checks every cell's type and value against the CSV (check.py): converted to .fods (types,
# numbers to the 15 digits the file holds) and read through UNO (numbers exactly). A negative
# control (bare-digit ids, as runner 0.2 wrote them) must fail the same check.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNNER=${RUNNER:-.build/release/runner}
work=$(mktemp -d /tmp/netsweep-spreadsheet.XXXXXX)
trap 'rm -rf "$work"' EXIT
export HOME="$work"   # LibreOffice's profile, away from the user's

# Exit 1: some runs diverge on purpose (their cells must be empty, not NaN).
"$RUNNER" tools/spreadsheet/sweep.yaml --out "$work/results" --quiet --jobs 2 --no-html > "$work/run.log" || true
results="$work/results/spreadsheet"
# Predictions go beside the results folder: runner refuses to write into one (the reports own it).
"$RUNNER" predict --best "$results" --out "$work/predictions.csv" 2> "$work/predict.log" ||
  { echo "make spreadsheet-test: runner predict failed:"; cat "$work/predict.log"; exit 1; }
files=("$results/summary.csv" "$results/curves.csv" "$results/accuracy_table.csv" "$results/expectations.csv"
       "$work/predictions.csv")
for file in "${files[@]}"; do
  [ -s "$file" ] || { echo "make spreadsheet-test: $file was not written"; exit 1; }
done

convert() {  # convert OPTIONS OUT_DIR FILE...
  local options=$1 out=$2
  shift 2
  mkdir -p "$out"
  soffice --headless --norestore "-env:UserInstallation=file://$work/profile" --infilter="CSV:$options" \
    --convert-to fods --outdir "$out" "$@" > /dev/null 2>&1
  /usr/bin/python3 tools/spreadsheet/calc_cells.py "$options" "$out" "$@"
}

failed=0
for detect in true false; do
  options="44,34,76,1,,1033,false,$detect"   # comma, double quote, UTF-8, from line 1, en-US
  echo "make spreadsheet-test: Calc's CSV import with detect special numbers = $detect"
  convert "$options" "$work/calc-$detect" "${files[@]}"
  for file in "${files[@]}"; do
    name=$(basename "$file" .csv)
    python3 tools/spreadsheet/check.py "$file" "$work/calc-$detect/$name.fods" --text-column run_id || failed=1
    python3 tools/spreadsheet/check.py "$file" "$work/calc-$detect/$name.calc.json" --text-column run_id || failed=1
  done
done

# The check must be able to fail: ids of runner 0.2 that Calc takes for numbers.
printf 'run_id,cost\r\n001234567890,1\r\n1234567890e1,0.5\r\nr001234567890,0.25\r\n' > "$work/control.csv"
convert "44,34,76,1,,1033,false,true" "$work/control" "$work/control.csv"
if python3 tools/spreadsheet/check.py "$work/control.csv" "$work/control/control.calc.json" --text-column run_id > "$work/control.log"; then
  echo "make spreadsheet-test: the negative control passed: the check cannot see a number-like id"
  failed=1
else
  echo "make spreadsheet-test: negative control (0.2-style ids 001234567890, 1234567890e1) caught:"
  sed 's/^/  /' "$work/control.log" | head -3
fi
if [ "$failed" -ne 0 ]; then
  echo "make spreadsheet-test: FAILED"
  exit 1
fi
echo "make spreadsheet-test: every cell of the five CSVs is what it should be in LibreOffice Calc"
