// State sync and checkpoint catch-up (issue 11 item 4), on their own thread
// so neither the consensus thread nor the transport's waits for them.
//
// Serving: a snapshot is cut from ONE LMDB read transaction (a consistent
// commit: the execution state, its commit record and root, the consensus
// commit state and the committed certificates and batches from the GC
// horizon on), held in memory as chunks and reused for kSnapshotImageMaxAge;
// the read transaction is closed before anything is sent, so no long read
// blocks the map's growth. Peers fetch the manifest, then the chunks one at
// a time. Final checkpoints are served from the `checkpoints` table. A token
// bucket per peer bounds what it can make this node send; a request over it
// is dropped (the requester times out and asks another peer).
//
// Restoring (RequestRestore, from the consensus driver when its store is
// empty or its next commit is no longer served): manifest, then every chunk
// from one peer, each decoded strictly and hashed as it comes; the
// certificates verified (2f+1 votes each, rounds within the horizon) and
// every batch they name present and well-formed, the commit record's anchor,
// if among them, the leader's certificate of the last committed round; then
// the FINAL checkpoint of the snapshot's sequence from any peer, with 2f+1
// valid signatures of the genesis committee, whose state root must equal the
// snapshot's LtHash computed from scratch and whose commit digest must equal
// the manifest's last committed round and commit record hashed
// (consensus::CommitPositionDigest): where the restored validator rejoins
// consensus is what 2f+1 signed, not what the server says. Only then is
// everything written, in one synced
// write transaction (NodeStore::RestoreSnapshot with the consensus tip and
// the final checkpoint in it), and
// not by this thread: the verified snapshot waits for the consensus driver,
// which writes it (ApplyRestore) on its own thread between completing every
// commit queued before and reloading its core from the store. Written here,
// the store would hold the snapshot while the core still held its
// pre-restore DAG and commit state: an event handled in between could make
// a commit that executes against the restored store (refused, or applied
// out of order), and a commit queued before could run after the write.
// A peer whose chunk does not decode, whose certificates do not verify,
// whose snapshot does not hash to the final root or whose manifest's
// consensus position is not the final checkpoint's is counted
// (peers_refused) and the next peer is asked from the start.
//
// Checkpoint catch-up: every kCatchUpPeriod, the first sequence from the
// restart point (1, or the restored sequence) up to kCatchUpLagCommits
// below the last commit that has no final checkpoint stored is asked for
// (kCheckpointsPerRequest at a time, peers in turn, the next range as soon
// as an answer brought progress); each record is stored only with 2f+1
// valid signatures, our own state root at that sequence and, where we
// recorded it, our own commit digest (CommitDigestAt).
#ifndef GRIDLEDGER_NET_NODE_STATE_SYNC_H_
#define GRIDLEDGER_NET_NODE_STATE_SYNC_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/common/log.h"
#include "core/consensus/committee.h"
#include "core/consensus/params.h"
#include "core/consensus/signature_checker.h"
#include "net/node/checkpoint_store.h"
#include "net/node/state_sync_wire.h"
#include "storage/consensus_store.h"
#include "storage/node_store.h"
#include "storage/state_snapshot.h"

