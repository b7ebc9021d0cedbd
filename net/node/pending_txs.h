// Transaction ids this node admitted and handed to consensus that have not
// committed yet: answers GetTransaction's PENDING and catches re-submissions.
// Bounded in count (kMaxPendingTxIds: past it, new ids are not tracked and
// read UNKNOWN until they commit) and in age (kPendingTtl: an id that never
// committed, e.g. its batch was lost with a crashed peer, may be resubmitted).
#ifndef GRIDLEDGER_NET_NODE_PENDING_TXS_H_
#define GRIDLEDGER_NET_NODE_PENDING_TXS_H_

#include <cstddef>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/common/types.h"

namespace gridledger::node {

inline constexpr size_t kMaxPendingTxIds = size_t{1} << 20;
inline constexpr absl::Duration kPendingTtl = absl::Seconds(60);

class PendingTxs {
 public:
  // False when present and younger than kPendingTtl (a duplicate submission).
  bool Insert(const TxId& id, absl::Time now = absl::Now()) {
    absl::MutexLock lock(&mu_);
    auto it = ids_.find(id);
    if (it != ids_.end()) {
      if (now - it->second < kPendingTtl) return false;
      it->second = now;
      return true;
    }
    if (ids_.size() >= kMaxPendingTxIds) SweepLocked(now);
    if (ids_.size() < kMaxPendingTxIds) ids_.emplace(id, now);
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
  bool Contains(const TxId& id, absl::Time now = absl::Now()) const {
    absl::MutexLock lock(&mu_);
    auto it = ids_.find(id);
    return it != ids_.end() && now - it->second < kPendingTtl;
  }
  size_t size() const {
    absl::MutexLock lock(&mu_);
    return ids_.size();
  }

 private:
  void SweepLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::erase_if(ids_, [now](const auto& e) { return now - e.second >= kPendingTtl; });
  }

  mutable absl::Mutex mu_;
  absl::flat_hash_map<TxId, absl::Time> ids_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_PENDING_TXS_H_
