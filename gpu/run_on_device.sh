#!/usr/bin/env bash
# On a machine with an sm_90 GPU (H100/H200): build the CUDA backend, run the
# kernel differential test over >= 1M seeded cases against the CPU backend
# (libsecp256k1), the fused transaction pass, and the verify benchmark table.
# Everything lands in $OUT (default ./gpu-results). Needs the Debian packages
# listed in scripts/install-deps.sh and nvcc 13 at /usr/local/cuda/bin.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${OUT:-$ROOT/gpu-results}"
BUILD="${BUILD:-$ROOT/build-device}"
CASES="${GL_CUDA_TEST_CASES:-1000000}"
JOBS="${JOBS:-$(nproc)}"
mkdir -p "$OUT"
export PATH="/usr/local/cuda/bin:$PATH"

{
  nvidia-smi || true
  nvcc --version
} >"$OUT/device.txt" 2>&1

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$OUT/configure.log" 2>&1
grep -q "CUDA backend ON" "$OUT/configure.log" || { echo "nvcc not found: CUDA backend OFF" >&2; exit 1; }
# The ptxas register/spill report comes from --ptxas-options=-v in the build log.
cmake --build "$BUILD" -j "$JOBS" --target gpu_verify_test gpu_math_test gridledger_bench \
  >"$OUT/build.log" 2>&1
grep -E "ptxas info    : (Used|Compiling)|spill" "$OUT/build.log" >"$OUT/ptxas.txt" || true

# Kernel vs CPU backend; fails loudly on any mismatch (exit code kept).
status=0
GL_CUDA_TEST_CASES="$CASES" "$BUILD/tests/gpu/gpu_verify_test" \
  --gtest_output="json:$OUT/gpu_verify_test.json" >"$OUT/gpu_verify_test.log" 2>&1 || status=$?
"$BUILD/tests/gpu/gpu_math_test" >"$OUT/gpu_math_test.log" 2>&1 || status=$?

# libsecp256k1 single core vs CPU pool vs GPU at 1k, 16k, 256k, 1M.
"$BUILD/bench/gridledger_bench" \
  --benchmark_filter='BM_VerifyTable|BM_GpuMathHostVerify' \
  --benchmark_min_time=1 \
  --benchmark_out="$OUT/verify_bench.json" --benchmark_out_format=json \
  >"$OUT/verify_bench.txt" 2>&1 || status=$?

echo "exit status $status; results in $OUT"
exit "$status"
