#include "net/node/state_sync.h"

#include <algorithm>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "core/common/thread_name.h"
#include "core/consensus/checkpoint.h"
#include "net/node/commit_position.h"
#include "net/node/final_checkpoint.h"

namespace gridledger::node {

StateSync::StateSync(const consensus::Committee* committee, ValidatorIndex me,
                     const consensus::Parameters& params, storage::NodeStore* store,
                     storage::ConsensusStore* consensus_store, CheckpointStore* checkpoints,
                     Send send)
    : committee_(*committee),
      me_(me),
      params_(params),
      store_(store),
      consensus_store_(consensus_store),
      checkpoints_(checkpoints),
      send_(std::move(send)),
      buckets_(committee->size()),
      peer_(me.value()),
      checkpoint_peer_(me.value()),
      catch_up_peer_(me.value()) {}

StateSync::~StateSync() { Stop(); }

void StateSync::Start() {
  GL_CHECK(!thread_.joinable());
  // A restored store has no checkpoints below its restore point to fill.
  absl::StatusOr<std::optional<uint64_t>> from = store_->StateSyncedFrom();
  catch_up_floor_ = from.ok() && from->has_value() ? **from : 0;
  thread_ = std::thread([this] {
    NameThisThread("gl-state-sync");
    Loop();
  });
}

void StateSync::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void StateSync::OnPeerMessage(ValidatorIndex from, ByteSpan bytes) {
  absl::StatusOr<StateSyncMessage> message = DecodeStateSync(bytes);
  absl::MutexLock lock(&mu_);
  if (!message.ok()) {
    ++stats_.undecodable;
    return;
  }
  if (stopping_ || queue_.size() >= kMaxStateSyncEvents) {
    ++stats_.dropped_events;
    return;
  }
  queue_.push_back(Frame{from, std::move(*message)});
}

bool StateSync::MayRestore() const {
  absl::MutexLock lock(&mu_);
  return !restoring_ && !restore_requested_ && absl::Now() >= hold_off_until_;
}

void StateSync::RequestRestore() {
  absl::MutexLock lock(&mu_);
  if (restoring_) return;
  restoring_ = true;
  restore_requested_ = true;
}

bool StateSync::restoring() const {
  absl::MutexLock lock(&mu_);
  return restoring_;
}

bool StateSync::restore_ready() const {
  absl::MutexLock lock(&mu_);
  return verified_ != nullptr;
}

void StateSync::AbandonLocked(absl::Time now) {
  restoring_ = false;
  ended_without_write_ = true;
  hold_off_until_ = now + kRestoreHoldOff;
}

bool StateSync::TakeEndedWithoutWrite() {
  absl::MutexLock lock(&mu_);
  const bool ended = ended_without_write_;
  ended_without_write_ = false;
  return ended;
}

void StateSync::AbandonRestore() {
  absl::MutexLock lock(&mu_);
  if (verified_ == nullptr) return;
  verified_.reset();
  restore_ended_ = 0;  // this thread leaves kApplying
  AbandonLocked(absl::Now());
}

StateSyncStats StateSync::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void StateSync::Loop() {
  for (;;) {
    std::deque<Frame> frames;
    bool begin = false;
    std::optional<uint64_t> ended;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty() || restore_requested_ || restore_ended_.has_value();
      };
      // Idle, the only timer is the catch-up period: waking every 50 ms for
      // nothing cost an idle validator ~0.2 % of a core. Never sooner than
      // 50 ms, so the first catch-up after start-up keeps its old timing.
      const absl::Duration wait =
          phase_ == Phase::kIdle
              ? std::max(kStateSyncTickPeriod, last_catch_up_ + kCatchUpPeriod - absl::Now())
              : kStateSyncTickPeriod;
      mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
      if (stopping_) return;
      frames.swap(queue_);
      begin = restore_requested_;
      restore_requested_ = false;
      ended = restore_ended_;
      restore_ended_.reset();
    }
    if (ended.has_value()) OnRestoreEnded(*ended);
    if (begin && phase_ == Phase::kIdle) {
      {
        absl::MutexLock lock(&mu_);
        ++stats_.restores_started;
      }
      peers_tried_ = 0;
      logger_.Info(absl::StrCat("state sync: restoring from a snapshot (store at sequence ",
                                store_->last_committed_sequence(), ")"));
      BeginAttempt(absl::Now());
    }
    for (const Frame& f : frames) Handle(f);
    Tick(absl::Now());
  }
}

