// The checkpoint actor of one validator (DESIGN.md §3, issue 11 item 1).
// After each commit executed here it signs Checkpoint{chain id, slice,
// sequence, state root (storage/state_root.h), receipts root (the commit's
// outgoing receipts, core/execution/receipt.h; zero when none), commit digest
// (CommitDigestAt)} with the validator key, broadcasts the vote over
// the slice's authenticated peer links and counts it with the peers' votes
// (CheckpointPool); 2f+1 over the same checkpoint make it final and it is
// stored with its signatures (CheckpointStore).
//
// It runs on its own thread so neither the executing thread nor the
// transport's pays for signing, verifying or the final checkpoints' synced
// writes: those are grouped, one write per kCheckpointFlushPeriod at most,
// which rides on the consensus outbox's next synced write when one comes
// within kCheckpointRideWait, apart from the commits' own writes (a crash
// loses at most the last period's final checkpoints, never state; they are
// certificates, not state).
// Its queue is bounded: past kMaxCheckpointEvents, events are dropped and
// counted (a dropped own commit is a checkpoint this validator does not sign).
#ifndef GRIDLEDGER_NET_NODE_CHECKPOINT_SIGNER_H_
#define GRIDLEDGER_NET_NODE_CHECKPOINT_SIGNER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <variant>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/common/log.h"
#include "core/consensus/checkpoint.h"
#include "core/consensus/committee.h"
#include "core/consensus/signature_checker.h"
#include "core/crypto/schnorr.h"
#include "net/node/checkpoint_pool.h"
#include "net/node/checkpoint_store.h"
#include "storage/consensus_store.h"
#include "storage/node_store.h"

namespace gridledger::node {

inline constexpr size_t kMaxCheckpointEvents = 4096;
inline constexpr absl::Duration kCheckpointFlushPeriod = absl::Milliseconds(100);
// How long a due write waits to share the next synced write of the consensus
// outbox (LmdbEnv::WriteRiding) before it makes its own. Under load the
// outbox commits every few ms, so the finals rarely cost a commit of their
// own; an idle validator pays this wait once per final checkpoint.
inline constexpr absl::Duration kCheckpointRideWait = absl::Milliseconds(50);
// Refused votes (other than root mismatches) are logged as one line per period.
inline constexpr absl::Duration kCheckpointRefusalLogPeriod = absl::Seconds(10);

struct CheckpointSignerStats {
  CheckpointPoolStats pool;
  uint64_t signed_own = 0;
  uint64_t undecodable = 0;     // peer frames with the checkpoint tag that failed to decode
  uint64_t dropped_events = 0;  // queue full
  uint64_t stored = 0;          // final checkpoints written
  uint64_t write_errors = 0;
};

class CheckpointSigner {
 public:
  using Broadcast = std::function<void(Bytes)>;
  // Everything must outlive the signer. `broadcast` sends to every peer of
  // the slice; it is called on the signer's thread.
  CheckpointSigner(const consensus::Committee* committee, ValidatorIndex me, const KeyPair* key,
                   storage::NodeStore* store, const storage::ConsensusStore* consensus,
                   CheckpointStore* finals, Broadcast broadcast);
  ~CheckpointSigner();  // Stop()s.

  // Before Start.
  void set_logger(Logger logger) { logger_ = std::move(logger); }
  void Start();
  // Handles what is queued, writes the final checkpoints held, joins.
  void Stop();

  // Commit `sequence` is durable in the store (its state root recorded).
  // Any thread; returns at once.
  void OnCommitted(uint64_t sequence);
  // A peer frame that starts with kCheckpointVoteTag, from validator `from`
  // (the authenticated link's member). Any thread; returns at once.
  void OnPeerMessage(ValidatorIndex from, ByteSpan bytes);

  CheckpointSignerStats stats() const;

 private:
  struct Committed {
    uint64_t sequence;
  };
  struct PeerVote {
    ValidatorIndex from;
    consensus::CheckpointVote vote;
  };
  using Event = std::variant<Committed, PeerVote>;

  void Push(Event event);
  void Loop();
  void Handle(Event& event);
  void SignOwn(uint64_t sequence);
  void Finalized(std::vector<SignedCheckpoint> finals);
  // Writes the unwritten finals; `ride`: share another thread's write
  // (kCheckpointRideWait), else (at stop) a write of its own.
  void Flush(bool ride);

  const consensus::Committee& committee_;
  const ValidatorIndex me_;
  const KeyPair& key_;
  storage::NodeStore* store_;
  const storage::ConsensusStore* consensus_;
  CheckpointStore* finals_store_;
  Broadcast broadcast_;
  Logger logger_;
  consensus::SchnorrChecker checker_;
  // Signer thread only.
  CheckpointPool pool_;
  std::vector<SignedCheckpoint> unwritten_;
  // When the oldest unwritten final checkpoint came (or a failed write
  // was given up): the next write is due kCheckpointFlushPeriod later.
  absl::Time unwritten_since_ = absl::InfinitePast();
  uint64_t refusals_unlogged_ = 0;
  absl::Time last_refusal_log_ = absl::InfinitePast();

  mutable absl::Mutex mu_;
  std::deque<Event> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  CheckpointSignerStats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_CHECKPOINT_SIGNER_H_
