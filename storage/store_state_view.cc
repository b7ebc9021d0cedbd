#include "storage/store_state_view.h"

#include "core/common/status_macros.h"
#include "storage/records.h"

namespace gridledger::storage {

absl::StatusOr<std::optional<AccountState>> StoreStateView::GetAccount(
    const AccountRef& account) const {
  absl::StatusOr<ByteSpan> record = txn_.Get(tables_.accounts, EncodeAccountKey(account));
  if (absl::IsNotFound(record.status())) return std::optional<AccountState>();
  if (!record.ok()) return record.status();
  GL_ASSIGN_OR_RETURN(AccountState state, DecodeAccountRecord(*record));
  return std::optional<AccountState>(state);
}

absl::StatusOr<bool> StoreStateView::HasExecuted(const TxId& id) const {
  absl::StatusOr<ByteSpan> record = txn_.Get(tables_.txs, id.span());
  if (absl::IsNotFound(record.status())) return false;
  if (!record.ok()) return record.status();
  return true;
}

absl::StatusOr<Digest> StoreStateView::StateSummary() const {
  return ReadStateSummary(txn_, tables_);
}

absl::StatusOr<uint64_t> StoreStateView::LastCommittedSequence() const {
  return ReadLastCommittedSequence(txn_, tables_);
}

}  // namespace gridledger::storage