uint32_t StateSync::NextPeer(uint32_t after) const {
  const uint32_t n = static_cast<uint32_t>(committee_.size());
  uint32_t p = (after + 1) % n;
  if (p == me_.value()) p = (p + 1) % n;
  return p;
}

void StateSync::SendTo(ValidatorIndex to, const StateSyncMessage& message) {
  send_(to, EncodeStateSync(message));
}

bool StateSync::Charge(ValidatorIndex from, size_t bytes) {
  Bucket& b = buckets_[from.value()];
  const absl::Time now = absl::Now();
  if (b.updated != absl::InfinitePast()) {
    b.tokens = std::min(kStateSyncServeBurstBytes,
                        b.tokens + absl::ToDoubleSeconds(now - b.updated) *
                                       kStateSyncServeBytesPerSecond);
  }
  b.updated = now;
  const double cost = std::max(kStateSyncRequestMinCostBytes, static_cast<double>(bytes));
  if (b.tokens < cost) {
    absl::MutexLock lock(&mu_);
    ++stats_.requests_over_rate;
    return false;
  }
  b.tokens -= cost;
  return true;
}

void StateSync::Handle(const Frame& f) {
  if (f.from.value() >= committee_.size() || f.from == me_) return;
  const absl::Time now = absl::Now();
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, ManifestRequest>) {
          ServeManifest(f.from);
        } else if constexpr (std::is_same_v<T, ChunkRequest>) {
          ServeChunk(f.from, m);
        } else if constexpr (std::is_same_v<T, CheckpointRequest>) {
          ServeCheckpoints(f.from, m);
        } else if constexpr (std::is_same_v<T, SnapshotManifest>) {
          OnManifest(f.from, m, now);
        } else if constexpr (std::is_same_v<T, SnapshotChunk>) {
          OnChunk(f.from, m, now);
        } else if constexpr (std::is_same_v<T, CheckpointsAnswer>) {
          OnCheckpoints(f.from, m, now);
        }
      },
      f.message);
}

// ---- Serving ----

