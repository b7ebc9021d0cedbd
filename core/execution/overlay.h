// The executor's write buffer over a read-only StateView for one block:
// account states and per-account nonce-hold queues read through to the base
// on first use; changes stay here until the block's outcome is built.
#ifndef GRIDLEDGER_CORE_EXECUTION_OVERLAY_H_
#define GRIDLEDGER_CORE_EXECUTION_OVERLAY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/execution/state_view.h"

namespace gridledger {

class Overlay {
 public:
  // One account's held transactions by nonce (ordered: release order).
  using HeldQueue = std::map<Nonce, HeldTx>;

  explicit Overlay(const StateView& base) : base_(base) {}

  // Reads the base once per account: later reads, and BaseStates, reuse it.
  absl::StatusOr<std::optional<AccountState>> Get(const AccountRef& ref) const;
  // Reads the base of every account in `refs` not read yet, in one call
  // (StateView::GetAccounts): the accounts a block will touch, read before
  // it executes. Later Gets find them as if they had read them.
  absl::Status Preload(absl::Span<const AccountRef> refs);
  void Set(const AccountRef& ref, const AccountState& state) { changed_[ref] = state; }

  // The account's queue as of now (loaded from the base on first use); the
  // pointer stays valid for the overlay's lifetime.
  absl::StatusOr<const HeldQueue*> Held(const AccountRef& ref);
  // Transactions held in the slice as of now.
  absl::StatusOr<uint64_t> HeldTotal();
  // The queue must have been read with Held() first.
  void Hold(HeldTx held);
  void Release(const HeldKey& key);

  // Market records, read through to the base; nullopt when absent.
  absl::StatusOr<std::optional<Bytes>> GetMarket(const Bytes& key) const;
  void PutMarket(Bytes key, Bytes value) { market_[std::move(key)] = std::move(value); }
  void DeleteMarket(Bytes key) { market_[std::move(key)] = std::nullopt; }
  // Up to `limit` records with lo <= key < hi as of now, ascending.
  absl::StatusOr<std::vector<MarketEntry>> MarketRange(const Bytes& lo, const Bytes& hi,
                                                       size_t limit) const;
  // The market's change against the base, ascending by key (nullopt: deleted).
  // A put that rewrites the base value, or deletes an absent key, is dropped.
  absl::StatusOr<std::vector<std::pair<Bytes, std::optional<Bytes>>>> MarketChanges() const;

  // Final states of changed accounts, sorted by AccountRef.
  std::vector<std::pair<AccountRef, AccountState>> SortedChanges() const;
  // Per entry of `changes`: the account's base state, when Get read it.
  std::vector<AccountBefore> BaseStates(
      const std::vector<std::pair<AccountRef, AccountState>>& changes) const;
  // The hold's change against the base: entries added and entries removed,
  // each sorted by key. An entry replaced by another transaction is both.
  void HeldChanges(std::vector<HeldTx>* added, std::vector<HeldKey>* removed) const;

 private:
  struct Queues {
    HeldQueue base;     // as read from the base view
    HeldQueue current;  // after this block's changes
  };

  // Transactions held in the base view (read once).
  absl::StatusOr<uint64_t> BaseHeldTotal();

  const StateView& base_;
  absl::flat_hash_map<AccountRef, AccountState> changed_;
  // Base states read so far (the base does not change within a block).
  mutable absl::flat_hash_map<AccountRef, std::optional<AccountState>> base_reads_;
  // Node-based: Held() hands out pointers that must survive later inserts.
  absl::node_hash_map<AccountRef, Queues> held_;
  std::map<Bytes, std::optional<Bytes>> market_;  // ordered: ranges merge
  // Base market records read so far, like base_reads_: every transfer's
  // credit reads the total debt (MarketRun::Credit), one LMDB search each
  // time otherwise.
  mutable absl::flat_hash_map<Bytes, std::optional<Bytes>> market_base_reads_;
  std::optional<uint64_t> base_held_total_;
  int64_t held_total_delta_ = 0;
};

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_EXECUTION_OVERLAY_H_
