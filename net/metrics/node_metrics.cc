#include "net/metrics/node_metrics.h"

#include <cmath>
#include <string>
#include <vector>

#include "core/common/check.h"

namespace gridledger::net {

absl::string_view MetricsQueueName(MetricsQueue queue) {
  switch (queue) {
    case MetricsQueue::kMempool:
      return "mempool";
    case MetricsQueue::kConsensusInbox:
      return "consensus_inbox";
    case MetricsQueue::kVerifyPending:
      return "verify_pending";
    case MetricsQueue::kExecution:
      return "execution";
    case MetricsQueue::kStorageWrites:
      return "storage_writes";
    case MetricsQueue::kOwnBatches:
      return "own_batches";
  }
  GL_CHECK_MSG(false, "unknown MetricsQueue");
}

absl::string_view SignatureKindName(SignatureKind kind) {
  switch (kind) {
    case SignatureKind::kTxAdmission:
      return "tx_admission";
    case SignatureKind::kTxPeerBatch:
      return "tx_peer_batch";
    case SignatureKind::kConsensus:
      return "consensus";
  }
  GL_CHECK_MSG(false, "unknown SignatureKind");
}

absl::string_view LatencyStageName(LatencyStage stage) {
  switch (stage) {
    case LatencyStage::kBatch:
      return "batch";
    case LatencyStage::kHeader:
      return "header";
    case LatencyStage::kCertificate:
      return "certificate";
    case LatencyStage::kCommit:
      return "commit";
    case LatencyStage::kExecute:
      return "execute";
    case LatencyStage::kAdmit:
      return "admit";
  }
  GL_CHECK_MSG(false, "unknown LatencyStage");
}

absl::string_view TxRejectionName(TxRejection reason) {
  switch (reason) {
    case TxRejection::kMalformed:
      return "malformed";
    case TxRejection::kBadSignature:
      return "bad_signature";
    case TxRejection::kWrongSlice:
      return "wrong_slice";
    case TxRejection::kDuplicate:
      return "duplicate";
    case TxRejection::kOverloaded:
      return "overloaded";
    case TxRejection::kTooLarge:
      return "too_large";
  }
  GL_CHECK_MSG(false, "unknown TxRejection");
}

NodeMetrics::NodeMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  committed_transactions_ = &prometheus::BuildCounter()
                                 .Name("gridledger_committed_transactions_total")
                                 .Help("Transactions committed and executed")
                                 .Register(*registry_)
                                 .Add({});
  commits_ = &prometheus::BuildCounter()
                  .Name("gridledger_commits_total")
                  .Help("Committed anchors (sub-DAGs)")
                  .Register(*registry_)
                  .Add({});
  round_ = &prometheus::BuildGauge()
                .Name("gridledger_round")
                .Help("Current DAG round")
                .Register(*registry_)
                .Add({});
  last_committed_sequence_ = &prometheus::BuildGauge()
                                  .Name("gridledger_last_committed_sequence")
                                  .Help("Sequence number of the last commit")
                                  .Register(*registry_)
                                  .Add({});
  recent_tx_ids_ = &prometheus::BuildGauge()
                        .Name("gridledger_store_recent_tx_ids")
                        .Help("Transaction ids held in memory until merged into the id index")
                        .Register(*registry_)
                        .Add({});
  tx_index_runs_ = &prometheus::BuildGauge()
                       .Name("gridledger_store_tx_index_runs")
                       .Help("Sorted runs of the transaction id index on disk (its LSM)")
                       .Register(*registry_)
                       .Add({});
  syncing_ = &prometheus::BuildGauge()
                  .Name("gridledger_syncing")
                  .Help("1 while the validator catches up from peers' stores (commit sync)")
                  .Register(*registry_)
                  .Add({});
  behind_commits_ = &prometheus::BuildGauge()
                         .Name("gridledger_behind_commits")
                         .Help("Commits a peer reported beyond this validator's, while syncing")
                         .Register(*registry_)
                         .Add({});
  verify_batch_size_ =
      &prometheus::BuildHistogram()
           .Name("gridledger_verify_batch_size")
           .Help("Signatures per verification batch")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries(kVerifyBatchSizeBuckets.begin(),
                                                            kVerifyBatchSizeBuckets.end()));
  verify_batch_latency_seconds_ =
      &prometheus::BuildHistogram()
           .Name("gridledger_verify_batch_latency_seconds")
           .Help("Wall time of one verification batch, host buffers in to results out")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries(
                        kVerifyLatencySecondsBuckets.begin(),
                        kVerifyLatencySecondsBuckets.end()));
  peer_batches_per_verification_ =
      &prometheus::BuildHistogram()
           .Name("gridledger_peer_batches_per_verification")
           .Help("Peer batches verified together in one backend call (coalescing)")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries(
                        kPeerBatchesPerVerificationBuckets.begin(),
                        kPeerBatchesPerVerificationBuckets.end()));
  verify_fallbacks_ = &prometheus::BuildCounter()
                           .Name("gridledger_verify_backend_fallbacks_total")
                           .Help("Verification calls the GPU backend failed and the CPU answered")
                           .Register(*registry_)
                           .Add({});
  auto& queue_family = prometheus::BuildGauge()
                           .Name("gridledger_queue_depth")
                           .Help("Items waiting in a bounded queue")
                           .Register(*registry_);
  for (size_t i = 0; i < kMetricsQueueCount; ++i) {
    queue_depth_[i] = &queue_family.Add(
        {{"queue", std::string(MetricsQueueName(static_cast<MetricsQueue>(i)))}});
  }
  auto& verifications_family =
      prometheus::BuildCounter()
          .Name("gridledger_signature_verifications_total")
          .Help("Signatures handed to a verifier: client transactions at admission, "
                "transactions of peers' batches, consensus signatures")
          .Register(*registry_);
  for (size_t i = 0; i < kSignatureKindCount; ++i) {
    signature_verifications_[i] = &verifications_family.Add(
        {{"kind", std::string(SignatureKindName(static_cast<SignatureKind>(i)))}});
  }
  auto& stage_family =
      prometheus::BuildHistogram()
          .Name("gridledger_stage_latency_seconds")
          .Help("Latency anatomy of own batches: admitted->sealed (batch), sealed->own header "
                "(header), header->certificate, certificate->commit, commit->executed (execute); "
                "submit request received->answered (admit)")
          .Register(*registry_);
  for (size_t i = 0; i < kLatencyStageCount; ++i) {
    stage_latency_seconds_[i] = &stage_family.Add(
        {{"stage", std::string(LatencyStageName(static_cast<LatencyStage>(i)))}},
        prometheus::Histogram::BucketBoundaries(kStageLatencySecondsBuckets.begin(),
                                                kStageLatencySecondsBuckets.end()));
  }
  verifier_backend_ = &prometheus::BuildGauge()
                           .Name("gridledger_verifier_backend")
                           .Help("1 for the signature verifier backend the node chose")
                           .Register(*registry_);
  peer_link_up_ = &prometheus::BuildGauge()
                       .Name("gridledger_peer_link_up")
                       .Help("1 while an authenticated link to the peer validator is up")
                       .Register(*registry_);
  auto& rejection_family = prometheus::BuildCounter()
                               .Name("gridledger_transactions_rejected_total")
                               .Help("Client transactions refused at admission, by reason")
                               .Register(*registry_);
  for (size_t i = 0; i < kTxRejectionCount; ++i) {
    tx_rejections_[i] = &rejection_family.Add(
        {{"reason", std::string(TxRejectionName(static_cast<TxRejection>(i)))}});
  }
  peer_messages_refused_ = &prometheus::BuildCounter()
                                .Name("gridledger_peer_messages_refused_total")
                                .Help("Peer consensus messages the core refused")
                                .Register(*registry_)
                                .Add({});
  auto& leader_waits = prometheus::BuildCounter()
                           .Name("gridledger_anchor_rounds_without_leader_total")
                           .Help("Anchor rounds left without the leader's certificate: after "
                                 "the leader timeout, or at once for a suspected leader")
                           .Register(*registry_);
  leader_timeouts_ = &leader_waits.Add({{"outcome", "timeout"}});
  suspected_leader_skips_ = &leader_waits.Add({{"outcome", "suspected_skip"}});
  auto& deferrals = prometheus::BuildCounter()
                        .Name("gridledger_peer_batch_deferrals_total")
                        .Help("Peer batch verifications deferred (outcome=deferred), and what "
                              "became of them: cancelled by a certificate's proof, promoted "
                              "(asked for at once), expired (verified at the deadline)")
                        .Register(*registry_);
  const char* const outcomes[] = {"deferred", "cancelled", "promoted", "expired"};
  for (size_t i = 0; i < peer_batch_deferrals_.size(); ++i) {
    peer_batch_deferrals_[i] = &deferrals.Add({{"outcome", outcomes[i]}});
  }
  auto& availability = prometheus::BuildCounter()
                           .Name("gridledger_availability_votes_total")
                           .Help("Availability votes: sent (vouching that the batches are "
                                 "stored, not yet checked), upgraded (a verified vote sent "
                                 "after one for the same header), check_failed (a stored "
                                 "batch's deferred check failed)")
                           .Register(*registry_);
  const char* const events[] = {"sent", "upgraded", "check_failed"};
  for (size_t i = 0; i < availability_events_.size(); ++i) {
    availability_events_[i] = &availability.Add({{"event", events[i]}});
  }
}

