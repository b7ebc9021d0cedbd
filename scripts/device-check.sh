#!/usr/bin/env bash
# The one-command GPU check (issue 13). Runs on the device machine from the
# pack that `make device-pack` built here (nothing is built there):
#   OUT=$OUT bash .device/pack/device-check.sh
# Steps, each time-boxed, each with its own log: nvidia-smi; the kernel
# differential test (>= 1M seeded cases of 14 kinds, and the official BIP-340
# vectors, against the CPU backend); the fused transaction pass; the
# verification table (libsecp256k1 on one core, the CPU pool on every core,
# the GPU) at 1k..4M; a 4-validator `gridledger cluster` with --backend=gpu
# and --backend=cpu at several rates; an Nsight Compute summary of the verify
# kernel when ncu works. The whole run stays inside GL_DEVICE_CHECK_BUDGET_S
# (default 450 s: the issue allows 8 minutes).
#
# $OUT receives at most 8 files (the device tool returns no more): summary.txt,
# device-check.tar.gz (every step's log, refreshed after each step, so a run
# cut short still returns what it did), and copies of the main tables.
# Exit status: 0 all passed; 1 a step failed or mismatched; 3 no usable GPU or
# an incomplete pack (found in seconds, before any long step).
#
# GL_DEVICE_CHECK_DRY=1: check the pack and print the plan without a GPU
# (runs each binary's cheap self-listing and a CPU verify-batch); exit 0/3.
# GL_DEVICE_CHECK_REHEARSAL=1: run every step without a GPU (the GPU steps
# then fail or skip, and the exit status is 1), to rehearse the script, its
# time boxes and its tables on a CPU machine with small sizes.
# Other knobs: GL_CUDA_TEST_CASES (default 1048576), GL_DEVICE_CHECK_MAX_BATCH
# (default 4194304), GL_DEVICE_CHECK_RATES (tx/s, default "5000 20000 50000"),
# GL_DEVICE_CHECK_CLUSTER_S (default 8).
set -uo pipefail

start_s=$(date +%s)
budget_s=${GL_DEVICE_CHECK_BUDGET_S:-450}
dry=${GL_DEVICE_CHECK_DRY:-0}
rehearsal=${GL_DEVICE_CHECK_REHEARSAL:-0}
max_batch=${GL_DEVICE_CHECK_MAX_BATCH:-4194304}
cases=${GL_CUDA_TEST_CASES:-1048576}
rates=${GL_DEVICE_CHECK_RATES-5000 20000 50000}  # empty: no cluster runs
cluster_s=${GL_DEVICE_CHECK_CLUSTER_S:-8}
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${GL_DEVICE_PACK:-}" ]; then
  pack=$GL_DEVICE_PACK
elif [ -x "$here/run.sh" ]; then
  pack=$here
else
  pack=$here/../.device/pack
fi
OUT=${OUT:-$PWD/device-check-out}
mkdir -p "$OUT"
work=$(mktemp -d "${TMPDIR:-/tmp}/gl-device-check.XXXXXX")
trap 'rm -rf "$work"' EXIT  # everything in it is in $OUT/device-check.tar.gz
summary=$OUT/summary.txt
failed=0
: >"$work/steps.txt"

log() { echo "device-check: $*" | tee -a "$work/steps.txt" >&2; }
elapsed() { echo $(($(date +%s) - start_s)); }

# Rewrites summary.txt and the archive; called after every step.
publish() {
  {
    echo "gridledger device check, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(elapsed) s of ${budget_s} s"
    echo "pack $(sed -n 2p "$pack/MANIFEST" 2>/dev/null)"
    echo "gpu: $(cat "$work/gpu-name.txt" 2>/dev/null || echo unknown)"
    echo
    printf '%-6s %-26s %7s  %s\n' result step seconds detail
    cat "$work/results.txt" 2>/dev/null
    echo
    [ -f "$work/verify-table.txt" ] && cat "$work/verify-table.txt"
    [ -f "$work/cluster.txt" ] && { echo; cat "$work/cluster.txt"; }
    echo
    echo "overall: $([ "$failed" = 0 ] && echo PASS || echo FAIL)"
  } >"$summary"
  cp "$summary" "$work/summary.txt"
  tar -C "$work" -czf "$OUT/device-check.tar.gz.tmp" . && mv "$OUT/device-check.tar.gz.tmp" "$OUT/device-check.tar.gz"
  for f in nvidia-smi.txt verify-table.txt cluster.txt ncu.txt differential.txt; do
    [ -f "$work/$f" ] && cp "$work/$f" "$OUT/$f"
  done
}

