#include "core/execution/overlay.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "absl/container/flat_hash_set.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"

namespace gridledger {

absl::StatusOr<std::optional<AccountState>> Overlay::Get(const AccountRef& ref) const {
  auto it = changed_.find(ref);
  if (it != changed_.end()) return std::optional<AccountState>(it->second);
  auto read = base_reads_.find(ref);
  if (read != base_reads_.end()) return read->second;
  absl::StatusOr<std::optional<AccountState>> state = base_.GetAccount(ref);
  if (state.ok()) base_reads_.emplace(ref, *state);
  return state;
}

absl::Status Overlay::Preload(absl::Span<const AccountRef> refs) {
  std::vector<AccountRef> unread;
  unread.reserve(refs.size());
  base_reads_.reserve(base_reads_.size() + refs.size());
  // Most of what a block reads it also changes: sized once, not rehashed
  // as the block goes (3 % of the execution thread at saturation).
  changed_.reserve(changed_.size() + refs.size());
  {
    absl::flat_hash_set<AccountRef> asked;
    asked.reserve(refs.size());
    for (const AccountRef& ref : refs) {
      if (!base_reads_.contains(ref) && asked.insert(ref).second) unread.push_back(ref);
    }
  }
  GL_ASSIGN_OR_RETURN(std::vector<std::optional<AccountState>> states, base_.GetAccounts(unread));
  GL_CHECK(states.size() == unread.size());
  for (size_t i = 0; i < unread.size(); ++i) base_reads_.emplace(unread[i], states[i]);
  return absl::OkStatus();
}

absl::StatusOr<const Overlay::HeldQueue*> Overlay::Held(const AccountRef& ref) {
  auto it = held_.find(ref);
  if (it == held_.end()) {
    // Nothing held in the whole base (its count, which the hold limit
    // already relies on): no per-account lookup, which costs an LMDB cursor
    // and seek plus key encodings for every sender of every block.
    GL_ASSIGN_OR_RETURN(const uint64_t base_total, BaseHeldTotal());
    std::vector<HeldTx> stored;
    if (base_total > 0) {
      GL_ASSIGN_OR_RETURN(stored, base_.HeldFor(ref));
    }
    Queues queues;
    for (HeldTx& h : stored) {
      const Nonce nonce = h.btx.tx.nonce;
      queues.base.emplace(nonce, std::move(h));
    }
    queues.current = queues.base;
    it = held_.emplace(ref, std::move(queues)).first;
  }
  return &it->second.current;
}

absl::StatusOr<uint64_t> Overlay::BaseHeldTotal() {
  if (!base_held_total_.has_value()) {
    GL_ASSIGN_OR_RETURN(uint64_t total, base_.HeldCount());
    base_held_total_ = total;
  }
  return *base_held_total_;
}

absl::StatusOr<uint64_t> Overlay::HeldTotal() {
  GL_ASSIGN_OR_RETURN(const uint64_t base_total, BaseHeldTotal());
  return static_cast<uint64_t>(static_cast<int64_t>(base_total) + held_total_delta_);
}

void Overlay::Hold(HeldTx held) {
  const HeldKey key = held.key();
  auto it = held_.find(key.account);
  GL_CHECK_MSG(it != held_.end(), "Hold before Held() read the account's queue");
  GL_CHECK_MSG(it->second.current.emplace(key.nonce, std::move(held)).second,
               "a nonce is held at most once per account");
  ++held_total_delta_;
}

void Overlay::Release(const HeldKey& key) {
  auto it = held_.find(key.account);
  GL_CHECK_MSG(it != held_.end() && it->second.current.erase(key.nonce) == 1,
               "Release of a transaction that is not held");
  --held_total_delta_;
}

absl::StatusOr<std::optional<Bytes>> Overlay::GetMarket(const Bytes& key) const {
  auto it = market_.find(key);
  if (it != market_.end()) return it->second;
  auto read = market_base_reads_.find(key);
  if (read != market_base_reads_.end()) return read->second;
  absl::StatusOr<std::optional<Bytes>> value = base_.GetMarket(key);
  if (value.ok()) market_base_reads_.emplace(key, *value);
  return value;
}

absl::StatusOr<std::vector<MarketEntry>> Overlay::MarketRange(const Bytes& lo, const Bytes& hi,
                                                              size_t limit) const {
  // Local changes in range; each may hide one base entry, so ask the base
  // for that many more.
  const auto first = market_.lower_bound(lo);
  const auto last = market_.lower_bound(hi);
  const size_t local = static_cast<size_t>(std::distance(first, last));
  const size_t want = limit > SIZE_MAX - local ? SIZE_MAX : limit + local;
  GL_ASSIGN_OR_RETURN(std::vector<MarketEntry> base, base_.MarketRange(lo, hi, want));
  std::vector<MarketEntry> out;
  auto b = base.begin();
  auto l = first;
  while (out.size() < limit && (b != base.end() || l != last)) {
    if (l == last || (b != base.end() && b->first < l->first)) {
      out.push_back(std::move(*b++));
      continue;
    }
    if (b != base.end() && b->first == l->first) ++b;  // the local change wins
    if (l->second.has_value()) out.emplace_back(l->first, *l->second);
    ++l;
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<Bytes, std::optional<Bytes>>>> Overlay::MarketChanges()
    const {
  std::vector<std::pair<Bytes, std::optional<Bytes>>> out;
  for (const auto& [key, value] : market_) {
    GL_ASSIGN_OR_RETURN(std::optional<Bytes> before, base_.GetMarket(key));
    if (before == value) continue;
    out.emplace_back(key, value);
  }
  return out;
}

std::vector<std::pair<AccountRef, AccountState>> Overlay::SortedChanges() const {
  std::vector<std::pair<AccountRef, AccountState>> out(changed_.begin(), changed_.end());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

std::vector<AccountBefore> Overlay::BaseStates(
    const std::vector<std::pair<AccountRef, AccountState>>& changes) const {
  std::vector<AccountBefore> out;
  out.reserve(changes.size());
  for (const auto& change : changes) {
    auto read = base_reads_.find(change.first);
    out.push_back(read == base_reads_.end() ? AccountBefore{}
                                            : AccountBefore{true, read->second});
  }
  return out;
}

void Overlay::HeldChanges(std::vector<HeldTx>* added, std::vector<HeldKey>* removed) const {
  added->clear();
  removed->clear();
  for (const auto& [ref, queues] : held_) {
    for (const auto& [nonce, h] : queues.base) {
      auto now = queues.current.find(nonce);
      if (now == queues.current.end() || now->second.btx.id != h.btx.id) {
        removed->push_back(HeldKey{ref, nonce});
      }
    }
    for (const auto& [nonce, h] : queues.current) {
      auto before = queues.base.find(nonce);
      if (before == queues.base.end() || before->second.btx.id != h.btx.id) added->push_back(h);
    }
  }
  std::sort(removed->begin(), removed->end());
  std::sort(added->begin(), added->end(),
            [](const HeldTx& a, const HeldTx& b) { return a.key() < b.key(); });
}

}  // namespace gridledger
