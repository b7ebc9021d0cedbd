// The one thread that owns the consensus core. It takes events from the
// bounded inbox (peer messages, client transactions, verification results),
// ticks the core every kTimerPeriodMs, and hands the returned actions in
// order to the DurableOutbox (durable_outbox.h): persistence records become
// durable in group-committed synced writes before any send, client answer or
// commit that came after them runs, commits execute on the outbox's own
// thread, and this thread never waits for the disk; batch verification goes
// to the VerifyWorker.
#ifndef GRIDLEDGER_NET_NODE_CONSENSUS_DRIVER_H_
#define GRIDLEDGER_NET_NODE_CONSENSUS_DRIVER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/common/log.h"
#include "core/consensus/core.h"
#include "net/metrics/node_metrics.h"
#include "net/node/commit_executor.h"
#include "net/node/commit_sync_server.h"
#include "net/node/commit_syncer.h"
#include "net/node/durable_outbox.h"
#include "net/node/event_inbox.h"
#include "net/node/latency_anatomy.h"
#include "net/node/state_sync.h"
#include "net/node/verify_worker.h"
#include "net/transport/transport.h"
#include "storage/consensus_store.h"

namespace gridledger::node {

// Events handled between two checks of the timer.
inline constexpr size_t kMaxEventsPerStep = 256;
// ConsensusDriver::overload_backlog_wait's bounds (docs/benchmarks.md,
// "Overload"): healthy header waits stay well under the time, and a single
// client's sequential requests far under the count.
inline constexpr absl::Duration kOverloadBacklogWait = absl::Milliseconds(500);
inline constexpr size_t kOverloadBacklogTxs = 256;
// Refused peer messages are logged as one summary line per this period.
inline constexpr uint64_t kRejectionLogPeriodMs = 10'000;

struct DriverStats {
  uint64_t persist_writes = 0;   // synced LMDB writes of consensus records
  uint64_t persist_records = 0;
  uint64_t persist_groups = 0;   // handled events whose records those writes covered
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
                  EventInbox* inbox, storage::ConsensusStore* consensus_store,
                  CommitExecutor* commit_executor, VerifyWorker* verify_worker,
                  net::NodeMetrics* metrics);
  ~ConsensusDriver();

  // Commit sync (commit_syncer.h, commit_sync_server.h): serves peers from
  // the store and catches up from theirs. Before Start; without it the node
  // neither serves nor syncs.
  void EnableCommitSync(std::unique_ptr<CommitSyncer> syncer,
                        std::unique_ptr<CommitSyncServer> server);
  // State sync (state_sync.h): while it restores a snapshot the core waits
  // as during commit sync; once verified, this thread writes it and the core
  // rejoins from the store in the same step, and commit sync fetches the
  // commits after the snapshot. Before Start.
  void EnableStateSync(StateSync* state_sync);
  // True while catching up from peers (admission refuses transactions).
  bool syncing() const { return syncing_.load(); }
  uint64_t behind_commits() const { return behind_commits_.load(); }
  // Commits executed from commit sync, and syncs started (tests, logs).
  uint64_t commits_synced() const { return commits_synced_.load(); }
  uint64_t syncs_started() const { return syncs_started_.load(); }

  // Starts the core from `state` and the thread. `transport` receives sends.
  void Start(const consensus::PersistedState& state, net::Transport* transport);
  // Closes the inbox, joins the thread and answers waiting submissions Unavailable.
  void Stop();
  // Before Start: where the driver's lines go (default: the process logger).
  void set_logger(Logger logger) { logger_ = std::move(logger); }
  // TEST ONLY, before Start: every send goes out as `rewriter` rewrites it.
  void SetSendRewriter(SendRewriter rewriter) { send_rewriter_ = std::move(rewriter); }

  // Hands client transactions (already admitted) to the core; one status per
  // transaction: OK, ResourceExhausted (back-pressure), Unavailable (inbox
  // full, stopping or no answer within `timeout`). Shared, not copied: the
  // core copies each into its open batch, and the caller may keep the list
  // (the durable admitted record) even when the answer times out.
  std::vector<absl::Status> Submit(std::shared_ptr<const consensus::TxList> txs,
                                   absl::Duration timeout);
  // The same without blocking (gRPC's callback API): `done` gets the
  // statuses on the outbox's writer thread once the core took the
  // transactions and the records before them are durable (inline when they
  // cannot be queued, or at Stop / on a core failure), so it must be short:
  // every later send waits for it. Transactions queued by earlier calls reach the core first.
  void SubmitAsync(std::shared_ptr<const consensus::TxList> txs, SubmitTicket::Done done);

