#include "storage/node_store.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "storage/account_store.h"
#include "storage/state_root.h"
#include "storage/tx_store.h"

namespace gridledger::storage {
namespace {

// The most ids the window's table is sized for up front (~50 B of address
// space each); a store configured to merge later grows past it on demand.
constexpr size_t kRecentIdsReservedMax = size_t{1} << 20;

}  // namespace

absl::StatusOr<std::unique_ptr<NodeStore>> NodeStore::Open(const LmdbOptions& options,
                                                           const NodeStoreOptions& store_options) {
  GL_ASSIGN_OR_RETURN(std::unique_ptr<LmdbEnv> env, LmdbEnv::Open(options));
  GL_ASSIGN_OR_RETURN(NodeTables tables, NodeTables::Open(*env));
  GL_ASSIGN_OR_RETURN(const bool stamp_pending, CheckLayout(*env, tables));
  uint64_t last = 0;
  {
    GL_ASSIGN_OR_RETURN(ReadTxn txn, env->BeginRead());
    GL_ASSIGN_OR_RETURN(last, ReadLastCommittedSequence(txn, tables));
    // The commit record of the last sequence must be there and readable.
    if (last > 0) {
      GL_ASSIGN_OR_RETURN(ByteSpan record, txn.Get(tables.commits, EncodeCommitKey(last)));
      GL_RETURN_IF_ERROR(DecodeCommitRecord(record).status());
    }
  }
  GL_RETURN_IF_ERROR(EnsureStateHash(*env, tables));
  auto store = std::unique_ptr<NodeStore>(
      new NodeStore(std::move(env), tables, last, store_options));
  {
    GL_ASSIGN_OR_RETURN(ReadTxn txn, store->env_->BeginRead());
    GL_ASSIGN_OR_RETURN(const uint64_t merged, ReadTxsMergedThrough(txn, tables));
    store->recent_.ReserveIds(std::min(store_options.recent_txs_merge_at, kRecentIdsReservedMax));
    GL_RETURN_IF_ERROR(LoadRecentTxs(txn, tables, store->recent_));
    GL_RETURN_IF_ERROR(LoadRecentAccounts(txn, tables, store->recent_));
    {
      absl::MutexLock lock(&store->writer_mu_);
      GL_ASSIGN_OR_RETURN(const TxRunList runs, ReadTxRunList(txn, tables));
      GL_RETURN_IF_ERROR(LoadTxRunFilters(txn, tables, runs, store->run_filters_,
                                          store->compacting_filter_));
      store->tx_index_runs_.store(runs.live.size());
    }
    store->unmerged_txs_.store(store->recent_.size());
    store->unmerged_account_versions_.store(store->recent_.account_versions());
    store->layout_stamp_pending_.store(stamp_pending);
    store->recent_.Prune(merged);  // what readers pin from now on
  }
  return store;
}

absl::StatusOr<bool> NodeStore::CheckLayout(LmdbEnv& env, const NodeTables& tables) {
  {
    GL_ASSIGN_OR_RETURN(ReadTxn txn, env.BeginRead());
    GL_ASSIGN_OR_RETURN(std::optional<uint64_t> layout, ReadStoreLayout(txn, tables));
    if (layout == kStoreLayoutVersion) return false;
    // Layouts 3 and 4 differ only by tables that are empty (acct_log, the
    // index's runs): stamped at the first write (StampLayoutIfPending).
    if (layout == std::optional<uint64_t>(3) || layout == std::optional<uint64_t>(4)) {
      return true;
    }
    GL_ASSIGN_OR_RETURN(Cursor txs, txn.OpenCursor(tables.txs));
    GL_ASSIGN_OR_RETURN(const bool has_txs, txs.First());
    if (layout.has_value() && *layout > kStoreLayoutVersion) {
      // Wiping would throw away a good store: the build is what is old.
      return absl::FailedPreconditionError(absl::StrCat(
          "store ", env.dir(), " has layout ", *layout, ", written by a newer build; this build "
          "reads layout ", kStoreLayoutVersion, " only: run the newer build (or a later one) "
          "on this data directory"));
    }
    if (layout.has_value() || has_txs) {
      return absl::FailedPreconditionError(absl::StrCat(
          "store ", env.dir(), " has layout ", layout.value_or(1), " (layout 1: full transaction "
          "records in the txs table; layout 2: checkpoints without the commit digest); this "
          "build reads layout ", kStoreLayoutVersion,
          " only: wipe the data directory ", env.dir(),
          " and restart the node (it catches up from its peers)"));
    }
  }
  // A new store, or one without transactions (the layouts agree): stamp it.
  GL_RETURN_IF_ERROR(env.Write([&](WriteTxn& txn) -> absl::Status {
    Bytes value;
    ByteWriter(&value).U64(kStoreLayoutVersion);
    return txn.Put(tables.meta, MetaKey(kMetaStoreLayout), value);
  }));
  return false;
}

absl::Status NodeStore::StampLayoutIfPending(WriteTxn& txn) const {
  if (!layout_stamp_pending_.load()) return absl::OkStatus();
  Bytes value;
  ByteWriter(&value).U64(kStoreLayoutVersion);
  return txn.Put(tables_.meta, MetaKey(kMetaStoreLayout), value);
}

// A store written before the state root existed has state but no running
// hash: compute it once from scratch (O(state)), so later commits update it.
absl::Status NodeStore::EnsureStateHash(LmdbEnv& env, const NodeTables& tables) {
  {
    GL_ASSIGN_OR_RETURN(ReadTxn txn, env.BeginRead());
    absl::StatusOr<ByteSpan> stored = txn.Get(tables.meta, MetaKey(kMetaStateHash));
    if (stored.ok()) return ReadStateHash(txn, tables).status();  // present: check its size
    if (!absl::IsNotFound(stored.status())) return stored.status();
    GL_ASSIGN_OR_RETURN(LtHash16 hash, ComputeStateHash(txn, tables));
    if (hash == LtHash16()) return absl::OkStatus();  // empty store
  }
  return env.Write([&](WriteTxn& txn) -> absl::Status {
    GL_ASSIGN_OR_RETURN(LtHash16 hash, ComputeStateHash(txn, tables));
    return txn.Put(tables.meta, MetaKey(kMetaStateHash), hash.Serialize());
  });
}

absl::Status NodeStore::CheckBlock(const BlockWrite& block) const {
  if (block.sequence == 0) return absl::InvalidArgumentError("block sequence: must be >= 1");
  if (block.txs.size() > block.meta.num_txs) {
    return absl::InvalidArgumentError(absl::StrCat("block num_txs: ", block.meta.num_txs,
                                                   " is below the ", block.txs.size(),
                                                   " indexed transactions"));
  }
  absl::flat_hash_map<TxId, TxStatus> ids;
  ids.reserve(block.txs.size());
  for (const auto& [id, tx] : block.txs) {
    if (tx.commit_sequence != block.sequence || tx.index >= block.meta.num_txs) {
      return absl::InvalidArgumentError(absl::StrCat(
          "block tx ", id.ShortHex(), ": commit_sequence ", tx.commit_sequence, " index ",
          tx.index, " outside block ", block.sequence, " of ", block.meta.num_txs));
    }
    if (tx.code == TxResultCode::kDuplicate) {
      return absl::InvalidArgumentError(
          absl::StrCat("block tx ", id.ShortHex(), ": duplicates are not indexed"));
    }
    if (!ids.emplace(id, tx.status()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("block tx ", id.ShortHex(), ": listed twice"));
    }
  }
  for (const TxId& id : block.released) {
    auto it = ids.find(id);
    if (it == ids.end() || it->second == TxStatus::kHeld) {
      return absl::InvalidArgumentError(
          absl::StrCat("block released tx ", id.ShortHex(), ": no final result in the block"));
    }
  }
  for (const auto& [key, value] : block.market) {
    if (key.empty() || key.size() > kMaxMarketKeyBytes ||
        (value.has_value() && value->size() > kMaxMarketValueBytes)) {
      return absl::InvalidArgumentError(absl::StrCat("block market record: key ", key.size(),
                                                     " bytes out of bounds or value too large"));
    }
  }
  for (const HeldTx& held : block.held_added) {
    if (held.held_sequence != block.sequence) {
      return absl::InvalidArgumentError(
          absl::StrCat("block held tx ", held.btx.id.ShortHex(), ": held_sequence ",
                       held.held_sequence, " is not the block's ", block.sequence));
    }
  }
  return absl::OkStatus();
}

absl::Status NodeStore::WriteHold(WriteTxn& txn, StateWriter& state, const BlockWrite& block) {
  GL_ASSIGN_OR_RETURN(uint64_t count, ReadHeldCount(txn, tables_));
  for (const HeldKey& key : block.held_removed) {
    const Bytes held_key = EncodeHeldKey(key);
    absl::StatusOr<ByteSpan> record = txn.Get(tables_.held, held_key);
    if (absl::IsNotFound(record.status())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "held entry ", key.account.key.ShortHex(), "/", key.nonce.value(), " is not held"));
    }
    GL_RETURN_IF_ERROR(record.status());
    GL_ASSIGN_OR_RETURN(HeldTx held, DecodeHeldRecord(held_key, *record));
    GL_RETURN_IF_ERROR(state.Delete(StateTable::kHeld, held_key));
    GL_RETURN_IF_ERROR(
        txn.Delete(tables_.held_expiry, EncodeHeldExpiryKey(held.held_sequence, key)));
    if (count == 0) return absl::DataLossError("corrupt meta record held_count: below entries");
    --count;
  }
  for (const HeldTx& held : block.held_added) {
    const Bytes held_key = EncodeHeldKey(held.key());
    absl::StatusOr<ByteSpan> existing = txn.Get(tables_.held, held_key);
    if (existing.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("held entry for tx ", held.btx.id.ShortHex(), ": nonce already held"));
    }
    if (!absl::IsNotFound(existing.status())) return existing.status();
    GL_ASSIGN_OR_RETURN(Bytes record, EncodeHeldRecord(held));
    GL_RETURN_IF_ERROR(state.Put(StateTable::kHeld, held_key, record));
    const uint8_t version = kRecordVersion;
    GL_RETURN_IF_ERROR(txn.Put(tables_.held_expiry,
                               EncodeHeldExpiryKey(held.held_sequence, held.key()),
                               ByteSpan(&version, 1)));
    ++count;
  }
  if (!block.held_removed.empty() || !block.held_added.empty()) {
    Bytes value;
    ByteWriter(&value).U64(count);
    GL_RETURN_IF_ERROR(txn.Put(tables_.meta, MetaKey(kMetaHeldCount), value));
  }
  if (!block.released.empty()) {
    GL_RETURN_IF_ERROR(txn.Put(tables_.released, EncodeCommitKey(block.sequence),
                               EncodeReleasedRecord(block.released)));
  }
  return absl::OkStatus();
}

