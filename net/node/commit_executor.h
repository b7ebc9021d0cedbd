// Executes committed sub-DAGs, in commit order, into the node store: form the
// block from the batches (core/execution/block_formation.h: decode,
// de-duplicate by id, each sender's transactions in nonce order), execute and
// commit as store sequence (commit index + 1) together with the consensus
// commit record and the removal of the admitted entries it settles, in ONE
// synced write, then tell waiters. The executor's nonce hold (results HELD,
// releases and expiries) is part of the same write, so a transaction held
// here executes in whichever later commit fills its account's nonce gap. A
// commit already in the store (delivered again) is checked to carry the same
// anchor, recorded again and never re-executed.
#ifndef GRIDLEDGER_NET_NODE_COMMIT_EXECUTOR_H_
#define GRIDLEDGER_NET_NODE_COMMIT_EXECUTOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "core/consensus/bullshark.h"
#include "core/execution/executor.h"
#include "net/metrics/node_metrics.h"
#include "net/node/admitted_store.h"
#include "net/node/commit_feed.h"
#include "net/node/pending_txs.h"
#include "storage/block_commit.h"
#include "storage/consensus_store.h"
#include "storage/node_store.h"

namespace gridledger::node {

// Read from other threads (tests, metrics) while the driver thread writes.
struct CommitExecutorStats {
  std::atomic<uint64_t> executed{0};           // commits executed here
  // Commits found in the store (re-emitted after restart).
  std::atomic<uint64_t> already_executed{0};
  std::atomic<uint64_t> undecodable_skipped{0};
  // Cross-slice receipt imports (core/execution/receipt.h) executed here:
  // receipts credited, receipts skipped as credited before, imports refused
  // (unverified or out of order; the reason is logged by the caller).
  std::atomic<uint64_t> receipts_credited{0};
  std::atomic<uint64_t> receipts_duplicate{0};
  std::atomic<uint64_t> imports_refused{0};
};

class CommitExecutor {
 public:
  // Everything must outlive the executor; metrics may be null.
  CommitExecutor(storage::NodeStore* store, storage::ConsensusStore* consensus_store, SliceId slice,
                 PendingTxs* pending, CommitFeed* feed, net::NodeMetrics* metrics,
                 MarketConfig market = {}, CrossSliceConfig cross_slice = {})
      : store_(store), consensus_store_(consensus_store),
        executor_(slice, {}, market, std::move(cross_slice)),
        pending_(pending), feed_(feed), metrics_(metrics) {}

  // Admitted entries to remove in each commit's write (may stay null);
  // before the first Execute.
  void set_admitted_store(AdmittedStore* admitted) { admitted_ = admitted; }
  // Told of every commit executed here, once durable, in commit order, on the
  // executing thread (the market event log); before the first Execute.
  using CommitObserver = std::function<void(uint64_t sequence, absl::Span<const BlockTx> block,
                                            const BlockOutcome& outcome)>;
  void set_commit_observer(CommitObserver observer) { observer_ = std::move(observer); }

  // Durable when it returns OK. Internal when the commit index skips ahead
  // of the store (a bug or a damaged data dir) or an executed sequence comes
  // again with another anchor; storage errors as they come. `before_write`
  // (may be null) runs before anything is written, after the execution on a
  // snapshot (storage::ExecuteAndCommit); its error is returned.
  absl::Status Execute(const consensus::CommittedSubDag& sub,
                       const storage::BeforeWrite& before_write = nullptr);

  const CommitExecutorStats& stats() const { return stats_; }
  const Executor& executor() const { return executor_; }

 private:
  storage::NodeStore* store_;
  storage::ConsensusStore* consensus_store_;
  Executor executor_;
  PendingTxs* pending_;
  CommitFeed* feed_;
  net::NodeMetrics* metrics_;
  AdmittedStore* admitted_ = nullptr;
  CommitObserver observer_;
  CommitExecutorStats stats_;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_COMMIT_EXECUTOR_H_
