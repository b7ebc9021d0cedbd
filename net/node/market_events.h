// The market event stream's source (ledger.proto, StreamMarketEvents): each
// commit's market events, derived once the commit is durable from what its
// execution produced (the block's results and the market state change), kept
// in a bounded in-memory history that stream handlers read from.
//
// Within a commit, events follow execution order (core/execution/executor.h):
// the clearings that ran at gate closure (INTERVAL_CLEARED, then its trades in
// walk order), then the settlements (each account's entry ascending by key,
// then INTERVAL_SETTLED), then the commit's successful market transactions by
// result index (the block's own, then those released from the nonce hold).
// A clearing is recognised by its interval record being written together
// with the removal of the interval from the gate queue; a settlement by its
// settlement records (each written exactly once).
#ifndef GRIDLEDGER_NET_NODE_MARKET_EVENTS_H_
#define GRIDLEDGER_NET_NODE_MARKET_EVENTS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/common/log.h"
#include "core/execution/executor.h"
#include "core/execution/market_state.h"
#include "net/proto/ledger.pb.h"

namespace gridledger::node {

// Events the node keeps for subscribers (about 200 bytes each). A subscriber
// this many events behind the newest is disconnected.
inline constexpr size_t kMaxMarketEventHistory = 16'384;
// StreamMarketEvents calls alive at once (each holds a gRPC thread).
inline constexpr size_t kMaxMarketSubscribers = 8;

// `out` as one account's settlement record of `interval` says.
void FillMarketSettlement(const PublicKey& account, uint64_t interval, const SettlementRecord& s,
                          gridledger::v1::MarketSettlement* out);

// The market events of commit `sequence` (block executed into `outcome`), in
// the order above, each with commit_sequence, index_in_commit, slice and
// consensus_time_ms set. `consensus_time_ms` holds the previous commit's
// time and becomes this one's (the market change carries the time whenever it
// moved). `interval_ms` is the market's (genesis). DataLoss when a market
// record of the change does not decode.
absl::StatusOr<std::vector<gridledger::v1::MarketEvent>> MarketEventsOf(
    SliceId slice, uint64_t interval_ms, uint64_t sequence, absl::Span<const BlockTx> block,
    const BlockOutcome& outcome, uint64_t* consensus_time_ms);

class MarketEventLog {
 public:
  // Covers commits from `first_sequence` on (the first this node will
  // execute); `consensus_time_ms` is the store's last; `interval_ms` the
  // market's.
  MarketEventLog(SliceId slice, uint64_t interval_ms, uint64_t first_sequence,
                 uint64_t consensus_time_ms, size_t capacity = kMaxMarketEventHistory);

  // Commit `sequence` is durable: derive and keep its events. Called in
  // commit order by the one thread that executes commits. An event that
  // cannot be derived ends every stream that reaches it (INTERNAL).
  void Publish(uint64_t sequence, absl::Span<const BlockTx> block, const BlockOutcome& outcome);
  // Wakes readers for good (node stopping).
  void Close();
  // Before the first Publish: where a failure is logged (default: the
  // process logger, core/common/log.h).
  void set_logger(Logger logger) { logger_ = std::move(logger); }

  // The position of the first kept event of a commit >= from_sequence
  // (0: the position after the newest event). OutOfRange when events of such
  // a commit are no longer kept or predate this log.
  absl::StatusOr<uint64_t> PositionFor(uint64_t from_sequence) const;
  struct Batch {
    std::vector<gridledger::v1::MarketEvent> events;
    uint64_t next_position = 0;  // where the next Read continues
  };
  // Up to `max` events from `position` on, skipping those of commits before
  // `min_sequence` (a subscriber that asked for a commit not executed yet),
  // waiting up to `wait` while there are none (then empty).
  // ResourceExhausted when `position` was dropped (the reader fell behind);
  // Unavailable once closed; Internal past an event that could not be
  // derived.
  absl::StatusOr<Batch> Read(uint64_t position, uint64_t min_sequence, size_t max,
                             absl::Duration wait) const;

 private:
  const SliceId slice_;
  const uint64_t interval_ms_;
  const size_t capacity_;
  Logger logger_;
  mutable absl::Mutex mu_;
  std::deque<gridledger::v1::MarketEvent> events_ ABSL_GUARDED_BY(mu_);
  uint64_t first_position_ ABSL_GUARDED_BY(mu_) = 0;  // of events_.front()
  // Every event of commits >= this is kept.
  uint64_t first_complete_sequence_ ABSL_GUARDED_BY(mu_);
  uint64_t last_time_ms_ ABSL_GUARDED_BY(mu_);
  // Set when a commit's events could not be derived: streams end there.
  std::optional<uint64_t> broken_position_ ABSL_GUARDED_BY(mu_);
  absl::Status broken_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_MARKET_EVENTS_H_
