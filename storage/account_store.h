// The accounts of the execution state (logical table `accounts`, what the
// state root, snapshots and GetAccount see) over a layout that appends.
//
//   accounts  account key -> record: every account's state as of the last
//             merge (kMetaTxsMergedThrough).
//   acct_log  (commit sequence u64 BE | account key) -> record: the states
//             the commits since that merge wrote, appended (MDB_APPEND) in
//             key order. The recent run (storage/recent_txs.h) holds the same
//             records in memory; a merge folds the newest of each account
//             into `accounts` and clears acct_log, in the merging commit.
//
// Why: accounts are keyed by a hash, so a commit that changes ~1000 of
// 15,000 accounts dirtied nearly every leaf of the table (~370 pages, 1.5 MB
// per commit per validator). Appended, a commit's accounts fill ~20 pages,
// and the table's pages are rewritten once per merge (~every 90 commits)
// instead of every commit: the cluster's disk writes at 7600 tx/s fell from
// ~100 to ~50 MB/s (docs/benchmarks.md, "Accounts appended"). The state
// root is unchanged: the hash subtracts the account's old record (from the
// run, else the table) and adds the new one as before.
//
// An account's current state is its newest recent version in the reader's
// window (merged_through, last], else its `accounts` entry; readers on other
// threads pin the run before their read transaction begins (recent_txs.h).
#ifndef GRIDLEDGER_STORAGE_ACCOUNT_STORE_H_
#define GRIDLEDGER_STORAGE_ACCOUNT_STORE_H_

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/common/types.h"
#include "storage/lmdb_env.h"
#include "storage/node_tables.h"
#include "storage/recent_txs.h"
#include "storage/state_root.h"
#include "storage/tx_store.h"

namespace gridledger::storage {

// The state of `account` in a reader's window; nullopt when it has none.
absl::StatusOr<std::optional<AccountState>> ReadAccount(const Txn& txn, const NodeTables& tables,
                                                        const RecentTxs& recent, TxWindow window,
                                                        const AccountRef& account);
// ReadAccount for each of `accounts`, in order: the window's in one pass
// (RecentTxs::FindAccounts), the rest from `accounts`.
absl::StatusOr<std::vector<std::optional<AccountState>>> ReadAccounts(
    const Txn& txn, const NodeTables& tables, const RecentTxs& recent, TxWindow window,
    absl::Span<const AccountRef> accounts);

// The accounts commit `sequence` wrote (`states` ascending by account, each
// once, already in `recent` at `sequence`): hashed into the state against
// their previous records, and appended to acct_log unless `fold_follows` (a
// merge in this same write folds them into `accounts`).
// `before`: empty, or per entry of `states` its state before this commit
// where known (the execution's read of the same snapshot); the others are
// read here. `before_hashed`: the entries whose before-state is known are in
// a delta the caller adds to `state` itself (NodeStore::PrepareBlock).
absl::Status WriteCommitAccounts(WriteTxn& txn, const NodeTables& tables, const RecentTxs& recent,
                                 StateWriter& state, uint64_t sequence, uint64_t merged_through,
                                 absl::Span<const std::pair<AccountRef, AccountState>> states,
                                 absl::Span<const AccountBefore> before, bool fold_follows,
                                 bool before_hashed = false);

// The merge's side for accounts: the newest record of each account in
// (merged_through, through] into `accounts`, and acct_log emptied (it holds
// nothing above `through`: the merging commit did not append).
absl::Status FoldRecentAccounts(WriteTxn& txn, const NodeTables& tables, const RecentTxs& recent,
                                uint64_t merged_through, uint64_t through);

// Adds acct_log's records to `recent` (at open). DataLoss for a record that
// does not decode, or one at or below kMetaTxsMergedThrough (a fold clears
// them in the same write).
absl::Status LoadRecentAccounts(const Txn& txn, const NodeTables& tables, RecentTxs& recent);

// Every account of the logical table in the snapshot of `txn`, ascending by
// key: `accounts` merged with acct_log (whose newest record of a key wins).
// Reads acct_log from the snapshot itself, so it needs no pin.
absl::Status ForEachAccount(const Txn& txn, const NodeTables& tables,
                            absl::FunctionRef<absl::Status(ByteSpan key, ByteSpan record)> fn);

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_ACCOUNT_STORE_H_
