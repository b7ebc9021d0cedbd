// CUDA backend of BatchVerifier. Batches are packed on the host into pinned
// struct-of-arrays staging buffers, chunk by chunk, on two streams: while the
// GPU verifies one chunk, the host packs the next and its copy overlaps the
// kernel. Entries that fail the cheap range checks (x >= p, r >= p, s >= n)
// are answered 0 on the host and never sent. Batches below a threshold go to
// the CPU backend, where launch and copy latency would dominate. Every CUDA
// error becomes a Status.
#ifndef GRIDLEDGER_GPU_CUDA_CUDA_BATCH_VERIFIER_H_
#define GRIDLEDGER_GPU_CUDA_CUDA_BATCH_VERIFIER_H_

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/verify/batch_verifier.h"
#include "core/verify/cpu_batch_verifier.h"

namespace gridledger::gpu {

struct CudaVerifierOptions {
  int device = 0;
  // Items per chunk (bounds each staging buffer).
  size_t chunk_items = size_t{1} << 16;
  // Smaller batches run on the CPU backend.
  size_t min_gpu_batch = 512;
  int cpu_threads = 0;  // the CPU backend's pool; 0 = all cores
  // Launch-bounds variant of the signature kernel (blocks per SM: 4, 2, 6 or 8;
  // see gpu/cuda/verify_kernels.h). Create refuses any other value.
  int kernel_min_blocks = 8;
};

// OK when `device` exists and can run kernels; otherwise the CUDA error text.
absl::Status CudaDeviceStatus(int device = 0);

class CudaBatchVerifier final : public BatchVerifier {
 public:
  static absl::StatusOr<std::unique_ptr<CudaBatchVerifier>> Create(
      const CudaVerifierOptions& options = {});
  ~CudaBatchVerifier() override;
  CudaBatchVerifier(const CudaBatchVerifier&) = delete;
  CudaBatchVerifier& operator=(const CudaBatchVerifier&) = delete;

  absl::string_view name() const override { return "cuda"; }
  // "NVIDIA H100 80GB HBM3, 132 SMs, compute 9.0".
  const std::string& device_description() const { return description_; }

  absl::Status Verify(absl::Span<const VerifyItem> items, absl::Span<uint8_t> results) override;
  absl::Status VerifyTransactions(const Digest& chain_id, absl::Span<const ByteSpan> txs,
                                  absl::Span<Digest> ids, absl::Span<uint8_t> valid) override;

  struct Slot;  // one staging buffer set + stream (defined in the .cc)

 private:
  explicit CudaBatchVerifier(const CudaVerifierOptions& options);
  absl::Status Init();
  absl::Status VerifyOnDevice(absl::Span<const VerifyItem> items, absl::Span<uint8_t> results)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status VerifyTxOnDevice(const Digest& chain_id, absl::Span<const ByteSpan> txs,
                                absl::Span<Digest> ids, absl::Span<uint8_t> valid)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits for every slot; returns the first error.
  absl::Status DrainAll() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const CudaVerifierOptions options_;
  std::string description_;
  CpuBatchVerifier cpu_;
  absl::Mutex mu_;  // one batch at a time owns the staging buffers
  std::array<std::unique_ptr<Slot>, 2> slots_;
  void* device_tables_ = nullptr;  // g_table then g_lambda_table
};

}  // namespace gridledger::gpu

#endif  // GRIDLEDGER_GPU_CUDA_CUDA_BATCH_VERIFIER_H_