# record RESULT STEP SECONDS DETAIL
record() {
  printf '%-6s %-26s %7s  %s\n' "$1" "$2" "$3" "$4" >>"$work/results.txt"
  [ "$1" = FAIL ] && failed=1
  log "$1 $2 ($3 s): $4"
  publish
}

# run_boxed NAME LIMIT_S CMD...: runs CMD with its output in $work/NAME.txt,
# the limit cut to what is left of the budget. Sets rc (124: timed out) and
# secs. Returns 1 without running when less than 10 s are left.
run_boxed() {
  local name=$1 limit=$2
  shift 2
  local left=$((budget_s - $(elapsed)))
  if ((left < 10)); then
    rc=125 secs=0
    return 1
  fi
  ((limit > left)) && limit=$left
  local t0
  t0=$(date +%s)
  echo "\$ $* (limit ${limit} s)" >"$work/$name.txt"
  timeout -k 15 "$limit" "$@" >>"$work/$name.txt" 2>&1
  rc=$?
  secs=$(($(date +%s) - t0))
  return 0
}

packed() { "$pack/run.sh" "$@"; }

fail_setup() {
  record FAIL setup 0 "$1"
  exit 3
}

# A missing GPU ends the check at once, except in a rehearsal.
fail_gpu() {
  if [ "$rehearsal" = 1 ]; then
    record FAIL "$1" 0 "$2 (rehearsal: carrying on)"
  else
    fail_setup "$2"
  fi
}

# ---- pack and GPU preflight (seconds) ----
for exe in gridledger gridledger_bench gpu_verify_test gpu_math_test; do
  [ -x "$pack/bin/$exe" ] || fail_setup "incomplete pack: $pack/bin/$exe missing (run make device-pack)"
done
[ -x "$pack/run.sh" ] || fail_setup "incomplete pack: $pack/run.sh missing"
cp "$pack/MANIFEST" "$work/MANIFEST.txt" 2>/dev/null
{ uname -a; echo "cores: $(nproc)"; free -g 2>/dev/null; } >"$work/host.txt" 2>&1

if [ "$dry" = 1 ]; then
  ok=1
  packed gpu_verify_test --gtest_list_tests >"$work/dry-gpu_verify_test.txt" 2>&1 || ok=0
  packed gpu_math_test --gtest_list_tests >"$work/dry-gpu_math_test.txt" 2>&1 || ok=0
  packed gridledger_bench --benchmark_list_tests >"$work/dry-bench.txt" 2>&1 || ok=0
  packed gridledger verify-batch "$pack/data/bip340_vectors.csv" --backend=cpu \
    >"$work/dry-verify-batch.txt" 2>/dev/null &&
    cmp -s "$work/dry-verify-batch.txt" "$pack/data/bip340_vectors.expected" || ok=0
  grep -q 'CudaVerifierTest' "$work/dry-gpu_verify_test.txt" || ok=0
  [ "$ok" = 1 ] || fail_setup "dry run: a packed binary failed to start or answered wrongly (see $work)"
  {
    echo "plan (budget ${budget_s} s): nvidia-smi; backend probe; differential ${cases} cases;"
    echo "fused tx pass; verify table 1k..4M; cluster gpu/cpu at ${rates} tx/s for ${cluster_s} s each; ncu"
  } >"$work/plan.txt"
  record PASS dry-run "$(elapsed)" "pack complete, binaries start, CPU verify-batch matches; $(tr '\n' ' ' <"$work/plan.txt")"
  exit 0
fi

smi=$(command -v nvidia-smi || echo /usr/local/nvidia/bin/nvidia-smi)
if timeout 20 "$smi" >"$work/nvidia-smi.txt" 2>&1; then
  timeout 20 "$smi" -L >"$work/gpu-name.txt" 2>&1
  timeout 20 "$smi" -q >>"$work/nvidia-smi.txt" 2>&1
  record PASS nvidia-smi "$(elapsed)" "$(head -1 "$work/gpu-name.txt")"
else
  fail_gpu nvidia-smi "no GPU: nvidia-smi failed or is absent ($(head -c 300 "$work/nvidia-smi.txt" | tr '\n' ' '))"
