// The txs index (id -> commit sequence) as sorted runs: an LSM in LMDB.
//
// The recent run (storage/recent_txs.h) leaves memory as a new level-0 run:
// its ids, sorted, written under (run number u32 BE | id) with MDB_APPEND at
// the end of table txs_runs: sequential pages, ~80 ids each, whatever the
// index's size. The B-tree keyed by the id alone that this replaces took
// ~1 dirty page per id once it outgrew the merge (196 ms merge commits and
// 1839 B written per tx at 2 M ids, docs/benchmarks.md).
//
// Size-tiered compaction keeps the runs few: when a level holds
// kTxRunsPerLevel runs, its oldest kTxRunsPerLevel runs are merged into one
// run of the next level (table txs_merged, appended too: one compaction at
// a time, and its output has the highest number there). The merge goes in
// chunks inside later commits' writes (bounded work per commit); its output
// is unlisted until complete; then its inputs leave the list and their
// entries are deleted in later chunks. Each id is written once per level.
//
// The meta value kMetaTxsRuns lists the live runs newest first, written in
// the same transaction as the runs, so a reader's snapshot names exactly the
// runs it may read and the order in which they win: an id in two runs (a
// held tx released after its first run was written) takes the newer run's
// sequence. Below the runs lies the `txs` table: written only by a state
// sync restore (appended, ascending), and by layout-4 stores before runs.
//
// A lookup asks each listed run's in-memory filter (storage/tx_run_filter.h)
// before searching its table; filters are rebuilt at open by a scan.
#ifndef GRIDLEDGER_STORAGE_TX_RUNS_H_
#define GRIDLEDGER_STORAGE_TX_RUNS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/common/types.h"
#include "storage/lmdb_env.h"
#include "storage/node_tables.h"
#include "storage/tx_run_filter.h"

namespace gridledger::storage {

// Runs of one level that start a compaction into one run of the next.
inline constexpr size_t kTxRunsPerLevel = 4;

struct TxRun {
  uint32_t number = 0;
  // 0: a flushed recent run, in txs_runs; above: a compaction's output, in
  // txs_merged.
  uint8_t level = 0;
  uint64_t entries = 0;  // for a dead run: entries not yet deleted
  bool operator==(const TxRun&) const = default;
};

struct TxCompaction {
  TxRun output;  // entries: written so far
  // The runs merged, a contiguous block of `live`, newest first.
  std::vector<uint32_t> inputs;
  std::optional<TxId> written_through;  // the last id written to the output
  bool operator==(const TxCompaction&) const = default;
};

struct TxRunList {
  uint32_t next_number = 1;
  // Newest first. Levels never decrease from newest to oldest, so the runs
  // of one level are contiguous.
  std::vector<TxRun> live;
  std::optional<TxCompaction> compaction;
  // Out of the index; their entries are deleted in chunks.
  std::vector<TxRun> dead;
  bool operator==(const TxRunList&) const = default;
};

Bytes EncodeTxRunList(const TxRunList& list);
// DataLoss for a malformed list (its bounds are checked: levels ordered,
// inputs contiguous, numbers below next_number and unique).
absl::StatusOr<TxRunList> DecodeTxRunList(ByteSpan value);
// The empty list when absent.
absl::StatusOr<TxRunList> ReadTxRunList(const Txn& txn, const NodeTables& tables);
absl::Status WriteTxRunList(WriteTxn& txn, const NodeTables& tables, const TxRunList& list);

inline constexpr size_t kTxRunKeyBytes = 4 + 32;
std::array<uint8_t, kTxRunKeyBytes> TxRunKey(uint32_t run, const TxId& id);
LmdbTable TxRunTable(const NodeTables& tables, const TxRun& run);

// The live runs of one snapshot with the filters published for them.
class TxRunSet {
 public:
  TxRunSet() = default;
  static absl::StatusOr<TxRunSet> Read(const Txn& txn, const NodeTables& tables,
                                       const TxRunFilters& filters);
  // The same from a list the caller read in its transaction.
  static TxRunSet FromList(const TxRunList& list, const TxRunFilters& filters);
  // The sequence in the newest run holding `id`; nullopt if none does.
  absl::StatusOr<std::optional<uint64_t>> Find(const Txn& txn, const NodeTables& tables,
                                               const TxId& id) const;
  size_t size() const { return runs_.size(); }

 private:
  struct Entry {
    TxRun run;
    std::shared_ptr<const RunFilter> filter;  // null: search the table
  };
  std::vector<Entry> runs_;
};

// Every indexed (id, sequence) of `list`'s live runs and of the txs table,
// ascending by id, each id once with its newest sequence.
absl::Status ForEachIndexedTx(const Txn& txn, const NodeTables& tables, const TxRunList& list,
                              absl::FunctionRef<absl::Status(const TxId&, uint64_t)> fn);

// Writer side. The caller reads the list once per write, passes it to
// these, writes it back when they changed it, and applies their filter
// changes after the write committed (a failed write leaves nothing).

// Writes `entries` (ascending ids, each once) as the newest level-0 run.
// Returns its number and filter; nullopt (nothing written) when empty.
absl::StatusOr<std::optional<std::pair<uint32_t, std::shared_ptr<RunFilter>>>> WriteTxRun(
    WriteTxn& txn, const NodeTables& tables, TxRunList& list,
    absl::Span<const std::pair<TxId, uint64_t>> entries);

struct TxCompactionStep {
  bool changed = false;  // the list must be written back
  // A compaction completed: publish `building` for this run, drop `unlisted`.
  std::optional<uint32_t> completed;
  std::vector<uint32_t> unlisted;
  size_t work = 0;  // entries written or deleted
};
// Up to `budget` entries of work: deletes dead runs' entries, starts a
// compaction when a level holds kTxRunsPerLevel runs, merges its inputs
// into its output. `building` is the output's filter, kept by the caller
// across writes (replaced here, empty, when a compaction starts).
absl::StatusOr<TxCompactionStep> CompactTxRuns(WriteTxn& txn, const NodeTables& tables,
                                               TxRunList& list,
                                               std::shared_ptr<RunFilter>& building,
                                               size_t budget);

// At open: the filter of every live run of `list` (read in `txn`), and
// `building` for the compaction in progress (null when none), from a scan
// of their entries.
absl::Status LoadTxRunFilters(const Txn& txn, const NodeTables& tables, const TxRunList& list,
                              TxRunFilters& filters, std::shared_ptr<RunFilter>& building);

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_TX_RUNS_H_
