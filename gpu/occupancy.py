#!/usr/bin/env python3
"""Theoretical occupancy of a kernel on sm_90 (H100/H200), by the rules of
NVIDIA's CUDA occupancy calculator, from what ptxas -v reports (no GPU needed).

  gpu/occupancy.py --regs 128 --threads 128 [--smem 0]

sm_90 limits: 65536 registers, 2048 threads, 64 warps, 32 blocks and 228 KB
shared memory per SM; registers are allocated per warp in units of 256
(so per thread in steps of 8), at most 255 per thread.
"""
import argparse

REGS_PER_SM = 65536
REG_ALLOC_UNIT = 256          # registers, per warp
MAX_WARPS_PER_SM = 64
MAX_BLOCKS_PER_SM = 32
SMEM_PER_SM = 228 * 1024
SMEM_ALLOC_UNIT = 128
SMEM_RESERVED_PER_BLOCK = 1024
WARP = 32


def blocks_per_sm(regs, threads, smem=0):
    warps_per_block = -(-threads // WARP)
    regs_per_warp = -(-regs * WARP // REG_ALLOC_UNIT) * REG_ALLOC_UNIT
    by_regs = (REGS_PER_SM // regs_per_warp) // warps_per_block if regs else MAX_BLOCKS_PER_SM
    by_warps = MAX_WARPS_PER_SM // warps_per_block
    smem_block = -(-(smem + SMEM_RESERVED_PER_BLOCK) // SMEM_ALLOC_UNIT) * SMEM_ALLOC_UNIT
    by_smem = SMEM_PER_SM // smem_block
    limits = {"registers": by_regs, "warps": by_warps, "blocks": MAX_BLOCKS_PER_SM,
              "shared memory": by_smem}
    n = min(limits.values())
    return n, min(limits, key=limits.get), warps_per_block


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--regs", type=int, required=True)
    ap.add_argument("--threads", type=int, default=128)
    ap.add_argument("--smem", type=int, default=0, help="shared memory bytes per block")
    a = ap.parse_args()
    n, limiter, wpb = blocks_per_sm(a.regs, a.threads, a.smem)
    warps = n * wpb
    print("%d blocks/SM, %d threads/SM, %d%% (%d/%d warps; limited by %s)"
          % (n, n * a.threads, round(100 * warps / MAX_WARPS_PER_SM), warps, MAX_WARPS_PER_SM, limiter))


if __name__ == "__main__":
    main()
