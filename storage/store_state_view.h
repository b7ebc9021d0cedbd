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
#include "storage/recent_txs.h"
#include "storage/tx_store.h"

namespace gridledger::storage {

class StoreStateView : public StateView {
 public:
  // `pin` was taken before `txn` began (storage/recent_txs.h); `window` is
  // ReadTxWindow(txn) and `runs` TxRunSet::Read(txn).
  StoreStateView(RecentTxs::Pin pin, ReadTxn txn, const NodeTables& tables,
                 const RecentTxs& recent, TxWindow window, TxRunSet runs)
      : pin_(std::move(pin)), txn_(std::move(txn)), tables_(tables), recent_(&recent),
        window_(window), reader_(txn_, tables_, recent, window, std::move(runs)) {}
  // reader_ points at txn_: never moved or copied.
  StoreStateView(const StoreStateView&) = delete;
  StoreStateView& operator=(const StoreStateView&) = delete;

  absl::StatusOr<std::optional<AccountState>> GetAccount(const AccountRef& account) const override;
  absl::StatusOr<bool> HasExecuted(const TxId& id) const override;
  absl::StatusOr<std::vector<std::optional<AccountState>>> GetAccounts(
      absl::Span<const AccountRef> accounts) const override;
  absl::StatusOr<std::vector<bool>> HasExecutedAll(absl::Span<const TxId> ids) const override;
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
  RecentTxs::Pin pin_;
  ReadTxn txn_;
  NodeTables tables_;
  const RecentTxs* recent_;
  TxWindow window_;
  TxReader reader_;  // over txn_, declared after it
};

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_STORE_STATE_VIEW_H_
