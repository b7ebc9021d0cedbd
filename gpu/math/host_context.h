// The host copy of VerifyContext (G tables and tag midstates), built once per
// process. Used by tests and benchmarks of the portable math, and as the
// source the CUDA backend uploads to the device.
#ifndef GRIDLEDGER_GPU_MATH_HOST_CONTEXT_H_
#define GRIDLEDGER_GPU_MATH_HOST_CONTEXT_H_

#include "core/common/types.h"
#include "gpu/math/schnorr_verify.h"

namespace gridledger::gpu {

struct HostVerifyTables {
  GeStorage g_table[kGTableSize];
  GeStorage g_lambda_table[kGTableSize];
  VerifyContext context;  // points into the two tables above
};

// Thread-safe; the tables live for the whole process.
const HostVerifyTables& GetHostVerifyTables();
// The context for the all-zero chain id; use HostVerifyContextForChain for a
// real network (the fused pass hashes with the chain's signing tag).
inline const VerifyContext& HostVerifyContext() { return GetHostVerifyTables().context; }

// The midstate of TxSignTag(chain_id) (core/tx/codec.h).
void TxSignMidstate(const Digest& chain_id, uint32_t out[8]);
// HostVerifyContext() with tx_sign_midstate for `chain_id`; the tables are
// shared, so a copy is cheap (the CUDA backend builds one per call).
VerifyContext HostVerifyContextForChain(const Digest& chain_id);

}  // namespace gridledger::gpu

#endif  // GRIDLEDGER_GPU_MATH_HOST_CONTEXT_H_
