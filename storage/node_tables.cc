#include "storage/node_tables.h"

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"

namespace gridledger::storage {
namespace {

absl::StatusOr<std::optional<ByteSpan>> ReadMeta(const Txn& txn, const NodeTables& tables,
                                                 absl::string_view name, size_t size_bytes) {
  absl::StatusOr<ByteSpan> value = txn.Get(tables.meta, MetaKey(name));
  if (absl::IsNotFound(value.status())) return std::optional<ByteSpan>();
  if (!value.ok()) return value.status();
  if (value->size() != size_bytes) {
    return absl::DataLossError(absl::StrCat("corrupt meta record ", name, ": size ",
                                            value->size(), " bytes, expected ", size_bytes));
  }
  return std::optional<ByteSpan>(*value);
}

// A big-endian u64; nullopt when absent.
absl::StatusOr<std::optional<uint64_t>> ReadMetaU64(const Txn& txn, const NodeTables& tables,
                                                    absl::string_view name) {
  GL_ASSIGN_OR_RETURN(std::optional<ByteSpan> value, ReadMeta(txn, tables, name, 8));
  if (!value.has_value()) return std::optional<uint64_t>();
  uint64_t n = 0;
  for (uint8_t b : *value) n = n << 8 | b;
  return std::optional<uint64_t>(n);
}

}  // namespace

absl::StatusOr<NodeTables> NodeTables::Open(LmdbEnv& env) {
  NodeTables t;
  GL_ASSIGN_OR_RETURN(t.txs, env.OpenTable(kTxsTable));
  GL_ASSIGN_OR_RETURN(t.tx_log, env.OpenTable(kTxLogTable));
  GL_ASSIGN_OR_RETURN(t.txs_runs, env.OpenTable(kTxsRunsTable));
  GL_ASSIGN_OR_RETURN(t.txs_merged, env.OpenTable(kTxsMergedTable));
  GL_ASSIGN_OR_RETURN(t.accounts, env.OpenTable(kAccountsTable));
  GL_ASSIGN_OR_RETURN(t.acct_log, env.OpenTable(kAcctLogTable));
  GL_ASSIGN_OR_RETURN(t.commits, env.OpenTable(kCommitsTable));
  GL_ASSIGN_OR_RETURN(t.meta, env.OpenTable(kMetaTable));
  GL_ASSIGN_OR_RETURN(t.held, env.OpenTable(kHeldTable));
  GL_ASSIGN_OR_RETURN(t.held_expiry, env.OpenTable(kHeldExpiryTable));
  GL_ASSIGN_OR_RETURN(t.released, env.OpenTable(kReleasedTable));
  GL_ASSIGN_OR_RETURN(t.market, env.OpenTable(kMarketTable));
  GL_ASSIGN_OR_RETURN(t.state_roots, env.OpenTable(kStateRootsTable));
  return t;
}

ByteSpan MetaKey(absl::string_view name) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(name.data()), name.size());
}

absl::StatusOr<uint64_t> ReadLastCommittedSequence(const Txn& txn, const NodeTables& tables) {
  GL_ASSIGN_OR_RETURN(std::optional<uint64_t> seq,
                      ReadMetaU64(txn, tables, kMetaLastCommittedSequence));
  if (!seq.has_value()) return uint64_t{0};
  if (*seq == 0) return absl::DataLossError("corrupt meta record last_committed_sequence: 0");
  return *seq;
}

absl::StatusOr<uint64_t> ReadHeldCount(const Txn& txn, const NodeTables& tables) {
  GL_ASSIGN_OR_RETURN(std::optional<uint64_t> count, ReadMetaU64(txn, tables, kMetaHeldCount));
  return count.value_or(0);
}

absl::StatusOr<uint64_t> ReadTxsMergedThrough(const Txn& txn, const NodeTables& tables) {
  GL_ASSIGN_OR_RETURN(std::optional<uint64_t> through,
                      ReadMetaU64(txn, tables, kMetaTxsMergedThrough));
  return through.value_or(0);
}

absl::StatusOr<std::optional<uint64_t>> ReadStoreLayout(const Txn& txn, const NodeTables& tables) {
  return ReadMetaU64(txn, tables, kMetaStoreLayout);
}

absl::StatusOr<Digest> ReadStateSummary(const Txn& txn, const NodeTables& tables) {
  GL_ASSIGN_OR_RETURN(std::optional<ByteSpan> value, ReadMeta(txn, tables, kMetaStateSummary, 32));
  if (!value.has_value()) return Digest();
  return Digest::FromSpan(*value);
}

absl::StatusOr<std::optional<Digest>> ReadGenesisDigest(const Txn& txn,
                                                        const NodeTables& tables) {
  GL_ASSIGN_OR_RETURN(std::optional<ByteSpan> value, ReadMeta(txn, tables, kMetaGenesisDigest, 32));
  if (!value.has_value()) return std::optional<Digest>();
  return std::optional<Digest>(Digest::FromSpan(*value));
}

}  // namespace gridledger::storage
