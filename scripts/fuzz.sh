#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each one for
# FUZZ_SECONDS over its committed seed corpus (tests/fuzz/corpus/<target>),
# with new inputs kept in build-fuzz/corpus/<target>. Prints executions per
# target; exits non-zero when any target finds a crash (its input is saved as
# build-fuzz/artifacts/<target>/crash-*: turn it into a regression test).
#   scripts/fuzz.sh [SECONDS] [TARGET...]      (default 30 s, every target)
#   GL_FUZZ_SEEDS=1 scripts/fuzz.sh            rewrite the seed corpora
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
build=build-fuzz
if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGRIDLEDGER_FUZZ=ON ${CMAKE_FLAGS:-} >/dev/null
cmake --build "$build" -j "$(nproc)" --target fuzz_targets
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cd "$build/tests/fuzz" && ls -1 ./*_fuzz | sed 's|^\./||')
fi
summary="$build/fuzz-summary.txt"
: >"$summary"
failed=0
for t in "${targets[@]}"; do
  exe="$build/tests/fuzz/$t"
  seeds="tests/fuzz/corpus/$t"
  if [ "${GL_FUZZ_SEEDS:-0}" = "1" ]; then
    rm -rf "$seeds" && mkdir -p "$seeds"
    GL_FUZZ_WRITE_SEEDS="$seeds" "$exe"
    continue
  fi
  work="$build/corpus/$t"
  artifacts="$build/artifacts/$t/"
  mkdir -p "$work" "$artifacts" "$seeds"
  log="$build/fuzz-$t.log"
  rc=0
  "$exe" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="$artifacts" "$work" "$seeds" >"$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  corpus=$(ls -1 "$work" | wc -l)
  if [ $rc -ne 0 ]; then
    failed=1
    line="$t: FAILED (exit $rc) after $execs executions; see $log and $artifacts"
    tail -40 "$log" >&2
  else
    line="$t: ok, $execs executions in ${seconds} s, corpus $corpus inputs"
  fi
  echo "fuzz: $line"
  echo "$line" >>"$summary"
done
exit $failed
