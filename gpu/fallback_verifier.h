// A GPU backend with the CPU pool behind it: a call the primary answers with
// an error (a CUDA error: device lost, out of memory, a sticky kernel fault)
// is answered again by the fallback, so a node never rejects a valid
// transaction or peer batch because its device failed. The first failure is
// logged to stderr; every one is counted and passed to the hook (the node
// counts it in its metrics). The primary is tried again on the next call.
#ifndef GRIDLEDGER_GPU_FALLBACK_VERIFIER_H_
#define GRIDLEDGER_GPU_FALLBACK_VERIFIER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "core/common/log.h"
#include "core/verify/batch_verifier.h"

namespace gridledger {

// Called once per fallback with the primary's error.
using VerifierFallbackHook = std::function<void(const absl::Status&)>;

class FallbackBatchVerifier final : public BatchVerifier {
 public:
  FallbackBatchVerifier(std::unique_ptr<BatchVerifier> primary,
                        std::unique_ptr<BatchVerifier> fallback, VerifierFallbackHook hook = {},
                        Logger logger = Logger());

  // The primary's name: the backend the node asked for and normally uses.
  absl::string_view name() const override { return primary_->name(); }
  absl::Status Verify(absl::Span<const VerifyItem> items, absl::Span<uint8_t> results) override;
  absl::Status VerifyTransactions(const Digest& chain_id, absl::Span<const ByteSpan> txs,
                                  absl::Span<Digest> ids, absl::Span<uint8_t> valid) override;

  uint64_t fallbacks() const { return fallbacks_.load(std::memory_order_relaxed); }

 private:
  void OnFallback(const absl::Status& error);

  std::unique_ptr<BatchVerifier> primary_;
  std::unique_ptr<BatchVerifier> fallback_;
  VerifierFallbackHook hook_;
  Logger logger_;
  std::atomic<uint64_t> fallbacks_{0};
};

}  // namespace gridledger

#endif  // GRIDLEDGER_GPU_FALLBACK_VERIFIER_H_