absl::Status StateSync::CutImage() {
  Image image;
  image.cut_at = absl::Now();
  SnapshotManifest& m = image.manifest;
  {
    GL_ASSIGN_OR_RETURN(storage::ReadTxn txn, store_->env().BeginRead());
    const storage::NodeTables& tables = store_->tables();
    GL_ASSIGN_OR_RETURN(m.sequence, storage::ReadLastCommittedSequence(txn, tables));
    if (m.sequence == 0) return absl::UnavailableError("nothing committed");
    GL_ASSIGN_OR_RETURN(std::optional<storage::ConsensusStore::CommitState> state,
                        consensus_store_->ReadCommitState(txn));
    if (!state.has_value() || state->next_commit_index != m.sequence) {
      return absl::UnavailableError("consensus commit record not at the store's sequence");
    }
    // Only a whole anchor's state: cut between two pieces of one anchor, the
    // consensus part would lack the certificates the earlier pieces
    // committed, and the restored validator could take neither the anchor's
    // next pieces nor re-cut it the same way. A restored store's own
    // sequence has no record (NotFound): it was served whole.
    absl::StatusOr<bool> whole = consensus_store_->IsAnchorsLastPieceIn(txn, m.sequence);
    if (!whole.ok() && !absl::IsNotFound(whole.status())) return whole.status();
    if (whole.ok() && !*whole) {
      return absl::UnavailableError("the last commit is not its anchor's last piece");
    }
    m.last_committed_round = state->last_committed_round.value();
    const auto key = storage::EncodeCommitKey(m.sequence);
    GL_ASSIGN_OR_RETURN(ByteSpan record, txn.Get(tables.commits, key));
    m.commit_record.assign(record.begin(), record.end());
    GL_ASSIGN_OR_RETURN(ByteSpan root, txn.Get(tables.state_roots, key));
    if (root.size() != Digest::kSize) return absl::DataLossError("corrupt state_roots record");
    m.state_root = Digest::FromSpan(root);
    GL_ASSIGN_OR_RETURN(image.chunks, storage::CutStateChunks(txn, tables));
    const uint64_t r = m.last_committed_round;
    const Round gc(r > params_.gc_depth ? r - params_.gc_depth : 0);
    ConsensusPart part;
    GL_RETURN_IF_ERROR(consensus_store_->ReadCommitted(txn, Round(std::max<uint64_t>(gc.value(), 1)),
                                                       Round(r), &part.certificates,
                                                       &part.batches));
    std::vector<Bytes> consensus = CutConsensusChunks(part, storage::kSnapshotChunkBytesMax);
    m.state_chunks = static_cast<uint32_t>(image.chunks.size());
    m.consensus_chunks = static_cast<uint32_t>(consensus.size());
    for (Bytes& c : consensus) image.chunks.push_back(std::move(c));
  }  // the read transaction ends before anything is sent
  if (image.chunks.size() > storage::kSnapshotChunksMax || m.state_chunks == 0) {
    return absl::ResourceExhaustedError("snapshot has too many chunks or none");
  }
  m.available = true;
  image_ = std::move(image);
  absl::MutexLock lock(&mu_);
  ++stats_.snapshots_cut;
  return absl::OkStatus();
}

void StateSync::ServeManifest(ValidatorIndex from) {
  if (!Charge(from, 0)) return;
  const bool stale = !image_.has_value() ||
                     (absl::Now() - image_->cut_at >= kSnapshotImageMaxAge &&
                      store_->last_committed_sequence() > image_->manifest.sequence);
  if (stale) {
    absl::Status s = CutImage();
    // An older image is still a verified whole-anchor state: the restored
    // validator catches up from it (a cut may wait for an anchor's last piece).
    if (!s.ok() && !image_.has_value()) {
      logger_.Warn(absl::StrCat("state sync: no snapshot to serve: ", s.message()));
      SendTo(from, SnapshotManifest{});
      return;
    }
  }
  {
    absl::MutexLock lock(&mu_);
    ++stats_.manifests_served;
  }
  SendTo(from, image_->manifest);
}

void StateSync::ServeChunk(ValidatorIndex from, const ChunkRequest& request) {
  if (!image_.has_value() || image_->manifest.sequence != request.sequence ||
      request.index >= image_->chunks.size()) {
    if (Charge(from, 0)) SendTo(from, SnapshotChunk{request.sequence, request.index, {}});
    return;
  }
  const Bytes& chunk = image_->chunks[request.index];
  if (!Charge(from, chunk.size())) return;
  {
    absl::MutexLock lock(&mu_);
    ++stats_.chunks_served;
  }
  SendTo(from, SnapshotChunk{request.sequence, request.index, chunk});
}

void StateSync::ServeCheckpoints(ValidatorIndex from, const CheckpointRequest& request) {
  if (!Charge(from, size_t{request.count} * 512)) return;
  absl::StatusOr<std::vector<Bytes>> records = checkpoints_->Records(request.from, request.count);
  if (!records.ok()) return;
  {
    absl::MutexLock lock(&mu_);
    ++stats_.checkpoint_requests_served;
  }
  SendTo(from, CheckpointsAnswer{std::move(*records)});
}

// ---- Restoring ----

void StateSync::BeginAttempt(absl::Time now) {
  phase_ = Phase::kManifest;
  peer_ = NextPeer(peer_);
  assembler_.reset();
  consensus_ = ConsensusPart{};
  next_chunk_ = 0;
  asked_at_ = now;
  SendTo(ValidatorIndex(peer_), ManifestRequest{});
}

