// Chooses the BatchVerifier backend at start-up: the GPU when the build has
// CUDA and a usable device is present, else the CPU pool, always with a
// human-readable reason that is logged.
#ifndef GRIDLEDGER_GPU_BACKEND_SELECT_H_
#define GRIDLEDGER_GPU_BACKEND_SELECT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/common/log.h"
#include "core/verify/batch_verifier.h"
#include "gpu/fallback_verifier.h"

namespace gridledger {

enum class VerifierBackend { kAuto, kCpu, kGpu };

// "auto" | "cpu" | "gpu"; InvalidArgument naming --backend otherwise.
absl::StatusOr<VerifierBackend> ParseVerifierBackend(absl::string_view text);
absl::string_view VerifierBackendName(VerifierBackend backend);

// True when this binary was built with the CUDA backend.
bool BuiltWithCuda();

struct VerifierChoice {
  std::unique_ptr<BatchVerifier> verifier;  // never null
  std::string reason;                       // why this backend
  bool on_gpu = false;                      // the CUDA backend (with its CPU fallback)
};

// How to build the CPU pool, per backend: a chosen CPU backend is
// CpuBatchVerifier(threads, nice_increment, pool_name); a GPU's fallback
// pool takes `threads` only (it runs at the caller's priority: it answers
// the device's failures, whatever traffic they were for).
struct CpuVerifierOptions {
  int threads = 0;  // 0: all cores
  int nice_increment = 0;
  const char* pool_name = "gl-verify-pool";
};

// kGpu without a usable device falls back to the CPU (same results) with the
// reason; kAuto picks the GPU when one is usable. Logs the choice to `logger`.
// A GPU choice comes wrapped in FallbackBatchVerifier: a call that fails on
// the device (a CUDA error) is answered by the CPU pool, and `on_fallback`
// (may be empty) hears of each such call. Only the chosen backend is built.
VerifierChoice MakeBatchVerifier(VerifierBackend backend, CpuVerifierOptions cpu = {},
                                 VerifierFallbackHook on_fallback = {},
                                 const Logger& logger = Logger());

}  // namespace gridledger

#endif  // GRIDLEDGER_GPU_BACKEND_SELECT_H_