absl::Status NodeStore::CheckNextSequence(uint64_t sequence) const {
  const uint64_t last = last_committed_sequence_.load();
  if (sequence == last + 1) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("commit sequence ", sequence, " does not follow last committed ", last));
}

absl::Status NodeStore::CommitBlock(const BlockWrite& block, const ExtraCommitWrite& extra) {
  GL_ASSIGN_OR_RETURN(PreparedBlock prepared, PrepareBlock(block));
  return CommitPrepared(prepared, extra);
}

absl::StatusOr<PreparedBlock> NodeStore::PrepareBlock(const BlockWrite& block) const {
  GL_RETURN_IF_ERROR(CheckBlock(block));
  PreparedBlock prepared;
  prepared.block = &block;
  // Encode (and so check) every record before opening the write txn, all
  // into one buffer: one allocation per block, not per transaction.
  size_t records_bytes = 0;
  for (const auto& entry : block.txs) records_bytes += TxRecordBytes(entry.second);
  Bytes& tx_records = prepared.tx_records;
  tx_records.reserve(records_bytes);
  std::vector<size_t> record_ends;
  record_ends.reserve(block.txs.size());
  for (const auto& entry : block.txs) {
    GL_RETURN_IF_ERROR(AppendTxRecord(entry.second, &tx_records));
    record_ends.push_back(tx_records.size());
  }
  // Ascending ids: tx_log's keys (sequence | id) are appended in order.
  std::vector<TxPut>& puts = prepared.puts;
  puts.reserve(block.txs.size());
  for (size_t i = 0; i < block.txs.size(); ++i) {
    const size_t begin = i == 0 ? 0 : record_ends[i - 1];
    puts.push_back(TxPut{block.txs[i].first,
                         ByteSpan(tx_records.data() + begin, record_ends[i] - begin),
                         block.txs[i].second.status() == TxStatus::kHeld});
  }
  std::sort(puts.begin(), puts.end(),
            [](const TxPut& a, const TxPut& b) { return a.id < b.id; });
  std::vector<TxId>& ids = prepared.ids;
  ids.reserve(puts.size());
  for (const TxPut& put : puts) ids.push_back(put.id);
  // Ascending by account = by encoded key (slice BE | key): acct_log's
  // appends and the fold's cursor need that order.
  if (!block.accounts_before.empty() && block.accounts_before.size() != block.accounts.size()) {
    return absl::InvalidArgumentError(absl::StrCat("block has ", block.accounts.size(),
                                                   " accounts and ",
                                                   block.accounts_before.size(), " before-states"));
  }
  std::vector<std::pair<AccountRef, AccountState>>& accounts = prepared.accounts;
  std::vector<AccountBefore>& accounts_before = prepared.accounts_before;
  accounts = block.accounts;
  accounts_before = block.accounts_before;
  if (!std::is_sorted(accounts.begin(), accounts.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; })) {
    // The executor's are sorted already; any other order is sorted here, the
    // before-states with their accounts.
    std::vector<size_t> order(accounts.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return block.accounts[a].first < block.accounts[b].first;
    });
    for (size_t i = 0; i < order.size(); ++i) {
      accounts[i] = block.accounts[order[i]];
      if (!accounts_before.empty()) accounts_before[i] = block.accounts_before[order[i]];
    }
  }
  // Each account once: its old record is read once, from before the commit.
  if (auto twice =
          std::adjacent_find(accounts.begin(), accounts.end(),
                             [](const auto& a, const auto& b) { return a.first == b.first; });
      twice != accounts.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("block account ", twice->first.key.ShortHex(), " appears twice"));
  }
  GL_RETURN_IF_ERROR(CheckNextSequence(block.sequence));
  // The state hash of what is known without the store, outside the write
  // lock: a ChaCha20 expansion of 2 KiB per element, up to five a transfer.
  for (const TxPut& put : puts) {
    HashAddEntry(prepared.hashed, StateTable::kTxs, put.id.span(), put.record);
  }
  for (size_t i = 0; i < accounts_before.size(); ++i) {
    if (!accounts_before[i].read) continue;
    const auto key = EncodeAccountKey(accounts[i].first);
    const auto record = EncodeAccountRecord(accounts[i].second);
    if (accounts_before[i].state.has_value()) {
      HashReplaceEntry(prepared.hashed, StateTable::kAccounts, key,
                       EncodeAccountRecord(*accounts_before[i].state), record);
    } else {
      HashAddEntry(prepared.hashed, StateTable::kAccounts, key, record);
    }
  }
  return prepared;
}

