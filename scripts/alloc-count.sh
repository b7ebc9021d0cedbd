#!/usr/bin/env bash
# Heap allocations per committed transaction (issue 12 item 4): runs
# `gridledger cluster` at a fixed load with scripts/alloc_count_preload.c
# preloaded (every process counts its malloc/calloc/realloc/aligned/free calls
# in /dev/shm/gl-alloc.PID), waits until the load is 3 s in, and reads the
# validators' counters and CPU time (/proc/PID/stat) at the start and end of a
# SECONDS window. Per committed tx per validator = window count /
# (committed TPS x SECONDS x validators), committed TPS from the cluster's
# steady window. Uprobes on libc's malloc would count the same but trap on
# every call: at 4000 tx/s they stalled the cluster (no commit for 13 s).
# With SITES=1 it then records validator 0 for SECONDS/2 with
# `perf record --call-graph dwarf` (CPU samples) and prints who calls malloc,
# free and memcmp (needs perf and root).
#
# usage: scripts/alloc-count.sh [RATE=4000] [SECONDS=15] [OUT_DIR=/tmp/gl-alloc]
set -euo pipefail
rate="${1:-4000}"
seconds="${2:-15}"
out="${3:-/tmp/gl-alloc}"
bin="${GRIDLEDGER:-build/tools/gridledger}"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$out"
rm -f "$out"/sites.data "$out"/counts-*.txt
cc -O2 -shared -fPIC -o "$out/alloc_count.so" "$here/alloc_count_preload.c"
extra=0
[ "${SITES:-0}" = 1 ] && extra=$((seconds / 2 + 2))
duration=$((seconds + 8 + extra))
LD_PRELOAD="$out/alloc_count.so" "$bin" cluster --validators=4 --duration="${duration}s" \
  --rate="$rate" --json="$out/cluster.json" >"$out/cluster.txt" 2>&1 &
harness=$!
trap 'kill "$harness" 2>/dev/null || true; rm -f /dev/shm/gl-alloc.*' EXIT
for _ in $(seq 1 600); do
  grep -q "all .* validators ready" "$out/cluster.txt" 2>/dev/null && break
  sleep 0.1
done
sleep 3
pids="$(pgrep -d' ' -P "$harness" || true)"
[ -n "$pids" ] || { echo "alloc-count: no validator processes under $harness" >&2; exit 1; }
snapshot() {  # pid malloc calloc realloc aligned free cpu_ticks, one line a validator
  for pid in $pids; do
    python3 - "$pid" <<'PY'
import struct, sys
pid = sys.argv[1]
raw = open(f"/dev/shm/gl-alloc.{pid}", "rb").read()
words = struct.unpack(f"{len(raw) // 8}Q", raw)
sums = [sum(words[s * 8 + k] for s in range(len(words) // 8)) for k in range(5)]
stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
print(pid, *sums, int(stat[11]) + int(stat[12]))
PY
  done
}
echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)" >"$out/load.txt"
snapshot >"$out/counts-begin.txt"
sleep "$seconds"
snapshot >"$out/counts-end.txt"
echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)" >>"$out/load.txt"
if [ "${SITES:-0}" = 1 ]; then
  first="${pids%% *}"
  perf record -e cpu-clock -F 999 --call-graph dwarf,16384 -p "$first" -o "$out/sites.data" \
    -- sleep "$((seconds / 2))" >"$out/sites-record.txt" 2>&1 || true
fi
wait "$harness" || true
trap - EXIT
rm -f /dev/shm/gl-alloc.*
python3 - "$out" "$seconds" "$(getconf CLK_TCK)" <<'PY'
import json, sys
out, seconds, hz = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
def load(name):
    return {l.split()[0]: [int(x) for x in l.split()[1:]] for l in open(f"{out}/{name}")}
b, e = load("counts-begin.txt"), load("counts-end.txt")
d = [sum(e[p][k] - b[p][k] for p in b) for k in range(6)]
c = json.load(open(f"{out}/cluster.json"))
w = c["steady_window"]
tps = w["committed"] / (w["end_s"] - w["begin_s"]) if w.get("measured") else c["tps_steady"]
n = len(b)
txs = tps * seconds * n
print(f"rate {c['config']['rate']} committed/s {tps:.0f} (steady) over a {seconds:.0f} s window, {n} validators")
print(f"allocations per committed tx per validator: {(d[0] + d[1] + d[2] + d[3]) / txs:.1f} "
      f"(malloc {d[0] / txs:.1f}, calloc {d[1] / txs:.1f}, realloc {d[2] / txs:.1f}, "
      f"aligned {d[3] / txs:.1f}; free {d[4] / txs:.1f})")
print(f"validator CPU in the window: {d[5] / hz * 1e6 / txs:.0f} us per committed tx per validator")
print(f"cluster: p50 {c['latency_ms']['p50']:.0f} ms, committed {c['committed']}/{c['sent']}, "
      f"lost {c['lost']}, steady CPU {w.get('validator_cpu_us_per_tx', 0)} us/tx (4 validators)")
PY
cat "$out/load.txt"
if [ -s "$out/sites.data" ]; then
  perf report -i "$out/sites.data" --stdio --no-children -G --percent-limit 0.3 \
    --symbols=malloc,free,_int_malloc,_int_free,cfree,__memcmp_evex_movbe,__memmove_evex_unaligned_erms \
    >"$out/sites.txt" 2>/dev/null || true
  echo "call graphs of malloc/free/memcmp/memmove in $out/sites.txt"
fi
