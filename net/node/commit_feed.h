// The highest commit sequence whose results are fully recorded (store commit
// plus its transaction list), with a wait for commit-stream handlers. Readers
// pull from the store, so a slow reader never holds up the node.
#ifndef GRIDLEDGER_NET_NODE_COMMIT_FEED_H_
#define GRIDLEDGER_NET_NODE_COMMIT_FEED_H_

#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace gridledger::node {

class CommitFeed {
 public:
  explicit CommitFeed(uint64_t recorded) : recorded_(recorded) {}

  void Publish(uint64_t sequence) {
    absl::MutexLock lock(&mu_);
    if (sequence > recorded_) recorded_ = sequence;
  }
  // Wakes every waiter (shutdown).
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  uint64_t recorded() const {
    absl::MutexLock lock(&mu_);
    return recorded_;
  }
  bool closed() const {
    absl::MutexLock lock(&mu_);
    return closed_;
  }
  // Returns the recorded sequence once it exceeds `seen`, or at `timeout`, or on Close.
  uint64_t WaitBeyond(uint64_t seen, absl::Duration timeout) const {
    absl::MutexLock lock(&mu_);
    auto ready = [this, seen]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return recorded_ > seen || closed_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    return recorded_;
  }

 private:
  mutable absl::Mutex mu_;
  uint64_t recorded_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_COMMIT_FEED_H_
