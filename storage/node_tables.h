// The node store's LMDB tables and meta keys, shared by NodeStore and the
// read-only StoreStateView. Record layouts: storage/records.h.
#ifndef GRIDLEDGER_STORAGE_NODE_TABLES_H_
#define GRIDLEDGER_STORAGE_NODE_TABLES_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/common/types.h"
#include "storage/lmdb_env.h"

namespace gridledger::storage {

// The transaction store (storage/tx_store.h): tx_log holds every stored
// transaction record under (commit sequence, id), appended commit by commit;
// the id index (id -> sequence) is sorted runs over the txs table
// (storage/tx_runs.h), the newest commits' ids being NodeStore's in-memory
// recent run.
inline constexpr absl::string_view kTxsTable = "txs";
inline constexpr absl::string_view kTxLogTable = "tx_log";
// The id index's sorted runs (storage/tx_runs.h): level 0 (flushed recent
// runs) and the compactions' outputs, under (run number u32 BE | id).
inline constexpr absl::string_view kTxsRunsTable = "txs_runs";
inline constexpr absl::string_view kTxsMergedTable = "txs_merged";
// Accounts (storage/account_store.h): `accounts` holds each account's state
// as of the last merge (kMetaTxsMergedThrough); acct_log holds the states
// the commits since then wrote, under (commit sequence, account key), and
// NodeStore's recent run keeps them in memory.
inline constexpr absl::string_view kAccountsTable = "accounts";
inline constexpr absl::string_view kAcctLogTable = "acct_log";
inline constexpr absl::string_view kCommitsTable = "commits";
inline constexpr absl::string_view kMetaTable = "meta";
// The nonce hold (core/execution/executor.h): entries by (account, nonce), an
// index of them by held sequence for expiry, and per commit the ids released.
inline constexpr absl::string_view kHeldTable = "held";
inline constexpr absl::string_view kHeldExpiryTable = "held_expiry";
inline constexpr absl::string_view kReleasedTable = "released";
// The market's key-value records (core/execution/market_state.h), verbatim.
inline constexpr absl::string_view kMarketTable = "market";
// Per commit: the state root after it (storage/state_root.h), 32 bytes.
inline constexpr absl::string_view kStateRootsTable = "state_roots";

// Final checkpoints by sequence u64 (net/node/checkpoint_store.h owns the
// records; named here so a store reader can count them).
inline constexpr absl::string_view kCheckpointsTable = "checkpoints";

// meta: u64 big-endian; absent means nothing committed yet (sequences start at 1).
inline constexpr absl::string_view kMetaLastCommittedSequence = "last_committed_sequence";
// meta: 32-byte state summary after the last commit (or after genesis).
inline constexpr absl::string_view kMetaStateSummary = "state_summary";
// meta: 32-byte digest of the genesis the store was seeded from.
inline constexpr absl::string_view kMetaGenesisDigest = "genesis_digest";
// meta: u64 big-endian entries in the held table; absent means 0.
inline constexpr absl::string_view kMetaHeldCount = "held_count";
// meta: the running LtHash16 of the execution state (storage/state_root.h),
// 2048 bytes; absent in a store that has never been written.
inline constexpr absl::string_view kMetaStateHash = "state_lthash";
// meta: u64 big-endian, the sequence a state sync restored this store at
// (storage/state_snapshot.h); absent when it never was.
inline constexpr absl::string_view kMetaStateSyncedFrom = "state_synced_from";

// meta: u64 big-endian, the layout of the store's tables; absent in a store
// never written, or in one written before layout 2 (then refused at open).
inline constexpr absl::string_view kMetaStoreLayout = "store_layout";
// Layout 2: tx_log + the txs id index (layout 1 kept full records in txs).
// Layout 3: checkpoints sign the commit digest (core/consensus/checkpoint.h);
// a layout-2 store's commits may lack the commit_subdag record the signer
// and catch-up read, so it is refused like layout 1 (wipe and catch up).
// Layout 4: the accounts written since the last merge are in acct_log, not
// in accounts (storage/account_store.h). A layout-3 store is a layout-4
// store with an empty acct_log, so its first write stamps it 4.
// Layout 5: the id index merges into sorted runs (storage/tx_runs.h), not
// into txs. A layout-3 or -4 store is a layout-5 store with no runs, so its
// first write stamps it 5.
inline constexpr uint64_t kStoreLayoutVersion = 5;
// meta: u64 big-endian, the last commit whose transaction ids are in the txs
// index and whose account states are in accounts; absent means 0.
inline constexpr absl::string_view kMetaTxsMergedThrough = "txs_merged_through";
// meta: the id index's run list (storage/tx_runs.h); absent means no runs.
inline constexpr absl::string_view kMetaTxsRuns = "txs_runs";

struct NodeTables {
  LmdbTable txs;
  LmdbTable tx_log;
  LmdbTable txs_runs;
  LmdbTable txs_merged;
  LmdbTable accounts;
  LmdbTable acct_log;
  LmdbTable commits;
  LmdbTable meta;
  LmdbTable held;
  LmdbTable held_expiry;
  LmdbTable released;
  LmdbTable market;
  LmdbTable state_roots;

  static absl::StatusOr<NodeTables> Open(LmdbEnv& env);
};

ByteSpan MetaKey(absl::string_view name);

// Readers shared by the store and its snapshots; corrupt values are DataLoss.
absl::StatusOr<uint64_t> ReadLastCommittedSequence(const Txn& txn, const NodeTables& tables);
absl::StatusOr<Digest> ReadStateSummary(const Txn& txn, const NodeTables& tables);
absl::StatusOr<std::optional<Digest>> ReadGenesisDigest(const Txn& txn, const NodeTables& tables);
absl::StatusOr<uint64_t> ReadHeldCount(const Txn& txn, const NodeTables& tables);
absl::StatusOr<uint64_t> ReadTxsMergedThrough(const Txn& txn, const NodeTables& tables);
// kMetaStoreLayout; nullopt when absent.
absl::StatusOr<std::optional<uint64_t>> ReadStoreLayout(const Txn& txn, const NodeTables& tables);

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_NODE_TABLES_H_
