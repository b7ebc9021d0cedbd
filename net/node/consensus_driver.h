// The one thread that owns the consensus core. It takes events from the
// bounded inbox (peer messages, client transactions, verification results),
// ticks the core every kTimerPeriodMs, and executes the returned actions in
// order: persistence records are batched into one synced LMDB write that
// completes before the next send (or commit) of the same call goes out;
// batch verification goes to the VerifyWorker; commits execute in place.
#ifndef GRIDLEDGER_NET_NODE_CONSENSUS_DRIVER_H_
#define GRIDLEDGER_NET_NODE_CONSENSUS_DRIVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/consensus/core.h"
#include "net/metrics/node_metrics.h"
#include "net/node/commit_executor.h"
#include "net/node/consensus_store.h"
#include "net/node/event_inbox.h"
#include "net/node/verify_worker.h"
#include "net/transport/transport.h"

namespace gridledger::node {

// Events handled between two checks of the timer.
inline constexpr size_t kMaxEventsPerStep = 256;
// Refused peer messages are logged as one summary line per this period.
inline constexpr uint64_t kRejectionLogPeriodMs = 10'000;

struct DriverStats {
  uint64_t persist_writes = 0;   // synced LMDB writes of consensus records
  uint64_t persist_records = 0;
  uint64_t sends = 0;
  uint64_t sends_refused = 0;    // transport queue full or stopped
};

// TEST ONLY (net/node/byzantine_behaviour.h): a frame sent in place of a
// SendAction, and the hook that makes them.
struct RewrittenSend {
  ValidatorIndex to;
  Bytes bytes;
};
using SendRewriter = std::function<std::vector<RewrittenSend>(const consensus::SendAction&)>;

class ConsensusDriver {
 public:
  // Everything must outlive the driver; metrics may be null. `peer_keys[i]`
  // is validator i's transport key.
  ConsensusDriver(std::unique_ptr<consensus::Core> core, std::vector<PublicKey> peer_keys,
                  EventInbox* inbox, ConsensusStore* consensus_store,
                  CommitExecutor* commit_executor, VerifyWorker* verify_worker,
                  net::NodeMetrics* metrics);
  ~ConsensusDriver();

  // Starts the core from `state` and the thread. `transport` receives sends.
  void Start(const consensus::PersistedState& state, net::Transport* transport);
  // Closes the inbox, joins the thread and answers waiting submissions Unavailable.
  void Stop();
  // TEST ONLY, before Start: every send goes out as `rewriter` rewrites it.
  void SetSendRewriter(SendRewriter rewriter) { send_rewriter_ = std::move(rewriter); }

  // Hands client transactions (already admitted) to the core; one status per
  // transaction: OK, ResourceExhausted (back-pressure), Unavailable (inbox
  // full, stopping or no answer within `timeout`).
  std::vector<absl::Status> Submit(std::vector<Bytes> txs, absl::Duration timeout);

  uint64_t round() const { return round_.load(); }
  // The fatal error that stopped the core, if any (storage failure).
  absl::Status failure() const;
  DriverStats stats() const;
  uint64_t votes_sent() const { return votes_sent_.load(); }
  // Peer messages the core refused (bounds, verification, chain id).
  uint64_t messages_rejected() const { return messages_rejected_.load(); }

 private:
  void Loop();
  void Handle(DriverEvent& event, consensus::TimeMs now);
  void Execute(std::vector<consensus::Action> actions);
  void FlushPersist(std::vector<consensus::PersistRecord>* pending);
  void Send(consensus::SendAction& send);
  void Fail(const absl::Status& status);
  void LogRejections(consensus::TimeMs now);
  static consensus::TimeMs NowMs();

  std::unique_ptr<consensus::Core> core_;
  std::vector<PublicKey> peer_keys_;
  EventInbox* inbox_;
  ConsensusStore* consensus_store_;
  CommitExecutor* commit_executor_;
  VerifyWorker* verify_worker_;
  net::NodeMetrics* metrics_;
  net::Transport* transport_ = nullptr;
  SendRewriter send_rewriter_;  // empty unless a test asked for misbehaviour
  std::thread thread_;
  std::atomic<uint64_t> round_{0};
  std::atomic<uint64_t> votes_sent_{0};
  std::atomic<uint64_t> messages_rejected_{0};
  // Consensus thread only.
  uint64_t rejections_logged_ = 0;
  consensus::TimeMs last_rejection_log_ms_ = 0;
  std::atomic<bool> failed_{false};
  mutable absl::Mutex mu_;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  DriverStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_CONSENSUS_DRIVER_H_
