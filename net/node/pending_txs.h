// Transaction ids this node admitted and handed to consensus that have not
// committed yet: answers GetTransaction's PENDING and catches re-submissions.
// Bounded: past kMaxPendingTxIds ids, new ones are not tracked (their status
// reads UNKNOWN until they commit), so memory never grows with a backlog.
#ifndef GRIDLEDGER_NET_NODE_PENDING_TXS_H_
#define GRIDLEDGER_NET_NODE_PENDING_TXS_H_

#include <cstddef>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "core/common/types.h"

namespace gridledger::node {

inline constexpr size_t kMaxPendingTxIds = size_t{1} << 20;

class PendingTxs {
 public:
  // False when already present (a duplicate submission).
  bool Insert(const TxId& id) {
    absl::MutexLock lock(&mu_);
    if (ids_.contains(id)) return false;
    if (ids_.size() < kMaxPendingTxIds) ids_.insert(id);
    return true;
  }
  void Erase(const TxId& id) {
    absl::MutexLock lock(&mu_);
    ids_.erase(id);
  }
  void EraseAll(absl::Span<const TxId> ids) {
    absl::MutexLock lock(&mu_);
    for (const TxId& id : ids) ids_.erase(id);
  }
  bool Contains(const TxId& id) const {
    absl::MutexLock lock(&mu_);
    return ids_.contains(id);
  }
  size_t size() const {
    absl::MutexLock lock(&mu_);
    return ids_.size();
  }

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_set<TxId> ids_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_PENDING_TXS_H_
