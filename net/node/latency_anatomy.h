// Latency anatomy (issue 12 item 6): where a transaction's time goes inside
// one validator, timed from what the consensus driver already sees, with no
// hook in the core. For this validator's own batches:
//   batch        first client transaction admitted -> batch sealed
//   header       batch sealed -> included in an own header (acks, proposal wait)
//   certificate  own header proposed -> its certificate formed
//   commit       certificate formed -> committed by an anchor
// and for every commit
//   execute      commit returned by the core -> executed and stored (after
//                the records before it are durable and earlier commits ran)
// Each is a NodeMetrics stage histogram. The driver reports admissions and
// every action when the core returns it (before it is durable); stages whose
// start it did not see (after a restart, restored transactions) are not
// observed. Consensus thread only, but ObserveExecuted.
#ifndef GRIDLEDGER_NET_NODE_LATENCY_ANATOMY_H_
#define GRIDLEDGER_NET_NODE_LATENCY_ANATOMY_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/common/types.h"
#include "core/consensus/core.h"
#include "net/metrics/node_metrics.h"

namespace gridledger::node {

// Sealed batches waiting for a header, and rounds waiting for a certificate
// or a commit: beyond these the oldest are forgotten (a batch or certificate
// that never moves on must not grow memory).
inline constexpr size_t kMaxAnatomyBatches = 4096;
inline constexpr size_t kMaxAnatomyRounds = 1024;

class LatencyAnatomy {
 public:
  // `metrics` may be null (nothing is observed).
  LatencyAnatomy(ValidatorIndex me, net::NodeMetrics* metrics) : me_(me), metrics_(metrics) {}

  // True when `actions` seal a batch of validator `me` (an own BatchRecord).
  static bool SealsOwnBatch(const std::vector<consensus::Action>& actions, ValidatorIndex me);

  // The core accepted a client transaction at `now_ns` (monotonic); `sealed`
  // when the actions it returned seal a batch (SealsOwnBatch).
  void OnAdmitted(int64_t now_ns, bool sealed);
  // Every action, before it is executed, in order.
  void OnAction(const consensus::Action& action, int64_t now_ns);
  // A CommitAction reported at `commit_ns` finished executing at
  // `executed_ns`; from any thread (commits execute on their own,
  // durable_outbox.h). `metrics` may be null.
  static void ObserveExecuted(net::NodeMetrics* metrics, int64_t commit_ns, int64_t executed_ns);

  // Entries held (tests: bounded).
  size_t tracked() const {
    return seal_starts_.size() + sealed_at_.size() + header_at_.size() + certified_at_.size();
  }

 private:
  // Shared by the members and ObserveExecuted: nothing without metrics or
  // for a stage that would end before it began.
  static void Observe(net::NodeMetrics* metrics, net::LatencyStage stage, int64_t from_ns,
                      int64_t to_ns);
  void OnOwnBatch(const consensus::Batch& batch, int64_t now_ns);

  const ValidatorIndex me_;
  net::NodeMetrics* metrics_;
  std::optional<int64_t> open_since_ns_;  // first admission into the open batch
  std::deque<int64_t> seal_starts_;       // admissions' seals not yet seen as actions
  absl::flat_hash_map<Digest, int64_t> sealed_at_;
  std::deque<Digest> sealed_order_;       // sealed_at_'s keys, oldest first
  std::map<uint64_t, int64_t> header_at_;     // own header round -> proposed
  std::map<uint64_t, int64_t> certified_at_;  // own certificate round -> formed
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_LATENCY_ANATOMY_H_
