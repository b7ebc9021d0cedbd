// Struct-of-arrays batch layouts and the per-thread work of the two kernels,
// as __host__ __device__ functions: the kernels call them with thread index i,
// and host tests call them over the same staged buffers.
#ifndef GRIDLEDGER_GPU_MATH_BATCH_H_
#define GRIDLEDGER_GPU_MATH_BATCH_H_

#include "gpu/math/schnorr_verify.h"

namespace gridledger::gpu {

// One entry per signature, each field its own array.
struct SoaVerifyBatch {
  const uint8_t* keys;        // count x 32 B x-only keys
  const uint8_t* messages;    // count x 32 B
  const uint8_t* signatures;  // count x 64 B
  uint8_t* results;           // count x 1 (1 = valid)
  uint32_t count;
};

// Transaction envelopes back to back, for the fused id + signature pass.
struct PackedTxBatch {
  const uint8_t* bytes;     // envelopes back to back
  const uint32_t* offsets;  // count + 1 offsets into bytes
  uint8_t* ids;             // count x 32 B
  uint8_t* valid;           // count x 1
  uint32_t count;
};

GL_HD inline void VerifyBatchEntry(const VerifyContext& ctx, const SoaVerifyBatch& b, uint32_t i) {
  b.results[i] = SchnorrVerify(ctx, b.keys + 32ull * i, b.messages + 32ull * i,
                               b.signatures + 64ull * i)
                     ? 1
                     : 0;
}

GL_HD inline void VerifyTxBatchEntry(const VerifyContext& ctx, const PackedTxBatch& b,
                                     uint32_t i) {
  const uint32_t begin = b.offsets[i];
  b.valid[i] = VerifyEnvelope(ctx, b.bytes + begin, b.offsets[i + 1] - begin, b.ids + 32ull * i)
                   ? 1
                   : 0;
}

}  // namespace gridledger::gpu

#endif  // GRIDLEDGER_GPU_MATH_BATCH_H_
