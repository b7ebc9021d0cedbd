#include "gpu/cuda/verify_kernels.h"

namespace gridledger::gpu::cuda {
namespace {

// Launch bounds cap registers so at least 4 blocks (512 threads) fit per SM:
// the math is latency bound on 32-bit multiplies and needs occupancy.
__global__ void __launch_bounds__(kVerifyThreadsPerBlock, 4)
    VerifyKernel(VerifyContext ctx, DeviceVerifyBatch batch) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= batch.count) return;
  batch.results[i] = SchnorrVerify(ctx, batch.keys + 32ull * i, batch.messages + 32ull * i,
                                   batch.signatures + 64ull * i)
                         ? 1
                         : 0;
}

__global__ void __launch_bounds__(kVerifyThreadsPerBlock, 4)
    VerifyTxKernel(VerifyContext ctx, DeviceTxBatch batch) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= batch.count) return;
  const uint32_t begin = batch.offsets[i];
  const uint32_t size = batch.offsets[i + 1] - begin;
  batch.valid[i] = VerifyEnvelope(ctx, batch.bytes + begin, size, batch.ids + 32ull * i) ? 1 : 0;
}

unsigned Blocks(uint32_t count) {
  return (count + kVerifyThreadsPerBlock - 1) / kVerifyThreadsPerBlock;
}

}  // namespace

cudaError_t LaunchVerify(const VerifyContext& ctx, const DeviceVerifyBatch& batch,
                         cudaStream_t stream) {
  if (batch.count == 0) return cudaSuccess;
  VerifyKernel<<<Blocks(batch.count), kVerifyThreadsPerBlock, 0, stream>>>(ctx, batch);
  return cudaGetLastError();
}

cudaError_t LaunchVerifyTransactions(const VerifyContext& ctx, const DeviceTxBatch& batch,
                                     cudaStream_t stream) {
  if (batch.count == 0) return cudaSuccess;
  VerifyTxKernel<<<Blocks(batch.count), kVerifyThreadsPerBlock, 0, stream>>>(ctx, batch);
  return cudaGetLastError();
}

}  // namespace gridledger::gpu::cuda
