// Ids of transactions whose signature recently failed to verify. An id is the
// hash of every signed byte, signature included, so an id that failed once
// fails forever on this network: a client (or peer) that floods the same bad
// transaction is answered from here without another verification.
//
// Bounded: the oldest id is forgotten when a new one arrives at capacity (a
// ring of ids beside a set). Thread-safe; every call is O(1) under a mutex
// held for no verification work.
#ifndef GRIDLEDGER_NET_NODE_FAILED_TX_CACHE_H_
#define GRIDLEDGER_NET_NODE_FAILED_TX_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "core/common/types.h"

namespace gridledger::node {

inline constexpr size_t kFailedTxCacheEntriesMax = size_t{1} << 16;

class FailedTxCache {
 public:
  explicit FailedTxCache(size_t capacity = kFailedTxCacheEntriesMax);

  void Insert(const TxId& id);
  bool Contains(const TxId& id) const;
  size_t size() const;
  // Lookups answered from the cache since construction.
  uint64_t hits() const;

 private:
  mutable absl::Mutex mu_;
  const size_t capacity_;
  std::vector<TxId> ring_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_set<TxId> ids_ ABSL_GUARDED_BY(mu_);
  mutable uint64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_FAILED_TX_CACHE_H_
