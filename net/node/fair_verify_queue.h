// Signature verification shared fairly between clients. Every caller (a
// client connection's admission, and with a GPU backend the peer-batch
// worker: net/node/tx_checker.h) queues its transactions under its own key
// and waits; one thread serves the keys round robin, taking an equal share
// of each round (at least kFairChunkTxs per key) from the front of every
// key's queue, and runs the round through the backend as one batch with no
// lock held. A round is sized to take about kFairRoundTarget on this backend
// (measured as it runs, in wall time: a GPU gets large rounds, a slow CPU
// small ones, and a niced queue on a saturated machine smaller ones still,
// its waits for a CPU counted in, so its queued work reads longer and
// admission pushes back sooner), between kFairChunkTxs and kFairRoundTxs. A
// client that floods (with bad signatures or not) only lengthens its own
// queue: another key waits at most one round, and each key's requests
// finish in the order they were queued.
#ifndef GRIDLEDGER_NET_NODE_FAIR_VERIFY_QUEUE_H_
#define GRIDLEDGER_NET_NODE_FAIR_VERIFY_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/common/types.h"

namespace gridledger::node {

// A key's share of one round is at least this many transactions...
inline constexpr size_t kFairChunkTxs = 64;
// ...and the keys with work split at most this many per round between them.
inline constexpr size_t kFairRoundTxs = 16384;
// The verification time one round aims at: what another key may wait. A
// request waits for the round under way and then its own, and a validator's
// transactions passed two such queues before their batch could be proposed
// (admission, then the peers' acks; with the CPU backend peers' batches now
// skip the queue): 4 ms against 10 ms cut p50 near
// 0.4 x the bound by ~40 ms and lost no throughput at saturation
// (docs/benchmarks.md, "Shorter verification rounds").
inline constexpr absl::Duration kFairRoundTarget = absl::Milliseconds(4);

class FairVerifyQueue {
 public:
  // Verifies txs[i] into ids[i] and valid[i]; called on the queue's thread only.
  using VerifyFn = std::function<absl::Status(absl::Span<const ByteSpan> txs,
                                              absl::Span<Digest> ids,
                                              absl::Span<uint8_t> valid)>;

  // `priority_key` (may be empty: none) gets half of every contended round
  // instead of an equal share: the node's own consensus work (peer batches)
  // must not wait behind many client connections. The queue's thread runs
  // `nice_increment` (0..19) above the nice of the thread that constructs
  // the queue (core/common/thread_priority.h).
  explicit FairVerifyQueue(VerifyFn verify, std::string priority_key = "",
                           int nice_increment = 0);
  ~FairVerifyQueue();  // Stop()s.

  // Blocks until every transaction of `txs` was verified. ids/valid are
  // resized like txs. False when the backend failed on a round holding some
  // of them, or the queue stopped.
  bool Verify(const std::string& key, absl::Span<const ByteSpan> txs, std::vector<Digest>* ids,
              std::vector<uint8_t>* valid);
  // The same without blocking (the gRPC callback API must not wait): `done`
  // runs once, with Verify's result, on the queue's thread after the round
  // that finished the last of `txs` (or at Stop; inline when the queue is
  // stopped or `txs` is empty). txs, ids and valid must stay alive until then.
  using VerifyDone = absl::AnyInvocable<void(bool ok) &&>;
  void VerifyAsync(const std::string& key, absl::Span<const ByteSpan> txs,
                   std::vector<Digest>* ids, std::vector<uint8_t>* valid, VerifyDone done);

  // Fails queued requests and joins the thread (idempotent).
  void Stop();

  uint64_t rounds() const;
  // `key`'s verification work queued and not yet handed to a round, at the
  // measured cost per transaction (zero before the first round): what a new
  // request of that key waits behind at least; another key's flood cannot
  // raise it.
  absl::Duration QueuedWork(const std::string& key) const;
  // Keys with work not yet handed to a round.
  size_t queued_keys() const;

 private:
  struct Job {
    absl::Span<const ByteSpan> txs;
    Digest* ids;
    uint8_t* valid;
    size_t taken = 0;     // handed to a round
    size_t finished = 0;  // answered
    bool failed = false;
    bool done = false;
    VerifyDone on_done = nullptr;  // set: VerifyAsync's job, deleted after it runs
  };
  struct Piece {
    Job* job;
    size_t offset;
    size_t count;
  };
  void Loop();
  // Marks `job` answered; an async job is moved to `finished` to run its
  // callback once the lock is released.
  static void Finish(Job* job, std::vector<Job*>* finished);

  const VerifyFn verify_;
  const std::string priority_key_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  // Keys with queued work, in service order, and each key's jobs.
  std::deque<std::string> ring_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::deque<Job*>> jobs_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t rounds_ ABSL_GUARDED_BY(mu_) = 0;
  // Transactions per round at kFairRoundTarget, from the rounds so far.
  size_t round_txs_ ABSL_GUARDED_BY(mu_) = kFairRoundTxs;
  double ns_per_tx_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_FAIR_VERIFY_QUEUE_H_
