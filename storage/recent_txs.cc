#include "storage/recent_txs.h"

#include <algorithm>
#include <utility>

#include "core/common/check.h"

namespace gridledger::storage {

RecentTxs::Pin::~Pin() {
  if (recent_ != nullptr) recent_->Unpin(floor_);
}

RecentTxs::Pin RecentTxs::PinFloor() {
  absl::MutexLock lock(&mu_);
  // The committed merged_through, not floor_: floor_ only rises when no pin
  // is below, so pinning it would let one reader hold every later one (and
  // all pruning) at the same old point.
  ++pins_[committed_];
  return Pin(this, committed_);
}

void RecentTxs::Unpin(uint64_t floor) {
  absl::MutexLock lock(&mu_);
  auto it = pins_.find(floor);
  GL_CHECK(it != pins_.end());
  if (--it->second > 0) return;
  const bool lowest = it == pins_.begin();
  pins_.erase(it);
  // The lowest pin went away: what it held back can go now, not only at the
  // next commit.
  if (lowest) PruneLocked(committed_);
}

namespace {

// How many lookups ahead FindMany / FindAccounts prefetch: enough to cover
// a miss's latency with the lookups between, few enough that the lines are
// still cached when their turn comes.
constexpr size_t kRecentPrefetchAhead = 8;
// Keys looked up per hold of the reader lock: a block's lookups (up to
// kMaxBlockTxs) must not keep a writer (a commit, a pin) and the readers
// queued behind it waiting for the whole block.
constexpr size_t kRecentKeysPerLock = 256;

// A lookup or insert loop over positions [begin, end) of a batch keeps its
// table lines kRecentPrefetchAhead positions ahead, so the misses overlap:
// PrefetchFirst before the loop, PrefetchAhead(i) at position i. `key_of(i)`
// is the key at position i. A lone key is not prefetched: it would only be
// hashed twice.
// Makes room for `more` inserts only when the live entries would pass the
// table's load limit (7/8 of its slots), and then for twice as many. The
// window adds and prunes about as many entries per commit, so it stays at one
// capacity, and absl drops the tombstones pruning leaves in place when they
// use up the slack. A plain reserve(size() + more) counts the tombstones as
// used: it reallocated and rehashed the whole table every few commits (at
// saturation 8 % of the execution thread, plus the page faults of the new
// array).
template <typename Map>
void ReserveWithSlack(Map& map, size_t more) {
  const size_t needed = map.size() + more;
  if (needed * 8 > map.capacity() * 7) map.reserve(2 * needed);
}

template <typename Map, typename KeyOf>
void PrefetchFirst(const Map& map, size_t begin, size_t end, KeyOf key_of) {
  if (end - begin < 2) return;
  for (size_t i = begin; i < end && i < begin + kRecentPrefetchAhead; ++i) map.prefetch(key_of(i));
}
template <typename Map, typename KeyOf>
void PrefetchAhead(const Map& map, size_t i, size_t end, KeyOf key_of) {
  if (i + kRecentPrefetchAhead < end) map.prefetch(key_of(i + kRecentPrefetchAhead));
}

// For each key, the value of its newest version in (merged_through, last]
// (nullopt if none), each table line prefetched a few lookups ahead.
// `Map` maps a key to its versions ascending by sequence; `version` gives a
// version's (sequence, value).
// The caller holds the lock for keys[begin, end) (at most
// kRecentKeysPerLock of them).
template <typename Map, typename Key, typename Value, typename Version>
void FindNewestMany(const Map& map, absl::Span<const Key> keys, size_t begin, size_t end,
                    uint64_t merged_through, uint64_t last, absl::Span<std::optional<Value>> out,
                    Version version) {
  GL_CHECK(keys.size() == out.size() && begin <= end && end <= keys.size());
  auto key_of = [keys](size_t i) -> const Key& { return keys[i]; };
  PrefetchFirst(map, begin, end, key_of);
  for (size_t i = begin; i < end; ++i) {
    PrefetchAhead(map, i, end, key_of);
    out[i].reset();
    auto it = map.find(keys[i]);
    if (it == map.end()) continue;
    for (auto v = it->second.rbegin(); v != it->second.rend(); ++v) {
      const auto& [sequence, value] = version(*v);
      if (sequence <= merged_through) break;
      if (sequence <= last) {
        out[i] = value;
        break;
      }
    }
  }
}

}  // namespace

std::optional<uint64_t> RecentTxs::Find(const TxId& id, uint64_t merged_through,
                                        uint64_t last) const {
  std::optional<uint64_t> out;
  FindMany({&id, 1}, merged_through, last, {&out, 1});
  return out;
}

void RecentTxs::FindMany(absl::Span<const TxId> ids, uint64_t merged_through, uint64_t last,
                         absl::Span<std::optional<uint64_t>> out) const {
  GL_CHECK(ids.size() == out.size());
  for (size_t begin = 0; begin < ids.size(); begin += kRecentKeysPerLock) {
    absl::ReaderMutexLock lock(&mu_);
    FindNewestMany(sequences_, ids, begin, std::min(ids.size(), begin + kRecentKeysPerLock),
                   merged_through, last, out,
                   [](uint64_t s) { return std::pair<uint64_t, uint64_t>(s, s); });
  }
}

void RecentTxs::ReserveIds(size_t ids) {
  absl::MutexLock lock(&mu_);
  sequences_.reserve(ids);
}

void RecentTxs::Add(uint64_t sequence, absl::Span<const TxId> ids) {
  absl::MutexLock lock(&mu_);
  ReserveWithSlack(sequences_, ids.size());
  auto id_of = [ids](size_t i) -> const TxId& { return ids[i]; };
  PrefetchFirst(sequences_, 0, ids.size(), id_of);
  for (size_t i = 0; i < ids.size(); ++i) {
    PrefetchAhead(sequences_, i, ids.size(), id_of);
    const TxId& id = ids[i];
    absl::InlinedVector<uint64_t, 1>& seqs = sequences_[id];
    if (!seqs.empty() && seqs.back() >= sequence) {
      // Added again (a retried commit) or out of order: keep one, sorted.
      if (std::find(seqs.begin(), seqs.end(), sequence) != seqs.end()) continue;
      seqs.insert(std::upper_bound(seqs.begin(), seqs.end(), sequence), sequence);
    } else {
      seqs.push_back(sequence);
    }
    ++entries_;
  }
}

void RecentTxs::Remove(uint64_t sequence, absl::Span<const TxId> ids) {
  absl::MutexLock lock(&mu_);
  for (const TxId& id : ids) {
    auto it = sequences_.find(id);
    if (it == sequences_.end()) continue;
    auto s = std::find(it->second.begin(), it->second.end(), sequence);
    if (s == it->second.end()) continue;
    it->second.erase(s);
    --entries_;
    if (it->second.empty()) sequences_.erase(it);
  }
}

std::vector<std::pair<TxId, uint64_t>> RecentTxs::Collect(uint64_t after,
                                                          uint64_t through) const {
  std::vector<std::pair<TxId, uint64_t>> out;
  {
    absl::ReaderMutexLock lock(&mu_);
    out.reserve(sequences_.size());
    for (const auto& [id, seqs] : sequences_) {
      for (auto s = seqs.rbegin(); s != seqs.rend(); ++s) {
        if (*s <= after) break;
        if (*s <= through) {
          out.emplace_back(id, *s);
          break;
        }
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<AccountState> RecentTxs::FindAccount(const AccountRef& account,
                                                   uint64_t merged_through, uint64_t last) const {
  std::optional<AccountState> out;
  FindAccounts({&account, 1}, merged_through, last, {&out, 1});
  return out;
}

void RecentTxs::FindAccounts(absl::Span<const AccountRef> accounts, uint64_t merged_through,
                             uint64_t last, absl::Span<std::optional<AccountState>> out) const {
  GL_CHECK(accounts.size() == out.size());
  for (size_t begin = 0; begin < accounts.size(); begin += kRecentKeysPerLock) {
    absl::ReaderMutexLock lock(&mu_);
    FindNewestMany(
        accounts_, accounts, begin, std::min(accounts.size(), begin + kRecentKeysPerLock),
        merged_through, last, out,
        [](const std::pair<uint64_t, AccountState>& v) -> const std::pair<uint64_t, AccountState>& {
          return v;
        });
  }
}

void RecentTxs::AddAccounts(uint64_t sequence,
                            absl::Span<const std::pair<AccountRef, AccountState>> states) {
  absl::MutexLock lock(&mu_);
  ReserveWithSlack(accounts_, states.size());
  auto account_of = [states](size_t i) -> const AccountRef& { return states[i].first; };
  PrefetchFirst(accounts_, 0, states.size(), account_of);
  for (size_t i = 0; i < states.size(); ++i) {
    PrefetchAhead(accounts_, i, states.size(), account_of);
    const auto& [account, state] = states[i];
    auto& versions = accounts_[account];
    auto at = std::find_if(versions.begin(), versions.end(),
                           [&](const auto& v) { return v.first >= sequence; });
    if (at != versions.end() && at->first == sequence) {
      at->second = state;  // added again (a retried commit): the newer wins
      continue;
    }
    versions.insert(at, std::make_pair(sequence, state));
    ++account_versions_;
  }
}

void RecentTxs::RemoveAccounts(uint64_t sequence,
                               absl::Span<const std::pair<AccountRef, AccountState>> states) {
  absl::MutexLock lock(&mu_);
  for (const auto& entry : states) {
    auto it = accounts_.find(entry.first);
    if (it == accounts_.end()) continue;
    auto v = std::find_if(it->second.begin(), it->second.end(),
                          [&](const auto& x) { return x.first == sequence; });
    if (v == it->second.end()) continue;
    it->second.erase(v);
    --account_versions_;
    if (it->second.empty()) accounts_.erase(it);
  }
}

std::vector<std::pair<AccountRef, AccountState>> RecentTxs::CollectAccounts(
    uint64_t after, uint64_t through) const {
  std::vector<std::pair<AccountRef, AccountState>> out;
  {
    absl::ReaderMutexLock lock(&mu_);
    out.reserve(accounts_.size());
    for (const auto& [account, versions] : accounts_) {
      for (auto v = versions.rbegin(); v != versions.rend(); ++v) {
        if (v->first <= after) break;
        if (v->first <= through) {
          out.emplace_back(account, v->second);
          break;
        }
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

size_t RecentTxs::account_versions() const {
  absl::ReaderMutexLock lock(&mu_);
  return account_versions_;
}

void RecentTxs::PruneLocked(uint64_t through) {
  uint64_t point = through;
  if (!pins_.empty()) point = std::min(point, pins_.begin()->first);
  if (point <= floor_) return;
  for (auto it = sequences_.begin(); it != sequences_.end();) {
    absl::InlinedVector<uint64_t, 1>& seqs = it->second;
    const auto keep = std::upper_bound(seqs.begin(), seqs.end(), point);
    entries_ -= static_cast<size_t>(keep - seqs.begin());
    seqs.erase(seqs.begin(), keep);
    if (seqs.empty()) {
      sequences_.erase(it++);
    } else {
      ++it;
    }
  }
  for (auto it = accounts_.begin(); it != accounts_.end();) {
    auto& versions = it->second;
    const auto keep = std::find_if(versions.begin(), versions.end(),
                                   [&](const auto& v) { return v.first > point; });
    account_versions_ -= static_cast<size_t>(keep - versions.begin());
    versions.erase(versions.begin(), keep);
    if (versions.empty()) {
      accounts_.erase(it++);
    } else {
      ++it;
    }
  }
  floor_ = point;
}

void RecentTxs::Prune(uint64_t merged_through) {
  absl::MutexLock lock(&mu_);
  GL_CHECK(merged_through >= committed_);
  committed_ = merged_through;
  PruneLocked(merged_through);
}

void RecentTxs::Reset(uint64_t sequence) {
  absl::MutexLock lock(&mu_);
  // Restoring at or below a commit would drop entries that readers of the
  // old state pin (the store refuses such a point first).
  GL_CHECK(sequence > committed_);
  for (const auto& [id, seqs] : sequences_) GL_CHECK(seqs.back() < sequence);
  for (const auto& [account, versions] : accounts_) GL_CHECK(versions.back().first < sequence);
  committed_ = sequence;
  PruneLocked(sequence);
}

size_t RecentTxs::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return entries_;
}

uint64_t RecentTxs::floor() const {
  absl::ReaderMutexLock lock(&mu_);
  return floor_;
}

uint64_t RecentTxs::committed() const {
  absl::ReaderMutexLock lock(&mu_);
  return committed_;
}

}  // namespace gridledger::storage