fi

# The backend must really be the GPU: verify-batch says which one it chose.
run_boxed backend-probe 60 "$pack/run.sh" gridledger verify-batch \
  "$pack/data/bip340_vectors.csv" --backend=gpu
if [ "$rc" = 0 ] && grep -q 'verifier backend: cuda' "$work/backend-probe.txt"; then
  record PASS backend-probe "$secs" "$(grep -o 'verifier backend.*' "$work/backend-probe.txt")"
else
  fail_gpu backend-probe "no usable CUDA device: $(grep -m1 'verifier backend\|error' "$work/backend-probe.txt")"
fi

# gtest_step NAME LIMIT FILTER: a step over gpu_verify_test; a skipped test
# counts as a failure here (a skip means the device path did not run).
gtest_step() {
  local name=$1 limit=$2 filter=$3
  if ! run_boxed "$name" "$limit" env GL_CUDA_TEST_CASES="$cases" "$pack/run.sh" \
    gpu_verify_test --gtest_filter="$filter" --gtest_output="json:$work/$name.json"; then
    record SKIP "$name" 0 "budget spent"
    return
  fi
  local passed skipped
  passed=$(grep -c '^\[       OK \]' "$work/$name.txt")
  skipped=$(grep -cE '^\[  SKIPPED \] [^ ]+ \([0-9]+ ms\)' "$work/$name.txt")
  if [ "$rc" = 0 ] && [ "$skipped" = 0 ] && [ "$passed" -gt 0 ]; then
    record PASS "$name" "$secs" "$passed tests passed ($filter; GL_CUDA_TEST_CASES=$cases)"
  else
    record FAIL "$name" "$secs" "exit $rc, $passed passed, $skipped skipped; $(grep -m1 -E 'mismatch|Failure|case [0-9]+' "$work/$name.txt")"
  fi
}

# ---- correctness ----
gtest_step differential 180 'CudaVerifierTest.KernelMatches*:CudaVerifierTest.EveryKernelVariant*:CudaVerifierTest.CreateRefuses*:BackendSelectTest.*'
gtest_step fused-tx-pass 90 'CudaVerifierTest.FusedTransactionPass*'

# ---- verification table ----
# One libsecp256k1 core is linear in the batch size; the benchmark measures it
# up to 256k only (1M and 4M on one core would take minutes of device time).
if run_boxed verify-bench 200 env GL_VERIFY_TABLE_MAX_BATCH="$max_batch" "$pack/run.sh" gridledger_bench \
  --benchmark_filter='BM_VerifyTable(SingleCore|CpuPool|Gpu)/|BM_VerifyGpuKernelVariant/|BM_VerifyGpuChunk/' --benchmark_min_time=0.5 \
  --benchmark_out="$work/verify-bench.json" --benchmark_out_format=json; then
  if command -v python3 >/dev/null && [ -s "$work/verify-bench.json" ]; then
    python3 - "$work/verify-bench.json" >"$work/verify-table.txt" 2>&1 <<'EOPY'
import json, sys
rows, variants, chunks = {}, [], []
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    name, _, args = b["name"].partition("/")
    args = [int(a) for a in args.split("/") if a.isdigit()]
    if name == "BM_VerifyGpuKernelVariant" and "error_occurred" not in b:
        variants.append((args[0], args[1], b.get("items_per_second", 0)))
        continue
    if name == "BM_VerifyGpuChunk" and "error_occurred" not in b:
        chunks.append((args[0], args[1], b.get("items_per_second", 0)))
        continue
    size = args[0]
    kind = {"BM_VerifyTableSingleCore": "secp256k1 1 core",
            "BM_VerifyTableCpuPool": "cpu pool", "BM_VerifyTableGpu": "gpu"}.get(name)
    if kind and "error_occurred" not in b:
        rows.setdefault(size, {})[kind] = b.get("items_per_second", 0)
cols = ["secp256k1 1 core", "cpu pool", "gpu"]
print("verifications/s (end to end, host buffers in and results out)")
print("%10s %18s %18s %18s %12s" % ("batch", *cols, "gpu/1 core"))
for size in sorted(rows):
    r = rows[size]
    one = r.get(cols[0]) or max((rows[s].get(cols[0], 0) for s in rows), default=0)
    ratio = "%.1fx" % (r["gpu"] / one) if r.get("gpu") and one else "-"
    print("%10d %18s %18s %18s %12s" % (size, *("%.0f" % r[c] if c in r else "-" for c in cols), ratio))