absl::Status NodeStore::CommitPrepared(const PreparedBlock& prepared,
                                       const ExtraCommitWrite& extra) {
  GL_CHECK(prepared.block != nullptr);
  const BlockWrite& block = *prepared.block;
  const std::vector<TxPut>& puts = prepared.puts;
  const std::vector<TxId>& ids = prepared.ids;
  const std::vector<std::pair<AccountRef, AccountState>>& accounts = prepared.accounts;
  const std::vector<AccountBefore>& accounts_before = prepared.accounts_before;
  const auto sequence_value = EncodeCommitKey(block.sequence);
  // Again here (a commit may have landed since PrepareBlock) and once more in
  // the write; here so that no recent entry of a committed sequence is added
  // and removed again below.
  GL_RETURN_IF_ERROR(CheckNextSequence(block.sequence));
  // The ids enter the recent run before the write commits (readers whose
  // snapshot is older ignore them: storage/recent_txs.h) and leave it again
  // if the write fails. A run at its bound becomes a sorted run of the index
  // (storage/tx_runs.h) in this write.
  recent_.Add(block.sequence, ids);
  recent_.AddAccounts(block.sequence, accounts);
  // The index's run changes, applied to the filters once the write committed.
  std::optional<std::pair<uint32_t, std::shared_ptr<RunFilter>>> flushed;
  TxCompactionStep compaction;
  size_t live_runs = 0;
  absl::MutexLock writer_lock(&writer_mu_);
  const bool merge =
      unmerged_txs_.load() + ids.size() >= options_.recent_txs_merge_at ||
      unmerged_account_versions_.load() + accounts.size() >=
          options_.recent_account_versions_merge_at;
  absl::Status written = env_->Write([&](WriteTxn& txn) -> absl::Status {
    GL_ASSIGN_OR_RETURN(StateWriter state, StateWriter::Begin(&txn, tables_));
    GL_ASSIGN_OR_RETURN(uint64_t last, ReadLastCommittedSequence(txn, tables_));
    if (block.sequence != last + 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "commit sequence ", block.sequence, " does not follow last committed ", last));
    }
    GL_RETURN_IF_ERROR(StampLayoutIfPending(txn));
    GL_ASSIGN_OR_RETURN(const uint64_t merged_through, ReadTxsMergedThrough(txn, tables_));
    GL_ASSIGN_OR_RETURN(TxRunList runs, ReadTxRunList(txn, tables_));
    GL_RETURN_IF_ERROR(WriteCommitTxs(txn, tables_, recent_,
                                      TxRunSet::FromList(runs, run_filters_), state,
                                      block.sequence, merged_through, puts,
                                      /*puts_hashed=*/true));
    GL_RETURN_IF_ERROR(WriteCommitAccounts(txn, tables_, recent_, state, block.sequence,
                                           merged_through, accounts, accounts_before,
                                           /*fold_follows=*/merge, /*before_hashed=*/true));
    state.AddHashed(prepared.hashed);
    bool runs_changed = false;
    if (merge) {
      GL_ASSIGN_OR_RETURN(flushed, MergeRecentTxs(txn, tables_, recent_, runs, merged_through,
                                                  block.sequence));
      runs_changed = flushed.has_value();
      GL_RETURN_IF_ERROR(
          FoldRecentAccounts(txn, tables_, recent_, merged_through, block.sequence));
    }
    GL_ASSIGN_OR_RETURN(compaction, CompactTxRuns(txn, tables_, runs, compacting_filter_,
                                                  CompactionBudget(runs, ids.size())));
    if (runs_changed || compaction.changed) GL_RETURN_IF_ERROR(WriteTxRunList(txn, tables_, runs));
    live_runs = runs.live.size();
    GL_RETURN_IF_ERROR(WriteHold(txn, state, block));
    for (const auto& [key, value] : block.market) {
      if (value.has_value()) {
        GL_RETURN_IF_ERROR(state.Put(StateTable::kMarket, key, *value));
      } else {
        GL_RETURN_IF_ERROR(state.Delete(StateTable::kMarket, key));
      }
    }
    GL_ASSIGN_OR_RETURN(const Digest root, state.Finish());
    GL_RETURN_IF_ERROR(txn.Put(tables_.state_roots, sequence_value, root.span()));
    GL_RETURN_IF_ERROR(
        txn.Put(tables_.commits, sequence_value, EncodeCommitRecord(block.meta)));
    GL_RETURN_IF_ERROR(
        txn.Put(tables_.meta, MetaKey(kMetaLastCommittedSequence), sequence_value));
    GL_RETURN_IF_ERROR(
        txn.Put(tables_.meta, MetaKey(kMetaStateSummary), block.meta.state_summary.span()));
    return extra ? extra(txn) : absl::OkStatus();
  });
  if (!written.ok()) {
    recent_.Remove(block.sequence, ids);
    recent_.RemoveAccounts(block.sequence, accounts);
    return written;
  }
  layout_stamp_pending_.store(false);
  if (flushed.has_value()) run_filters_.Publish(flushed->first, std::move(flushed->second));
  if (compaction.completed.has_value()) {
    run_filters_.Publish(*compaction.completed, std::move(compacting_filter_));
    compacting_filter_.reset();
  }
  for (uint32_t run : compaction.unlisted) run_filters_.Drop(run);
  tx_index_runs_.store(live_runs);
  if (merge) {
    unmerged_txs_.store(0);
    unmerged_account_versions_.store(0);
  } else {
    unmerged_txs_.fetch_add(ids.size());
    unmerged_account_versions_.fetch_add(accounts.size());
  }
  last_committed_sequence_.store(block.sequence);
  // Drops what the merges committed, as far as the readers' pins allow.
  recent_.Prune(merge ? block.sequence : recent_.committed());
  return absl::OkStatus();
}

