// Verifies peers' batches off the consensus thread (VerifyBatchAction) and
// posts each answer back to the inbox as a VerifiedEvent.
#ifndef GRIDLEDGER_NET_NODE_VERIFY_WORKER_H_
#define GRIDLEDGER_NET_NODE_VERIFY_WORKER_H_

#include <deque>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "core/consensus/core.h"
#include "net/node/event_inbox.h"
#include "net/node/tx_checker.h"

namespace gridledger::node {

// The core never has more batches in verification than this.
inline constexpr size_t kMaxVerifyJobs = consensus::kMaxBatchesInVerification;

class VerifyWorker {
 public:
  VerifyWorker(TxChecker* checker, EventInbox* inbox) : checker_(checker), inbox_(inbox) {}
  ~VerifyWorker() { Stop(); }

  void Start();
  // Joins the thread; queued jobs are dropped.
  void Stop();
  // A job beyond kMaxVerifyJobs is answered "not ok" at once (the core then
  // refetches the batch later).
  void Enqueue(const Digest& digest, std::shared_ptr<const consensus::Batch> batch);
  size_t queued() const;

 private:
  struct Job {
    Digest digest;
    std::shared_ptr<const consensus::Batch> batch;
  };
  void Loop();

  TxChecker* checker_;
  EventInbox* inbox_;
  mutable absl::Mutex mu_;
  std::deque<Job> jobs_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_VERIFY_WORKER_H_
