#include "net/node/checkpoint_signer.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "core/common/thread_name.h"
#include "core/execution/receipt.h"
#include "core/execution/receipt_records.h"
#include "net/node/commit_position.h"

namespace gridledger::node {

namespace {
// Bound on final checkpoints held for a write that keeps failing (disk full):
// the oldest go first; they are certificates, the state is safe either way.
constexpr size_t kMaxUnwrittenFinals = 4096;
}  // namespace

CheckpointSigner::CheckpointSigner(const consensus::Committee* committee, ValidatorIndex me,
                                   const KeyPair* key, storage::NodeStore* store,
                                   const storage::ConsensusStore* consensus,
                                   CheckpointStore* finals, Broadcast broadcast)
    : committee_(*committee),
      me_(me),
      key_(*key),
      store_(store),
      consensus_(consensus),
      finals_store_(finals),
      broadcast_(std::move(broadcast)),
      pool_(committee, &checker_, store->last_committed_sequence()) {
  GL_CHECK(committee_.Contains(me_) && committee_.key(me_) == key_.public_key());
}

CheckpointSigner::~CheckpointSigner() { Stop(); }

void CheckpointSigner::Start() {
  GL_CHECK(!thread_.joinable());
  thread_ = std::thread([this] {
    NameThisThread("gl-ckpt-sign");
    Loop();
  });
}

void CheckpointSigner::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void CheckpointSigner::Push(Event event) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || queue_.size() >= kMaxCheckpointEvents) {
    ++stats_.dropped_events;
    return;
  }
  queue_.push_back(std::move(event));
}

void CheckpointSigner::OnCommitted(uint64_t sequence) { Push(Committed{sequence}); }

void CheckpointSigner::OnPeerMessage(ValidatorIndex from, ByteSpan bytes) {
  absl::StatusOr<consensus::CheckpointVote> vote = consensus::DecodeCheckpointVote(bytes);
  if (!vote.ok()) {
    absl::MutexLock lock(&mu_);
    ++stats_.undecodable;
    return;
  }
  Push(PeerVote{from, std::move(*vote)});
}

CheckpointSignerStats CheckpointSigner::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void CheckpointSigner::Loop() {
  for (;;) {
    std::deque<Event> events;
    bool stopping = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      // With nothing unwritten only an event wakes it (an idle validator
      // then costs no wake-ups here); else the write that is due.
      mu_.AwaitWithTimeout(absl::Condition(&ready),
                           unwritten_.empty()
                               ? absl::InfiniteDuration()
                               : unwritten_since_ + kCheckpointFlushPeriod - absl::Now());
      events.swap(queue_);
      stopping = stopping_;
    }
    for (Event& e : events) Handle(e);
    // Finals that came within one period share a write.
    if (stopping ||
        (!unwritten_.empty() && absl::Now() - unwritten_since_ >= kCheckpointFlushPeriod)) {
      Flush(/*ride=*/!stopping);
    }
    {
      absl::MutexLock lock(&mu_);
      stats_.pool = pool_.stats();
    }
    if (stopping) return;
  }
}

void CheckpointSigner::Handle(Event& event) {
  if (const auto* c = std::get_if<Committed>(&event)) {
    SignOwn(c->sequence);
    return;
  }
  auto& peer = std::get<PeerVote>(event);
  absl::StatusOr<std::vector<SignedCheckpoint>> finals = pool_.AddPeer(peer.from, peer.vote);
  if (!finals.ok()) {
    if (absl::IsFailedPrecondition(finals.status())) {  // every one: it means divergence
      logger_.Error(absl::StrCat("checkpoints: STATE ROOT MISMATCH: ", finals.status().message()));
      return;
    }
    // Other refusals: one line per period, however fast a peer sends them.
    ++refusals_unlogged_;
    if (absl::Now() - last_refusal_log_ >= kCheckpointRefusalLogPeriod) {
      logger_.Warn(absl::StrCat("checkpoints: refused ", refusals_unlogged_,
                                " checkpoint votes, latest: ", finals.status().message()));
      refusals_unlogged_ = 0;
      last_refusal_log_ = absl::Now();
    }
    return;
  }
  Finalized(std::move(*finals));
}

