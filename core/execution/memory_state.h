// In-memory slice state for tests and the simulator: the same contents the
// node store keeps (accounts, executed ids, nonce hold, state summary),
// applied per block.
#ifndef GRIDLEDGER_CORE_EXECUTION_MEMORY_STATE_H_
#define GRIDLEDGER_CORE_EXECUTION_MEMORY_STATE_H_

#include <cstdint>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/execution/executor.h"
#include "core/execution/state_view.h"

namespace gridledger {

class MemoryState : public StateView {
 public:
  explicit MemoryState(const Digest& initial_summary = Digest()) : summary_(initial_summary) {}

  absl::StatusOr<std::optional<AccountState>> GetAccount(const AccountRef& account) const override;
  absl::StatusOr<bool> HasExecuted(const TxId& id) const override;
  absl::StatusOr<Digest> StateSummary() const override { return summary_; }
  absl::StatusOr<uint64_t> LastCommittedSequence() const override { return sequence_; }
  absl::StatusOr<std::vector<HeldTx>> HeldFor(const AccountRef& account) const override;
  absl::StatusOr<std::vector<HeldTx>> HeldUpTo(uint64_t max_held_sequence) const override;
  absl::StatusOr<uint64_t> HeldCount() const override { return held_.size(); }
  absl::StatusOr<std::optional<Bytes>> GetMarket(ByteSpan key) const override;
  absl::StatusOr<std::vector<MarketEntry>> MarketRange(ByteSpan lo, ByteSpan hi,
                                                       size_t limit) const override;

  // Genesis funding; only before the first block.
  void SetAccount(const AccountRef& account, const AccountState& state);
  // Applies one executed block as the next commit: account states, the ids of
  // every non-duplicate result, the nonce hold's changes and the new summary.
  void Apply(const BlockOutcome& outcome);

  uint64_t last_committed_sequence() const { return sequence_; }
  // Every account sorted by AccountRef (for comparisons and totals).
  std::vector<std::pair<AccountRef, AccountState>> SortedAccounts() const;
  // Every market record, ascending by key.
  const std::map<Bytes, Bytes>& market() const { return market_; }
  // Every held transaction's key, id and held sequence, sorted by key.
  std::vector<std::tuple<HeldKey, TxId, uint64_t>> SortedHeld() const;

 private:
  absl::flat_hash_map<AccountRef, AccountState> accounts_;
  absl::flat_hash_set<TxId> executed_;
  std::map<HeldKey, HeldTx> held_;  // ordered: HeldFor is a range
  std::map<Bytes, Bytes> market_;
  Digest summary_;
  uint64_t sequence_ = 0;
};

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_MEMORY_STATE_H_
