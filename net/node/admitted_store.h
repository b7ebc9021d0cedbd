// What makes ACCEPTED durable: every client transaction this validator
// acknowledges is first written to the LMDB table
//
//   admitted_v2   admission order u64 (big-endian) -> tx id 32 | raw envelope
//
// Keyed by order, so a group write appends to the table's last page and a
// commit's removals hit neighbouring pages, where id keys put each entry on
// its own random page. The table's name carries the layout version: a data
// dir with the version-1 table `admitted` (keyed by id) is refused at Open.
//
// by group commit (one write for every transaction admitted within
// kAdmitGroupWindow, or kAdmitGroupTxsMax of them, whichever comes first,
// carried by another writer's synced commit when one comes within
// kAdmitRideWait, synced on its own otherwise), and
// removed in the write of the commit that executes it (EraseIn, inside the
// commit's one synced write). After a crash, Recover hands back, in admission
// order, those not committed yet: the core seals them into new own batches
// (Core::RestoreOwnTransactions).
#ifndef GRIDLEDGER_NET_NODE_ADMITTED_STORE_H_
#define GRIDLEDGER_NET_NODE_ADMITTED_STORE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/common/types.h"
#include "storage/lmdb_env.h"
#include "storage/node_store.h"

namespace gridledger::node {

inline constexpr absl::string_view kAdmittedTable = "admitted_v2";
// The version-1 layout (tx id -> order | envelope), not read by this version.
inline constexpr absl::string_view kAdmittedTableV1 = "admitted";
// A group write waits at most this long for more transactions to join it.
inline constexpr absl::Duration kAdmitGroupWindow = absl::Milliseconds(2);
// A group write holds at most this many transactions (more wait for the next).
inline constexpr size_t kAdmitGroupTxsMax = 8192;
// A group write then waits at most this long for another writer of the env
// to carry it in its synced commit (LmdbEnv::WriteRiding) before it commits
// on its own. The consensus records went to their own log (storage/consensus_store.h),
// so the writers left are commits (every 50-60 ms at 0.4 x the bound) and log
// merges (every 100 ms): at 25 ms instead of 10, admission writes cost 7
// instead of 12 us of CPU per transaction at 6200 tx/s and ACCEPTED comes
// about 17 ms later (docs/benchmarks.md, "Consensus records through a log").
inline constexpr absl::Duration kAdmitRideWait = absl::Milliseconds(25);

struct AdmittedStats {
  uint64_t writes = 0;  // synced group writes
  uint64_t txs = 0;     // transactions they held
};

class AdmittedStore {
 public:
  // Opens (creating) the table in `env` (which must outlive the store) and
  // starts the group-commit thread. FailedPrecondition for a data dir of
  // the version-1 layout (no migration: there are no deployments).
  static absl::StatusOr<std::unique_ptr<AdmittedStore>> Open(storage::LmdbEnv* env);
  ~AdmittedStore();  // Stop()s.

  // Makes `txs` (id, raw envelope) durable; returns once the synced write
  // holding them committed. Unavailable when stopped or not written within
  // `timeout`; the write's error (e.g. disk full) otherwise.
  absl::Status Persist(std::vector<std::pair<TxId, Bytes>> txs, absl::Duration timeout);
  // The same without blocking (gRPC's callback API): `done` gets the write's
  // status on the writer thread once the group holding `txs` committed
  // (inline when `txs` is empty or the store is stopped). No timeout: a write
  // paused on a full disk answers when it completes or fails.
  using PersistDone = absl::AnyInvocable<void(absl::Status status) &&>;
  void PersistAsync(std::vector<std::pair<TxId, Bytes>> txs, PersistDone done);

  // Inside a commit's write transaction: deletes the entries of `ids` this
  // store wrote or is writing (others are not looked up). Call Forget(ids)
  // once it committed, before the next EraseIn. A transaction's commit may
  // land before its admission record's write, or between that write and its
  // bookkeeping: Forget then has the writer thread delete the row once it is
  // written, so neither the table nor the map keeps an entry for it.
  absl::Status EraseIn(storage::WriteTxn& txn, absl::Span<const TxId> ids);
  void Forget(absl::Span<const TxId> ids);

  // At start-up, before any Persist: every admitted transaction `store` has
  // not indexed, in admission order; entries of indexed ones are deleted.
  absl::StatusOr<std::vector<std::pair<TxId, Bytes>>> Recover(const storage::NodeStore& store);

  // Answers waiting and later Persist calls Unavailable and joins the thread.
  void Stop();

  // Test only, set before any Persist: runs on the writer thread, no lock
  // held, just before a group's synced write and just after it (before the
  // group's bookkeeping), so a test can drive a commit into either gap.
  enum class WritePhase { kBeforeWrite, kAfterWrite };
  void SetWriteHookForTest(std::function<void(WritePhase)> hook);

  AdmittedStats stats() const;
  // Entries written (or being written) and not yet erased by a commit (this
  // process's view).
  size_t outstanding() const;

 private:
  struct Request {
    std::vector<std::pair<TxId, Bytes>> txs;
    bool done = false;
    absl::Status status;
    PersistDone on_done = nullptr;  // PersistAsync's; run by the writer, no lock held
  };
  // Queues `request` (false: stopping).
  bool Enqueue(std::shared_ptr<Request> request) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  AdmittedStore(storage::LmdbEnv* env, storage::LmdbTable table) : env_(env), table_(table) {}
  void Loop();
  // Writes the group's transactions not written before, each under a new
  // order recorded in written_ before the write (so a commit meanwhile finds
  // it); on success returns them with their orders. `hook`: write_hook_.
  using WrittenOrders = std::vector<std::pair<TxId, uint64_t>>;
  absl::StatusOr<WrittenOrders> WriteGroup(
      const std::vector<std::shared_ptr<Request>>& group,
      const std::function<void(WritePhase)>& hook);
  // Deletes the rows in stale_orders_ (one write).
  void RemoveStaleRows();

  storage::LmdbEnv* env_;
  const storage::LmdbTable table_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::deque<std::shared_ptr<Request>> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_txs_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_order_ ABSL_GUARDED_BY(mu_) = 0;
  struct Entry {
    uint64_t order = 0;     // its key
    bool durable = false;   // its write committed (false: being written)
    bool stale = false;     // committed meanwhile: delete the row once written
  };
  // Entries in the table or in the group write under way.
  absl::flat_hash_map<TxId, Entry> written_ ABSL_GUARDED_BY(mu_);
  // The rows (orders) the last EraseIn deleted, for the Forget after it.
  absl::flat_hash_set<uint64_t> erased_ ABSL_GUARDED_BY(mu_);
  // Rows of committed transactions written after their commit's EraseIn.
  std::vector<uint64_t> stale_orders_ ABSL_GUARDED_BY(mu_);
  AdmittedStats stats_ ABSL_GUARDED_BY(mu_);
  std::function<void(WritePhase)> write_hook_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_ADMITTED_STORE_H_
