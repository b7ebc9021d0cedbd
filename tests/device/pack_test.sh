#!/usr/bin/env bash
# ctest `device_pack_test` (label device-pack): proves that the device pack is
# complete and self-contained without a GPU, from binaries already built.
#   pack_test.sh REPO BUILD_DIR WORK_DIR
# Packs with our own scripts/device-pack-libs.sh (what CI, a clean clone,
# uses) and, when present, ../shared/device/pack.sh; then, for each pack, with
# LD_LIBRARY_PATH cleared: ldd finds every library, run.sh runs
# `gridledger verify-batch` (same answers as the unpacked binary and the
# BIP-340 expectations), the GPU tests (their device cases skip here), the
# benchmark smoke run and the device check's dry run; the non-dry check exits 3
# at once on a machine with no GPU. A packer that leaves libraries out must be
# refused. Exit 77 (skipped) only when the build has no CUDA backend.
set -uo pipefail
repo=$1 build=$2 work=$3
if ! grep -q '^GRIDLEDGER_CUDA:BOOL=ON' "$build/CMakeCache.txt" ||
  ! grep -q '^CMAKE_CUDA_COMPILER:STRING=/' "$build/CMakeCache.txt"; then
  echo "SKIP: nvcc absent at configure time: this build has no CUDA backend to pack"
  exit 77
fi
rm -rf "$work" && mkdir -p "$work"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
data=$repo/tests/device

# Unpacked reference answer.
"$build/tools/gridledger" verify-batch "$data/bip340_vectors.csv" --backend=cpu \
  >"$work/unpacked.txt" 2>/dev/null || fail "unpacked verify-batch failed"
cmp -s "$work/unpacked.txt" "$data/bip340_vectors.expected" || fail "unpacked verify-batch != expected"

# A clean environment: no LD_LIBRARY_PATH, a plain PATH.
clean() { env -i PATH=/usr/bin:/bin HOME="$work" TMPDIR="$work" "$@"; }

