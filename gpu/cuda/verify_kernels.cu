#include "gpu/cuda/verify_kernels.h"

namespace gridledger::gpu::cuda {
namespace {

// Launch bounds cap registers so at least 4 blocks (512 threads) fit per SM:
// the math is latency bound on 32-bit multiplies and needs occupancy.
__global__ void __launch_bounds__(kVerifyThreadsPerBlock, 4)
    VerifyKernel(VerifyContext ctx, SoaVerifyBatch batch) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < batch.count) VerifyBatchEntry(ctx, batch, i);
}

__global__ void __launch_bounds__(kVerifyThreadsPerBlock, 4)
    VerifyTxKernel(VerifyContext ctx, PackedTxBatch batch) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < batch.count) VerifyTxBatchEntry(ctx, batch, i);
}

unsigned Blocks(uint32_t count) {
  return (count + kVerifyThreadsPerBlock - 1) / kVerifyThreadsPerBlock;
}

}  // namespace

cudaError_t LaunchVerify(const VerifyContext& ctx, const SoaVerifyBatch& batch,
                         cudaStream_t stream) {
  if (batch.count == 0) return cudaSuccess;
  VerifyKernel<<<Blocks(batch.count), kVerifyThreadsPerBlock, 0, stream>>>(ctx, batch);
  return cudaGetLastError();
}

cudaError_t LaunchVerifyTransactions(const VerifyContext& ctx, const PackedTxBatch& batch,
                                     cudaStream_t stream) {
  if (batch.count == 0) return cudaSuccess;
  VerifyTxKernel<<<Blocks(batch.count), kVerifyThreadsPerBlock, 0, stream>>>(ctx, batch);
  return cudaGetLastError();
}

}  // namespace gridledger::gpu::cuda