size_t NodeStore::CompactionBudget(const TxRunList& runs, size_t commit_ids) const {
  // Each id is written and deleted once per level; 4 entries of work per
  // committed id keep up with a few levels. Small runs pile up while a large
  // compaction runs (one at a time), and each costs lookups a filter probe:
  // the pace grows with the runs listed, so the pile stays a few levels deep.
  const size_t pace = 1 + runs.live.size() / (2 * kTxRunsPerLevel);
  return (options_.tx_run_compaction_work + 4 * commit_ids) * pace;
}

absl::StatusOr<StoredTx> NodeStore::GetTx(const TxId& id) const {
  std::vector<absl::StatusOr<StoredTx>> answers = GetTxs(absl::MakeConstSpan(&id, 1));
  return std::move(answers.front());
}

std::vector<absl::StatusOr<StoredTx>> NodeStore::GetTxs(absl::Span<const TxId> ids) const {
  std::vector<absl::StatusOr<StoredTx>> answers;
  answers.reserve(ids.size());
  // Pinned before the read txn begins: storage/recent_txs.h.
  const RecentTxs::Pin pin = recent_.PinFloor();
  absl::StatusOr<ReadTxn> txn = env_->BeginRead();
  absl::StatusOr<TxReader> reader =
      txn.ok() ? TxReader::Open(*txn, tables_, recent_, run_filters_)
               : absl::StatusOr<TxReader>(txn.status());
  if (read_hook_) read_hook_();
  for (const TxId& id : ids) {
    if (!reader.ok()) {
      answers.push_back(reader.status());
      continue;
    }
    absl::StatusOr<ByteSpan> record = reader->Record(id);
    answers.push_back(record.ok() ? DecodeTxRecord(*record) : record.status());
  }
  return answers;
}