void CheckpointSigner::SignOwn(uint64_t sequence) {
  absl::StatusOr<Digest> root = store_->StateRootAt(sequence);
  if (!root.ok()) {
    logger_.Error(absl::StrCat("checkpoints: no state root for commit ", sequence, ": ",
                               root.status().message()));
    return;
  }
  // The commit's receipts root, from its 'q' record (receipt_records.h).
  absl::StatusOr<Digest> receipts_root = [&]() -> absl::StatusOr<Digest> {
    GL_ASSIGN_OR_RETURN(std::unique_ptr<storage::StoreStateView> view, store_->Snapshot());
    GL_ASSIGN_OR_RETURN(auto destinations, CommitDestinations(*view, sequence));
    return ReceiptsRootOf(destinations);
  }();
  if (!receipts_root.ok()) {
    logger_.Error(absl::StrCat("checkpoints: no receipts root for commit ", sequence, ": ",
                               receipts_root.status().message()));
    return;
  }
  // The consensus position a validator restored at this sequence rejoins at.
  absl::StatusOr<Digest> commit_digest = CommitDigestAt(*store_, *consensus_, sequence);
  if (!commit_digest.ok()) {
    logger_.Error(absl::StrCat("checkpoints: no commit digest for commit ", sequence, ": ",
                               commit_digest.status().message()));
    return;
  }
  consensus::CheckpointVote vote;
  vote.checkpoint.receipts_root = *receipts_root;
  vote.checkpoint.commit_digest = *commit_digest;
  vote.checkpoint.chain_id = committee_.chain_id();
  vote.checkpoint.slice = committee_.slice();
  vote.checkpoint.sequence = sequence;
  vote.checkpoint.state_root = *root;
  vote.signer = me_;
  vote.signature = key_.Sign(consensus::CheckpointDigest(vote.checkpoint));
  broadcast_(consensus::EncodeCheckpointVote(vote));
  std::vector<std::string> divergence;
  std::vector<SignedCheckpoint> finals = pool_.AddOwn(vote, &divergence);
  for (const std::string& line : divergence) {
    logger_.Error(absl::StrCat("checkpoints: STATE ROOT MISMATCH: ", line));
  }
  {
    absl::MutexLock lock(&mu_);
    ++stats_.signed_own;
  }
  Finalized(std::move(finals));
}

void CheckpointSigner::Finalized(std::vector<SignedCheckpoint> finals) {
  if (finals.empty()) return;
  if (unwritten_.empty()) unwritten_since_ = absl::Now();
  for (SignedCheckpoint& f : finals) unwritten_.push_back(std::move(f));
  if (unwritten_.size() > kMaxUnwrittenFinals) {
    unwritten_.erase(unwritten_.begin(),
                     unwritten_.begin() + (unwritten_.size() - kMaxUnwrittenFinals));
  }
}

void CheckpointSigner::Flush(bool ride) {
  if (unwritten_.empty()) return;
  // At stop the outbox may already be gone: nothing would take the ride.
  absl::Status s = ride ? finals_store_->WriteRiding(unwritten_, committee_.quorum(),
                                                    kCheckpointRideWait)
                        : finals_store_->Write(unwritten_, committee_.quorum());
  absl::MutexLock lock(&mu_);
  if (!s.ok()) {
    unwritten_since_ = absl::Now();  // tried again a period later
    ++stats_.write_errors;
    logger_.Error(absl::StrCat("checkpoints: storing ", unwritten_.size(),
                               " final checkpoints: ", s.message()));
    return;
  }
  stats_.stored += unwritten_.size();
  unwritten_.clear();
}

}  // namespace gridledger::node
