// The host copy of VerifyContext (G tables and tag midstates), built once per
// process. Used by tests and benchmarks of the portable math, and as the
// source the CUDA backend uploads to the device.
#ifndef GRIDLEDGER_GPU_MATH_HOST_CONTEXT_H_
#define GRIDLEDGER_GPU_MATH_HOST_CONTEXT_H_

#include "gpu/math/schnorr_verify.h"

namespace gridledger::gpu {

struct HostVerifyTables {
  GeStorage g_table[kGTableSize];
  GeStorage g_lambda_table[kGTableSize];
  VerifyContext context;  // points into the two tables above
};

// Thread-safe; the tables live for the whole process.
const HostVerifyTables& GetHostVerifyTables();
inline const VerifyContext& HostVerifyContext() { return GetHostVerifyTables().context; }

}  // namespace gridledger::gpu

#endif  // GRIDLEDGER_GPU_MATH_HOST_CONTEXT_H_
