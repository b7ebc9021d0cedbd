#!/usr/bin/env bash
# Idle CPU per validator (issue 12: at most 1 % of a core): writes a 4-validator
# deployment with `gridledger cluster --keep`, starts its validators with no
# load, lets them settle, then reads each one's utime+stime from /proc over a
# window. Stops only the processes it started, by pid.
#
# usage: scripts/idle-cpu.sh [SETTLE_S=5] [WINDOW_S=20] [EXTRA cluster flags, e.g. --header_delay_ms=25]
set -euo pipefail
settle="${1:-5}"
window="${2:-20}"
shift $(( $# > 2 ? 2 : $# )) || true
bin="$(realpath "${GRIDLEDGER:-build/tools/gridledger}")"
dir="$(mktemp -d /tmp/gl-idle.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
# A short run only to write genesis, keys and node configs (then stopped).
"$bin" cluster --validators=4 --duration=2s --rate=1 --drain=2s --keep --dir="$dir/d" "$@" \
  >"$dir/cluster.txt" 2>&1 || { cat "$dir/cluster.txt" >&2; exit 1; }
for i in 0 1 2 3; do
  "$bin" node --config="$dir/d/node-0-$i.toml" >"$dir/node-$i.log" 2>&1 &
  pids+=("$!")
done
sleep "$settle"
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz="$(getconf CLK_TCK)"
# Per thread name, summed over the validators: which threads still wake.
thread_ticks() {
  for p in "${pids[@]}"; do
    for t in /proc/"$p"/task/*; do
      # comm may hold spaces: the fields after the ")" are fixed.
      sed -E 's/^[0-9]+ \((.*)\) (.*)$/\1|\2/' "$t/stat" 2>/dev/null |
        awk -F'|' '{ split($2, f, " "); print $1, f[12] + f[13] }'
    done
  done | awk '{ t[$1] += $2 } END { for (n in t) print n, t[n] }' | sort
}
declare -a before
for k in "${!pids[@]}"; do before[$k]="$(ticks "${pids[$k]}")"; done
thread_ticks >"$dir/threads-before"
sleep "$window"
thread_ticks >"$dir/threads-after"
echo "idle CPU per validator over ${window} s (after ${settle} s settling), % of one core:"
for k in "${!pids[@]}"; do
  after="$(ticks "${pids[$k]}")"
  awk -v a="$after" -v b="${before[$k]}" -v hz="$hz" -v w="$window" -v k="$k" \
    'BEGIN { printf "  validator %d: %.2f %%\n", k, 100 * (a - b) / hz / w }'
done
echo "CPU ticks by thread over the window, all validators (1 tick = $((1000 / hz)) ms):"
join -a 2 -e 0 -o 0,1.2,2.2 "$dir/threads-before" "$dir/threads-after" |
  awk '$3 - $2 > 0 { printf "  %-18s %d\n", $1, $3 - $2 }' | sort -k2 -n -r
