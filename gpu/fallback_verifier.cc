#include "gpu/fallback_verifier.h"

#include <cstdio>
#include <string>

#include "core/common/check.h"

namespace gridledger {

FallbackBatchVerifier::FallbackBatchVerifier(std::unique_ptr<BatchVerifier> primary,
                                             std::unique_ptr<BatchVerifier> fallback,
                                             VerifierFallbackHook hook)
    : primary_(std::move(primary)), fallback_(std::move(fallback)), hook_(std::move(hook)) {
  GL_CHECK(primary_ != nullptr && fallback_ != nullptr);
}

void FallbackBatchVerifier::OnFallback(const absl::Status& error) {
  if (fallbacks_.fetch_add(1, std::memory_order_relaxed) == 0) {
    std::fprintf(stderr,
                 "verifier backend %s failed, this batch and any later failing one go to %s "
                 "(logged once; see gridledger_verify_backend_fallbacks_total): %s\n",
                 std::string(primary_->name()).c_str(), std::string(fallback_->name()).c_str(),
                 error.ToString().c_str());
  }
  if (hook_) hook_(error);
}

absl::Status FallbackBatchVerifier::Verify(absl::Span<const VerifyItem> items,
                                           absl::Span<uint8_t> results) {
  absl::Status status = primary_->Verify(items, results);
  if (status.ok()) return status;
  OnFallback(status);
  return fallback_->Verify(items, results);
}

absl::Status FallbackBatchVerifier::VerifyTransactions(const Digest& chain_id,
                                                       absl::Span<const ByteSpan> txs,
                                                       absl::Span<Digest> ids,
                                                       absl::Span<uint8_t> valid) {
  absl::Status status = primary_->VerifyTransactions(chain_id, txs, ids, valid);
  if (status.ok()) return status;
  OnFallback(status);
  return fallback_->VerifyTransactions(chain_id, txs, ids, valid);
}

}  // namespace gridledger
