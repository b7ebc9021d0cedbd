// The open-loop load generator: sends pre-signed transfers at a fixed rate
// through gRPC to a validator of each transaction's home slice, follows the
// commit stream of every slice to learn commit times and results, and
// afterwards asks the validators about anything acknowledged but not seen
// committed. Bounded in count (rate x duration) and in time (duration plus a
// bounded drain); an external stop flag ends it early.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_LOADGEN_H_
#define GRIDLEDGER_TOOLS_LOADGEN_LOADGEN_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/common/types.h"
#include "tools/loadgen/stats.h"
#include "tools/loadgen/validator_epochs.h"
#include "tools/loadgen/workload.h"

namespace gridledger::loadgen {

// Transactions per submit message (SubmitBatchStream message or SubmitBatch
// call), bounded in count and bytes (the node bounds a message too: 10000
// transactions, 16 MiB).
inline constexpr size_t kMaxTxsPerRpc = 4096;
inline constexpr size_t kMaxBytesPerRpc = size_t{1} << 20;
// Submit messages awaiting a reply; beyond it sends fall behind schedule (and
// the lag is reported) instead of queueing without bound.
inline constexpr int64_t kMaxInflightRpcs = 512;

// How transactions reach the validators: one SubmitBatchStream per
// validator (many transactions per message, an answer per message), or a
// unary SubmitBatch call per message (the older path, kept to compare).
enum class SubmitPath { kStream, kBatch };
// The pacer wakes at most this often, so a fast rate is sent in small
// batches rather than one call per transaction.
inline constexpr int64_t kSendTickNs = 5'000'000;
inline constexpr absl::Duration kRpcDeadline = absl::Seconds(5);

struct LoadgenOptions {
  uint64_t rate_per_s = 1000;
  absl::Duration duration = absl::Seconds(20);
  // After the last send, wait at most this long for outstanding commits.
  absl::Duration drain = absl::Seconds(10);
  // gRPC address of validator i of slice s: grpc_by_slice[s][i].
  std::vector<std::vector<std::string>> grpc_by_slice;
  // Sends of one transaction (first try included) to an unavailable node,
  // each to the next validator of the slice. An OVERLOADED answer is retried
  // at the same validator instead, with back-off, for up to 3 s
  // (loadgen.cc, kOverloadRetryFor), and the account's later transactions
  // wait for it.
  uint32_t max_attempts = 3;
  // Ask the validators for each sender's next nonce (a deployment that has
  // already run load); a fresh deployment starts every account at 0.
  bool query_nonces = false;
  bool print_progress = true;
  const std::atomic<bool>* stop = nullptr;  // set (e.g. by SIGINT) to end early
  // A prepared plan (e.g. the microgrid workload), ascending by send_at_ns,
  // sent instead of transfers at rate_per_s; must outlive the run. Its
  // nonces are the planner's (query_nonces does not apply).
  const std::vector<PlannedTx>* plan = nullptr;
  // When set, the schedule starts at this wall-clock time (the plan's time
  // zero); the run waits for it.
  std::optional<absl::Time> start_at;
  // Called once at the start of the schedule (after pre-signing), e.g. to
  // time fault injection from the load's start.
  std::function<void()> on_start;
  SubmitPath submit_path = SubmitPath::kStream;
  // Percent of the planned transfers that pay an account of another slice.
  uint32_t cross_slice_percent = 0;
  // Where a caller that kills or wipes validators during the run (the
  // cluster harness) reports it, so acknowledgements given before are
  // resubmitted; shaped like grpc_by_slice, must outlive the run. When null
  // the run keeps its own (broken connections only).
  ValidatorEpochs* epochs = nullptr;
};

// A transaction a validator reported committed (success or execution failure).
struct AckedCommit {
  uint32_t slice = 0;
  TxId id;
  bool success = false;
  uint64_t commit_sequence = 0;
  uint32_t index_in_commit = 0;
};

struct LoadgenResult {
  uint64_t planned = 0;
  uint64_t sent = 0;
  uint64_t accepted = 0;          // acknowledged by a node
  uint64_t submissions = 0;       // sends including retries to another validator
  uint64_t committed = 0;         // committed and executed successfully
  uint64_t failed = 0;            // committed, rejected by execution
  uint64_t rejected = 0;          // refused at submission or failed in execution
  uint64_t committed_late = 0;    // committed, but learnt only by query (no latency)
  uint64_t lost_never_committed = 0;  // acknowledged, never committed anywhere
  // Committed but still held for a nonce gap when the run ended (not final,
  // so neither committed nor failed nor lost; see TRANSACTION_STATUS_HELD).
  uint64_t held_at_end = 0;
  // Acknowledged, not committed when the drain ended, and still pending at a
  // validator that answered the query (durable there, not yet ordered: the
  // backlog of an overload), so not lost. Lost is unknown to every validator.
  uint64_t pending_at_end = 0;
  // Planned but never sent: an earlier transaction of the same account was
  // refused at submission for good (OVERLOADED through kOverloadRetryFor of retries), so these
  // could only wait for a nonce that never comes. A wallet stops there (or
  // re-signs); sending them would make the cluster order transactions that
  // fail nonce_hold_full. Not in `sent`.
  uint64_t withheld = 0;
  std::map<std::string, uint64_t> rejected_by_reason;  // "submit:overloaded", "execution:bad_nonce"
  LatencySummary latency;         // send -> seen in the commit stream
  double tps_committed = 0;       // committed / (last commit - first send)
  double tps_steady = 0;          // mean committed per second over the send window, first second excluded
  int64_t load_ns = 0;            // first to last send
  int64_t last_commit_ns = 0;     // since the start
  int64_t max_send_lag_us = 0;    // worst lateness of a send against its slot
  uint64_t stream_reconnects = 0;
  bool stopped_early = false;
  TimeSeries series;
  std::vector<AckedCommit> acked_commits;
  // This process's own CPU (getrusage: user + system, all threads) over the
  // steady window [1 s, floor(duration)) of the load, so the load generator
  // is never an unnoticed bottleneck. Not measured when the load ended first.
  bool own_cpu_measured = false;
  double own_cpu_s = 0;
  double own_cpu_window_s = 0;
  uint64_t own_cpu_sent = 0;  // transactions sent in that window
  double own_cpu_us_per_tx() const {
    return own_cpu_sent == 0 ? 0 : own_cpu_s * 1e6 / static_cast<double>(own_cpu_sent);
  }
  // Share of one core the load generator used in the window.
  double own_cpu_cores() const { return own_cpu_window_s > 0 ? own_cpu_s / own_cpu_window_s : 0; }
  std::string submit_path;  // "stream" or "batch"
};

// Runs the load against the validators in options.grpc_by_slice.
absl::StatusOr<LoadgenResult> RunLoad(const Deployment& deployment,
                                      const LoadgenOptions& options);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_LOADGEN_H_
