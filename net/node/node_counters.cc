#include "net/node/node_counters.h"

#include <string>

namespace gridledger::node {

void FillNodeCounters(const net::NodeMetrics& metrics, gridledger::v1::NodeCounters* out) {
  using net::SignatureKind;
  out->set_committed_transactions(metrics.committed_transactions());
  out->set_commits(metrics.commits());
  out->set_tx_admission_verifications(
      metrics.signature_verifications(SignatureKind::kTxAdmission));
  out->set_tx_peer_batch_verifications(
      metrics.signature_verifications(SignatureKind::kTxPeerBatch));
  out->set_consensus_verifications(metrics.signature_verifications(SignatureKind::kConsensus));
  out->set_signatures_verified(metrics.signatures_verified());
  for (size_t s = 0; s < net::kLatencyStageCount; ++s) {
    const auto stage = static_cast<net::LatencyStage>(s);
    const net::HistogramReading reading = metrics.stage_latency_seconds(stage);
    gridledger::v1::StageLatencyHistogram* h = out->add_stages();
    h->set_stage(std::string(net::LatencyStageName(stage)));
    for (double bound : reading.upper_bounds) h->add_upper_bounds_s(bound);
    for (uint64_t count : reading.cumulative_counts) h->add_cumulative_counts(count);
    h->set_sum_s(reading.sum);
  }
  auto& rejected = *out->mutable_rejected_by_reason();
  for (size_t r = 0; r < net::kTxRejectionCount; ++r) {
    const auto reason = static_cast<net::TxRejection>(r);
    rejected[std::string(net::TxRejectionName(reason))] = metrics.transactions_rejected(reason);
  }
}

}  // namespace gridledger::node