void NodeMetrics::AddSignatureVerifications(SignatureKind kind, uint64_t count) {
  const size_t index = static_cast<size_t>(kind);
  GL_CHECK(index < kSignatureKindCount);
  signature_verifications_[index]->Increment(static_cast<double>(count));
}

uint64_t NodeMetrics::signature_verifications(SignatureKind kind) const {
  const size_t index = static_cast<size_t>(kind);
  GL_CHECK(index < kSignatureKindCount);
  return Whole(signature_verifications_[index]->Value());
}

uint64_t NodeMetrics::signatures_verified() const {
  return Whole(verify_batch_size_->Collect().histogram.sample_sum);
}

HistogramReading NodeMetrics::stage_latency_seconds(LatencyStage stage) const {
  const size_t index = static_cast<size_t>(stage);
  GL_CHECK(index < kLatencyStageCount);
  const prometheus::ClientMetric metric = stage_latency_seconds_[index]->Collect();
  HistogramReading reading;
  reading.sum = metric.histogram.sample_sum;
  for (const prometheus::ClientMetric::Bucket& b : metric.histogram.bucket) {
    if (std::isfinite(b.upper_bound)) reading.upper_bounds.push_back(b.upper_bound);
    reading.cumulative_counts.push_back(b.cumulative_count);
  }
  return reading;
}