void StateSync::AttemptFailed(const std::string& why, bool peer_fault, absl::Time now) {
  if (peer_fault) {
    absl::MutexLock lock(&mu_);
    ++stats_.peers_refused;
  }
  logger_.Warn(absl::StrCat("state sync: validator ", peer_, (peer_fault ? " refused: " : ": "),
                            why));
  assembler_.reset();
  consensus_ = ConsensusPart{};
  if (++peers_tried_ >= committee_.size() - 1) {
    phase_ = Phase::kIdle;
    logger_.Warn("state sync: no peer gave a verified snapshot; trying again later");
    absl::MutexLock lock(&mu_);
    AbandonLocked(now);
    return;
  }
  BeginAttempt(now);
}

void StateSync::OnManifest(ValidatorIndex from, const SnapshotManifest& m, absl::Time now) {
  if (phase_ != Phase::kManifest || from.value() != peer_) return;
  if (!m.available || m.sequence <= store_->last_committed_sequence()) {
    AttemptFailed("no snapshot beyond our last commit", /*peer_fault=*/false, now);
    return;
  }
  absl::StatusOr<storage::CommitMeta> commit = storage::DecodeCommitRecord(m.commit_record);
  if (!commit.ok()) {
    AttemptFailed(absl::StrCat("manifest commit record: ", commit.status().message()), true, now);
    return;
  }
  manifest_ = m;
  commit_ = *commit;
  // What the snapshot's final checkpoint must sign (checked once it comes).
  manifest_position_ =
      consensus::CommitPositionDigest(Round(m.last_committed_round), m.commit_record);
  assembler_ = std::make_unique<storage::SnapshotAssembler>();
  consensus_ = ConsensusPart{};
  next_chunk_ = 0;
  phase_ = Phase::kChunks;
  RequestChunk(now);
}

void StateSync::RequestChunk(absl::Time now) {
  asked_at_ = now;
  SendTo(ValidatorIndex(peer_), ChunkRequest{manifest_.sequence, next_chunk_});
}

void StateSync::OnChunk(ValidatorIndex from, const SnapshotChunk& c, absl::Time now) {
  if (phase_ != Phase::kChunks || from.value() != peer_ || c.sequence != manifest_.sequence ||
      c.index != next_chunk_) {
    return;  // not the one asked for (a late answer)
  }
  if (c.payload.empty()) {
    AttemptFailed("the snapshot is gone (cut again)", false, now);
    return;
  }
  absl::Status s = c.index < manifest_.state_chunks
                       ? assembler_->Add(c.payload)
                       : DecodeConsensusChunk(c.payload, &consensus_);
  if (!s.ok()) {
    AttemptFailed(absl::StrCat("chunk ", c.index, ": ", s.message()), true, now);
    return;
  }
  ++next_chunk_;
  if (next_chunk_ < manifest_.state_chunks + manifest_.consensus_chunks) {
    RequestChunk(now);
    return;
  }
  if (absl::Status v = VerifyConsensusPart(); !v.ok()) {
    AttemptFailed(absl::StrCat("consensus part: ", v.message()), true, now);
    return;
  }
  phase_ = Phase::kCheckpoint;
  checkpoint_since_ = now;
  checkpoint_peer_ = peer_;
  // Our own table may already hold it (a node that was behind, not wiped).
  if (auto own = checkpoints_->Get(manifest_.sequence); own.ok()) {
    OnSnapshotCheckpoint(*own, now);
    return;
  }
  AskCheckpoint(now);
}

void StateSync::AskCheckpoint(absl::Time now) {
  asked_at_ = now;
  SendTo(ValidatorIndex(checkpoint_peer_), CheckpointRequest{manifest_.sequence, 1});
  checkpoint_peer_ = NextPeer(checkpoint_peer_);
}

