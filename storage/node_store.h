// A validator's durable state: the transaction index, accounts, the nonce
// hold, commit metadata and the last committed sequence, in one LMDB
// environment. CommitBlock writes a whole block (its transaction results,
// account updates, nonce-hold changes and commit metadata) in ONE write
// transaction that is synced before it returns, so after a crash the store
// holds exactly a prefix of commits.
#ifndef GRIDLEDGER_STORAGE_NODE_STORE_H_
#define GRIDLEDGER_STORAGE_NODE_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "core/execution/state_view.h"
#include "storage/lmdb_env.h"
#include "storage/node_tables.h"
#include "storage/recent_txs.h"
#include "storage/records.h"
#include "storage/state_root.h"
#include "storage/state_snapshot.h"
#include "storage/store_state_view.h"
#include "storage/tx_runs.h"
#include "storage/tx_store.h"

namespace gridledger::storage {

// Everything one commit writes.
struct BlockWrite {
  uint64_t sequence = 0;  // must be last_committed_sequence() + 1
  CommitMeta meta;
  // Results to index. Duplicates are not indexed: the id keeps its first
  // result. A kHeld record is replaced by its final result when released.
  std::vector<std::pair<TxId, StoredTx>> txs;
  std::vector<std::pair<AccountRef, AccountState>> accounts;  // final states
  // Empty, or per entry of `accounts` its state before this commit where the
  // executor read it (saves looking it up again for the state root).
  std::vector<AccountBefore> accounts_before;
  // The nonce hold's change: removed first, then added (held by this commit).
  std::vector<HeldKey> held_removed;
  std::vector<HeldTx> held_added;
  // Ids released from the hold by this commit, in execution order; each has
  // its final result in `txs`.
  std::vector<TxId> released;
  // The market records' change, ascending by key (nullopt: delete).
  std::vector<std::pair<Bytes, std::optional<Bytes>>> market;
};

// More writes of the caller's own tables that must land in a commit's write
// transaction (the consensus commit record, admitted-transaction removals):
// one synced write per commit. Run after the block's own writes; its error
// aborts the whole commit.
using ExtraCommitWrite = std::function<absl::Status(WriteTxn&)>;

// A block checked, encoded and hashed ahead of its write
// (NodeStore::PrepareBlock): its records and, summed in `hashed`, the state
// hash's change for every entry known without the store (each record, and
// each account whose before-state the execution read). The write then only
// adds `hashed`. Refers to the BlockWrite it came from, which must outlive it.
struct PreparedBlock {
  PreparedBlock() = default;
  // Moves only: `puts` point into this object's own tx_records.
  PreparedBlock(PreparedBlock&&) = default;
  PreparedBlock& operator=(PreparedBlock&&) = default;
  PreparedBlock(const PreparedBlock&) = delete;
  PreparedBlock& operator=(const PreparedBlock&) = delete;

  const BlockWrite* block = nullptr;
  Bytes tx_records;              // every record, in one buffer
  std::vector<TxPut> puts;       // ascending by id, into tx_records
  std::vector<TxId> ids;         // the puts' ids
  std::vector<std::pair<AccountRef, AccountState>> accounts;  // ascending
  std::vector<AccountBefore> accounts_before;                  // with them
  LtHash16 hashed;
};

// The recent run's bound (storage/recent_txs.h): a commit that brings it to
// this many ids writes it as a new sorted run of the index
// (storage/tx_runs.h); the memory is an estimated ~100 B per id, and
// reopening scans the run's tx_log keys.
inline constexpr size_t kRecentTxsMergeAt = size_t{1} << 16;
// The run's other bound: a commit that brings its account versions
// (storage/account_store.h, ~24 B each in memory) to this many merges too,
// so commits that change many accounts with few transactions (a market
// settlement) cannot grow it without limit.
inline constexpr size_t kRecentAccountVersionsMergeAt = size_t{1} << 17;

// Entries of index compaction (storage/tx_runs.h) each commit may write or
// delete, besides 4 per id it commits: ~100 KB of sequential pages.
inline constexpr size_t kTxRunCompactionWork = 2048;

struct NodeStoreOptions {
  size_t recent_txs_merge_at = kRecentTxsMergeAt;
  size_t recent_account_versions_merge_at = kRecentAccountVersionsMergeAt;
  size_t tx_run_compaction_work = kTxRunCompactionWork;
};

class NodeStore {
 public:
  // Opens (or creates) the store and recovers the last committed sequence.
  // FailedPrecondition for a store of another layout (kMetaStoreLayout),
  // naming the fix: an older one, wipe the data directory; a newer one, run
  // the build that wrote it.
  static absl::StatusOr<std::unique_ptr<NodeStore>> Open(const LmdbOptions& options,
                                                         const NodeStoreOptions& store = {});

