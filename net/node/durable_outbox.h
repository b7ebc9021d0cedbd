// Persist-before-send off the consensus thread. The consensus thread hands
// the core's actions here in order and goes back to its inbox at once; a
// writer thread makes the persistence records durable, one synced write for
// every group queued meanwhile (group commit), and only then runs what came
// after them, in order: sends, client answers and commits. Commits execute on
// a third thread, in commit order, so a commit's synced write (tens of ms for
// thousands of transactions) delays neither the next round's votes nor its
// certificates. Nothing leaves the node before the records handed in before
// it are durable, so a crash at any point is a crash before the output.
//
// Measured at 8000 tx/s (docs/benchmarks.md, "Latency under load"): with the
// writes and commits inline, the consensus thread spent ~90 % of its time
// blocked in synced LMDB writes and rounds slowed to ~8/s.
#ifndef GRIDLEDGER_NET_NODE_DURABLE_OUTBOX_H_
#define GRIDLEDGER_NET_NODE_DURABLE_OUTBOX_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "core/consensus/core.h"
#include "net/node/consensus_store.h"
#include "net/node/event_inbox.h"

namespace gridledger::node {

// Sealed groups not yet written, and commits not yet executed: beyond these
// the consensus thread waits (Seal), so a slow disk slows the core instead
// of growing memory.
inline constexpr size_t kMaxOutboxGroups = 256;
inline constexpr size_t kMaxOutboxCommits = 8;

struct OutboxStats {
  uint64_t writes = 0;   // synced consensus writes
  uint64_t records = 0;  // records they held
  uint64_t groups = 0;   // sealed groups they covered
};

class DurableOutbox {
 public:
  // Runs on the writer thread: one send, in order.
  using SendFn = std::function<void(consensus::SendAction& send)>;
  // Runs on the execution thread, in commit order; `produced_ns` is when the
  // core produced it (the driver's monotonic clock).
  using CommitFn =
      std::function<absl::Status(const consensus::CommittedSubDag& sub, int64_t produced_ns)>;
  // A write or a commit failed: nothing after it runs. Any thread.
  using FailFn = std::function<void(const absl::Status& status)>;

  // `store` must outlive the outbox.
  DurableOutbox(ConsensusStore* store, SendFn send, CommitFn commit, FailFn fail);
  ~DurableOutbox();  // Stop()s.

  void Start();
  // Finishes what was sealed (writes, sends, answers, commits; nothing after
  // a failure), then joins the threads. Idempotent.
  void Stop();

  // Consensus thread only, between Start and Stop. Into the open group:
  void Persist(consensus::PersistRecord record);
  // Each runs once every record handed in before it is durable.
  void Send(consensus::SendAction send);
  void Answer(std::shared_ptr<SubmitTicket> ticket, std::vector<absl::Status> results);
  void Commit(consensus::CommittedSubDag sub, int64_t produced_ns);
  // Hands the open group to the writer; waits while kMaxOutboxGroups groups
  // or kMaxOutboxCommits commits are queued.
  void Seal();
  // Seals, then waits until everything sealed is written, sent and executed
  // (before reading the store's consensus or commit state back).
  void Drain();

  OutboxStats stats() const;
  // Groups sealed and not yet written (metrics).
  size_t queued_groups() const;

 private:
  struct AnswerOut {
    std::shared_ptr<SubmitTicket> ticket;
    std::vector<absl::Status> results;
  };
  struct CommitOut {
    consensus::CommittedSubDag sub;
    int64_t produced_ns = 0;
  };
  using Output = std::variant<consensus::SendAction, AnswerOut, CommitOut>;
  struct Group {
    std::vector<consensus::PersistRecord> records;
    std::vector<Output> outputs;
  };

  void WriterLoop();
  void ExecLoop();
  bool IdleLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FailOnce(const absl::Status& status);

  ConsensusStore* store_;
  SendFn send_;
  CommitFn commit_;
  FailFn fail_;
  Group open_;  // consensus thread only

  mutable absl::Mutex mu_;
  std::deque<Group> groups_ ABSL_GUARDED_BY(mu_);
  std::deque<CommitOut> commits_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool executing_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  OutboxStats stats_ ABSL_GUARDED_BY(mu_);
  std::thread writer_;
  std::thread executor_;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_DURABLE_OUTBOX_H_