  uint64_t round() const { return round_.load(); }
  // Nonzero while this node is offered more than it orders: more than
  // kOverloadBacklogTxs own transactions wait in batches not yet in a header
  // and the oldest of those batches has waited longer than
  // kOverloadBacklogWait (Core::OwnBacklogWaitMs); then the wait, as of the
  // loop's last pass. Admission refuses meanwhile (client_service.h). Both
  // bounds: a few batches waiting long (peers still connecting, rounds
  // slowed by another client's flood of bad signatures) enter the next
  // header anyway, and refusing would only starve their senders.
  absl::Duration overload_backlog_wait() const {
    return absl::Milliseconds(overload_wait_ms_.load(std::memory_order_relaxed));
  }
  // The fatal error that stopped the core, if any (storage failure).
  absl::Status failure() const;
  DriverStats stats() const;
  uint64_t votes_sent() const { return votes_sent_.load(); }
  // Inbox events the loop has taken and handled (tests wait on it: exact,
  // unlike records written, which wait behind queued commits).
  uint64_t events_handled() const { return events_handled_.load(); }
  // Peer messages the core refused (bounds, verification, chain id).
  uint64_t messages_rejected() const { return messages_rejected_.load(); }

 private:
  void Loop();
  void Handle(DriverEvent& event, consensus::TimeMs now);
  void Execute(std::vector<consensus::Action> actions);
  // After the syncer acted: rejoins the core when a sync ended.
  void AfterSync(consensus::TimeMs now);
  // Once state sync verified a snapshot: writes it and reloads the core.
  void ApplyRestore(consensus::TimeMs now);
  void RejoinAfterFailedRestore(consensus::TimeMs now);
  // Reloads the core from the store (logging `why`); false (and Fail) when
  // the store cannot be read.
  bool Rejoin(consensus::TimeMs now, absl::string_view why);
  bool Restoring() const { return state_sync_ != nullptr && state_sync_->restoring(); }
  // On the outbox's execution thread, in commit order: written once
  // `records_durable` says so.
  absl::Status ExecuteCommit(const consensus::CommittedSubDag& sub, int64_t produced_ns,
                             const DurableOutbox::RecordsDurableFn& records_durable);
  void Send(consensus::SendAction& send);
  void Fail(const absl::Status& status);
  // Queues a submission (the checks and Push shared by Submit and SubmitAsync).
  absl::Status Enqueue(std::shared_ptr<const consensus::TxList> txs,
                       std::shared_ptr<SubmitTicket> ticket);
  // Answers a queued submission Unavailable(why); other events are dropped.
  static void AnswerStopped(DriverEvent& event, absl::string_view why);
  void DrainInbox(absl::string_view why);
  void LogRejections(consensus::TimeMs now);
  static consensus::TimeMs NowMs();
  static int64_t MonotonicNs();  // the latency anatomy's clock

  std::unique_ptr<consensus::Core> core_;
  std::vector<PublicKey> peer_keys_;
  EventInbox* inbox_;
  storage::ConsensusStore* consensus_store_;
  CommitExecutor* commit_executor_;
  VerifyWorker* verify_worker_;
  net::NodeMetrics* metrics_;
  LatencyAnatomy anatomy_;  // consensus thread only
  DurableOutbox outbox_;
  net::Transport* transport_ = nullptr;
  std::unique_ptr<CommitSyncer> syncer_;
  std::unique_ptr<CommitSyncServer> sync_server_;
  StateSync* state_sync_ = nullptr;
  // Restoring(), read once per step (and after a sync, which may start one).
  bool restoring_now_ = false;
  std::atomic<bool> syncing_{false};
  std::atomic<uint64_t> behind_commits_{0};
  std::atomic<uint64_t> commits_synced_{0};
  std::atomic<uint64_t> syncs_started_{0};
  SendRewriter send_rewriter_;  // empty unless a test asked for misbehaviour
  Logger logger_;
  std::thread thread_;
  std::atomic<uint64_t> overload_wait_ms_{0};
  std::atomic<uint64_t> round_{0};
  std::atomic<uint64_t> votes_sent_{0};
  std::atomic<uint64_t> events_handled_{0};
  std::atomic<uint64_t> messages_rejected_{0};
  // Consensus thread only.
  uint64_t rejections_logged_ = 0;
  uint64_t rejections_exported_ = 0;  // into metrics_ (peer_messages_refused)
  uint64_t leader_timeouts_exported_ = 0;  // into metrics_, like rejections_exported_
  uint64_t suspected_skips_exported_ = 0;
  // Availability-vote counters exported so far (sent, upgraded, check failed).
  std::array<uint64_t, 3> availability_exported_{};
  consensus::TimeMs last_rejection_log_ms_ = 0;
  std::atomic<bool> failed_{false};
  mutable absl::Mutex mu_;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  DriverStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_CONSENSUS_DRIVER_H_
