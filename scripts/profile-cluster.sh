#!/usr/bin/env bash
# A CPU profile of the validators at a given load (issue 12 item 6): runs
# `gridledger cluster`, waits until its load is 3 s in, records every
# validator process with `perf record -a -g` for SECONDS (system-wide, then
# only the validators' samples), then prints the
# profile grouped by cost (scripts/profile_groups.py) beside the cluster
# SUMMARY. Needs perf (Debian: linux-perf) and perf_event access (root, or
# kernel.perf_event_paranoid <= 1).
#
# usage: scripts/profile-cluster.sh [RATE=4000] [SECONDS=10] [OUT_DIR=/tmp/gl-profile]
set -euo pipefail
rate="${1:-4000}"
seconds="${2:-10}"
out="${3:-/tmp/gl-profile}"
bin="${GRIDLEDGER:-build/tools/gridledger}"
here="$(cd "$(dirname "$0")" && pwd)"
command -v perf >/dev/null || { echo "profile-cluster: perf not installed (apt-get install linux-perf)" >&2; exit 2; }
mkdir -p "$out"
duration=$((seconds + 8))
"$bin" cluster --validators=4 --duration="${duration}s" --rate="$rate" --json="$out/cluster.json" \
  >"$out/cluster.txt" 2>&1 &
harness=$!
trap 'kill "$harness" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  grep -q "all .* validators ready" "$out/cluster.txt" 2>/dev/null && break
  sleep 0.1
done
sleep 3
# Validators are the harness's children that run an execution thread
# (gl-execute): the harness may have other children.
pids=""
for child in $(pgrep -P "$harness" || true); do
  if grep -qx gl-execute /proc/"$child"/task/*/comm 2>/dev/null; then pids="${pids:+$pids,}$child"; fi
done
[ -n "$pids" ] || { echo "profile-cluster: no validator processes under $harness" >&2; exit 1; }
# System-wide, then only the validators' samples in the report: attaching to
# the pids (-p) fails when gRPC threads come and go under load.
perf record -a -g -o "$out/perf.data" -- sleep "$seconds" >"$out/perf-record.txt" 2>&1
wait "$harness" || true
trap - EXIT
perf report -i "$out/perf.data" --pid="$pids" --stdio --no-children --sort comm,dso,sym -g none --percent-limit 0 \
  2>/dev/null >"$out/report.txt"
echo "validators $pids, $seconds s at $rate tx/s; perf.data and report.txt in $out"
python3 "$here/profile_groups.py" <"$out/report.txt"
grep -E "Committed TPS|latency|CPU per committed|bound" "$out/cluster.txt" || true
