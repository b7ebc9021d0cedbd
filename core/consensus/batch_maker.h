// Collects this validator's client transactions (already verified by the
// runtime) and seals a batch at batch_bytes, at batch_txs_max transactions or
// max_batch_delay_ms after its first transaction, whichever comes first.
// After a restart it also holds the transactions this validator acknowledged
// before the crash (Restore) and hands them out again in batch-sized pieces.
#ifndef GRIDLEDGER_CORE_CONSENSUS_BATCH_MAKER_H_
#define GRIDLEDGER_CORE_CONSENSUS_BATCH_MAKER_H_

#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

#include "core/common/bytes.h"
#include "core/consensus/params.h"
#include "core/consensus/tx_list.h"

namespace gridledger::consensus {

class BatchMaker {
 public:
  BatchMaker(size_t batch_bytes, size_t batch_txs_max, uint64_t max_batch_delay_ms)
      : batch_bytes_(batch_bytes),
        batch_txs_max_(batch_txs_max),
        max_batch_delay_ms_(max_batch_delay_ms) {}

  // Copies `tx` into the open batch's buffer (sized for a full batch when
  // it opens). Returns the sealed transactions when this one filled it.
  std::optional<TxList> Add(ByteSpan tx, TimeMs now);
  // Returns the sealed transactions when the open batch is old enough.
  std::optional<TxList> Tick(TimeMs now);
  size_t open_bytes() const { return open_bytes_; }
  // When Tick seals the open batch; nullopt while none is open.
  std::optional<TimeMs> SealDeadline() const {
    if (open_.empty()) return std::nullopt;
    return opened_ms_ + max_batch_delay_ms_;
  }

  // Queues acknowledged transactions recovered after a restart, in order.
  void Restore(std::vector<Bytes> txs);
  // The next batch of restored transactions (bounded like a sealed batch),
  // nullopt once none are left.
  std::optional<TxList> TakeRestored();
  size_t restored_txs() const { return restored_.size(); }

 private:
  TxList Seal();
  size_t batch_bytes_;
  size_t batch_txs_max_;
  uint64_t max_batch_delay_ms_;
  TxList open_;
  size_t open_bytes_ = 0;
  TimeMs opened_ms_ = 0;
  std::deque<Bytes> restored_;
};

}  // namespace gridledger::consensus

#endif  // GRIDLEDGER_CORE_CONSENSUS_BATCH_MAKER_H_