absl::Status StateSync::VerifyConsensusPart() const {
  const uint64_t r = manifest_.last_committed_round;
  const uint64_t gc = r > params_.gc_depth ? r - params_.gc_depth : 0;
  absl::flat_hash_set<Digest> certs;
  absl::flat_hash_map<Digest, ValidatorIndex> wanted;  // batch -> its certificate's author
  const consensus::Certificate* anchor = nullptr;      // the commit record's, if carried
  for (const consensus::Certificate& c : consensus_.certificates) {
    const uint64_t round = c.header.round.value();
    if (round == 0 || round < gc || round > r) {
      return absl::InvalidArgumentError(absl::StrCat("certificate of round ", round,
                                                     " outside [", gc, ", ", r, "]"));
    }
    const Digest d = consensus::CertificateDigest(c);
    if (!certs.insert(d).second) return absl::InvalidArgumentError("a certificate twice");
    if (d == commit_.anchor) anchor = &c;
    GL_RETURN_IF_ERROR(
        consensus::VerifyCertificate(c, d, committee_, checker_));
    if (c.header.batches.size() > params_.header_batches_max) {
      return absl::InvalidArgumentError("a certificate over header_batches_max batches");
    }
    for (const Digest& b : c.header.batches) wanted.emplace(b, c.header.author);
  }
  absl::flat_hash_set<Digest> got;
  for (const consensus::Batch& b : consensus_.batches) {
    const Digest d = consensus::BatchDigest(b);
    auto it = wanted.find(d);
    if (it == wanted.end() || it->second != b.author) {
      return absl::InvalidArgumentError("a batch no certificate names (or of another author)");
    }
    if (!got.insert(d).second) return absl::InvalidArgumentError("a batch twice");
    GL_RETURN_IF_ERROR(
        consensus::VerifyBatchShape(b, committee_, params_.batch_bytes, params_.batch_txs_max));
  }
  if (got.size() != wanted.size()) {
    return absl::InvalidArgumentError(absl::StrCat(wanted.size() - got.size(),
                                                   " batches of the certificates missing"));
  }
  // The commit record's anchor, when the part carries it, is the anchor of
  // the last committed round: its leader's certificate of round r (the
  // anchor's last piece). Otherwise it is of a later round (an earlier piece
  // of an anchor, bullshark.h), which the part does not reach.
  if (anchor != nullptr) {
    // Rounds are the server's: only an anchor round has a leader to ask for.
    const Round round = anchor->header.round;
    if (round.value() != r || !consensus::Committee::IsAnchorRound(round) ||
        anchor->header.author != committee_.Leader(round)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the commit record's anchor ", commit_.anchor.ShortHex(), " is validator ",
          anchor->header.author.value(), "'s certificate of round ", round.value(),
          ", not the anchor of the last committed round ", r));
    }
  }
  return absl::OkStatus();
}

void StateSync::OnSnapshotCheckpoint(const SignedCheckpoint& checkpoint, absl::Time now) {
  if (checkpoint.checkpoint.state_root != assembler_->Root()) {
    AttemptFailed(absl::StrCat("snapshot of sequence ", manifest_.sequence, " hashes to ",
                               assembler_->Root().ShortHex(), ", its final checkpoint says ",
                               checkpoint.checkpoint.state_root.ShortHex()),
                  true, now);
    return;
  }
  // The round and commit record the manifest says we rejoin at are the
  // ones 2f+1 validators signed for this sequence, not the server's choice.
  if (checkpoint.checkpoint.commit_digest != manifest_position_) {
    AttemptFailed(absl::StrCat("the manifest's consensus position at sequence ",
                               manifest_.sequence, " (last committed round ",
                               manifest_.last_committed_round, ", commit record anchor ",
                               commit_.anchor.ShortHex(), ") hashes to ",
                               manifest_position_.ShortHex(), ", its final checkpoint says ",
                               checkpoint.checkpoint.commit_digest.ShortHex()),
                  true, now);
    return;
  }
  HandOver(checkpoint);
}