uint64_t NodeMetrics::transactions_rejected(TxRejection reason) const {
  const size_t index = static_cast<size_t>(reason);
  GL_CHECK(index < kTxRejectionCount);
  return Whole(tx_rejections_[index]->Value());
}

void NodeMetrics::ObserveStage(LatencyStage stage, absl::Duration latency) {
  const size_t index = static_cast<size_t>(stage);
  GL_CHECK(index < kLatencyStageCount);
  stage_latency_seconds_[index]->Observe(absl::ToDoubleSeconds(latency));

}

void NodeMetrics::SetVerifierBackend(absl::string_view backend) {
  verifier_backend_->Add({{"backend", std::string(backend)}}).Set(1);
}

void NodeMetrics::SetPeerLinkUp(uint32_t peer, bool outbound, bool up) {
  // Family::Add returns the series already made for these labels.
  peer_link_up_
      ->Add({{"peer", std::to_string(peer)}, {"direction", outbound ? "outbound" : "inbound"}})
      .Set(up ? 1.0 : 0.0);
}

void NodeMetrics::ObserveVerifyBatch(size_t signatures, absl::Duration latency) {
  verify_batch_size_->Observe(static_cast<double>(signatures));
  verify_batch_latency_seconds_->Observe(absl::ToDoubleSeconds(latency));
}

void NodeMetrics::ObservePeerBatchesPerVerification(size_t batches) {
  peer_batches_per_verification_->Observe(static_cast<double>(batches));
}

void NodeMetrics::SetQueueDepth(MetricsQueue queue, size_t depth) {
  const size_t index = static_cast<size_t>(queue);
  GL_CHECK(index < kMetricsQueueCount);
  queue_depth_[index]->Set(static_cast<double>(depth));
}

}  // namespace gridledger::net
