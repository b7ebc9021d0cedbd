#!/usr/bin/env bash
# Registers, stack frame and spills of every verify kernel (each launch-bounds
# variant of VerifyKernel, and VerifyTxKernel) from `ptxas -v`, with the
# occupancy those registers allow on sm_90 (gpu/occupancy.py). No GPU needed.
#   gpu/ptxas_report.sh            EXTRA_NVCC_FLAGS="..." for experiments
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
nvcc=${NVCC:-/usr/local/cuda/bin/nvcc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$nvcc" -I"$repo" -O2 -DNDEBUG -std=c++17 -gencode=arch=compute_90,code=sm_90 -Xptxas -v \
  ${EXTRA_NVCC_FLAGS:-} -cubin -o "$tmp/k.cubin" "$repo/gpu/cuda/verify_kernels.cu" \
  >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
printf '%-16s %5s %7s %9s %9s  %s\n' kernel regs stack spill_st spill_ld occupancy
awk '
  /Compiling entry function/ {
    k = "VerifyTxKernel"
    if (match($0, /VerifyKernelILi[0-9]+E/)) k = "VerifyKernel<" substr($0, RSTART + 15, RLENGTH - 16) ">"
  }
  k != "" && /bytes stack frame/ {
    n = split($0, a, /[ ,]+/)
    for (i = 1; i <= n; i++) {
      if (a[i] == "stack") st = a[i-2]
      if (a[i] == "spill" && a[i+1] == "stores") ss = a[i-2]
      if (a[i] == "spill" && a[i+1] == "loads") sl = a[i-2]
    }
  }
  k != "" && /Used [0-9]+ registers/ {
    match($0, /Used [0-9]+ registers/); print k, substr($0, RSTART + 5, RLENGTH - 15), st, ss, sl; k = ""
  }' "$tmp/log" | sort |
  while read -r k r st ss sl; do
    printf '%-16s %5s %6sB %8sB %8sB  %s\n' "$k" "$r" "$st" "$ss" "$sl" \
      "$(python3 "$repo/gpu/occupancy.py" --regs "$r" --threads 128)"
  done
