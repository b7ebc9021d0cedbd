#include "net/metrics/node_metrics.h"

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
  }
  GL_CHECK_MSG(false, "unknown MetricsQueue");
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
