#include "core/execution/memory_state.h"

#include <algorithm>

#include "core/common/check.h"

namespace gridledger {

absl::StatusOr<std::optional<AccountState>> MemoryState::GetAccount(
    const AccountRef& account) const {
  auto it = accounts_.find(account);
  if (it == accounts_.end()) return std::optional<AccountState>();
  return std::optional<AccountState>(it->second);
}

absl::StatusOr<bool> MemoryState::HasExecuted(const TxId& id) const {
  return executed_.contains(id);
}

void MemoryState::SetAccount(const AccountRef& account, const AccountState& state) {
  GL_CHECK_MSG(sequence_ == 0, "SetAccount is for genesis, before the first block");
  accounts_[account] = state;
}

void MemoryState::Apply(const BlockOutcome& outcome) {
  for (const TxResult& r : outcome.results) {
    if (r.code == TxResultCode::kDuplicate) continue;
    GL_CHECK_MSG(executed_.insert(r.id).second, "non-duplicate result for an executed id");
  }
  for (const auto& [ref, state] : outcome.accounts) accounts_[ref] = state;
  summary_ = outcome.state_summary;
  ++sequence_;
}

std::vector<std::pair<AccountRef, AccountState>> MemoryState::SortedAccounts() const {
  std::vector<std::pair<AccountRef, AccountState>> out(accounts_.begin(), accounts_.end());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace gridledger
