// In-memory slice state for tests and the simulator: the same contents the
// node store keeps (accounts, executed ids, state summary), applied per block.
#ifndef GRIDLEDGER_CORE_EXECUTION_MEMORY_STATE_H_
#define GRIDLEDGER_CORE_EXECUTION_MEMORY_STATE_H_

#include <cstdint>
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

  // Genesis funding; only before the first block.
  void SetAccount(const AccountRef& account, const AccountState& state);
  // Applies one executed block as the next commit: account states, the ids of
  // every non-duplicate result, and the new summary.
  void Apply(const BlockOutcome& outcome);

  uint64_t last_committed_sequence() const { return sequence_; }
  // Every account sorted by AccountRef (for comparisons and totals).
  std::vector<std::pair<AccountRef, AccountState>> SortedAccounts() const;

 private:
  absl::flat_hash_map<AccountRef, AccountState> accounts_;
  absl::flat_hash_set<TxId> executed_;
  Digest summary_;
  uint64_t sequence_ = 0;
};

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_MEMORY_STATE_H_