check_pack() {
  local label=$1 pack=$2
  echo "== $label: $pack ($(du -sh "$pack" | cut -f1))"
  for bin in "$pack"/bin/*; do
    if clean env LD_LIBRARY_PATH="$pack/lib" ldd "$bin" | grep 'not found'; then
      fail "$label: $(basename "$bin") has unresolved libraries"
    fi
  done
  for backend in cpu gpu; do
    clean "$pack/run.sh" gridledger verify-batch "$data/bip340_vectors.csv" --backend=$backend \
      >"$work/$label-$backend.txt" 2>"$work/$label-$backend.err" ||
      fail "$label: packed verify-batch --backend=$backend exited non-zero: $(cat "$work/$label-$backend.err")"
    cmp -s "$work/$label-$backend.txt" "$work/unpacked.txt" ||
      fail "$label: packed verify-batch --backend=$backend differs from the unpacked binary"
  done
  clean GL_CUDA_TEST_CASES=2048 "$pack/run.sh" gpu_verify_test >"$work/$label-gvt.txt" 2>&1 ||
    fail "$label: packed gpu_verify_test failed: $(tail -5 "$work/$label-gvt.txt")"
  grep -q 'BackendSelectTest.EveryChoiceGivesReferenceResults' "$work/$label-gvt.txt" ||
    fail "$label: packed gpu_verify_test ran no backend test"
  clean "$pack/run.sh" gpu_math_test --gtest_filter='*Bip340*:*Vector*' >"$work/$label-gmt.txt" 2>&1 ||
    fail "$label: packed gpu_math_test failed: $(tail -5 "$work/$label-gmt.txt")"
  grep -q '^\[  PASSED  \] [1-9]' "$work/$label-gmt.txt" || fail "$label: packed gpu_math_test ran no test"
  clean "$pack/run.sh" gridledger_bench --benchmark_filter=BM_GpuMathHostVerify_smoke \
    >"$work/$label-bench.txt" 2>&1 || fail "$label: packed gridledger_bench failed"
  grep -q 'BM_GpuMathHostVerify_smoke' "$work/$label-bench.txt" || fail "$label: bench smoke did not run"
  if ! clean GL_DEVICE_CHECK_DRY=1 OUT="$work/$label-dry" bash "$pack/device-check.sh" \
    >"$work/$label-dry.log" 2>&1 || ! grep -q '^PASS   dry-run' "$work/$label-dry/summary.txt"; then
    fail "$label: device-check dry run: $(cat "$work/$label-dry.log")"
  fi
  if ! command -v nvidia-smi >/dev/null && [ ! -x /usr/local/nvidia/bin/nvidia-smi ]; then
    clean OUT="$work/$label-nogpu" timeout 60 bash "$pack/device-check.sh" >"$work/$label-nogpu.log" 2>&1
    local rc=$?
    [ "$rc" = 3 ] || fail "$label: device-check without a GPU exited $rc, want 3"
    grep -q 'no GPU' "$work/$label-nogpu/summary.txt" || fail "$label: no 'no GPU' reason in the summary"
  fi
}

GL_PACK_SCRIPT="$repo/scripts/device-pack-libs.sh" \
  bash "$repo/scripts/device-pack.sh" "$build" "$work/pack-own" || fail "packing with our own script failed"
check_pack own "$work/pack-own"

# A rehearsal of every step without a GPU, small sizes, no cluster: the GPU
# steps fail (exit 1), the CPU columns of the table are filled, and every
# step's log is in the archive.
clean GL_DEVICE_CHECK_REHEARSAL=1 GL_CUDA_TEST_CASES=512 GL_DEVICE_CHECK_MAX_BATCH=1024 \
  GL_DEVICE_CHECK_RATES= OUT="$work/rehearsal" timeout 120 bash "$work/pack-own/device-check.sh" \
  >"$work/rehearsal.log" 2>&1
rc=$?
if command -v nvidia-smi >/dev/null; then
  echo "note: nvidia-smi present, rehearsal exit status not checked"
elif [ "$rc" != 1 ]; then
  fail "rehearsal without a GPU exited $rc, want 1: $(cat "$work/rehearsal.log")"
fi
for step in differential fused-tx-pass verify-table total; do
  grep -qE "^(PASS|FAIL) +$step " "$work/rehearsal/summary.txt" || fail "rehearsal: no $step row"
done
grep -qE '^ +1024 +[0-9]+ +[0-9]+ ' "$work/rehearsal/summary.txt" ||
  fail "rehearsal: no CPU figures at 1024 in the table: $(cat "$work/rehearsal/summary.txt")"
tar -tzf "$work/rehearsal/device-check.tar.gz" >"$work/rehearsal-files.txt"
grep -q 'differential.txt' "$work/rehearsal-files.txt" ||
  fail "rehearsal: the archive lacks the step logs"
if [ -f "$repo/../shared/device/pack.sh" ]; then
  bash "$repo/scripts/device-pack.sh" "$build" "$work/pack-shared" || fail "packing with shared pack.sh failed"
  check_pack shared "$work/pack-shared"
else
  echo "note: ../shared/device/pack.sh absent (a clean clone): only our own packer checked"
fi

# A packer that copies the binaries but none of their libraries is refused.
cat >"$work/bad-packer.sh" <<'EOF'
#!/usr/bin/env bash
out=$1; shift; mkdir -p "$out/bin" "$out/lib"; cp "$@" "$out/bin/"
printf '#!/usr/bin/env bash\nexit 0\n' >"$out/run.sh"; chmod +x "$out/run.sh"
EOF
if GL_PACK_SCRIPT="$work/bad-packer.sh" bash "$repo/scripts/device-pack.sh" "$build" "$work/pack-bad" \
  >"$work/bad.log" 2>&1; then
  fail "device-pack.sh accepted a pack without its libraries"
elif ! grep -q 'resolves outside the pack' "$work/bad.log"; then
  fail "device-pack.sh refused the bad pack for another reason: $(cat "$work/bad.log")"
fi

if [ "$failures" = 0 ]; then
  rm -rf "$work"
  echo "device pack: complete and self-contained"
fi
exit $((failures > 0))
