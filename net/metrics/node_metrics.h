// The node's Prometheus metrics: one registry of named counters, gauges and
// histograms that the runtime updates and a MetricsServer exposes. Every
// label takes values from a fixed set, so the number of series is bounded.
#ifndef GRIDLEDGER_NET_METRICS_NODE_METRICS_H_
#define GRIDLEDGER_NET_METRICS_NODE_METRICS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace gridledger::net {

// Queues whose depth is exported (label queue="<name>").
enum class MetricsQueue : uint8_t {
  kMempool = 0,         // admitted client transactions not yet in a batch
  kConsensusInbox = 1,  // peer messages waiting for the consensus core
  kVerifyPending = 2,   // signatures waiting for a verification batch
  kExecution = 3,       // committed sub-DAGs waiting to execute
  kStorageWrites = 4,   // persistence writes not yet durable (records alone wait up to
                        // 20 ms for a write: durable_outbox.h)
  kOwnBatches = 5,      // own batches sealed, not yet in a header
};
inline constexpr size_t kMetricsQueueCount = 6;
absl::string_view MetricsQueueName(MetricsQueue queue);

// Signature verifications by what they check (label kind="<name>"): a
// client transaction at admission, the transactions of a peer's batch, or a
// consensus signature (header, vote, certificate). Counted where the work is
// handed to the verifier, so the cluster can report verifications per
// committed transaction (issue 12 item 1).
enum class SignatureKind : uint8_t {
  kTxAdmission = 0,
  kTxPeerBatch = 1,
  kConsensus = 2,
};
inline constexpr size_t kSignatureKindCount = 3;
absl::string_view SignatureKindName(SignatureKind kind);

// Latency anatomy of this validator's own batches (label stage="<name>",
// net/node/latency_anatomy.h): first transaction admitted -> batch sealed ->
// in an own header -> certificate -> committed -> executed; and before that
// the admission of each submit request (ClientService).
enum class LatencyStage : uint8_t {
  kBatch = 0,        // first transaction admitted -> batch sealed
  kHeader = 1,       // batch sealed -> included in an own header (acks, proposal wait)
  kCertificate = 2,  // own header proposed -> its certificate formed
  kCommit = 3,       // certificate formed -> committed by an anchor
  kExecute = 4,      // commit -> executed and stored (every commit)
  kAdmit = 5,        // a submit request received -> answered (verification, hand-over to
                     // consensus and the durable record included), per request
};
inline constexpr size_t kLatencyStageCount = 6;
absl::string_view LatencyStageName(LatencyStage stage);
// 0.25 ms to 10 s, fine enough to read a median from.
inline constexpr std::array<double, 26> kStageLatencySecondsBuckets = {
    0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05,
    0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0, 10.0};

// Why a client transaction was refused (label reason="<name>"), one per
// refusal code of the client API (ledger.proto SubmitCode).
enum class TxRejection : uint8_t {
  kMalformed = 0,
  kBadSignature = 1,
  kWrongSlice = 2,
  kDuplicate = 3,
  kOverloaded = 4,
  kTooLarge = 5,
};
inline constexpr size_t kTxRejectionCount = 6;
absl::string_view TxRejectionName(TxRejection reason);

// Verification batch sizes: powers of 4 from 1 to 1M signatures.
inline constexpr std::array<double, 11> kVerifyBatchSizeBuckets = {
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576};
// Peer batches verified in one backend call (VerifyWorker coalescing): powers
// of 2 up to kMaxBatchesInVerification (256).
inline constexpr std::array<double, 9> kPeerBatchesPerVerificationBuckets = {
    1, 2, 4, 8, 16, 32, 64, 128, 256};
// Verification batch latency: 10 us to ~5 s.
inline constexpr std::array<double, 12> kVerifyLatencySecondsBuckets = {
    1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 5.0};

// One histogram read back: cumulative counts per finite upper bound, then
// the +Inf count (so counts has one more entry than upper_bounds).
struct HistogramReading {
  std::vector<double> upper_bounds;
  std::vector<uint64_t> cumulative_counts;
  double sum = 0;
};

class NodeMetrics {
 public:
  NodeMetrics();
  NodeMetrics(const NodeMetrics&) = delete;
  NodeMetrics& operator=(const NodeMetrics&) = delete;

  // For MetricsServer::Register.
  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