  // FailedPrecondition when block.sequence is not the next sequence, one of
  // its transaction ids is already indexed (other than a held one getting its
  // final result), or the hold change does not fit the stored hold;
  // InvalidArgument for inconsistent input (a tx's sequence or index outside
  // the block, oversized records).
  // Nothing is written unless everything is, `extra` (may be null) included.
  // The state root after the block (storage/state_root.h) is computed in the
  // same write from the entries it changed and recorded (StateRootAt).
  absl::Status CommitBlock(const BlockWrite& block, const ExtraCommitWrite& extra = nullptr);
  // CommitBlock in two steps, so the first can run before the write may
  // begin (while the records a commit follows are still being written). The
  // first takes no lock and writes nothing; `block` must outlive the result.
  // The prepared block is for the next sequence: commit it before any other.
  absl::StatusOr<PreparedBlock> PrepareBlock(const BlockWrite& block) const;
  absl::Status CommitPrepared(const PreparedBlock& prepared,
                              const ExtraCommitWrite& extra = nullptr);

  uint64_t last_committed_sequence() const { return last_committed_sequence_.load(); }

  // NotFound when absent; DataLoss when the stored record is corrupt.
  absl::StatusOr<StoredTx> GetTx(const TxId& id) const;
  // GetTx of each id, all in one read transaction; answers[i] is ids[i]'s.
  std::vector<absl::StatusOr<StoredTx>> GetTxs(absl::Span<const TxId> ids) const;
  absl::StatusOr<AccountState> GetAccount(const AccountRef& account) const;
  absl::StatusOr<CommitMeta> GetCommit(uint64_t sequence) const;
  // The ids released from the nonce hold by commit `sequence` (empty when none).
  absl::StatusOr<std::vector<TxId>> ReleasedTxIds(uint64_t sequence) const;
  absl::StatusOr<Digest> StateSummary() const;
  // The state root now (after the last commit, or genesis), and the one
  // recorded with commit `sequence` (NotFound when absent).
  absl::StatusOr<Digest> StateRoot() const;
  absl::StatusOr<Digest> StateRootAt(uint64_t sequence) const;
  // The root hashed from scratch over every state entry (O(state)): what a
  // snapshot is checked with; equals StateRoot() unless the store is damaged.
  absl::StatusOr<Digest> RecomputeStateRoot() const;
  // nullopt until seeded from a genesis.
  absl::StatusOr<std::optional<Digest>> GenesisDigest() const;

  // A consistent read-only view for the executor; destroy it before the store.
  absl::StatusOr<std::unique_ptr<StoreStateView>> Snapshot();

  // Seeds an empty store: accounts, initial state summary and the genesis
  // digest in one write txn. Idempotent: a store already seeded from the same
  // digest is left untouched (OK); a different digest, or a store that has
  // accounts or commits but no genesis, is FailedPrecondition.
  absl::Status SeedGenesis(const Digest& genesis_digest, const Digest& initial_summary,
                           absl::Span<const std::pair<AccountRef, AccountState>> accounts);

