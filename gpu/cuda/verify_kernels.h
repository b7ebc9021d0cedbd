// Kernel launchers for batch verification; the only CUDA device code in the
// project (the math itself is gpu/math/, shared with the host). Plain C++
// interface: device pointers in, a stream last, a cudaError_t out (checked
// with cudaGetLastError after the launch).
#ifndef GRIDLEDGER_GPU_CUDA_VERIFY_KERNELS_H_
#define GRIDLEDGER_GPU_CUDA_VERIFY_KERNELS_H_

#include <cuda_runtime_api.h>

#include <cstdint>

#include "gpu/math/batch.h"

namespace gridledger::gpu::cuda {

inline constexpr int kVerifyThreadsPerBlock = 128;
// Launch-bounds variants of the signature kernel, by the blocks per SM ptxas
// must fit (8: 64 registers; 2: 255, 4: 128, 6: 80; docs/benchmarks.md): all
// compiled, the default first. The fused tx kernel uses the default. On an
// H200 (2026-11-30) 8 verified 3.3 M/s at 4 Mi, 6 3.0 M/s, 4 2.2 M/s: the
// kernel is latency-bound, so resident warps beat the spills they cost.
inline constexpr int kDefaultVerifyKernelMinBlocks = 8;
inline constexpr int kVerifyKernelMinBlocks[] = {kDefaultVerifyKernelMinBlocks, 2, 4, 6};
bool IsVerifyKernelVariant(int min_blocks);

// `ctx` and the batch must point at device memory. An unknown `min_blocks`
// gives cudaErrorInvalidValue.
cudaError_t LaunchVerify(const VerifyContext& ctx, const SoaVerifyBatch& batch,
                         cudaStream_t stream,
                         int min_blocks = kDefaultVerifyKernelMinBlocks);
cudaError_t LaunchVerifyTransactions(const VerifyContext& ctx, const PackedTxBatch& batch,
                                     cudaStream_t stream);

}  // namespace gridledger::gpu::cuda

#endif  // GRIDLEDGER_GPU_CUDA_VERIFY_KERNELS_H_
