// Kernel launchers for batch verification; the only CUDA device code in the
// project (the math itself is gpu/math/, shared with the host). Plain C++
// interface: device pointers in, a stream last, a cudaError_t out (checked
// with cudaGetLastError after the launch).
#ifndef GRIDLEDGER_GPU_CUDA_VERIFY_KERNELS_H_
#define GRIDLEDGER_GPU_CUDA_VERIFY_KERNELS_H_

#include <cuda_runtime_api.h>

#include <cstdint>

#include "gpu/math/schnorr_verify.h"

namespace gridledger::gpu::cuda {

// One thread per signature; struct-of-arrays device buffers.
struct DeviceVerifyBatch {
  const uint8_t* keys;        // count x 32 B x-only keys
  const uint8_t* messages;    // count x 32 B
  const uint8_t* signatures;  // count x 64 B
  uint8_t* results;           // count x 1 (1 = valid)
  uint32_t count;
};

// One thread per transaction envelope: id hash and signature in one pass.
struct DeviceTxBatch {
  const uint8_t* bytes;     // envelopes back to back
  const uint32_t* offsets;  // count + 1 offsets into bytes
  uint8_t* ids;             // count x 32 B
  uint8_t* valid;           // count x 1
  uint32_t count;
};

inline constexpr int kVerifyThreadsPerBlock = 128;

// `ctx` must point at device tables.
cudaError_t LaunchVerify(const VerifyContext& ctx, const DeviceVerifyBatch& batch,
                         cudaStream_t stream);
cudaError_t LaunchVerifyTransactions(const VerifyContext& ctx, const DeviceTxBatch& batch,
                                     cudaStream_t stream);

}  // namespace gridledger::gpu::cuda

#endif  // GRIDLEDGER_GPU_CUDA_VERIFY_KERNELS_H_