if variants:
    print("\nkernel launch-bounds variants (blocks/SM asked of ptxas), verifications/s")
    for blocks, size, rate in sorted(variants):
        print("  min_blocks %d at %d: %.0f" % (blocks, size, rate))
if chunks:
    print("\nchunk items per launch (at 4194304), verifications/s")
    for blocks, chunk, rate in sorted(chunks):
        print("  min_blocks %d, chunk %d: %.0f" % (blocks, chunk, rate))
EOPY
  else
    grep -E 'BM_VerifyTable' "$work/verify-bench.txt" >"$work/verify-table.txt"
  fi
  if [ "$rc" = 0 ] && ! grep -q 'error_occurred\|ERROR' "$work/verify-bench.txt" &&
    grep -q "BM_VerifyTableGpu/$max_batch" "$work/verify-bench.txt"; then
    record PASS verify-table "$secs" "see verify-table.txt"
  else
    record FAIL verify-table "$secs" "exit $rc (a rejected valid signature, a CUDA error or the time box)"
  fi
else
  record SKIP verify-table 0 "budget spent"
fi

# ---- 4-validator cluster, GPU then CPU, rising rates ----
: >"$work/cluster.txt"
printf '%-4s %8s %10s %10s %22s %6s %s\n' backend rate committed e2e_tps "p50/p99 latency ms" lost exit \
  >>"$work/cluster.txt"
for backend in gpu cpu; do
  for rate in $rates; do
    name=cluster-$backend-$rate
    if ! run_boxed "$name" $((cluster_s + 75)) "$pack/run.sh" gridledger cluster --validators=4 \
      --slices=1 --duration="${cluster_s}s" --drain=10s --rate="$rate" --backend="$backend" \
      --json="$work/$name.json"; then
      record SKIP "$name" 0 "budget spent"
      continue
    fi
    f=$work/$name.txt
    used=$(sed -n 's/^ *Verifier backend: //p' "$f" | head -1)
    printf '%-4s %8s %10s %10s %22s %6s %s\n' "$backend" "$rate" \
      "$(sed -n 's/^ *Committed: \([0-9]*\).*/\1/p' "$f" | head -1)" \
      "$(sed -n 's/^ *End-to-end TPS[^:]*: \([0-9]*\).*/\1/p' "$f" | head -1)" \
      "$(sed -n 's/^ *End-to-end latency: p50 \([0-9.]*\) ms, p90 [0-9.]* ms, p99 \([0-9.]*\).*/\1\/\2/p' "$f" | head -1)" \
      "$(sed -n 's/^ *Lost: \([0-9]*\).*/\1/p' "$f" | head -1)" "$rc ($used)" >>"$work/cluster.txt"
    if [ "$rc" != 0 ]; then
      record FAIL "$name" "$secs" "exit $rc (3: a store mismatch or missing commits; 124: time box)"
    elif [ "$backend" = gpu ] && ! grep -qi 'cuda' <<<"$used"; then
      record FAIL "$name" "$secs" "asked for the GPU, the nodes used: $used"
    else
      record PASS "$name" "$secs" "$(grep -m1 'End-to-end TPS' "$f" | sed 's/^ *//')"
    fi
  done
done

# ---- Nsight Compute summary of the verify kernel (informational) ----
ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
if [ -n "$ncu" ]; then
  if run_boxed ncu 120 env GL_CUDA_TEST_CASES=65536 "$ncu" --clock-control none \
    --target-processes all -k regex:VerifyKernel -c 1 --section SpeedOfLight --section Occupancy \
    --section LaunchStats --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis \
    "$pack/run.sh" gpu_verify_test --gtest_filter='CudaVerifierTest.KernelMatches*'; then
    record "$([ "$rc" = 0 ] && echo INFO || echo WARN)" ncu "$secs" "exit $rc; see ncu.txt (not a pass/fail step)"
  else
    record SKIP ncu 0 "budget spent"
  fi
else
  record SKIP ncu 0 "ncu not found"
fi

record "$([ "$failed" = 0 ] && echo PASS || echo FAIL)" total "$(elapsed)" "every log in device-check.tar.gz"
exit "$failed"
