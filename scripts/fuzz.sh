#!/usr/bin/env bash
# Builds the libFuzzer targets in the clang sanitizer build (build-fuzz/,
# scripts/sanitizer-build.sh, shared with `make test-asan`) and runs each one
# for FUZZ_SECONDS over its committed seed corpus (tests/fuzz/corpus/<target>),
# JOBS targets at a time (default nproc; each libFuzzer run is single-threaded),
# with new inputs kept in build-fuzz/corpus/<target> and its output in
# build-fuzz/fuzz-<target>.log. Prints executions per target in target order
# (also in build-fuzz/fuzz-summary.txt); exits non-zero when any target finds a
# crash (its input is saved as build-fuzz/artifacts/<target>/crash-*: turn it
# into a regression test).
#   scripts/fuzz.sh [SECONDS] [TARGET...]      (default 30 s, every target)
#   GL_FUZZ_SEEDS=1 scripts/fuzz.sh            rewrite the seed corpora
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
build=build-fuzz
jobs=${JOBS:-$(nproc)}
bash scripts/sanitizer-build.sh fuzz_targets
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cd "$build/tests/fuzz" && ls -1 ./*_fuzz | sed 's|^\./||')
fi
if [ "${GL_FUZZ_SEEDS:-0}" = "1" ]; then
  for t in "${targets[@]}"; do
    seeds="tests/fuzz/corpus/$t"
    rm -rf "$seeds" && mkdir -p "$seeds"
    GL_FUZZ_WRITE_SEEDS="$seeds" "$build/tests/fuzz/$t"
  done
  exit 0
fi

# Runs target $1 and writes its summary line to $results/$1.line and, when it
# failed, a marker $results/$1.failed.
results="$build/fuzz-results"
rm -rf "$results" && mkdir -p "$results"
fuzz_one() {
  local t=$1
  local exe="$build/tests/fuzz/$t"
  local seeds="tests/fuzz/corpus/$t"
  local work="$build/corpus/$t"
  local artifacts="$build/artifacts/$t/"
  local log="$build/fuzz-$t.log"
  mkdir -p "$work" "$artifacts" "$seeds"
  local rc=0
  "$exe" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="$artifacts" "$work" "$seeds" >"$log" 2>&1 || rc=$?
  local execs corpus
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  corpus=$(ls -1 "$work" | wc -l)
  if [ $rc -ne 0 ]; then
    echo "$t: FAILED (exit $rc) after $execs executions; see $log and $artifacts" >"$results/$t.line"
    : >"$results/$t.failed"
  else
    echo "$t: ok, $execs executions in ${seconds} s, corpus $corpus inputs" >"$results/$t.line"
  fi
}

echo "fuzz: ${#targets[@]} targets, ${seconds} s each, $jobs at a time"
running=0
for t in "${targets[@]}"; do
  if [ $running -ge "$jobs" ]; then
    wait -n || true  # fuzz_one records its own result
    running=$((running - 1))
  fi
  fuzz_one "$t" &
  running=$((running + 1))
done
wait || true

summary="$build/fuzz-summary.txt"
: >"$summary"
failed=0
for t in "${targets[@]}"; do
  if [ ! -e "$results/$t.line" ]; then
    echo "$t: FAILED (no result; see $build/fuzz-$t.log)" >"$results/$t.line"
    : >"$results/$t.failed"
  fi
  if [ -e "$results/$t.failed" ]; then
    failed=1
    tail -40 "$build/fuzz-$t.log" >&2 || true
  fi
  line=$(cat "$results/$t.line")
  echo "fuzz: $line"
  echo "$line" >>"$summary"
done
exit $failed
