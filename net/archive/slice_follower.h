// Follows one slice for an archive node (storage domain, DESIGN.md §1): on
// its own thread it fetches committed sub-DAGs with their batches from the
// slice's validators (gridledger.v1.ArchiveFeed, the commit sync answers),
// verifies them with the CommitVerifier against the slice's committee from
// genesis (2f+1 certificate votes, Bullshark's commit rule), persists their
// certificates and batches and executes the proven ones through the node's
// own CommitExecutor into this slice's LMDB store, so the store is what a
// validator's would be. It then fetches the source's latest final checkpoint,
// verifies its 2f+1 signatures and compares its state root with the root
// recorded here at that sequence: `verified_through` is the highest sequence
// so confirmed. It never votes and never sends anything but reads.
//
// Sources: one at a time, in config order. A source that serves what does
// not verify (a forged or garbled commit, a checkpoint without a quorum) is
// counted, logged and replaced by the next, and sits out a number of turns
// that doubles with each refusal in a row (kMaxSourcePenaltyTurns at most);
// one that is unreachable, or has nothing new, is replaced too (so a source
// that withholds costs one poll). A
// final checkpoint whose root (or commit digest: the consensus position,
// core/consensus/checkpoint.h) differs from ours means this archive's
// execution diverged: counted, logged, and the slice stops executing.
// Bounds: one request asks for kSyncCommitsPerRequest commits and buffers
// at most kSyncAnswerBufferBytesMax; gRPC messages at most kArchiveChunkBytesMax.
#ifndef GRIDLEDGER_NET_ARCHIVE_SLICE_FOLLOWER_H_
#define GRIDLEDGER_NET_ARCHIVE_SLICE_FOLLOWER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/common/log.h"
#include "core/consensus/commit_verifier.h"
#include "core/consensus/committee.h"
#include "core/execution/genesis.h"
#include "net/node/checkpoint_store.h"
#include "net/node/commit_executor.h"
#include "net/node/commit_feed.h"
#include "net/node/config.h"
#include "net/node/market_events.h"
#include "net/node/market_service.h"
#include "net/node/pending_txs.h"
#include "net/proto/ledger.grpc.pb.h"
#include "storage/consensus_store.h"
#include "storage/node_store.h"

namespace gridledger::archive {

// The validator index in an archive's log lines ("[slice/65535]").
inline constexpr uint32_t kArchiveLogIndex = 0xffff;
// Wait between polls once a source has nothing new, and after a failure.
inline constexpr absl::Duration kFollowPollInterval = absl::Milliseconds(100);
// One FetchCommits or FetchCheckpoint call may take this long.
inline constexpr absl::Duration kFetchDeadline = absl::Seconds(10);
// Final checkpoints ahead of what is executed, kept to check later.
inline constexpr size_t kMaxPendingCheckpoints = 64;
// Messages in one FetchCommits answer (an honest one of 64 commits needs a
// few dozen; the byte bound holds anyway, this bounds empty ones).
inline constexpr size_t kMaxChunksPerAnswer = 1024;
// A source refused k times in a row sits out min(2^(k-1), this) turns.
inline constexpr uint32_t kMaxSourcePenaltyTurns = 64;

struct SliceFollowerStats {
  std::atomic<uint64_t> commits_executed{0};
  std::atomic<uint64_t> answers_refused{0};       // commits that did not verify
  std::atomic<uint64_t> checkpoints_refused{0};   // checkpoints without a valid quorum
  std::atomic<uint64_t> fetch_failures{0};        // unreachable, timed out, over rate
  std::atomic<uint64_t> source_switches{0};
  std::atomic<uint64_t> checkpoints_verified{0};  // roots compared equal
  std::atomic<uint64_t> root_mismatches{0};  // a final root (or commit digest) other than ours
  std::atomic<uint64_t> verified_through{0};      // highest sequence confirmed
  std::atomic<uint64_t> source_last_committed{0}; // the latest source's last commit
  std::atomic<bool> diverged{false};
};

class SliceFollower {
 public:
  // Opens (creating, seeded from genesis) the store under `dir`.
  static absl::StatusOr<std::unique_ptr<SliceFollower>> Open(
      const Genesis& genesis, SliceId slice, const std::string& dir,
      std::vector<node::HostPort> sources, Logger logger,
      std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials());
  ~SliceFollower();  // Stop()s.

  void Start();
  void Stop();  // idempotent

  SliceId slice() const { return slice_; }
  const consensus::Committee& committee() const { return *committee_; }
  storage::NodeStore* store() { return store_.get(); }
  storage::ConsensusStore* consensus_store() { return consensus_store_.get(); }
  node::CommitFeed* feed() { return feed_.get(); }
  node::MarketService* market() { return market_.get(); }
  const SliceFollowerStats& stats() const { return stats_; }
  uint64_t last_committed_sequence() const { return store_->last_committed_sequence(); }
  // The source's last commit minus ours (0 when ahead or unknown).
  uint64_t behind_commits() const;
  // The index (config order) of the source read now.
  size_t current_source() const { return source_.load(); }
  std::string current_source_address() const { return sources_[source_.load()].ToString(); }

 private:
  SliceFollower() = default;
  void Run();
  // One fetch from the current source: OK with whether commits were executed,
  // or why the source failed (refusals are counted by the caller).
  enum class Outcome { kProgress, kNothingNew, kGarbage, kUnreachable, kDiverged };
  Outcome FetchCommits();
  Outcome FetchCheckpoint();
  // Compares pending final checkpoints at or below what is executed.
  Outcome CheckPendingCheckpoints();
  // `penalize`: the source served what does not verify and sits out turns.
  void NextSource(absl::string_view why, bool penalize = false);
  gridledger::v1::ArchiveFeed::Stub* Stub(size_t source);

  SliceId slice_;
  Logger logger_;
  consensus::Parameters params_;
  std::unique_ptr<consensus::Committee> committee_;
  consensus::SchnorrChecker checker_;
  std::unique_ptr<consensus::CommitVerifier> verifier_;
  std::unique_ptr<storage::NodeStore> store_;
  std::unique_ptr<storage::ConsensusStore> consensus_store_;
  std::unique_ptr<node::CheckpointStore> checkpoints_;
  std::unique_ptr<node::CommitFeed> feed_;
  node::PendingTxs pending_;  // always empty: an archive admits nothing
  std::unique_ptr<node::MarketEventLog> market_events_;
  std::unique_ptr<node::MarketService> market_;
  std::unique_ptr<node::CommitExecutor> executor_;
  std::vector<node::HostPort> sources_;
  std::vector<std::unique_ptr<gridledger::v1::ArchiveFeed::Stub>> stubs_;

  // Follower thread only.
  std::vector<uint32_t> penalty_;  // per source: turns it sits out after its next refusal / 2
  std::vector<uint32_t> skip_;     // per source: turns still to sit out
  consensus::CommitChainState chain_;
  std::map<uint64_t, node::SignedCheckpoint> pending_checkpoints_;  // verified, ahead of us
  absl::Time last_divergence_log_ = absl::InfinitePast();

  std::atomic<size_t> source_{0};
  SliceFollowerStats stats_;
  // The fetch in flight, cancelled by Stop (set for the call's duration).
  class InFlight {
   public:
    InFlight(SliceFollower* follower, grpc::ClientContext* context);
    ~InFlight();

   private:
    SliceFollower* follower_;
  };
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* in_flight_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;
};

}  // namespace gridledger::archive

#endif  // GRIDLEDGER_NET_ARCHIVE_SLICE_FOLLOWER_H_
