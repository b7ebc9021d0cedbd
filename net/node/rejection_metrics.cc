#include "net/node/rejection_metrics.h"

namespace gridledger::node {

std::optional<net::TxRejection> RejectionOf(v1::SubmitCode code) {
  switch (code) {
    case v1::SUBMIT_CODE_MALFORMED:
      return net::TxRejection::kMalformed;
    case v1::SUBMIT_CODE_BAD_SIGNATURE:
      return net::TxRejection::kBadSignature;
    case v1::SUBMIT_CODE_WRONG_SLICE:
      return net::TxRejection::kWrongSlice;
    case v1::SUBMIT_CODE_DUPLICATE:
      return net::TxRejection::kDuplicate;
    case v1::SUBMIT_CODE_OVERLOADED:
      return net::TxRejection::kOverloaded;
    case v1::SUBMIT_CODE_TOO_LARGE:
      return net::TxRejection::kTooLarge;
    default:  // ACCEPTED, UNSPECIFIED, and codes a newer proto may add
      return std::nullopt;
  }
}

void CountRejections(const v1::SubmitBatchResponse& response, net::NodeMetrics* metrics) {
  if (metrics == nullptr) return;
  for (const v1::SubmitResult& result : response.results()) {
    if (result.accepted()) continue;
    if (std::optional<net::TxRejection> reason = RejectionOf(result.code())) {
      metrics->AddTransactionRejected(*reason);
    }
  }
}

}  // namespace gridledger::node
