#include "gpu/fallback_verifier.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"

namespace gridledger {

FallbackBatchVerifier::FallbackBatchVerifier(std::unique_ptr<BatchVerifier> primary,
                                             std::unique_ptr<BatchVerifier> fallback,
                                             VerifierFallbackHook hook, Logger logger)
    : primary_(std::move(primary)),
      fallback_(std::move(fallback)),
      hook_(std::move(hook)),
      logger_(std::move(logger)) {
  GL_CHECK(primary_ != nullptr && fallback_ != nullptr);
}

void FallbackBatchVerifier::OnFallback(const absl::Status& error) {
  if (fallbacks_.fetch_add(1, std::memory_order_relaxed) == 0) {
    logger_.Error(absl::StrCat("verifier backend ", primary_->name(),
                               " failed, this batch and any later failing one go to ",
                               fallback_->name(),
                               " (logged once; see gridledger_verify_backend_fallbacks_total): ",
                               error.ToString()));
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