void StateSync::HandOver(const SignedCheckpoint& checkpoint) {
  auto verified = std::make_unique<VerifiedRestore>();
  verified->point.sequence = manifest_.sequence;
  verified->point.state_root = checkpoint.checkpoint.state_root;
  verified->point.commit = commit_;
  verified->tip = storage::ConsensusStore::CommitState{Round(manifest_.last_committed_round),
                                                       manifest_.sequence};
  verified->assembler = std::move(assembler_);
  verified->consensus = std::move(consensus_);
  consensus_ = ConsensusPart{};
  verified->checkpoint = checkpoint;
  verified->peer = peer_;
  phase_ = Phase::kApplying;
  absl::MutexLock lock(&mu_);
  verified_ = std::move(verified);
}

absl::StatusOr<uint64_t> StateSync::ApplyRestore() {
  std::unique_ptr<VerifiedRestore> v;
  {
    absl::MutexLock lock(&mu_);
    v = std::move(verified_);
  }
  if (v == nullptr) return absl::FailedPreconditionError("no verified snapshot waits");
  const absl::Time started = absl::Now();
  absl::Status s;
  if (v->point.sequence <= store_->last_committed_sequence()) {
    // The commits queued before the restore brought the store this far.
    s = absl::FailedPreconditionError(absl::StrCat(
        "the store reached sequence ", store_->last_committed_sequence(),
        ", the snapshot is of ", v->point.sequence));
  } else {
    // One write transaction: state, consensus tip and the final checkpoint
    // land together or not at all (a restored store without its checkpoint
    // would never fetch it: catch-up starts above the restored sequence).
    s = store_->RestoreSnapshot(*v->assembler, v->point, [&](storage::WriteTxn& txn) {
      GL_RETURN_IF_ERROR(consensus_store_->WriteRestoredTip(
          txn, v->tip, v->consensus.certificates, v->consensus.batches));
      return checkpoints_->WriteIn(txn, {v->checkpoint}, committee_.quorum());
    });
  }
  if (!s.ok()) {
    // Nothing a peer did (the snapshot verified). Try again later.
    logger_.Error(absl::StrCat("state sync: writing the snapshot failed: ", s.message()));
    absl::MutexLock lock(&mu_);
    AbandonLocked(absl::Now());
    restore_ended_ = 0;
    return s;
  }
  const uint64_t sequence = v->point.sequence;
  logger_.Info(absl::StrCat("state sync: restored sequence ", sequence, " from validator ",
                            v->peer, " (", v->assembler->entries().size(), " entries, ",
                            v->assembler->bytes(), " bytes, ", v->consensus.certificates.size(),
                            " certificates; written in ",
                            absl::FormatDuration(absl::Now() - started), ")"));
  if (on_restored_) on_restored_(sequence);
  absl::MutexLock lock(&mu_);
  ++stats_.restores_done;
  stats_.restored_sequence = sequence;
  stats_.restored_entries = v->assembler->entries().size();
  stats_.restored_bytes = v->assembler->bytes();
  restore_ended_ = sequence;
  restoring_ = false;
  return sequence;
}

void StateSync::OnRestoreEnded(uint64_t restored_sequence) {
  if (phase_ != Phase::kApplying) return;
  phase_ = Phase::kIdle;
  if (restored_sequence > 0) catch_up_floor_ = restored_sequence;
}

// ---- Final checkpoints (the restore's, and catch-up) ----

