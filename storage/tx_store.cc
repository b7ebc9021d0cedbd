#include "storage/tx_store.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"

namespace gridledger::storage {
absl::StatusOr<TxWindow> ReadTxWindow(const Txn& txn, const NodeTables& tables) {
  TxWindow window;
  GL_ASSIGN_OR_RETURN(window.merged_through, ReadTxsMergedThrough(txn, tables));
  GL_ASSIGN_OR_RETURN(window.last, ReadLastCommittedSequence(txn, tables));
  return window;
}

absl::StatusOr<TxReader> TxReader::Open(const Txn& txn, const NodeTables& tables,
                                        const RecentTxs& recent, const TxRunFilters& filters) {
  GL_ASSIGN_OR_RETURN(TxWindow window, ReadTxWindow(txn, tables));
  GL_ASSIGN_OR_RETURN(TxRunSet runs, TxRunSet::Read(txn, tables, filters));
  return TxReader(txn, tables, recent, window, std::move(runs));
}

absl::StatusOr<std::optional<uint64_t>> TxReader::Sequence(const TxId& id) const {
  if (std::optional<uint64_t> recent =
          recent_->Find(id, window_.merged_through, window_.last)) {
    return recent;
  }
  return MergedSequence(id);
}

absl::StatusOr<std::vector<std::optional<uint64_t>>> TxReader::Sequences(
    absl::Span<const TxId> ids) const {
  std::vector<std::optional<uint64_t>> out(ids.size());
  recent_->FindMany(ids, window_.merged_through, window_.last, absl::MakeSpan(out));
  for (size_t i = 0; i < ids.size(); ++i) {
    if (out[i].has_value()) continue;
    GL_ASSIGN_OR_RETURN(out[i], MergedSequence(ids[i]));
  }
  return out;
}

absl::StatusOr<std::optional<uint64_t>> TxReader::MergedSequence(const TxId& id) const {
  GL_ASSIGN_OR_RETURN(std::optional<uint64_t> in_run, runs_.Find(*txn_, tables_, id));
  if (in_run.has_value()) return in_run;
  absl::StatusOr<ByteSpan> value = txn_->Get(tables_.txs, id.span());
  if (absl::IsNotFound(value.status())) return std::optional<uint64_t>();
  GL_RETURN_IF_ERROR(value.status());
  GL_ASSIGN_OR_RETURN(uint64_t sequence, DecodeTxIndexValue(*value));
  return std::optional<uint64_t>(sequence);
}

absl::StatusOr<ByteSpan> TxReader::RecordAt(uint64_t sequence, const TxId& id) const {
  absl::StatusOr<ByteSpan> record = txn_->Get(tables_.tx_log, EncodeTxLogKey(sequence, id));
  if (absl::IsNotFound(record.status())) {
    return absl::DataLossError(absl::StrCat("tx ", id.ShortHex(), ": indexed at sequence ",
                                            sequence, " but tx_log has no record there"));
  }
  return record;
}

absl::StatusOr<ByteSpan> TxReader::Record(const TxId& id) const {
  GL_ASSIGN_OR_RETURN(std::optional<uint64_t> sequence, Sequence(id));
  if (!sequence.has_value()) return absl::NotFoundError(absl::StrCat("tx ", id.ShortHex()));
  return RecordAt(*sequence, id);
}

absl::Status WriteCommitTxs(WriteTxn& txn, const NodeTables& tables, const RecentTxs& recent,
                            const TxRunSet& runs, StateWriter& state, uint64_t sequence,
                            uint64_t merged_through, absl::Span<const TxPut> puts,
                            bool puts_hashed) {
  const TxReader reader(txn, tables, recent, TxWindow{merged_through, sequence - 1}, runs);
  std::vector<TxId> ids;
  ids.reserve(puts.size());
  for (const TxPut& put : puts) ids.push_back(put.id);
  GL_ASSIGN_OR_RETURN(const std::vector<std::optional<uint64_t>> old_sequences,
                      reader.Sequences(ids));
  for (size_t i = 0; i < puts.size(); ++i) {
    const TxPut& put = puts[i];
    const std::optional<uint64_t>& old_sequence = old_sequences[i];
    if (!old_sequence.has_value()) continue;
    // Only a held transaction's record is replaced, by its final result.
    GL_ASSIGN_OR_RETURN(ByteSpan old, reader.RecordAt(*old_sequence, put.id));
    GL_ASSIGN_OR_RETURN(StoredTx stored, DecodeTxRecord(old));
    if (stored.status() != TxStatus::kHeld || put.held) {
      return absl::FailedPreconditionError(
          absl::StrCat("tx ", put.id.Hex(), " is already indexed"));
    }
    state.RemoveEntry(StateTable::kTxs, put.id.span(), old);
    GL_RETURN_IF_ERROR(txn.Delete(tables.tx_log, EncodeTxLogKey(*old_sequence, put.id)));
  }
  for (const TxPut& put : puts) {
    absl::Status appended = txn.Append(tables.tx_log, EncodeTxLogKey(sequence, put.id), put.record);
    if (absl::IsAlreadyExists(appended)) {
      return absl::DataLossError(
          absl::StrCat("tx_log holds records above commit ", sequence, ", the next commit"));
    }
    GL_RETURN_IF_ERROR(appended);
    if (!puts_hashed) state.AddEntry(StateTable::kTxs, put.id.span(), put.record);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::pair<uint32_t, std::shared_ptr<RunFilter>>>> MergeRecentTxs(
    WriteTxn& txn, const NodeTables& tables, const RecentTxs& recent, TxRunList& list,
    uint64_t merged_through, uint64_t through) {
  const std::vector<std::pair<TxId, uint64_t>> entries = recent.Collect(merged_through, through);
  GL_ASSIGN_OR_RETURN(auto run, WriteTxRun(txn, tables, list, entries));
  GL_RETURN_IF_ERROR(
      txn.Put(tables.meta, MetaKey(kMetaTxsMergedThrough), EncodeCommitKey(through)));
  return run;
}

absl::Status WriteRestoredTxs(WriteTxn& txn, const NodeTables& tables,
                              absl::Span<const std::pair<ByteSpan, ByteSpan>> entries,
                              uint64_t sequence) {
  // (commit sequence, entry index): the entries ascend by id (txs takes
  // them by appending, which refuses any other order), so this order is
  // tx_log's key order, without a heap key per tx.
  std::vector<std::pair<uint64_t, size_t>> log;
  log.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& [key, record] = entries[i];
    if (key.size() != TxId::size()) {
      return absl::DataLossError(absl::StrCat("snapshot txs key of ", key.size(), " bytes"));
    }
    absl::StatusOr<StoredTx> tx = DecodeTxRecord(record);
    if (!tx.ok()) {
      return absl::DataLossError(
          absl::StrCat("snapshot txs entry does not decode: ", tx.status().message()));
    }
    if (tx->commit_sequence == 0 || tx->commit_sequence > sequence) {
      return absl::DataLossError(absl::StrCat("snapshot txs entry of commit ", tx->commit_sequence,
                                              " outside [1, ", sequence, "]"));
    }
    GL_RETURN_IF_ERROR(txn.Append(tables.txs, key, EncodeCommitKey(tx->commit_sequence)));
    log.emplace_back(tx->commit_sequence, i);
  }
  std::sort(log.begin(), log.end());
  for (const auto& [commit, i] : log) {
    const TxId id = TxId::FromSpan(entries[i].first);  // its size was checked above
    GL_RETURN_IF_ERROR(txn.Append(tables.tx_log, EncodeTxLogKey(commit, id), entries[i].second));
  }
  return txn.Put(tables.meta, MetaKey(kMetaTxsMergedThrough), EncodeCommitKey(sequence));
}

absl::Status LoadRecentTxs(const Txn& txn, const NodeTables& tables, RecentTxs& recent) {
  GL_ASSIGN_OR_RETURN(const uint64_t merged_through, ReadTxsMergedThrough(txn, tables));
  GL_ASSIGN_OR_RETURN(Cursor cursor, txn.OpenCursor(tables.tx_log));
  GL_ASSIGN_OR_RETURN(bool on, cursor.SeekAtLeast(EncodeCommitKey(merged_through + 1)));
  uint64_t sequence = 0;
  std::vector<TxId> ids;
  while (on) {
    GL_ASSIGN_OR_RETURN(auto key, DecodeTxLogKey(cursor.key()));
    if (key.first != sequence) {
      recent.Add(sequence, ids);
      ids.clear();
      sequence = key.first;
    }
    ids.push_back(key.second);
    GL_ASSIGN_OR_RETURN(on, cursor.Next());
  }
  recent.Add(sequence, ids);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<TxId, StoredTxView>>> ReadCommitTxs(const Txn& txn,
                                                                        const NodeTables& tables,
                                                                        uint64_t sequence) {
  std::vector<std::pair<TxId, StoredTxView>> out;
  GL_ASSIGN_OR_RETURN(Cursor cursor, txn.OpenCursor(tables.tx_log));
  GL_ASSIGN_OR_RETURN(bool on, cursor.SeekAtLeast(EncodeCommitKey(sequence)));
  while (on) {
    GL_ASSIGN_OR_RETURN(auto key, DecodeTxLogKey(cursor.key()));
    if (key.first != sequence) break;
    GL_ASSIGN_OR_RETURN(const StoredTxView tx, DecodeTxRecordView(cursor.value()));
    if (tx.commit_sequence != sequence) {
      return absl::DataLossError(absl::StrCat("tx_log record of ", key.second.ShortHex(),
                                              " under commit ", sequence, " says commit ",
                                              tx.commit_sequence));
    }
    if (tx.status() != TxStatus::kHeld) out.emplace_back(key.second, tx);
    GL_ASSIGN_OR_RETURN(on, cursor.Next());
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.second.index < b.second.index; });
  return out;
}

}  // namespace gridledger::storage
