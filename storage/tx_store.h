// The transaction store: the state's logical table `txs` (TxId -> tx record,
// what the state root, snapshots and GetTx see) over a layout that appends.
//
//   tx_log  (commit sequence u64 BE | TxId) -> the tx record. Exactly one
//           record per stored id, under the commit that wrote it: a commit's
//           records go after every earlier key (MDB_APPEND: the last leaf
//           page fills, ~1 dirty page per 20 records instead of one per
//           record in a B-tree keyed by a hash). A held record replaced by
//           its final result is deleted from its old place.
//   index   TxId -> commit sequence: the sorted runs of storage/tx_runs.h
//           over the `txs` table, for the commits up to the meta key
//           kMetaTxsMergedThrough; the later commits' ids are the recent
//           run in memory (storage/recent_txs.h), written as a new sorted
//           run when it reaches its bound.
//
// An id's current sequence is its newest recent entry in the reader's window
// (merged_through, last], else the newest run's entry, else its txs entry;
// the record is then one tx_log get. An older entry of the id (a held tx
// released later) is shadowed by the newer one until a compaction drops it.
#ifndef GRIDLEDGER_STORAGE_TX_STORE_H_
#define GRIDLEDGER_STORAGE_TX_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/common/types.h"
#include "storage/lmdb_env.h"
#include "storage/node_tables.h"
#include "storage/recent_txs.h"
#include "storage/records.h"
#include "storage/state_root.h"
#include "storage/tx_runs.h"

namespace gridledger::storage {

// The recent run a snapshot sees: the commits in (merged_through, last].
struct TxWindow {
  uint64_t merged_through = 0;
  uint64_t last = 0;
};
absl::StatusOr<TxWindow> ReadTxWindow(const Txn& txn, const NodeTables& tables);

// Lookups of the logical txs table in one transaction. For a read
// transaction of another thread, pin `recent` (RecentTxs::PinFloor) before
// the transaction begins and hold the pin while this reader is used.
class TxReader {
 public:
  // `runs` is TxRunSet::Read of `txn`.
  TxReader(const Txn& txn, const NodeTables& tables, const RecentTxs& recent, TxWindow window,
           TxRunSet runs)
      : txn_(&txn), tables_(tables), recent_(&recent), window_(window), runs_(std::move(runs)) {}
  static absl::StatusOr<TxReader> Open(const Txn& txn, const NodeTables& tables,
                                       const RecentTxs& recent, const TxRunFilters& filters);

  // The sequence of the commit that wrote `id`'s current record.
  absl::StatusOr<std::optional<uint64_t>> Sequence(const TxId& id) const;
  // Sequence for each of `ids`, in order: the window's in one pass
  // (RecentTxs::FindMany), the rest from the runs and `txs`.
  absl::StatusOr<std::vector<std::optional<uint64_t>>> Sequences(
      absl::Span<const TxId> ids) const;
  // NotFound when absent; DataLoss when the index names a missing record.
  absl::StatusOr<ByteSpan> Record(const TxId& id) const;
  // The record of `id` written by commit `sequence` (DataLoss when absent).
  absl::StatusOr<ByteSpan> RecordAt(uint64_t sequence, const TxId& id) const;

 private:
  const Txn* txn_;
  NodeTables tables_;
  const RecentTxs* recent_;
  TxWindow window_;
  TxRunSet runs_;

  // Sequence below the window: the merged runs, then `txs`.
  absl::StatusOr<std::optional<uint64_t>> MergedSequence(const TxId& id) const;
};

// One transaction record a commit stores.
struct TxPut {
  TxId id;
  ByteSpan record;  // EncodeTxRecord
  bool held = false;
};

// The records of commit `sequence` (`puts` ascending by id, no id twice):
// appended to tx_log and hashed into the state. An id already stored is
// FailedPrecondition unless its record is held and the new one is final;
// then the old record is removed (and un-hashed). The ids must be in
// `recent` already (added at `sequence`: the window stops below it).
// `puts_hashed`: the caller already added every put's entry to a delta it
// adds to `state` itself (NodeStore::PrepareBlock); removals are hashed here.
// `merged_through` is the transaction's kMetaTxsMergedThrough, `runs` its
// TxRunSet.
absl::Status WriteCommitTxs(WriteTxn& txn, const NodeTables& tables, const RecentTxs& recent,
                            const TxRunSet& runs, StateWriter& state, uint64_t sequence,
                            uint64_t merged_through, absl::Span<const TxPut> puts,
                            bool puts_hashed = false);

// Writes the recent entries of the commits in (merged_through, through] as
// the newest run of `list` (WriteTxRun; the caller writes the list back) and
// sets kMetaTxsMergedThrough to `through` (`merged_through`: its value in
// this transaction until then). Returns the run's number and filter, to
// publish after the write committed; nullopt when there were no ids.
absl::StatusOr<std::optional<std::pair<uint32_t, std::shared_ptr<RunFilter>>>> MergeRecentTxs(
    WriteTxn& txn, const NodeTables& tables, const RecentTxs& recent, TxRunList& list,
    uint64_t merged_through, uint64_t through);

// A store restored from a snapshot (its state's txs entries, ascending by
// id; the index's runs cleared by the caller): every record into tx_log
// under its commit sequence, every id into txs, merged through `sequence`.
// DataLoss for an entry that is not a tx record with a commit sequence in
// [1, sequence].
absl::Status WriteRestoredTxs(WriteTxn& txn, const NodeTables& tables,
                              absl::Span<const std::pair<ByteSpan, ByteSpan>> entries,
                              uint64_t sequence);

// Adds to `recent` the ids of tx_log above kMetaTxsMergedThrough (at open).
absl::Status LoadRecentTxs(const Txn& txn, const NodeTables& tables, RecentTxs& recent);

// The current records (not held) that commit `sequence` wrote, in their
// order in the commit: a range scan of tx_log. The views point into `txn`.
absl::StatusOr<std::vector<std::pair<TxId, StoredTxView>>> ReadCommitTxs(const Txn& txn,
                                                                        const NodeTables& tables,
                                                                        uint64_t sequence);

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_TX_STORE_H_