absl::StatusOr<AccountState> NodeStore::GetAccount(const AccountRef& account) const {
  // Pinned before the read txn begins: storage/recent_txs.h.
  const RecentTxs::Pin pin = recent_.PinFloor();
  GL_ASSIGN_OR_RETURN(ReadTxn txn, env_->BeginRead());
  GL_ASSIGN_OR_RETURN(const TxWindow window, ReadTxWindow(txn, tables_));
  GL_ASSIGN_OR_RETURN(std::optional<AccountState> state,
                      ReadAccount(txn, tables_, recent_, window, account));
  if (!state.has_value()) {
    return absl::NotFoundError(absl::StrCat("account ", account.key.ShortHex()));
  }
  return *state;
}

absl::StatusOr<CommitMeta> NodeStore::GetCommit(uint64_t sequence) const {
  GL_ASSIGN_OR_RETURN(ReadTxn txn, env_->BeginRead());
  GL_ASSIGN_OR_RETURN(ByteSpan record, txn.Get(tables_.commits, EncodeCommitKey(sequence)));
  return DecodeCommitRecord(record);
}

absl::StatusOr<std::vector<TxId>> NodeStore::ReleasedTxIds(uint64_t sequence) const {
  GL_ASSIGN_OR_RETURN(ReadTxn txn, env_->BeginRead());
  absl::StatusOr<ByteSpan> record = txn.Get(tables_.released, EncodeCommitKey(sequence));
  if (absl::IsNotFound(record.status())) return std::vector<TxId>();
  GL_RETURN_IF_ERROR(record.status());
  return DecodeReleasedRecord(*record);
}