  // State sync (storage/state_snapshot.h): replaces the execution state by
  // a verified snapshot at `point` and runs `extra` (the consensus tables),
  // all in one synced write; the store then continues from point.sequence.
  // FailedPrecondition (nothing written) unless point.sequence is above the
  // last commit.
  absl::Status RestoreSnapshot(const SnapshotAssembler& snapshot, const SnapshotPoint& point,
                               const ExtraCommitWrite& extra = nullptr);
  // The sequence a state sync restored this store at; nullopt if never.
  absl::StatusOr<std::optional<uint64_t>> StateSyncedFrom() const;

  LmdbEnv& env() { return *env_; }
  const NodeTables& tables() const { return tables_; }
  // The transaction ids held in memory: those not yet merged into the txs
  // index, and merged ones a reader still pins (for a metric: bounded by
  // about the merge bound plus what the longest-lived reader pins).
  size_t recent_txs() const { return recent_.size(); }
  // Account versions held in memory likewise (storage/account_store.h).
  size_t recent_account_versions() const { return recent_.account_versions(); }
  // Live sorted runs of the id index (storage/tx_runs.h) after the last write.
  size_t tx_index_runs() const { return tx_index_runs_.load(); }
  // Memory of the index runs' filters (storage/tx_run_filter.h).
  size_t tx_run_filter_bytes() const { return run_filters_.bytes(); }
  // Runs in GetTxs between the read transaction's start and its lookups: a
  // test commits and merges there to drive the reader/merge interleaving.
  void SetReadHookForTesting(std::function<void()> hook) { read_hook_ = std::move(hook); }

 private:
  NodeStore(std::unique_ptr<LmdbEnv> env, const NodeTables& tables, uint64_t last,
            const NodeStoreOptions& options)
      : env_(std::move(env)), tables_(tables), options_(options),
        last_committed_sequence_(last) {}
  // Refuses another layout; stamps a new store with kStoreLayoutVersion.
  // True for a layout-3 or -4 store: a layout-5 store with empty tables
  // (acct_log, the index's runs), stamped by its first write (not at open,
  // so a tool that only reads leaves it usable by the build that wrote it).
  static absl::StatusOr<bool> CheckLayout(LmdbEnv& env, const NodeTables& tables);
  // In a commit's or a restore's write: stamps the layout if still pending.
  absl::Status StampLayoutIfPending(WriteTxn& txn) const;
  absl::Status CheckBlock(const BlockWrite& block) const;
  // FailedPrecondition unless `sequence` follows the last committed one.
  absl::Status CheckNextSequence(uint64_t sequence) const;
  // The nonce-hold part of CommitBlock: held entries, expiry index, count and
  // released ids.
  absl::Status WriteHold(WriteTxn& txn, StateWriter& state, const BlockWrite& block);
  static absl::Status EnsureStateHash(LmdbEnv& env, const NodeTables& tables);
  // Entries of compaction work for a commit of `commit_ids` ids.
  size_t CompactionBudget(const TxRunList& runs, size_t commit_ids) const;

  std::unique_ptr<LmdbEnv> env_;
  NodeTables tables_;
  const NodeStoreOptions options_;
  std::atomic<uint64_t> last_committed_sequence_;
  // The ids of the commits above kMetaTxsMergedThrough (storage/tx_store.h).
  // Pinned by const readers, hence mutable.
  mutable RecentTxs recent_;
  // Ids added to recent_ since the last merge (the merge bound's count).
  std::atomic<size_t> unmerged_txs_{0};
  // Account versions likewise: not recent_.account_versions(), which also
  // counts merged versions a reader still pins (each commit would merge
  // again while one lives).
  std::atomic<size_t> unmerged_account_versions_{0};
  std::atomic<bool> layout_stamp_pending_{false};
  // The filters of the index's runs (storage/tx_runs.h), read by any thread.
  mutable TxRunFilters run_filters_;
  std::atomic<size_t> tx_index_runs_{0};
  // The writer's: held across the commits that write (CommitBlock,
  // RestoreSnapshot), one at a time.
  absl::Mutex writer_mu_;
  // The filter of the compaction in progress, built chunk by chunk.
  std::shared_ptr<RunFilter> compacting_filter_ ABSL_GUARDED_BY(writer_mu_);
  std::function<void()> read_hook_;
};

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_NODE_STORE_H_
