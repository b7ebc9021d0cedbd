#include "gpu/backend_select.h"


#include "absl/strings/str_cat.h"
#include "core/verify/cpu_batch_verifier.h"
#ifdef GRIDLEDGER_HAVE_CUDA
#include "gpu/cuda/cuda_batch_verifier.h"
#endif

namespace gridledger {

absl::StatusOr<VerifierBackend> ParseVerifierBackend(absl::string_view text) {
  if (text == "auto") return VerifierBackend::kAuto;
  if (text == "cpu") return VerifierBackend::kCpu;
  if (text == "gpu") return VerifierBackend::kGpu;
  return absl::InvalidArgumentError(
      absl::StrCat("--backend: expected auto, cpu or gpu, got '", text, "'"));
}

absl::string_view VerifierBackendName(VerifierBackend backend) {
  switch (backend) {
    case VerifierBackend::kAuto: return "auto";
    case VerifierBackend::kCpu: return "cpu";
    case VerifierBackend::kGpu: return "gpu";
  }
  return "unknown";
}

bool BuiltWithCuda() {
#ifdef GRIDLEDGER_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

namespace {

VerifierChoice Choose(VerifierBackend backend, const CpuVerifierOptions& cpu_options,
                      VerifierFallbackHook on_fallback, const Logger& logger) {
  const int cpu_threads = cpu_options.threads;
  auto cpu = [&](std::string reason) {
    return VerifierChoice{
        std::make_unique<CpuBatchVerifier>(cpu_threads, cpu_options.nice_increment,
                                           cpu_options.pool_name),
        std::move(reason), /*on_gpu=*/false};
  };
  if (backend == VerifierBackend::kCpu) return cpu("requested --backend=cpu");
  const char* fallback = backend == VerifierBackend::kGpu ? "gpu requested, falling back to cpu: "
                                                          : "";
#ifdef GRIDLEDGER_HAVE_CUDA
  gpu::CudaVerifierOptions options;
  options.cpu_threads = cpu_threads;
  auto cuda = gpu::CudaBatchVerifier::Create(options);
  if (!cuda.ok()) {
    return cpu(absl::StrCat(fallback, "no usable CUDA device: ", cuda.status().message()));
  }
  std::string reason = absl::StrCat(
      backend == VerifierBackend::kGpu ? "requested --backend=gpu" : "auto: CUDA device found",
      ": ", (*cuda)->device_description());
  return VerifierChoice{
      std::make_unique<FallbackBatchVerifier>(*std::move(cuda),
                                              std::make_unique<CpuBatchVerifier>(cpu_threads),
                                              std::move(on_fallback), logger),
      std::move(reason), /*on_gpu=*/true};
#else
  (void)on_fallback;
  (void)logger;
  return cpu(absl::StrCat(fallback, "built without CUDA"));
#endif
}

}  // namespace

VerifierChoice MakeBatchVerifier(VerifierBackend backend, CpuVerifierOptions cpu,
                                 VerifierFallbackHook on_fallback, const Logger& logger) {
  VerifierChoice choice = Choose(backend, cpu, std::move(on_fallback), logger);
  logger.Info(absl::StrCat("verifier backend: ", choice.verifier->name(), " (requested ",
                           VerifierBackendName(backend), "; ", choice.reason, ")"));
  return choice;
}

}  // namespace gridledger
