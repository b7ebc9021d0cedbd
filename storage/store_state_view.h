// A consistent read-only view of the node store for the executor: one LMDB
// read transaction held for the view's lifetime. Keep it short-lived (it pins
// old pages and blocks map growth); destroy it before committing.
#ifndef GRIDLEDGER_STORAGE_STORE_STATE_VIEW_H_
#define GRIDLEDGER_STORAGE_STORE_STATE_VIEW_H_

#include <optional>
#include <vector>

#include "core/execution/state_view.h"
#include "storage/lmdb_env.h"
#include "storage/node_tables.h"

namespace gridledger::storage {

class StoreStateView : public StateView {
 public:
  StoreStateView(ReadTxn txn, const NodeTables& tables) : txn_(std::move(txn)), tables_(tables) {}

  absl::StatusOr<std::optional<AccountState>> GetAccount(const AccountRef& account) const override;
  absl::StatusOr<bool> HasExecuted(const TxId& id) const override;
  absl::StatusOr<Digest> StateSummary() const override;
  // The commit this view reflects.
  absl::StatusOr<uint64_t> LastCommittedSequence() const override;
  absl::StatusOr<std::vector<HeldTx>> HeldFor(const AccountRef& account) const override;
  absl::StatusOr<std::vector<HeldTx>> HeldUpTo(uint64_t max_held_sequence) const override;
  absl::StatusOr<uint64_t> HeldCount() const override;
  absl::StatusOr<std::optional<Bytes>> GetMarket(ByteSpan key) const override;
  absl::StatusOr<std::vector<MarketEntry>> MarketRange(ByteSpan lo, ByteSpan hi,
                                                       size_t limit) const override;

 private:
  ReadTxn txn_;
  NodeTables tables_;
};

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_STORE_STATE_VIEW_H_