namespace gridledger::node {

inline constexpr absl::Duration kStateSyncRequestTimeout = absl::Seconds(3);
inline constexpr absl::Duration kSnapshotImageMaxAge = absl::Seconds(5);
// How long a restore waits for its snapshot's checkpoint to become final.
inline constexpr absl::Duration kSnapshotCheckpointWaitMax = absl::Seconds(10);
inline constexpr absl::Duration kSnapshotCheckpointRetry = absl::Milliseconds(200);
// After every peer failed to give a snapshot, the next attempt waits.
inline constexpr absl::Duration kRestoreHoldOff = absl::Seconds(2);
inline constexpr absl::Duration kCatchUpPeriod = absl::Seconds(1);
// How often a restore in progress checks its timeouts.
inline constexpr absl::Duration kStateSyncTickPeriod = absl::Milliseconds(50);
inline constexpr uint64_t kCatchUpLagCommits = 16;
inline constexpr size_t kMaxStateSyncEvents = 1024;
inline constexpr double kStateSyncServeBytesPerSecond = 64.0 * (1 << 20);
inline constexpr double kStateSyncServeBurstBytes = 64.0 * (1 << 20);
inline constexpr double kStateSyncRequestMinCostBytes = 4.0 * (1 << 10);

// How long a request, and the wait for the snapshot's final checkpoint, may
// take before the next peer is tried (tests shorten them).
struct StateSyncTimeouts {
  absl::Duration request = kStateSyncRequestTimeout;
  absl::Duration checkpoint_wait = kSnapshotCheckpointWaitMax;
};

struct StateSyncStats {
  // Serving.
  uint64_t snapshots_cut = 0;
  uint64_t manifests_served = 0;
  uint64_t chunks_served = 0;
  uint64_t checkpoint_requests_served = 0;
  uint64_t requests_over_rate = 0;
  uint64_t undecodable = 0;
  uint64_t dropped_events = 0;
  // Restoring.
  uint64_t restores_started = 0;
  uint64_t restores_done = 0;
  uint64_t peers_refused = 0;  // a bad chunk, certificate, root or consensus position
  uint64_t restored_sequence = 0;
  uint64_t restored_entries = 0;
  uint64_t restored_bytes = 0;
  // Checkpoint catch-up.
  uint64_t checkpoints_fetched = 0;
  uint64_t checkpoints_refused = 0;
};

class StateSync {
 public:
  using Send = std::function<void(ValidatorIndex to, Bytes bytes)>;
  // Everything must outlive this; `send` is called on its thread.
  StateSync(const consensus::Committee* committee, ValidatorIndex me,
            const consensus::Parameters& params, storage::NodeStore* store,
            storage::ConsensusStore* consensus_store, CheckpointStore* checkpoints, Send send);
  ~StateSync();  // Stop()s.

  // Before Start.
  void set_logger(Logger logger) { logger_ = std::move(logger); }
  // Called once a restore is durable, on the thread that wrote it (in
  // ApplyRestore, before it returns: the caller's core is not reloaded yet).
  // The commit feed, metrics; tests use it to act at that exact point.
  void set_on_restored(std::function<void(uint64_t sequence)> f) { on_restored_ = std::move(f); }
  void set_timeouts(const StateSyncTimeouts& timeouts) { timeouts_ = timeouts; }
  void Start();
  void Stop();

  // A peer frame starting with kStateSyncTag over validator `from`'s
  // authenticated link. Any thread; returns at once.
  void OnPeerMessage(ValidatorIndex from, ByteSpan bytes);

  // The consensus driver's side. True unless a restore runs or the last one
  // failed within kRestoreHoldOff.
  bool MayRestore() const;
  void RequestRestore();
  // True from RequestRestore until ApplyRestore returns or the restore is
  // abandoned: the caller's core must not handle events meanwhile.
  bool restoring() const;
  // True once a snapshot verified and waits for ApplyRestore.
  bool restore_ready() const;
  // The consensus driver's thread, once restore_ready(), after every commit
  // it queued has executed: writes the verified snapshot (one synced write)
  // and returns its sequence. The caller reloads its core from the store
  // before it handles anything else. FailedPrecondition when none waits or
  // the store already reached the snapshot's sequence (nothing written);
  // storage errors as they come (nothing written; retried after
  // kRestoreHoldOff).
  absl::StatusOr<uint64_t> ApplyRestore();
  // The consensus driver's thread, when it cannot apply the verified
  // snapshot (its outbox failed to drain): drops it, so the restore ends
  // (restoring() false, the next one after kRestoreHoldOff) instead of
  // waiting in kApplying forever. Nothing when none waits.
  void AbandonRestore();
  // True once after a restore ended without writing anything (refused,
  // failed, abandoned). Events the driver withheld from its core meanwhile
  // (verification results above all) are lost: it reloads its core from its
  // own store and rejoins, as after a restore.
  bool TakeEndedWithoutWrite();

  StateSyncStats stats() const;

