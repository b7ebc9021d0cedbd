#!/usr/bin/env bash
# The load curve of docs/benchmarks.md (issue 12 item 6): `gridledger cluster`
# at each rate, one run at a time, REPEAT times, then a Markdown table of the
# per-rate medians (scripts/bench_table.py). Each run's JSON, summary and the
# 1-minute load average before it are kept in OUT_DIR.
#
# usage: scripts/bench-curve.sh [OUT_DIR=/tmp/gl-curve] [REPEAT=1] [RATES="500 1000 2000 3000 4000 6000"]
set -euo pipefail
out="${1:-/tmp/gl-curve}"
repeat="${2:-1}"
rates="${3:-500 1000 2000 3000 4000 6000}"
bin="${GRIDLEDGER:-build/tools/gridledger}"
duration="${DURATION:-20s}"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$out"
for r in $(seq 1 "$repeat"); do
  for rate in $rates; do
    name="$out/rate-$rate-run-$r"
    cut -d' ' -f1 /proc/loadavg >"$name.load"
    "$bin" cluster --validators=4 --duration="$duration" --rate="$rate" --json="$name.json" \
      >"$name.txt" 2>&1 || echo "bench-curve: rate $rate run $r exited $?" >&2
  done
done
python3 "$here/bench_table.py" "$out"