void StateSync::OnCheckpoints(ValidatorIndex from, const CheckpointsAnswer& answer,
                              absl::Time now) {
  if (from.value() == catch_up_peer_) catch_up_outstanding_ = false;
  std::vector<SignedCheckpoint> verified;
  uint64_t refused = 0;
  for (const Bytes& record : answer.records) {
    absl::StatusOr<SignedCheckpoint> c = DecodeSignedCheckpoint(record);
    if (!c.ok() || !VerifyFinalCheckpoint(*c, committee_, checker_).ok()) {
      ++refused;
      continue;
    }
    const uint64_t sequence = c->checkpoint.sequence;
    if (phase_ == Phase::kCheckpoint && sequence == manifest_.sequence) {
      OnSnapshotCheckpoint(*c, now);
      continue;
    }
    if (sequence <= catch_up_floor_ || sequence > store_->last_committed_sequence()) continue;
    absl::StatusOr<Digest> ours = store_->StateRootAt(sequence);
    if (!ours.ok()) continue;
    if (*ours != c->checkpoint.state_root) {
      logger_.Error(absl::StrCat("checkpoints: STATE ROOT MISMATCH: final checkpoint ", sequence,
                                 " from validator ", from.value(), " has root ",
                                 c->checkpoint.state_root.ShortHex(), ", ours is ",
                                 ours->ShortHex()));
      ++refused;
      continue;
    }
    // The consensus position too, where we recorded ours (not at a restored
    // sequence): the same state reached from another position is divergence.
    absl::StatusOr<std::optional<Digest>> position =
        RecordedCommitDigestAt(*store_, *consensus_store_, sequence);
    if (!position.ok()) {
      logger_.Error(absl::StrCat("checkpoints: our commit digest of ", sequence, ": ",
                                 position.status().message()));
      ++refused;
      continue;
    }
    if (position->has_value() && **position != c->checkpoint.commit_digest) {
      logger_.Error(absl::StrCat("checkpoints: COMMIT DIGEST MISMATCH: final checkpoint ",
                                 sequence, " from validator ", from.value(), " has commit digest ",
                                 c->checkpoint.commit_digest.ShortHex(), ", ours is ",
                                 (*position)->ShortHex()));
      ++refused;
      continue;
    }
    verified.push_back(std::move(*c));
  }
  if (!verified.empty()) {
    absl::Status s = checkpoints_->Write(verified, committee_.quorum());
    if (!s.ok()) logger_.Error(absl::StrCat("checkpoints: storing fetched: ", s.message()));
  }
  {
    absl::MutexLock lock(&mu_);
    stats_.checkpoints_fetched += verified.size();
    stats_.checkpoints_refused += refused;
  }
  if (!verified.empty()) CatchUp(now);  // progress: ask for the next range at once
}

void StateSync::CatchUp(absl::Time now) {
  last_catch_up_ = now;
  if (phase_ != Phase::kIdle) return;
  if (catch_up_outstanding_ && now - catch_up_asked_at_ < timeouts_.request) return;
  const uint64_t last = store_->last_committed_sequence();
  if (last <= catch_up_floor_ + kCatchUpLagCommits) return;
  const uint64_t to = last - kCatchUpLagCommits;
  absl::StatusOr<std::optional<uint64_t>> missing =
      checkpoints_->FirstMissing(catch_up_floor_ + 1, to);
  if (!missing.ok()) return;
  if (!missing->has_value()) {
    catch_up_floor_ = to;
    return;
  }
  catch_up_floor_ = **missing - 1;
  const uint32_t count =
      static_cast<uint32_t>(std::min<uint64_t>(kCheckpointsPerRequest, to - **missing + 1));
  catch_up_peer_ = NextPeer(catch_up_peer_);
  catch_up_outstanding_ = true;
  catch_up_asked_at_ = now;
  SendTo(ValidatorIndex(catch_up_peer_), CheckpointRequest{**missing, count});
}

void StateSync::Tick(absl::Time now) {
  switch (phase_) {
    case Phase::kIdle:
      if (now - last_catch_up_ >= kCatchUpPeriod) CatchUp(now);
      break;
    case Phase::kManifest:
    case Phase::kChunks:
      if (now - asked_at_ >= timeouts_.request) {
        AttemptFailed("no answer in time", false, now);
      }
      break;
    case Phase::kCheckpoint:
      if (now - checkpoint_since_ >= timeouts_.checkpoint_wait) {
        AttemptFailed(absl::StrCat("no final checkpoint of sequence ", manifest_.sequence),
                      false, now);
      } else if (now - asked_at_ >= kSnapshotCheckpointRetry) {
        AskCheckpoint(now);
      }
      break;
    case Phase::kApplying:
      break;  // the consensus driver's turn (ApplyRestore)
  }
}

}  // namespace gridledger::node
