#include "net/node/failed_tx_cache.h"

#include "core/common/check.h"

namespace gridledger::node {

FailedTxCache::FailedTxCache(size_t capacity) : capacity_(capacity) {
  GL_CHECK(capacity_ >= 1);
  ring_.reserve(capacity_);
}

void FailedTxCache::Insert(const TxId& id) {
  absl::MutexLock lock(&mu_);
  if (!ids_.insert(id).second) return;
  if (ring_.size() < capacity_) {
    ring_.push_back(id);
    return;
  }
  ids_.erase(ring_[next_]);  // forget the oldest
  ring_[next_] = id;
  next_ = (next_ + 1) % capacity_;
}

bool FailedTxCache::Contains(const TxId& id) const {
  absl::MutexLock lock(&mu_);
  const bool found = ids_.contains(id);
  if (found) ++hits_;
  return found;
}

size_t FailedTxCache::size() const {
  absl::MutexLock lock(&mu_);
  return ids_.size();
}

uint64_t FailedTxCache::hits() const {
  absl::MutexLock lock(&mu_);
  return hits_;
}

}  // namespace gridledger::node
