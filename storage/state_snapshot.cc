#include "storage/state_snapshot.h"

#include <algorithm>
#include <iterator>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "storage/account_store.h"
#include "storage/tx_runs.h"
#include "storage/tx_store.h"

namespace gridledger::storage {
namespace {

constexpr size_t kEntryOverheadBytes = 1 + 2 + 4;

// The table's position in kStateTables: the snapshot's table order.
std::optional<size_t> TablePosition(uint8_t id) {
  for (size_t i = 0; i < std::size(kStateTables); ++i) {
    if (static_cast<uint8_t>(kStateTables[i]) == id) return i;
  }
  return std::nullopt;
}

bool KeyBefore(ByteSpan a, ByteSpan b) {  // LMDB's default order
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

// The logical txs table in id order (the snapshot's), without sorting the
// whole of tx_log (which is in commit order): the index (its runs and the
// txs table, storage/tx_runs.h), ascending, merged with the records tx_log
// holds above its merged_through (the recent window: the merge bound plus
// what readers pin), sorted here. A window record wins over the index (a
// held tx released after its merge). Each
// entry goes to `emit` as it is reached, so the byte bound fires early and
// memory stays O(window).
absl::Status EmitTxsInIdOrder(const Txn& txn, const NodeTables& tables,
                              absl::FunctionRef<absl::Status(ByteSpan, ByteSpan)> emit) {
  GL_ASSIGN_OR_RETURN(const uint64_t merged_through, ReadTxsMergedThrough(txn, tables));
  std::vector<std::pair<TxId, ByteSpan>> window;  // spans into the map while `txn` lives
  {
    GL_ASSIGN_OR_RETURN(Cursor log, txn.OpenCursor(tables.tx_log));
    GL_ASSIGN_OR_RETURN(bool on, log.SeekAtLeast(EncodeCommitKey(merged_through + 1)));
    while (on) {
      GL_ASSIGN_OR_RETURN(auto key, DecodeTxLogKey(log.key()));
      window.emplace_back(key.second, log.value());
      GL_ASSIGN_OR_RETURN(on, log.Next());
    }
  }
  std::sort(window.begin(), window.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  auto next = window.begin();
  GL_ASSIGN_OR_RETURN(const TxRunList runs, ReadTxRunList(txn, tables));
  GL_RETURN_IF_ERROR(
      ForEachIndexedTx(txn, tables, runs, [&](const TxId& id, uint64_t sequence) -> absl::Status {
        for (; next != window.end() && next->first < id; ++next) {
          GL_RETURN_IF_ERROR(emit(next->first.span(), next->second));
        }
        if (next != window.end() && next->first == id) {
          GL_RETURN_IF_ERROR(emit(next->first.span(), next->second));
          ++next;
          return absl::OkStatus();
        }
        absl::StatusOr<ByteSpan> record = txn.Get(tables.tx_log, EncodeTxLogKey(sequence, id));
        if (absl::IsNotFound(record.status())) {
          return absl::DataLossError(absl::StrCat("tx ", id.ShortHex(), ": indexed at sequence ",
                                                  sequence, " but tx_log has no record there"));
        }
        GL_RETURN_IF_ERROR(record.status());
        return emit(id.span(), *record);
      }));
  for (; next != window.end(); ++next) GL_RETURN_IF_ERROR(emit(next->first.span(), next->second));
  return absl::OkStatus();
}

Bytes U64Value(uint64_t v) {
  Bytes out;
  ByteWriter(&out).U64(v);
  return out;
}

}  // namespace

void ChunkCutter::Seal() {
  if (count_ == 0) return;
  Bytes chunk;
  ByteWriter(&chunk).U32(count_);
  chunk.insert(chunk.end(), body_.begin(), body_.end());
  chunks_.push_back(std::move(chunk));
  body_.clear();
  count_ = 0;
}

ByteWriter ChunkCutter::Next(size_t item_bytes) {
  if (count_ > 0 && (4 + body_.size() + item_bytes > chunk_bytes_max_ || count_ >= items_max_)) {
    Seal();
  }
  ++count_;
  return ByteWriter(&body_);
}

std::vector<Bytes> ChunkCutter::Finish() {
  Seal();
  return std::move(chunks_);
}

absl::StatusOr<std::vector<Bytes>> CutStateChunks(const Txn& txn, const NodeTables& tables,
                                                  size_t chunk_bytes_max,
                                                  size_t total_bytes_max) {
  ChunkCutter cutter(chunk_bytes_max);
  size_t total = 0;
  auto emit = [&](StateTable table, ByteSpan key, ByteSpan value) -> absl::Status {
    if (key.size() > kSnapshotKeyBytesMax || value.size() > kSnapshotValueBytesMax) {
      return absl::DataLossError(absl::StrCat("state entry of ", key.size(), "+", value.size(),
                                              " bytes exceeds the snapshot's entry bounds"));
    }
    const size_t entry_bytes = kEntryOverheadBytes + key.size() + value.size();
    total += entry_bytes;
    if (total > total_bytes_max) {
      return absl::ResourceExhaustedError(
          absl::StrCat("state over the snapshot bound of ", total_bytes_max, " bytes"));
    }
    ByteWriter w = cutter.Next(entry_bytes);
    w.U8(static_cast<uint8_t>(table));
    w.U16(static_cast<uint16_t>(key.size()));
    w.Raw(key);
    w.VarBytes(value);
    return absl::OkStatus();
  };
  for (StateTable table : kStateTables) {
    if (table == StateTable::kTxs) {
      GL_RETURN_IF_ERROR(EmitTxsInIdOrder(
          txn, tables, [&](ByteSpan key, ByteSpan value) { return emit(table, key, value); }));
      continue;
    }
    if (table == StateTable::kAccounts) {
      GL_RETURN_IF_ERROR(ForEachAccount(
          txn, tables, [&](ByteSpan key, ByteSpan value) { return emit(table, key, value); }));
      continue;
    }
    GL_ASSIGN_OR_RETURN(Cursor cursor, txn.OpenCursor(TableOf(tables, table)));
    GL_ASSIGN_OR_RETURN(bool on, cursor.First());
    while (on) {
      GL_ASSIGN_OR_RETURN(ByteSpan key, StateKeyOf(table, cursor.key()));
      GL_RETURN_IF_ERROR(emit(table, key, cursor.value()));
      GL_ASSIGN_OR_RETURN(on, cursor.Next());
    }
  }
  return cutter.Finish();
}

absl::Status SnapshotAssembler::Add(ByteSpan chunk) {
  if (chunk.size() > kSnapshotChunkBytesMax) {
    return absl::InvalidArgumentError(absl::StrCat("snapshot chunk of ", chunk.size(),
                                                   " bytes exceeds ", kSnapshotChunkBytesMax));
  }
  if (bytes_ + chunk.size() > total_bytes_max_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("snapshot over ", total_bytes_max_, " bytes"));
  }
  ByteReader r(chunk);
  GL_ASSIGN_OR_RETURN(uint32_t n, r.U32("snapshot chunk entries"));
  if (n == 0) return absl::InvalidArgumentError("snapshot chunk without entries");
  // Each entry takes at least its overhead: a count the bytes cannot hold is refused first.
  if (size_t{n} * kEntryOverheadBytes > r.remaining()) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot chunk: ", n, " entries in ", r.remaining(), " bytes"));
  }
  std::vector<SnapshotEntry> decoded;
  decoded.reserve(n);
  const SnapshotEntry* previous = entries_.empty() ? nullptr : &entries_.back();
  const bool had_previous = previous != nullptr;
  size_t previous_position =
      had_previous ? TablePosition(static_cast<uint8_t>(previous->table)).value_or(0) : 0;
  for (uint32_t i = 0; i < n; ++i) {
    GL_ASSIGN_OR_RETURN(uint8_t table_id, r.U8("snapshot entry table"));
    const std::optional<size_t> position = TablePosition(table_id);
    if (!position.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("snapshot entry ", i, ": unknown state table ", int{table_id}));
    }
    GL_ASSIGN_OR_RETURN(uint16_t key_size, r.U16("snapshot entry key length"));
    if (key_size == 0 || key_size > kSnapshotKeyBytesMax) {
      return absl::InvalidArgumentError(
          absl::StrCat("snapshot entry ", i, ": key length ", key_size, " out of range"));
    }
    GL_ASSIGN_OR_RETURN(ByteSpan key, r.Raw(key_size, "snapshot entry key"));
    GL_ASSIGN_OR_RETURN(ByteSpan value, r.VarBytes(kSnapshotValueBytesMax, "snapshot entry value"));
    const bool ascending =
        (i == 0 && !had_previous) || *position > previous_position ||
        (*position == previous_position && KeyBefore(previous->key, key));
    if (!ascending) {
      return absl::InvalidArgumentError(
          absl::StrCat("snapshot entry ", i, ": not after the previous entry (order or repeat)"));
    }
    decoded.push_back(SnapshotEntry{static_cast<StateTable>(table_id),
                                    Bytes(key.begin(), key.end()),
                                    Bytes(value.begin(), value.end())});
    previous = &decoded.back();
    previous_position = *position;
  }
  GL_RETURN_IF_ERROR(r.ExpectEnd("snapshot chunk"));
  for (SnapshotEntry& e : decoded) {
    hash_.Add(StateElement(e.table, e.key, e.value));
    entries_.push_back(std::move(e));
  }
  bytes_ += chunk.size();
  return absl::OkStatus();
}

