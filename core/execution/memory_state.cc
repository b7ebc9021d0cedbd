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

absl::StatusOr<std::vector<HeldTx>> MemoryState::HeldFor(const AccountRef& account) const {
  std::vector<HeldTx> out;
  for (auto it = held_.lower_bound(HeldKey{account, Nonce(0)});
       it != held_.end() && it->first.account == account; ++it) {
    out.push_back(it->second);
  }
  return out;
}

absl::StatusOr<std::vector<HeldTx>> MemoryState::HeldUpTo(uint64_t max_held_sequence) const {
  std::vector<HeldTx> out;
  for (const auto& [key, held] : held_) {
    if (held.held_sequence <= max_held_sequence) out.push_back(held);
  }
  std::sort(out.begin(), out.end(), [](const HeldTx& a, const HeldTx& b) {
    return std::make_pair(a.held_sequence, a.key()) < std::make_pair(b.held_sequence, b.key());
  });
  return out;
}

absl::StatusOr<std::optional<Bytes>> MemoryState::GetMarket(ByteSpan key) const {
  auto it = market_.find(Bytes(key.begin(), key.end()));
  if (it == market_.end()) return std::optional<Bytes>();
  return std::optional<Bytes>(it->second);
}

absl::StatusOr<std::vector<MarketEntry>> MemoryState::MarketRange(ByteSpan lo, ByteSpan hi,
                                                                  size_t limit) const {
  std::vector<MarketEntry> out;
  const Bytes end(hi.begin(), hi.end());
  for (auto it = market_.lower_bound(Bytes(lo.begin(), lo.end()));
       it != market_.end() && it->first < end && out.size() < limit; ++it) {
    out.push_back(*it);
  }
  return out;
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
  // A released transaction was recorded when it was held.
  for (const ReleasedTx& r : outcome.released) {
    GL_CHECK_MSG(executed_.contains(r.result.id), "released transaction was never held");
  }
  for (const auto& [ref, state] : outcome.accounts) accounts_[ref] = state;
  for (const HeldKey& key : outcome.held_removed) {
    GL_CHECK_MSG(held_.erase(key) == 1, "removing a held entry that is not there");
  }
  for (const HeldTx& held : outcome.held_added) {
    GL_CHECK_MSG(held_.emplace(held.key(), held).second, "adding a held entry twice");
  }
  for (const auto& [key, value] : outcome.market) {
    if (value.has_value()) {
      market_[key] = *value;
    } else {
      GL_CHECK_MSG(market_.erase(key) == 1, "deleting a market record that is not there");
    }
  }
  summary_ = outcome.state_summary;
  ++sequence_;
}

std::vector<std::pair<AccountRef, AccountState>> MemoryState::SortedAccounts() const {
  std::vector<std::pair<AccountRef, AccountState>> out(accounts_.begin(), accounts_.end());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

std::vector<std::tuple<HeldKey, TxId, uint64_t>> MemoryState::SortedHeld() const {
  std::vector<std::tuple<HeldKey, TxId, uint64_t>> out;
  for (const auto& [key, held] : held_) out.emplace_back(key, held.btx.id, held.held_sequence);
  return out;
}

}  // namespace gridledger
