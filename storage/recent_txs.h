// The transaction ids of the recent commits, in memory: the part of the id
// index (storage/tx_store.h) not yet merged into its sorted runs on disk.
// Commits append their records to tx_log and their ids here; when the run is
// large a commit writes it, in ascending id order, as the index's newest
// run (storage/tx_runs.h), and the merged entries leave memory.
//
// Readers on other threads see the run through their LMDB snapshot: a reader
// whose snapshot has last committed sequence S and merged_through M consults
// only the entries with M < sequence <= S, which are exactly the ids its
// snapshot holds outside `txs`. That is safe because
//   - a commit adds its entries BEFORE its write transaction commits (a
//     snapshot that sees sequence S finds S's entries; a reader with an
//     older S ignores them, and a failed commit removes them again);
//   - entries leave only through Prune, after the merge that put them in
//     `txs` committed, and never above a pinned point: a reader pins the
//     last committed merged_through (recorded here by Prune after the
//     commit) BEFORE it begins its read transaction, so its M, which is at
//     least that, stays covered for as long as it holds the pin, however
//     long it lives and whatever merges run.
// So no reader retries, and memory is bounded by the merge bound plus what
// the longest-lived reader pins: readers that overlap one another do not
// hold the floor (each new one pins the newest merge), and the entries a
// reader held go when its pin, the lowest, goes.
//
// The run also holds the account states the same commits wrote
// (storage/account_store.h), versioned by commit, under the same rules: a
// merge folds them into `accounts`, so one window and one pin serve both.
#ifndef GRIDLEDGER_STORAGE_RECENT_TXS_H_
#define GRIDLEDGER_STORAGE_RECENT_TXS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "core/common/types.h"
#include "core/execution/state_view.h"

namespace gridledger::storage {

class RecentTxs {
 public:
  // Keeps every entry above `floor()` (a committed merged_through) in memory
  // until destroyed. Movable.
  class Pin {
   public:
    Pin(Pin&& other) noexcept
        : recent_(std::exchange(other.recent_, nullptr)), floor_(other.floor_) {}
    Pin& operator=(Pin&&) = delete;
    ~Pin();
    uint64_t floor() const { return floor_; }

   private:
    Pin(RecentTxs* recent, uint64_t floor) : recent_(recent), floor_(floor) {}
    RecentTxs* recent_;
    uint64_t floor_;
    friend class RecentTxs;
  };

  RecentTxs() = default;
  RecentTxs(const RecentTxs&) = delete;
  RecentTxs& operator=(const RecentTxs&) = delete;

  // Pin before beginning the read transaction whose window is consulted.
  Pin PinFloor();

  // The newest sequence of `id` in (merged_through, last]; nullopt if none.
  std::optional<uint64_t> Find(const TxId& id, uint64_t merged_through, uint64_t last) const;
  // Find for each of `ids` (out[i] for ids[i]) under one lock, each table
  // line prefetched a few lookups ahead: a block's lookups then overlap
  // their cache misses instead of taking them one after another between
  // executions (issue 12: Find and FindAccount were 11 % of the execution
  // thread, nearly all of it waiting on the slot's line).
  void FindMany(absl::Span<const TxId> ids, uint64_t merged_through, uint64_t last,
                absl::Span<std::optional<uint64_t>> out) const;

  // Sizes the id table for `ids` entries up front: a store that merges at
  // that many grows its window to it under load, and growing by doubling
  // rehashes every entry and maps fresh pages each time (the execution
  // thread's largest page-fault source on a VM). Slots are touched only as
  // entries arrive, so memory follows use.
  void ReserveIds(size_t ids);

  // The writer's side (one writer: the thread that commits).
  void Add(uint64_t sequence, absl::Span<const TxId> ids);
  // Undoes Add(sequence, ids) after the commit failed.
  void Remove(uint64_t sequence, absl::Span<const TxId> ids);
  // Per id, its newest sequence in (after, through], in ascending id order:
  // what a merge writes as the index's newest run.
  std::vector<std::pair<TxId, uint64_t>> Collect(uint64_t after, uint64_t through) const;
  // After every successful commit, with the store's merged_through (new
  // pins take it): drops the entries at or below it that no pin still
  // covers (the rest when the pin holding them goes).
  void Prune(uint64_t merged_through);
  // After the store was replaced (a state-sync restore at `sequence`, with
  // everything merged): prunes through it. `sequence` must be above every
  // commit so far (GL_CHECK): no entry lies above it.
  void Reset(uint64_t sequence);

  // Account states of the same commits (decoded: no heap per version).
  // The newest state of `account` in (merged_through, last]; nullopt if none.
  std::optional<AccountState> FindAccount(const AccountRef& account, uint64_t merged_through,
                                          uint64_t last) const;
  // FindAccount for each of `accounts`, as FindMany.
  void FindAccounts(absl::Span<const AccountRef> accounts, uint64_t merged_through,
                    uint64_t last, absl::Span<std::optional<AccountState>> out) const;
  // Writer's side, like Add / Remove; `states` holds each account once.
  void AddAccounts(uint64_t sequence,
                   absl::Span<const std::pair<AccountRef, AccountState>> states);
  void RemoveAccounts(uint64_t sequence,
                      absl::Span<const std::pair<AccountRef, AccountState>> states);
  // Per account, its newest state in (after, through], ascending by
  // account: what a merge folds into `accounts`.
  std::vector<std::pair<AccountRef, AccountState>> CollectAccounts(uint64_t after,
                                                                   uint64_t through) const;
  // Account versions held (memory: ~24 bytes each, in the account's slot
  // while it has at most two).
  size_t account_versions() const;

  // (id, sequence) entries held.
  size_t size() const;
  // The highest merged_through whose entries are all pruned.
  uint64_t floor() const;
  // The merged_through of the last commit (Prune, Reset): the store's
  // committed merge point, held here only.
  uint64_t committed() const;

 private:
  void Unpin(uint64_t floor);
  void PruneLocked(uint64_t through) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  // Sequences ascending; almost always one (a held tx released later has two).
  absl::flat_hash_map<TxId, absl::InlinedVector<uint64_t, 1>> sequences_ ABSL_GUARDED_BY(mu_);
  size_t entries_ ABSL_GUARDED_BY(mu_) = 0;
  // Per account, (sequence, state) ascending by sequence.
  absl::flat_hash_map<AccountRef, absl::InlinedVector<std::pair<uint64_t, AccountState>, 2>>
      accounts_ ABSL_GUARDED_BY(mu_);
  size_t account_versions_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t floor_ ABSL_GUARDED_BY(mu_) = 0;
  // The merged_through of the last commit (Prune, Reset): what a pin takes.
  uint64_t committed_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, int> pins_ ABSL_GUARDED_BY(mu_);  // floor -> count
};

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_RECENT_TXS_H_