 private:
  struct Frame {
    ValidatorIndex from;
    StateSyncMessage message;
  };
  struct Image {
    SnapshotManifest manifest;
    std::vector<Bytes> chunks;
    absl::Time cut_at;
  };
  struct Bucket {
    double tokens = kStateSyncServeBurstBytes;
    absl::Time updated = absl::InfinitePast();
  };
  // kApplying: verified and handed to ApplyRestore (verified_), which ends
  // it (restore_ended_).
  enum class Phase { kIdle, kManifest, kChunks, kCheckpoint, kApplying };
  // Everything ApplyRestore writes, checked.
  struct VerifiedRestore {
    std::unique_ptr<storage::SnapshotAssembler> assembler;
    storage::SnapshotPoint point;
    storage::ConsensusStore::CommitState tip;
    ConsensusPart consensus;
    SignedCheckpoint checkpoint;
    uint32_t peer = 0;
  };

  void Loop();
  void Handle(const Frame& frame);
  void Tick(absl::Time now);
  void SendTo(ValidatorIndex to, const StateSyncMessage& message);
  bool Charge(ValidatorIndex from, size_t bytes);
  // Serving.
  void ServeManifest(ValidatorIndex from);
  void ServeChunk(ValidatorIndex from, const ChunkRequest& request);
  void ServeCheckpoints(ValidatorIndex from, const CheckpointRequest& request);
  absl::Status CutImage();
  // Restoring.
  void BeginAttempt(absl::Time now);
  void AttemptFailed(const std::string& why, bool peer_fault, absl::Time now);
  void OnManifest(ValidatorIndex from, const SnapshotManifest& manifest, absl::Time now);
  void OnChunk(ValidatorIndex from, const SnapshotChunk& chunk, absl::Time now);
  void RequestChunk(absl::Time now);
  absl::Status VerifyConsensusPart() const;
  void OnSnapshotCheckpoint(const SignedCheckpoint& checkpoint, absl::Time now);
  // Hands the verified snapshot over to ApplyRestore.
  void HandOver(const SignedCheckpoint& checkpoint);
  // This thread: the handed-over restore ended.
  void OnRestoreEnded(uint64_t restored_sequence);
  // Under mu_: the restore is over without a write (TakeEndedWithoutWrite);
  // the next waits kRestoreHoldOff.
  void AbandonLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AskCheckpoint(absl::Time now);
  // Checkpoint catch-up (and the restore's checkpoint).
  void OnCheckpoints(ValidatorIndex from, const CheckpointsAnswer& answer, absl::Time now);
  void CatchUp(absl::Time now);
  uint32_t NextPeer(uint32_t after) const;

  const consensus::Committee& committee_;
  const ValidatorIndex me_;
  const consensus::Parameters params_;
  storage::NodeStore* store_;
  storage::ConsensusStore* consensus_store_;
  CheckpointStore* checkpoints_;
  Send send_;
  Logger logger_;
  std::function<void(uint64_t)> on_restored_;
  StateSyncTimeouts timeouts_;
  mutable consensus::SchnorrChecker checker_;

  // This thread only.
  std::optional<Image> image_;
  std::vector<Bucket> buckets_;
  Phase phase_ = Phase::kIdle;
  uint32_t peer_;
  uint32_t peers_tried_ = 0;
  absl::Time asked_at_ = absl::InfinitePast();
  absl::Time checkpoint_since_ = absl::InfinitePast();
  uint32_t checkpoint_peer_;
  SnapshotManifest manifest_;
  storage::CommitMeta commit_;
  // consensus::CommitPositionDigest of the manifest's round and commit record.
  Digest manifest_position_;
  std::unique_ptr<storage::SnapshotAssembler> assembler_;
  ConsensusPart consensus_;
  uint32_t next_chunk_ = 0;
  uint64_t catch_up_floor_ = 0;  // sequences at or below have no holes to fill
  uint32_t catch_up_peer_;
  absl::Time catch_up_asked_at_ = absl::InfinitePast();
  bool catch_up_outstanding_ = false;
  absl::Time last_catch_up_ = absl::InfinitePast();

  mutable absl::Mutex mu_;
  std::deque<Frame> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool restore_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool restoring_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time hold_off_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::unique_ptr<VerifiedRestore> verified_ ABSL_GUARDED_BY(mu_);
  // ApplyRestore -> this thread: the handed-over restore ended (its
  // sequence, or 0 when nothing was written).
  std::optional<uint64_t> restore_ended_ ABSL_GUARDED_BY(mu_);
  bool ended_without_write_ ABSL_GUARDED_BY(mu_) = false;
  StateSyncStats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_STATE_SYNC_H_
