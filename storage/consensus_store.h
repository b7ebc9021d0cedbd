// Durable consensus state of one validator (core/consensus/persistence.h),
// kept in its own tables of the node store's LMDB environment so one data
// directory holds everything:
//
//   cons_voted      author u32                 -> round u64 | header digest 32
//   cons_own        "h"                        -> Header (messages.h encoding)
//   cons_certs      round u64 | digest 32      -> Certificate
//   cons_batches    digest 32                  -> Batch
//   cons_commit     "s"                        -> last_committed_round u64 | next_commit_index u64
//   cons_committed  round u64 | digest 32      -> "" (a committed certificate)
//   commit_txs      sequence u64               -> n u32 | n x tx id 32 (execution order)
//   commit_subdag   sequence u64               -> anchor_round u64 | anchor 32 |
//                   last_committed_round u64 | n u32 | n x (round u64 | digest 32)
//                   (the committed sub-DAG's certificates in order; with cons_certs
//                   and cons_batches it is what commit sync serves)
//
// Persist writes through a write-ahead log instead (storage/record_log.h):
// one flush per call against LMDB's two, on every consensus hop's critical
// path. Two log files in the env's directory (consensus-0.log,
// consensus-1.log) take turns: records go to the active one; once it holds
// kConsensusLogMergeBytes, or is kConsensusLogMergeInterval old, the other
// becomes active and a merger thread writes the retired log's records into
// the tables above in one synced LMDB transaction, then resets that log.
// Reads see a record as soon as Persist returns: until merged they are
// answered from memory (UnmergedRecords, consensus_log.h). Open replays both
// logs into LMDB first, so a crash anywhere loses nothing Persist returned.
// Applying the records is order-free (content-addressed certificates and
// batches; the highest round wins for a last vote and for the own header),
// so a log merged twice (a crash between the merge and the reset) is harmless.
//
// Every other write is one synced LMDB transaction: durable when the call
// returns.
#ifndef GRIDLEDGER_STORAGE_CONSENSUS_STORE_H_
#define GRIDLEDGER_STORAGE_CONSENSUS_STORE_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/consensus/bullshark.h"
#include "core/consensus/persistence.h"
#include "storage/consensus_log.h"
#include "storage/lmdb_env.h"
#include "storage/record_log.h"

namespace gridledger::storage {

// The active log is handed to the merger at this size or age.
inline constexpr uint64_t kConsensusLogMergeBytes = uint64_t{1} << 20;
inline constexpr absl::Duration kConsensusLogMergeInterval = absl::Milliseconds(100);
// While the other log is still merging, Persist waits beyond this (a disk
// slower than consensus slows consensus instead of growing memory).
inline constexpr uint64_t kConsensusLogMaxBytes = uint64_t{256} << 20;

class ConsensusStore {
 public:
  // Opens (creating) the tables in `env`, which must outlive the store, and
  // its logs in env->dir(), replaying what they hold into the tables.
  static absl::StatusOr<std::unique_ptr<ConsensusStore>> Open(LmdbEnv* env);
  // Finishes a merge under way; what the active log holds stays there for
  // the next Open.
  ~ConsensusStore();
  ConsensusStore(const ConsensusStore&) = delete;
  ConsensusStore& operator=(const ConsensusStore&) = delete;

  // Makes `records` durable (one log append and flush) and readable. A
  // LastVotedRecord only replaces a lower round of the same author, an
  // OwnHeaderRecord a lower or equal round. One caller at a time. After a
  // failed append or merge every later call fails.
  absl::Status Persist(absl::Span<const consensus::PersistRecord> records);
  // A Persist waiting for disk space (its log append found the disk full)
  // returns the disk-full error from now on.
  void StopWaitingForSpace();
  // Merges every logged record into the tables now (tests, shutdown). Not
  // concurrently with Persist.
  absl::Status MergeLogs();

  struct LogStats {
    uint64_t appends = 0;  // Persist calls that wrote
    uint64_t merges = 0;   // logs merged into LMDB
  };
  LogStats log_stats() const;

  // After commit `sub.index` was executed as store sequence `sequence`: the
  // commit state, its certificates and its executed transaction ids.
  absl::Status RecordCommit(const consensus::CommittedSubDag& sub, uint64_t sequence,
                            absl::Span<const TxId> tx_ids);
  // RecordCommit's writes inside the caller's transaction (the commit's own
  // block write: one synced write per commit).
  absl::Status WriteCommitRecord(WriteTxn& txn, const consensus::CommittedSubDag& sub,
                                 uint64_t sequence, absl::Span<const TxId> tx_ids) const;

  // Everything Core::Start needs: every last-voted record, the own header,
  // certificates (and their batches) from `gc_depth` rounds below the last
  // committed round on, and the commit state. DataLoss for a corrupt record.
  absl::StatusOr<consensus::PersistedState> Load(uint64_t gc_depth) const;