absl::StatusOr<Digest> NodeStore::StateSummary() const {
  GL_ASSIGN_OR_RETURN(ReadTxn txn, env_->BeginRead());
  return ReadStateSummary(txn, tables_);
}

absl::StatusOr<Digest> NodeStore::StateRoot() const {
  GL_ASSIGN_OR_RETURN(ReadTxn txn, env_->BeginRead());
  GL_ASSIGN_OR_RETURN(LtHash16 hash, ReadStateHash(txn, tables_));
  return hash.Root();
}

absl::StatusOr<Digest> NodeStore::StateRootAt(uint64_t sequence) const {
  GL_ASSIGN_OR_RETURN(ReadTxn txn, env_->BeginRead());
  GL_ASSIGN_OR_RETURN(ByteSpan root, txn.Get(tables_.state_roots, EncodeCommitKey(sequence)));
  if (root.size() != Digest::kSize) {
    return absl::DataLossError(absl::StrCat("corrupt state_roots record ", sequence, ": ",
                                            root.size(), " bytes"));
  }
  return Digest::FromSpan(root);
}

absl::StatusOr<Digest> NodeStore::RecomputeStateRoot() const {
  GL_ASSIGN_OR_RETURN(ReadTxn txn, env_->BeginRead());
  GL_ASSIGN_OR_RETURN(LtHash16 hash, ComputeStateHash(txn, tables_));
  return hash.Root();
}

