// Bloom filters of the txs index's sorted runs (storage/tx_runs.h), in
// memory: a lookup of an id that no run holds (every admission and every
// execution asks) skips each run's B-tree search unless its filter says
// "maybe".
//
// Blocked: each id sets 8 bits inside one 64-byte block, so a probe costs
// one cache line. The bits come from the id itself, which is a SHA-256
// output: no hashing. A chosen id can only make a false "maybe" (one more
// B-tree search), never hide an id. ~12 bits per id: about 0.5 % false
// positives.
#ifndef GRIDLEDGER_STORAGE_TX_RUN_FILTER_H_
#define GRIDLEDGER_STORAGE_TX_RUN_FILTER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "core/common/types.h"

namespace gridledger::storage {

class RunFilter {
 public:
  static constexpr size_t kBitsPerId = 12;
  // Sized for `expected_ids`; more ids raise the false-positive rate only.
  explicit RunFilter(uint64_t expected_ids);

  void Add(const TxId& id);
  // False only when `id` was never added.
  bool MayContain(const TxId& id) const;
  size_t bytes() const { return blocks_.size() * sizeof(Block); }

 private:
  struct alignas(64) Block {
    std::array<uint64_t, 8> words{};
  };
  size_t BlockOf(const TxId& id) const;

  std::vector<Block> blocks_;
};

// The published filters, by run number, shared with readers on any thread.
// A run with no filter here is searched in its table (always correct): a
// reader may hold a snapshot that lists a run whose filter is not published
// yet, or was dropped after the run left the index.
class TxRunFilters {
 public:
  std::shared_ptr<const RunFilter> Get(uint32_t run) const;
  // `filter` must hold every id of `run` (a superset is allowed).
  void Publish(uint32_t run, std::shared_ptr<const RunFilter> filter);
  void Drop(uint32_t run);
  void Clear();
  size_t bytes() const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<uint32_t, std::shared_ptr<const RunFilter>> filters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_TX_RUN_FILTER_H_