  // The executed transaction ids of store sequence `sequence`, in order;
  // NotFound when it has not been recorded.
  absl::StatusOr<std::vector<TxId>> CommitTxIds(uint64_t sequence) const;
  // The same inside the caller's read transaction of this store's env (one
  // read per commit for the batched commit stream, net/node/commit_batches.h).
  absl::StatusOr<std::vector<TxId>> CommitTxIdsIn(const Txn& txn, uint64_t sequence) const;

  // Commit sync. The last recorded store sequence (0: none).
  absl::StatusOr<uint64_t> LastRecordedSequence() const;
  // Committed sub-DAG `sequence` with its certificates and batches (index =
  // sequence - 1); NotFound when it, or a certificate or batch of it, is not
  // stored (a commit recorded before this table existed).
  absl::StatusOr<consensus::CommittedSubDag> ReadCommit(uint64_t sequence) const;
  // The last committed round recorded with store sequence `sequence`
  // (its commit_subdag record), inside the caller's read transaction of this
  // store's env: the round of its checkpoint's commit digest. NotFound when
  // not recorded (a restored snapshot's own sequence).
  absl::StatusOr<Round> CommittedRoundIn(const Txn& txn, uint64_t sequence) const;
  // True when store sequence `sequence` is its anchor's last (or only)
  // piece (its commit_subdag record's last committed round is its anchor's
  // round): the state after it is a whole anchor's. NotFound without a
  // record (a restored store's own sequence).
  absl::StatusOr<bool> IsAnchorsLastPieceIn(const Txn& txn, uint64_t sequence) const;
  // Up to `max` stored certificates of `round` that have `parent` as a parent.
  absl::StatusOr<std::vector<consensus::Certificate>> CertificatesLinking(
      Round round, const Digest& parent, size_t max) const;

  // State sync (net/node/state_sync.h). The commit state inside the
  // caller's transaction (nullopt before the first commit).
  struct CommitState {
    Round last_committed_round{0};
    uint64_t next_commit_index = 0;
  };
  absl::StatusOr<std::optional<CommitState>> ReadCommitState(const Txn& txn) const;
  // The committed certificates of rounds [from, to] in (round, digest)
  // order, and their batches, inside the caller's transaction.
  absl::Status ReadCommitted(const Txn& txn, Round from, Round to,
                             std::vector<consensus::Certificate>* certificates,
                             std::vector<consensus::Batch>* batches) const;
  // A restored snapshot's consensus tip, in the caller's write: the commit
  // state and the committed certificates and batches (verified by the
  // caller). Last votes and the own header are kept: they guard against
  // voting twice.
  absl::Status WriteRestoredTip(WriteTxn& txn, const CommitState& state,
                                absl::Span<const consensus::Certificate> certificates,
                                absl::Span<const consensus::Batch> batches) const;

 private:
  // (anchor round, last committed round) of sequence's commit_subdag record.
  absl::StatusOr<std::pair<Round, Round>> SubDagRoundsIn(const Txn& txn,
                                                         uint64_t sequence) const;
  struct Tables {
    LmdbTable voted, own, certs, batches, commit, committed, commit_txs, commit_subdag;
  };
  ConsensusStore(LmdbEnv* env, const Tables& t) : env_(env), t_(t) {}

  // The records' table writes (the merge and Open's replay).
  absl::Status ApplyRecords(WriteTxn& txn,
                            absl::Span<const consensus::PersistRecord> records) const;
  // Replays both logs into the tables and resets them (Open).
  absl::Status Recover();
  void MergerLoop();
  // Merges log `index` (merging_ set by the caller); clears its records.
  absl::Status MergeLog(int index);
  uint64_t NextGeneration() const;
  // A certificate or batch from `txn`, else from the unmerged records, else
  // from a fresh read (a merge may have moved it between the two).
  absl::StatusOr<consensus::Certificate> LookupCertificate(const Txn& txn, Round round,
                                                           const Digest& digest) const;
  absl::StatusOr<std::shared_ptr<const consensus::Batch>> LookupBatch(const Txn& txn,
                                                                       const Digest& digest) const;

  LmdbEnv* env_;
  Tables t_;
  std::array<std::unique_ptr<RecordLog>, 2> logs_;

  mutable absl::Mutex mu_;
  std::array<UnmergedRecords, 2> unmerged_ ABSL_GUARDED_BY(mu_);
  int active_ ABSL_GUARDED_BY(mu_) = 0;
  bool merging_ ABSL_GUARDED_BY(mu_) = false;  // a merge runs (merger or MergeLogs)
  bool handoff_ ABSL_GUARDED_BY(mu_) = false;  // the other log waits for the merger
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_waiting_for_space_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point active_since_ ABSL_GUARDED_BY(mu_);
  LogStats log_stats_ ABSL_GUARDED_BY(mu_);
  std::thread merger_;
};

}  // namespace gridledger::storage

#endif  // GRIDLEDGER_STORAGE_CONSENSUS_STORE_H_