absl::Status NodeStore::RestoreSnapshot(const SnapshotAssembler& snapshot,
                                        const SnapshotPoint& point,
                                        const ExtraCommitWrite& extra) {
  // The recent run of the state being replaced is dropped (Reset): a point at
  // or below a commit this store holds would take entries that its readers
  // pin, and would move merged_through back under their pins.
  if (point.sequence <= last_committed_sequence_.load()) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot at sequence ", point.sequence, " is not above the last commit ",
                     last_committed_sequence_.load()));
  }
  absl::MutexLock writer_lock(&writer_mu_);
  GL_RETURN_IF_ERROR(env_->Write([&](WriteTxn& txn) -> absl::Status {
    GL_RETURN_IF_ERROR(StampLayoutIfPending(txn));
    GL_RETURN_IF_ERROR(WriteSnapshot(txn, tables_, snapshot, point));
    return extra ? extra(txn) : absl::OkStatus();
  }));
  layout_stamp_pending_.store(false);
  // Everything is merged now: the recent run starts over.
  unmerged_txs_.store(0);
  unmerged_account_versions_.store(0);
  recent_.Reset(point.sequence);
  // The runs are gone with the state they indexed (WriteSnapshot).
  run_filters_.Clear();
  compacting_filter_.reset();
  tx_index_runs_.store(0);
  last_committed_sequence_.store(point.sequence);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<uint64_t>> NodeStore::StateSyncedFrom() const {
  GL_ASSIGN_OR_RETURN(ReadTxn txn, env_->BeginRead());
  return ReadStateSyncedFrom(txn, tables_);
}

absl::StatusOr<std::optional<Digest>> NodeStore::GenesisDigest() const {
  GL_ASSIGN_OR_RETURN(ReadTxn txn, env_->BeginRead());
  return ReadGenesisDigest(txn, tables_);
}

absl::StatusOr<std::unique_ptr<StoreStateView>> NodeStore::Snapshot() {
  RecentTxs::Pin pin = recent_.PinFloor();  // before the read txn: storage/recent_txs.h
  GL_ASSIGN_OR_RETURN(ReadTxn txn, env_->BeginRead());
  GL_ASSIGN_OR_RETURN(TxWindow window, ReadTxWindow(txn, tables_));
  GL_ASSIGN_OR_RETURN(TxRunSet runs, TxRunSet::Read(txn, tables_, run_filters_));
  return std::make_unique<StoreStateView>(std::move(pin), std::move(txn), tables_, recent_,
                                          window, std::move(runs));
}

absl::Status NodeStore::SeedGenesis(
    const Digest& genesis_digest, const Digest& initial_summary,
    absl::Span<const std::pair<AccountRef, AccountState>> accounts) {
  absl::flat_hash_set<AccountRef> seen;
  for (const auto& entry : accounts) {
    if (!seen.insert(entry.first).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("genesis account ", entry.first.key.Hex(), ": listed twice"));
    }
  }
  GL_RETURN_IF_ERROR(env_->Write([&](WriteTxn& txn) -> absl::Status {
    GL_ASSIGN_OR_RETURN(std::optional<Digest> existing, ReadGenesisDigest(txn, tables_));
    if (existing.has_value()) {
      if (*existing != genesis_digest) {
        return absl::FailedPreconditionError(
            absl::StrCat("store was seeded from genesis ", existing->Hex(), ", not ",
                         genesis_digest.Hex()));
      }
      return absl::OkStatus();  // commits nothing new
    }
    GL_ASSIGN_OR_RETURN(uint64_t last, ReadLastCommittedSequence(txn, tables_));
    bool has_accounts = false;
    {
      GL_ASSIGN_OR_RETURN(Cursor cursor, txn.OpenCursor(tables_.accounts));
      GL_ASSIGN_OR_RETURN(has_accounts, cursor.First());
    }
    if (last != 0 || has_accounts) {
      return absl::FailedPreconditionError(
          "store is not empty but has no genesis digest: refusing to seed");
    }
    GL_ASSIGN_OR_RETURN(StateWriter state, StateWriter::Begin(&txn, tables_));
    for (const auto& [ref, account] : accounts) {
      GL_RETURN_IF_ERROR(state.Put(StateTable::kAccounts, EncodeAccountKey(ref),
                                   EncodeAccountRecord(account)));
    }
    GL_RETURN_IF_ERROR(state.Finish().status());
    GL_RETURN_IF_ERROR(txn.Put(tables_.meta, MetaKey(kMetaStateSummary), initial_summary.span()));
    return txn.Put(tables_.meta, MetaKey(kMetaGenesisDigest), genesis_digest.span());
  }));
  return absl::OkStatus();
}

}  // namespace gridledger::storage