  void AddCommittedTransactions(uint64_t count) {
    committed_transactions_->Increment(static_cast<double>(count));
  }
  void AddCommit() { commits_->Increment(); }
  void SetRound(uint64_t round) { round_->Set(static_cast<double>(round)); }
  void SetLastCommittedSequence(uint64_t sequence) {
    last_committed_sequence_->Set(static_cast<double>(sequence));
  }
  // Transaction ids of the store's recent run, in memory until merged into
  // the id index (storage/recent_txs.h): bounded by the merge size unless a
  // reader pins them.
  void SetRecentTxIds(size_t ids) { recent_tx_ids_->Set(static_cast<double>(ids)); }
  void SetTxIndexRuns(size_t runs) { tx_index_runs_->Set(static_cast<double>(runs)); }
  // Commit sync (net/node/commit_syncer.h): 1 while catching up from peers.
  void SetSyncing(bool syncing, uint64_t behind_commits) {
    syncing_->Set(syncing ? 1.0 : 0.0);
    behind_commits_->Set(static_cast<double>(behind_commits));
  }
  void ObserveVerifyBatch(size_t signatures, absl::Duration latency);
  void ObservePeerBatchesPerVerification(size_t batches);
  // A verification call the GPU failed and the CPU answered.
  void AddVerifyFallback() { verify_fallbacks_->Increment(); }
  void SetQueueDepth(MetricsQueue queue, size_t depth);
  void AddSignatureVerifications(SignatureKind kind, uint64_t count);
  void ObserveStage(LatencyStage stage, absl::Duration latency);
  // The verifier the node chose at start-up ("cpu", "cuda"): that series is 1.
  void SetVerifierBackend(absl::string_view backend);
  // An authenticated link to committee member `peer` (validator index) came
  // up or went down; labels peer="<index>", direction="inbound|outbound".
  void SetPeerLinkUp(uint32_t peer, bool outbound, bool up);
  void AddTransactionRejected(TxRejection reason) {
    tx_rejections_[static_cast<size_t>(reason)]->Increment();
  }
  // Peer consensus messages the core refused (bounds, signatures, chain id).
  void AddPeerMessagesRefused(uint64_t count) {
    peer_messages_refused_->Increment(static_cast<double>(count));
  }
  // Anchor rounds this validator left without the leader's certificate:
  // after the full leader timeout, or at once because the leader is
  // suspected (core/consensus/leader_reputation.h).
  void AddLeaderTimeouts(uint64_t count) { leader_timeouts_->Increment(static_cast<double>(count)); }
  void AddSuspectedLeaderSkips(uint64_t count) {
    suspected_leader_skips_->Increment(static_cast<double>(count));
  }
  // Peer batches whose verification this validator deferred
  // (consensus::Parameters::defer_peer_verification), by what became of it.
  enum class Deferral { kDeferred, kCancelled, kPromoted, kExpired };
  void AddPeerBatchDeferral(Deferral outcome) {
    peer_batch_deferrals_[static_cast<size_t>(outcome)]->Increment();
  }
  // consensus::Parameters::availability_votes: votes sent that vouched for
  // availability only, verified votes sent after them for the same header,
  // and checks of batches stored for availability that failed.
  enum class AvailabilityEvent { kVoteSent, kVoteUpgraded, kCheckFailed };
  void AddAvailabilityEvents(AvailabilityEvent event, uint64_t count) {
    availability_events_[static_cast<size_t>(event)]->Increment(static_cast<double>(count));
  }

  // Read back for the client API's GetCounters (net/node/node_counters.h),
  // so tools need not parse the exposition text.
  uint64_t committed_transactions() const { return Whole(committed_transactions_->Value()); }
  uint64_t commits() const { return Whole(commits_->Value()); }
  uint64_t signature_verifications(SignatureKind kind) const;
  // Signatures in every verification batch (the batch-size histogram's sum).
  uint64_t signatures_verified() const;
  HistogramReading stage_latency_seconds(LatencyStage stage) const;
  uint64_t transactions_rejected(TxRejection reason) const;

 private:
  // Counters hold whole numbers in doubles (exact below 2^53).
  static uint64_t Whole(double v) { return static_cast<uint64_t>(v); }

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter* committed_transactions_;
  prometheus::Counter* commits_;
  prometheus::Gauge* round_;
  prometheus::Gauge* last_committed_sequence_;
  prometheus::Gauge* recent_tx_ids_;
  prometheus::Gauge* tx_index_runs_;
  prometheus::Gauge* syncing_;
  prometheus::Gauge* behind_commits_;
  prometheus::Histogram* verify_batch_size_;
  prometheus::Histogram* verify_batch_latency_seconds_;
  prometheus::Histogram* peer_batches_per_verification_;
  prometheus::Counter* verify_fallbacks_;
  std::array<prometheus::Gauge*, kMetricsQueueCount> queue_depth_{};
  std::array<prometheus::Counter*, kSignatureKindCount> signature_verifications_{};
  std::array<prometheus::Histogram*, kLatencyStageCount> stage_latency_seconds_{};
  prometheus::Family<prometheus::Gauge>* verifier_backend_;
  prometheus::Family<prometheus::Gauge>* peer_link_up_;
  std::array<prometheus::Counter*, kTxRejectionCount> tx_rejections_{};
  prometheus::Counter* peer_messages_refused_;
  prometheus::Counter* leader_timeouts_;
  prometheus::Counter* suspected_leader_skips_;
  std::array<prometheus::Counter*, 4> peer_batch_deferrals_{};
  std::array<prometheus::Counter*, 3> availability_events_{};
};

}  // namespace gridledger::net

#endif  // GRIDLEDGER_NET_METRICS_NODE_METRICS_H_
