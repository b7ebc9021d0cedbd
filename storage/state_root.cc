#include "storage/state_root.h"

#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "storage/account_store.h"
#include "storage/records.h"

namespace gridledger::storage {

namespace {

// StateElement's first bytes: table id u8 | key_len u16.
std::array<uint8_t, 3> ElementHeader(StateTable table, ByteSpan key) {
  GL_CHECK(key.size() <= UINT16_MAX);
  return {static_cast<uint8_t>(table), static_cast<uint8_t>(key.size() >> 8),
          static_cast<uint8_t>(key.size())};
}

}  // namespace

Bytes StateElement(StateTable table, ByteSpan key, ByteSpan value) {
  GL_CHECK(key.size() <= UINT16_MAX);
  Bytes out;
  out.reserve(3 + key.size() + value.size());
  ByteWriter w(&out);
  w.U8(static_cast<uint8_t>(table));
  w.U16(static_cast<uint16_t>(key.size()));
  w.Raw(key);
  w.Raw(value);
  return out;
}

LmdbTable TableOf(const NodeTables& tables, StateTable table) {
  switch (table) {
    case StateTable::kAccounts: return tables.accounts;
    case StateTable::kTxs: return tables.tx_log;
    case StateTable::kHeld: return tables.held;
    case StateTable::kMarket: return tables.market;
  }
  GL_CHECK_MSG(false, "unknown state table");
  return {};
}

absl::StatusOr<ByteSpan> StateKeyOf(StateTable table, ByteSpan stored_key) {
  if (table != StateTable::kTxs) return stored_key;
  if (stored_key.size() != kTxLogKeyBytes) {
    return absl::DataLossError(
        absl::StrCat("corrupt tx_log key: size ", stored_key.size(), " bytes"));
  }
  return stored_key.subspan(8);
}

absl::StatusOr<LtHash16> ReadStateHash(const Txn& txn, const NodeTables& tables) {
  absl::StatusOr<ByteSpan> value = txn.Get(tables.meta, MetaKey(kMetaStateHash));
  if (absl::IsNotFound(value.status())) return LtHash16();
  GL_RETURN_IF_ERROR(value.status());
  absl::StatusOr<LtHash16> hash = LtHash16::Parse(*value);
  if (!hash.ok()) {
    return absl::DataLossError(absl::StrCat("corrupt meta record ", kMetaStateHash, ": ",
                                            hash.status().message()));
  }
  return hash;
}

absl::StatusOr<LtHash16> ComputeStateHash(const Txn& txn, const NodeTables& tables) {
  LtHash16 hash;
  for (StateTable table : kStateTables) {
    if (table == StateTable::kAccounts) {
      GL_RETURN_IF_ERROR(ForEachAccount(txn, tables, [&](ByteSpan key, ByteSpan record) {
        hash.Add(StateElement(table, key, record));
        return absl::OkStatus();
      }));
      continue;
    }
    GL_ASSIGN_OR_RETURN(Cursor cursor, txn.OpenCursor(TableOf(tables, table)));
    GL_ASSIGN_OR_RETURN(bool on, cursor.First());
    while (on) {
      GL_ASSIGN_OR_RETURN(ByteSpan key, StateKeyOf(table, cursor.key()));
      hash.Add(StateElement(table, key, cursor.value()));
      GL_ASSIGN_OR_RETURN(on, cursor.Next());
    }
  }
  return hash;
}

absl::StatusOr<StateWriter> StateWriter::Begin(WriteTxn* txn, const NodeTables& tables) {
  GL_ASSIGN_OR_RETURN(LtHash16 hash, ReadStateHash(*txn, tables));
  return StateWriter(txn, tables, hash);
}

absl::StatusOr<WriteCursor*> StateWriter::CursorFor(StateTable table) {
  GL_CHECK_MSG(table != StateTable::kTxs, "txs entries are written by tx_store");
  size_t i = 0;
  while (kStateTables[i] != table) ++i;  // kStateTables lists every StateTable
  if (!cursors_[i].has_value()) {
    GL_ASSIGN_OR_RETURN(WriteCursor cursor, txn_->OpenWriteCursor(TableOf(tables_, table)));
    cursors_[i].emplace(std::move(cursor));
  }
  return &*cursors_[i];
}

absl::Status StateWriter::Put(StateTable table, ByteSpan key, ByteSpan value) {
  return Put(table, key, value, [](ByteSpan) { return absl::OkStatus(); });
}

absl::Status StateWriter::Put(StateTable table, ByteSpan key, ByteSpan value,
                              absl::FunctionRef<absl::Status(ByteSpan old)> may_replace) {
  GL_ASSIGN_OR_RETURN(WriteCursor* cursor, CursorFor(table));
  // The element's parts are hashed where they lie (no StateElement copy).
  const std::array<uint8_t, 3> header = ElementHeader(table, key);
  const ByteSpan new_parts[] = {ByteSpan(header), key, value};
  bool replaced = false;
  GL_RETURN_IF_ERROR(cursor->Put(key, value, [&](ByteSpan old) -> absl::Status {
    GL_RETURN_IF_ERROR(may_replace(old));
    // `old` lives in the page the put rewrites: hashed here, in one pass with
    // the new element. A put that fails after this aborts the whole write.
    const ByteSpan old_parts[] = {ByteSpan(header), key, old};
    hash_.ReplaceParts(old_parts, new_parts);
    replaced = true;
    return absl::OkStatus();
  }));
  if (!replaced) hash_.AddParts(new_parts);
  return absl::OkStatus();
}

absl::Status StateWriter::Delete(StateTable table, ByteSpan key) {
  GL_ASSIGN_OR_RETURN(WriteCursor* cursor, CursorFor(table));
  const std::array<uint8_t, 3> header = ElementHeader(table, key);
  absl::Status status = cursor->Delete(key, [&](ByteSpan old) {
    const ByteSpan old_parts[] = {ByteSpan(header), key, old};
    hash_.RemoveParts(old_parts);
  });
  if (absl::IsNotFound(status)) return absl::NotFoundError("state entry to delete is absent");
  return status;
}

void HashAddEntry(LtHash16& hash, StateTable table, ByteSpan key, ByteSpan value) {
  const std::array<uint8_t, 3> header = ElementHeader(table, key);
  const ByteSpan parts[] = {ByteSpan(header), key, value};
  hash.AddParts(parts);
}

void HashReplaceEntry(LtHash16& hash, StateTable table, ByteSpan key, ByteSpan old_value,
                      ByteSpan new_value) {
  const std::array<uint8_t, 3> header = ElementHeader(table, key);
  const ByteSpan old_parts[] = {ByteSpan(header), key, old_value};
  const ByteSpan new_parts[] = {ByteSpan(header), key, new_value};
  hash.ReplaceParts(old_parts, new_parts);
}

void StateWriter::AddEntry(StateTable table, ByteSpan key, ByteSpan value) {
  HashAddEntry(hash_, table, key, value);
}

void StateWriter::RemoveEntry(StateTable table, ByteSpan key, ByteSpan value) {
  const std::array<uint8_t, 3> header = ElementHeader(table, key);
  const ByteSpan parts[] = {ByteSpan(header), key, value};
  hash_.RemoveParts(parts);
}

void StateWriter::ReplaceEntry(StateTable table, ByteSpan key, ByteSpan old_value,
                               ByteSpan new_value) {
  HashReplaceEntry(hash_, table, key, old_value, new_value);
}

absl::StatusOr<Digest> StateWriter::Finish() {
  for (auto& cursor : cursors_) cursor.reset();
  GL_RETURN_IF_ERROR(txn_->Put(tables_.meta, MetaKey(kMetaStateHash), hash_.Serialize()));
  return hash_.Root();
}

}  // namespace gridledger::storage
