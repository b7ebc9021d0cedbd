#include "gpu/cuda/verify_kernels.h"

#include <iterator>

namespace gridledger::gpu::cuda {
namespace {

// Launch bounds cap registers at 65536 / (128 x kMinBlocks) (rounded down to
// a multiple of 8) so that kMinBlocks blocks fit per SM: more resident warps
// against more spills. The variants are compiled side by side so a GPU run
// can pick the fastest (docs/benchmarks.md, GPU section).
template <int kMinBlocks>
__global__ void __launch_bounds__(kVerifyThreadsPerBlock, kMinBlocks)
    VerifyKernel(VerifyContext ctx, SoaVerifyBatch batch) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < batch.count) VerifyBatchEntry(ctx, batch, i);
}

__global__ void __launch_bounds__(kVerifyThreadsPerBlock, kDefaultVerifyKernelMinBlocks)
    VerifyTxKernel(VerifyContext ctx, PackedTxBatch batch) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < batch.count) VerifyTxBatchEntry(ctx, batch, i);
}

unsigned Blocks(uint32_t count) {
  return (count + kVerifyThreadsPerBlock - 1) / kVerifyThreadsPerBlock;
}

template <int kMinBlocks>
void LaunchVariant(const VerifyContext& ctx, const SoaVerifyBatch& batch, cudaStream_t stream) {
  VerifyKernel<kMinBlocks><<<Blocks(batch.count), kVerifyThreadsPerBlock, 0, stream>>>(ctx, batch);
}

}  // namespace

bool IsVerifyKernelVariant(int min_blocks) {
  for (int v : kVerifyKernelMinBlocks) {
    if (v == min_blocks) return true;
  }
  return false;
}

cudaError_t LaunchVerify(const VerifyContext& ctx, const SoaVerifyBatch& batch,
                         cudaStream_t stream, int min_blocks) {
  if (batch.count == 0) return cudaSuccess;
  static_assert(std::size(kVerifyKernelMinBlocks) == 4 && kVerifyKernelMinBlocks[0] == 8 &&
                    kVerifyKernelMinBlocks[1] == 2 && kVerifyKernelMinBlocks[2] == 4 &&
                    kVerifyKernelMinBlocks[3] == 6,
                "keep the switch below in step with kVerifyKernelMinBlocks");
  switch (min_blocks) {
    case 4:
      LaunchVariant<4>(ctx, batch, stream);
      break;
    case 2:
      LaunchVariant<2>(ctx, batch, stream);
      break;
    case 6:
      LaunchVariant<6>(ctx, batch, stream);
      break;
    case 8:
      LaunchVariant<8>(ctx, batch, stream);
      break;
    default:
      return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

cudaError_t LaunchVerifyTransactions(const VerifyContext& ctx, const PackedTxBatch& batch,
                                     cudaStream_t stream) {
  if (batch.count == 0) return cudaSuccess;
  VerifyTxKernel<<<Blocks(batch.count), kVerifyThreadsPerBlock, 0, stream>>>(ctx, batch);
  return cudaGetLastError();
}

}  // namespace gridledger::gpu::cuda
