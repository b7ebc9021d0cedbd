#include "storage/store_state_view.h"

#include <algorithm>

#include "core/common/status_macros.h"
#include "storage/account_store.h"
#include "storage/records.h"

namespace gridledger::storage {

absl::StatusOr<std::optional<AccountState>> StoreStateView::GetAccount(
    const AccountRef& account) const {
  return ReadAccount(txn_, tables_, *recent_, window_, account);
}

absl::StatusOr<bool> StoreStateView::HasExecuted(const TxId& id) const {
  GL_ASSIGN_OR_RETURN(std::optional<uint64_t> sequence, reader_.Sequence(id));
  return sequence.has_value();
}

absl::StatusOr<std::vector<std::optional<AccountState>>> StoreStateView::GetAccounts(
    absl::Span<const AccountRef> accounts) const {
  return ReadAccounts(txn_, tables_, *recent_, window_, accounts);
}

absl::StatusOr<std::vector<bool>> StoreStateView::HasExecutedAll(
    absl::Span<const TxId> ids) const {
  GL_ASSIGN_OR_RETURN(std::vector<std::optional<uint64_t>> sequences, reader_.Sequences(ids));
  std::vector<bool> out(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) out[i] = sequences[i].has_value();
  return out;
}

absl::StatusOr<Digest> StoreStateView::StateSummary() const {
  return ReadStateSummary(txn_, tables_);
}

absl::StatusOr<uint64_t> StoreStateView::LastCommittedSequence() const {
  return ReadLastCommittedSequence(txn_, tables_);
}

absl::StatusOr<std::vector<HeldTx>> StoreStateView::HeldFor(const AccountRef& account) const {
  const auto prefix = EncodeAccountKey(account);  // the held key's first 36 bytes
  const Bytes first = EncodeHeldKey(HeldKey{account, Nonce(0)});
  std::vector<HeldTx> out;
  GL_ASSIGN_OR_RETURN(Cursor cursor, txn_.OpenCursor(tables_.held));
  GL_ASSIGN_OR_RETURN(bool on, cursor.SeekAtLeast(first));
  for (; on; ) {
    const ByteSpan key = cursor.key();
    if (key.size() < prefix.size() ||
        !std::equal(prefix.begin(), prefix.end(), key.begin())) {
      break;
    }
    GL_ASSIGN_OR_RETURN(HeldTx held, DecodeHeldRecord(key, cursor.value()));
    out.push_back(std::move(held));
    GL_ASSIGN_OR_RETURN(on, cursor.Next());
  }
  return out;
}

absl::StatusOr<std::vector<HeldTx>> StoreStateView::HeldUpTo(uint64_t max_held_sequence) const {
  std::vector<HeldTx> out;
  GL_ASSIGN_OR_RETURN(Cursor cursor, txn_.OpenCursor(tables_.held_expiry));
  GL_ASSIGN_OR_RETURN(bool on, cursor.First());
  for (; on; ) {
    GL_ASSIGN_OR_RETURN(auto entry, DecodeHeldExpiryKey(cursor.key()));
    if (entry.first > max_held_sequence) break;
    const Bytes key = EncodeHeldKey(entry.second);
    absl::StatusOr<ByteSpan> record = txn_.Get(tables_.held, key);
    if (absl::IsNotFound(record.status())) {
      return absl::DataLossError("corrupt held_expiry record: no held entry for it");
    }
    GL_RETURN_IF_ERROR(record.status());
    GL_ASSIGN_OR_RETURN(HeldTx held, DecodeHeldRecord(key, *record));
    if (held.held_sequence != entry.first) {
      return absl::DataLossError("corrupt held_expiry record: held sequence disagrees");
    }
    out.push_back(std::move(held));
    GL_ASSIGN_OR_RETURN(on, cursor.Next());
  }
  return out;
}

absl::StatusOr<std::optional<Bytes>> StoreStateView::GetMarket(ByteSpan key) const {
  if (key.empty()) return std::optional<Bytes>();  // LMDB keys are never empty
  absl::StatusOr<ByteSpan> record = txn_.Get(tables_.market, key);
  if (absl::IsNotFound(record.status())) return std::optional<Bytes>();
  if (!record.ok()) return record.status();
  return std::optional<Bytes>(Bytes(record->begin(), record->end()));
}

absl::StatusOr<std::vector<MarketEntry>> StoreStateView::MarketRange(ByteSpan lo, ByteSpan hi,
                                                                     size_t limit) const {
  std::vector<MarketEntry> out;
  if (limit == 0 || lo.empty()) return out;
  GL_ASSIGN_OR_RETURN(Cursor cursor, txn_.OpenCursor(tables_.market));
  GL_ASSIGN_OR_RETURN(bool on, cursor.SeekAtLeast(lo));
  while (on && out.size() < limit) {
    const ByteSpan key = cursor.key();
    if (!std::lexicographical_compare(key.begin(), key.end(), hi.begin(), hi.end())) break;
    out.emplace_back(Bytes(key.begin(), key.end()),
                     Bytes(cursor.value().begin(), cursor.value().end()));
    GL_ASSIGN_OR_RETURN(on, cursor.Next());
  }
  return out;
}

absl::StatusOr<uint64_t> StoreStateView::HeldCount() const {
  return ReadHeldCount(txn_, tables_);
}

}  // namespace gridledger::storage
