// Persist-before-send off the consensus thread. The consensus thread hands
// the core's actions here in order and goes back to its inbox at once; a
// writer thread makes the persistence records durable, one synced write for
// every group queued meanwhile (group commit), and only then runs what came
// after them, in order: sends and client answers. Commits execute on a third
// thread, in commit order, so a commit's synced write (tens of ms for
// thousands of transactions) never blocks the consensus thread's handling of
// votes, certificates and verified batches. A commit reaches that thread as
// soon as its group is sealed: it executes on a snapshot while the records
// before it are written, and its own write waits for them (the callback
// CommitFn is given). That overlap took the execute stage's 4-5 ms wait for
// the records' write off the path (docs/benchmarks.md, "A commit prepared
// while the records before it are written"). persistence.h's contract holds as
// it did inline: nothing is sent before the records and the commits handed in
// before it are durable (a send waits for the execution of earlier commits),
// so a crash at any point is a crash before the output; a failed write or
// commit stops every send and commit after it. A commit can fail ahead of
// the writer (it runs as soon as it is sealed), and nothing is written after
// a failure: then records and sends sealed before that commit but not yet
// written are dropped too, which is what a crash at that moment would do.
//
// Measured at 8000 tx/s (docs/benchmarks.md, "Latency under load"): with the
// writes and commits inline, the consensus thread spent ~90 % of its time
// blocked in synced LMDB writes and rounds slowed to ~8/s.
//
// Records with no output after them (a peer's certificate or batch, an own
// certificate or batch whose send went out without waiting, persistence.h)
// are not written at once: they wait up to kLazyRecordsDelay for a group
// with an output (a send that waits, an answer, a commit), whose synced write
// then carries them. Nothing has been promised on them until such an output,
// so this is a slower disk: a crash meanwhile loses only what persistence.h
// lets a crash lose. At 1500 tx/s 40 % of the writes held such records alone
// (docs/benchmarks.md, "Records alone wait for the next write").
#ifndef GRIDLEDGER_NET_NODE_DURABLE_OUTBOX_H_
#define GRIDLEDGER_NET_NODE_DURABLE_OUTBOX_H_

#include <chrono>
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
#include "absl/time/time.h"
#include "core/consensus/core.h"
#include "net/node/event_inbox.h"
#include "storage/consensus_store.h"

namespace gridledger::node {

// Sealed groups not yet written, and commits not yet executed: beyond these
// the consensus thread waits (Seal), so a slow disk slows the core instead
// of growing memory.
inline constexpr size_t kMaxOutboxGroups = 256;
inline constexpr size_t kMaxOutboxCommits = 8;
// How long records with no output after them may wait for one to share its
// synced write, and how many may wait.
inline constexpr absl::Duration kLazyRecordsDelay = absl::Milliseconds(20);
inline constexpr size_t kLazyRecordsMax = 1024;

struct OutboxStats {
  uint64_t writes = 0;   // synced consensus writes
  uint64_t records = 0;  // records they held
  uint64_t groups = 0;   // sealed groups they covered
  uint64_t lazy_writes = 0;  // of records alone, after waiting lazy_records_delay
};

class DurableOutbox {
 public:
  // Runs on the writer thread: one send, in order.
  using SendFn = std::function<void(consensus::SendAction& send)>;
  // Blocks until every record handed in before the commit is durable; an
  // error when a write before it failed (the commit must not be written).
  using RecordsDurableFn = std::function<absl::Status()>;
  // Runs on the execution thread, in commit order; `produced_ns` is when the
  // core produced it (the driver's monotonic clock). It may read and compute
  // at once, but must call `records_durable` before it writes anything, and
  // give up with its error. (Sends need no such call: the writer runs a
  // send only after its own group, and so every earlier one, is written.)
  using CommitFn = std::function<absl::Status(const consensus::CommittedSubDag& sub,
                                              int64_t produced_ns,
                                              const RecordsDurableFn& records_durable)>;
  // A write or a commit failed: nothing after it runs. Any thread.
  using FailFn = std::function<void(const absl::Status& status)>;

  // `store` must outlive the outbox. `lazy_records_delay`: how long records
  // with no output after them wait for one (above).
  DurableOutbox(storage::ConsensusStore* store, SendFn send, CommitFn commit, FailFn fail,
                absl::Duration lazy_records_delay = kLazyRecordsDelay);
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
  // Hands the open group to the writer, and its commits to the execution
  // thread; waits while kMaxOutboxGroups groups or kMaxOutboxCommits commits
  // are queued (a group's commits all enter: up to that many more).
  void Seal();
  // Seals, then waits until everything sealed is written, sent and executed
  // (before reading the store's consensus or commit state back). False when
  // a write or a commit failed (what was queued was dropped) or on Stop.
  bool Drain();

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
    uint64_t group = 0;  // its records are durable once this group is written
  };
  struct SendOut {
    consensus::SendAction send;
    uint64_t commits_before = 0;  // commits handed in before it (Seal)
  };
  using Output = std::variant<SendOut, AnswerOut, CommitOut>;
  struct Group {
    std::vector<consensus::PersistRecord> records;
    std::vector<Output> outputs;  // sealed: sends and answers only
    uint64_t sequence = 0;        // 1, 2, ... in seal order
    std::chrono::steady_clock::time_point sealed_at;  // the lazy wait's start
  };

  void WriterLoop();
  void ExecLoop();
  bool IdleLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Numbers the open group, moves its commits to commits_ and queues it.
  void SealLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Execution thread: waits until group `group` is written (RecordsDurableFn).
  absl::Status AwaitGroupWritten(uint64_t group);
  // The queued groups must be written now: one has an output, a Drain or
  // Stop waits, or too much is queued to wait longer.
  bool WriteNowLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Failed() const;
  // Writer thread: waits until `count` commits have executed. False when
  // one failed.
  bool AwaitCommitsExecuted(uint64_t count);
  void FailOnce(const absl::Status& status);

  storage::ConsensusStore* store_;
  SendFn send_;
  CommitFn commit_;
  FailFn fail_;
  const absl::Duration lazy_records_delay_;
  Group open_;  // consensus thread only

  mutable absl::Mutex mu_;
  std::deque<Group> groups_ ABSL_GUARDED_BY(mu_);
  size_t groups_with_outputs_ ABSL_GUARDED_BY(mu_) = 0;  // of groups_
  size_t queued_records_ ABSL_GUARDED_BY(mu_) = 0;       // in groups_
  int drains_ ABSL_GUARDED_BY(mu_) = 0;                  // Drain calls waiting
  std::deque<CommitOut> commits_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool executing_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t groups_sealed_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t groups_written_ ABSL_GUARDED_BY(mu_) = 0;    // all up to this one durable
  uint64_t commits_handed_ ABSL_GUARDED_BY(mu_) = 0;    // at Seal
  uint64_t commits_executed_ ABSL_GUARDED_BY(mu_) = 0;  // done or failed
  OutboxStats stats_ ABSL_GUARDED_BY(mu_);
  std::thread writer_;
  std::thread executor_;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_DURABLE_OUTBOX_H_
