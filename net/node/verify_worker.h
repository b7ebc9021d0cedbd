// Verifies peers' batches off the consensus thread (VerifyBatchAction) and
// posts each answer back to the inbox as a VerifiedEvent.
//
// Coalescing: a GPU pays off only on large batches (the CUDA backend sends
// anything under 512 signatures to the CPU), while peers' batches are often
// small. The worker therefore verifies every queued batch, up to
// `coalesce_txs_max` transactions, in one backend call, and with a GPU backend
// waits up to `coalesce_wait_max` after taking the first batch for more to
// arrive while the total is under `coalesce_txs_target`. One call decides a
// whole group: when it passes, every batch in it passes (the group passes
// exactly when each of its batches would); when it fails, each batch of the
// group is verified again on its own, so a faulty peer batch never fails an
// honest one (costing one extra verification of that group).
//
// Deferral: a deferrable job (VerifyBatchAction::deferrable) waits in a lane
// of its own for up to `deferral_max`. The core usually cancels it first (a
// certificate proved the batch: Cancel) or asks for it now (Enqueue again,
// not deferrable); only one still there at its deadline is verified.
#ifndef GRIDLEDGER_NET_NODE_VERIFY_WORKER_H_
#define GRIDLEDGER_NET_NODE_VERIFY_WORKER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/consensus/core.h"
#include "net/metrics/node_metrics.h"
#include "net/node/event_inbox.h"
#include "net/node/tx_checker.h"

namespace gridledger::node {

// The core never has more batches in verification than this.
inline constexpr size_t kMaxVerifyJobs = consensus::kMaxBatchesInVerification;

struct VerifyWorkerOptions {
  // At most this many transactions per backend call (a single larger batch
  // still goes alone). 0: one batch per call, no coalescing.
  size_t coalesce_txs_max = 0;
  // Wait for more batches while the group holds fewer transactions...
  size_t coalesce_txs_target = 0;
  // ...but never longer than this after the group's first batch was taken.
  absl::Duration coalesce_wait_max = absl::ZeroDuration();
  // How long a deferrable job may wait for a cancel before it is verified
  // anyway. Long: the core asks for it at once when the author shows it is
  // short of acks or votes, so this only bounds a batch never certified.
  absl::Duration deferral_max = absl::Seconds(2);

  // The defaults for a backend name: "cuda" waits up to 2 ms for 4096
  // transactions (64 Ki at most); any other backend coalesces only what is
  // already queued, without waiting.
  static VerifyWorkerOptions ForBackend(absl::string_view backend_name);
};

class VerifyWorker {
 public:
  // Options default to VerifyWorkerOptions::ForBackend(checker's backend).
  // `metrics` may be null.
  VerifyWorker(TxChecker* checker, EventInbox* inbox, net::NodeMetrics* metrics = nullptr);
  VerifyWorker(TxChecker* checker, EventInbox* inbox, VerifyWorkerOptions options,
               net::NodeMetrics* metrics = nullptr);
  ~VerifyWorker() { Stop(); }

  void Start();
  // Joins the thread; queued jobs are dropped.
  void Stop();
  // A job beyond kMaxVerifyJobs is answered "not ok" at once (the core then
  // refetches the batch later). A job not deferrable for a digest waiting
  // deferred moves it to the front lane.
  void Enqueue(const Digest& digest, std::shared_ptr<const consensus::Batch> batch,
               bool deferrable = false);
  // Drops a queued job for `digest` (deferred or not) without an answer; one
  // already being verified still answers.
  void Cancel(const Digest& digest);
  // Jobs waiting, deferred ones included.
  size_t queued() const;

  // What became of deferred jobs (for tests and metrics).
  struct DeferralCounts {
    uint64_t deferred = 0;
    uint64_t cancelled = 0;  // the core no longer needed it: never verified
    uint64_t promoted = 0;   // asked for now
    uint64_t expired = 0;    // verified at the deadline
  };
  DeferralCounts deferral_counts() const;

  // Backend calls made for groups of more than one batch, and the batches
  // they covered (for tests and metrics).
  uint64_t coalesced_calls() const;
  uint64_t coalesced_batches() const;

 private:
  struct Job {
    Digest digest;
    std::shared_ptr<const consensus::Batch> batch;
    absl::Time due;  // deferred jobs: when they are verified anyway
  };
  void Loop();
  // Moves deferred jobs whose deadline has passed to the front lane.
  void ReleaseDueLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits until there is a job to take or the worker stops; false: stopping.
  bool AwaitJobsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves queued jobs into `group` while they fit under coalesce_txs_max
  // (the first job always). False when the next job does not fit.
  bool TakeLocked(std::vector<Job>* group, size_t* txs) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<bool> VerifyGroup(const std::vector<Job>& group);
  void Note(net::NodeMetrics::Deferral outcome) {
    if (metrics_ != nullptr) metrics_->AddPeerBatchDeferral(outcome);
  }

  TxChecker* checker_;
  EventInbox* inbox_;
  const VerifyWorkerOptions options_;
  net::NodeMetrics* metrics_;
  mutable absl::Mutex mu_;
  std::deque<Job> jobs_ ABSL_GUARDED_BY(mu_);
  // In arrival order, so deadlines ascend (one deferral_max for all).
  std::deque<Job> deferred_ ABSL_GUARDED_BY(mu_);
  DeferralCounts deferral_counts_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t coalesced_calls_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t coalesced_batches_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_VERIFY_WORKER_H_