absl::Status WriteSnapshot(WriteTxn& txn, const NodeTables& tables,
                           const SnapshotAssembler& snapshot, const SnapshotPoint& point) {
  if (snapshot.Root() != point.state_root) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot hashes to state root ", snapshot.Root().ShortHex(),
                     ", the checkpoint of sequence ", point.sequence, " says ",
                     point.state_root.ShortHex()));
  }
  if (point.sequence == 0) return absl::InvalidArgumentError("snapshot sequence 0");
  for (StateTable table : kStateTables) GL_RETURN_IF_ERROR(txn.Clear(TableOf(tables, table)));
  GL_RETURN_IF_ERROR(txn.Clear(tables.txs));
  {
    // Run numbers stay unique across the restore: a filter is never taken
    // for another run's.
    GL_ASSIGN_OR_RETURN(const TxRunList old_runs, ReadTxRunList(txn, tables));
    TxRunList no_runs;
    no_runs.next_number = old_runs.next_number;
    GL_RETURN_IF_ERROR(txn.Clear(tables.txs_runs));
    GL_RETURN_IF_ERROR(txn.Clear(tables.txs_merged));
    GL_RETURN_IF_ERROR(WriteTxRunList(txn, tables, no_runs));
  }
  GL_RETURN_IF_ERROR(txn.Clear(tables.acct_log));  // accounts: all in the table, merged
  GL_RETURN_IF_ERROR(txn.Clear(tables.held_expiry));
  uint64_t held = 0;
  const uint8_t version = kRecordVersion;
  std::vector<std::pair<ByteSpan, ByteSpan>> txs;  // the transaction store's, all merged
  for (const SnapshotEntry& e : snapshot.entries()) {
    if (e.table == StateTable::kTxs) {
      txs.emplace_back(e.key, e.value);
      continue;
    }
    GL_RETURN_IF_ERROR(txn.Put(TableOf(tables, e.table), e.key, e.value));
    if (e.table != StateTable::kHeld) continue;
    // The derived expiry index: every held entry names its held sequence.
    absl::StatusOr<HeldTx> tx = DecodeHeldRecord(e.key, e.value);
    if (!tx.ok()) {
      return absl::DataLossError(
          absl::StrCat("snapshot held entry does not decode: ", tx.status().message()));
    }
    GL_RETURN_IF_ERROR(txn.Put(tables.held_expiry,
                               EncodeHeldExpiryKey(tx->held_sequence, tx->key()),
                               ByteSpan(&version, 1)));
    ++held;
  }
  GL_RETURN_IF_ERROR(WriteRestoredTxs(txn, tables, txs, point.sequence));
  const auto sequence = EncodeCommitKey(point.sequence);
  GL_RETURN_IF_ERROR(txn.Put(tables.meta, MetaKey(kMetaHeldCount), U64Value(held)));
  GL_RETURN_IF_ERROR(
      txn.Put(tables.meta, MetaKey(kMetaStateHash), snapshot.hash().Serialize()));
  GL_RETURN_IF_ERROR(txn.Put(tables.state_roots, sequence, point.state_root.span()));
  GL_RETURN_IF_ERROR(txn.Put(tables.commits, sequence, EncodeCommitRecord(point.commit)));
  GL_RETURN_IF_ERROR(txn.Put(tables.meta, MetaKey(kMetaLastCommittedSequence), sequence));
  GL_RETURN_IF_ERROR(
      txn.Put(tables.meta, MetaKey(kMetaStateSummary), point.commit.state_summary.span()));
  return txn.Put(tables.meta, MetaKey(kMetaStateSyncedFrom), sequence);
}

absl::StatusOr<std::optional<uint64_t>> ReadStateSyncedFrom(const Txn& txn,
                                                            const NodeTables& tables) {
  absl::StatusOr<ByteSpan> value = txn.Get(tables.meta, MetaKey(kMetaStateSyncedFrom));
  if (absl::IsNotFound(value.status())) return std::optional<uint64_t>();
  GL_RETURN_IF_ERROR(value.status());
  ByteReader r(*value);
  absl::StatusOr<uint64_t> sequence = r.U64("state_synced_from");
  if (!sequence.ok() || !r.ExpectEnd("state_synced_from").ok()) {
    return absl::DataLossError("corrupt meta record state_synced_from");
  }
  return std::optional<uint64_t>(*sequence);
}

}  // namespace gridledger::storage
