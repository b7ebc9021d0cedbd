#include "core/consensus/core.h"

#include <algorithm>
#include <utility>

#include "core/common/check.h"

namespace gridledger::consensus {

// Retries of one missing item before it is forgotten (it is noted again, with
// a fresh peer rotation, if still needed).
static constexpr uint32_t kMaxFetchAttempts = 8;

struct Core::Output {
  std::vector<Action> actions;
  void Send(ValidatorIndex to, Message m) {
    actions.push_back(SendAction{to, std::move(m)});
  }
  void Broadcast(Message m) { actions.push_back(SendAction{std::nullopt, std::move(m)}); }
  // An ack promises the batch is stored, in memory: it need not wait for the
  // records before it (SendAction::waits_for_records).
  void Ack(ValidatorIndex to, const Digest& batch, bool verified) {
    actions.push_back(SendAction{to, BatchAck{batch, verified}, /*waits_for_records=*/false});
  }
  // An own batch pushed to peers (to = nullopt: all) promises nothing either:
  // it need not wait for its BatchRecord (persistence.h).
  void PushOwnBatch(std::optional<ValidatorIndex> to, Batch batch) {
    actions.push_back(SendAction{to, std::move(batch), /*waits_for_records=*/false});
  }
  // An own certificate is a proof (2f+1 signatures), not a promise: it need
  // not wait for its CertificateRecord (persistence.h).
  void BroadcastOwnCertificate(Certificate cert) {
    actions.push_back(SendAction{std::nullopt, std::move(cert), /*waits_for_records=*/false});
  }
  void Persist(PersistRecord r) { actions.push_back(PersistAction{std::move(r)}); }
};

absl::Status ValidateParameters(const Parameters& p) {
  auto invalid = [](const std::string& what) {
    return absl::InvalidArgumentError("consensus parameters: " + what);
  };
  if (p.batch_bytes == 0) return invalid("batch_bytes must be positive");
  if (p.batch_txs_max < 1 || p.batch_txs_max > kMaxBatchTransactions) {
    return invalid("batch_txs_max must be 1.." + std::to_string(kMaxBatchTransactions));
  }
  if (p.header_batches_max < 1 || p.header_batches_max > kMaxHeaderBatches) {
    return invalid("header_batches_max must be 1.." + std::to_string(kMaxHeaderBatches));
  }
  if (p.gc_depth < 2) return invalid("gc_depth must be at least 2");
  // One certificate, the most a peer can make honest nodes vote for, must fit
  // one commit: then every commit can be cut into pieces execution accepts.
  if (p.header_batches_max * p.batch_txs_max > kMaxCommitTransactions) {
    return invalid("header_batches_max x batch_txs_max exceeds the commit bound " +
                   std::to_string(kMaxCommitTransactions) + " transactions");
  }
  const size_t batch_payload_max = p.batch_bytes + kMaxTransactionBytes;
  if (p.batch_bytes > kMaxCommitBytes ||
      p.header_batches_max * batch_payload_max > kMaxCommitBytes) {
    return invalid("header_batches_max x batch_bytes exceeds the commit bound " +
                   std::to_string(kMaxCommitBytes) + " bytes");
  }
  // A full batch alone in a response, and a certificate of the largest
  // committee, must each fit one message.
  const size_t batch_message_max =
      kResponseOverheadBytes + 20 + 4 * p.batch_txs_max + batch_payload_max;
  Certificate largest;
  largest.header.parents.resize(Committee::kMaxValidators);
  largest.header.weak_parents.resize(kMaxWeakLinks);
  largest.header.batches.resize(p.header_batches_max);
  largest.votes.resize(Committee::kMaxValidators);
  const size_t cert_message_max = kResponseOverheadBytes + CertificateEncodedBytes(largest);
  if (batch_message_max > p.message_bytes_max || cert_message_max > p.message_bytes_max) {
    return invalid("message_bytes_max " + std::to_string(p.message_bytes_max) +
                   " cannot hold a full batch (" + std::to_string(batch_message_max) +
                   " bytes) or certificate (" + std::to_string(cert_message_max) + " bytes)");
  }
  return absl::OkStatus();
}

Core::Core(Committee committee, Parameters params, ValidatorIndex me, KeyPair key,
           SignatureChecker* checker)
    : committee_(std::move(committee)),
      params_(params),
      me_(me),
      key_(std::move(key)),
      checker_(checker),
      dag_(committee_.size(), GenesisCertificates(committee_)),
      bullshark_(&committee_, params.gc_depth,
                 CommitLimits{kMaxCommitTransactions, kMaxCommitBytes}),
      reputation_(static_cast<uint32_t>(committee_.size()),
                  static_cast<uint32_t>(committee_.max_faulty()), params.leader_misses_to_suspect),
      batch_maker_(params.batch_bytes, params.batch_txs_max, params.max_batch_delay_ms),
      last_voted_(committee_.size()),
      availability_votes_(committee_.size()),
      pending_headers_(committee_.size()),
      stored_per_author_(committee_.size(), 0) {
  own_acks_missed_by_.assign(committee_.size(), 0);
  deferral_backoff_.assign(committee_.size(), DeferralBackoff{});
  GL_CHECK(committee_.Contains(me_));
  GL_CHECK(committee_.key(me_) == key_.public_key());
  GL_CHECK(checker_ != nullptr);
  const absl::Status valid = ValidateParameters(params_);
  GL_CHECK_MSG(valid.ok(), std::string(valid.message()).c_str());
}

void Core::Reject(const absl::Status& reason) { Reject(std::string(reason.message())); }

void Core::Reject(std::string reason) {
  ++stats_.messages_rejected;
  last_rejection_ = std::move(reason);
}

void Core::RestoreOwnTransactions(std::vector<Bytes> txs) {
  GL_CHECK(!started_);
  // The runtime's record is data read back from disk: keep only what a
  // submission would have accepted.
  std::erase_if(txs, [](const Bytes& tx) { return tx.empty() || tx.size() > kMaxTransactionBytes; });
  batch_maker_.Restore(std::move(txs));
}

void Core::SealRestored(Output& out, TimeMs now) {
  while (batch_maker_.restored_txs() > 0 && RoomForOwnBatch() && !OwnBacklogFull()) {
    SealBatch(out, *batch_maker_.TakeRestored(), now);
  }
}

std::optional<TimeMs> Core::SealedMs(const Digest& digest) const {
  auto it = batches_.find(digest);
  return it == batches_.end() ? std::nullopt : it->second.sealed_ms;
}

const std::vector<Digest>* Core::OwnUncertifiedBatches() const {
  if (!own_header_.has_value() || own_header_->certified) return nullptr;
  return &own_header_->header.batches;
}

TimeMs Core::OwnBacklogWaitMs(TimeMs now) const {
  // Own batches enter headers in seal order: the oldest waiting is in the
  // own header still short of votes, or the head of the ready queue (a
  // requeued batch keeps its seal time).
  std::optional<TimeMs> oldest;
  auto consider = [&](const Digest& digest) {
    const std::optional<TimeMs> sealed = SealedMs(digest);
    if (sealed && (!oldest || *sealed < *oldest)) oldest = sealed;
  };
  if (const std::vector<Digest>* uncertified = OwnUncertifiedBatches()) {
    for (const Digest& digest : *uncertified) consider(digest);
  }
  if (!ready_digests_.empty()) consider(ready_digests_.front());
  return oldest && now > *oldest ? now - *oldest : 0;
}

size_t Core::OwnBacklogTxs() const {
  size_t txs = 0;
  auto add = [&](const Digest& digest) {
    if (auto it = batches_.find(digest); it != batches_.end()) {
      txs += it->second.batch->transactions.size();
    }
  };
  if (const std::vector<Digest>* uncertified = OwnUncertifiedBatches()) {
    for (const Digest& digest : *uncertified) add(digest);
  }
  for (const Digest& digest : ready_digests_) add(digest);
  return txs;
}

bool Core::OwnBacklogFull() const {
  const size_t backlog = own_backlog_batches();
  return unacked_own_batches_.size() >= kMaxUnackedOwnBatches ||
         backlog >= std::min(kMaxReadyDigests, kMaxBacklogHeaders * params_.header_batches_max);
}

std::vector<Action> Core::Start(const PersistedState& state, TimeMs now) {
  GL_CHECK(!started_);
  started_ = true;
  Output out;
  round_entered_ms_ = now;
  last_proposal_ms_ = now;
  last_retransmit_ms_ = now;
  for (const LastVotedRecord& r : state.last_voted) {
    if (!committee_.Contains(r.author)) continue;
    auto& lv = last_voted_[r.author.value()];
    if (!lv.has_value() || lv->first < r.round) lv = std::make_pair(r.round, r.header);
  }
  bullshark_.Restore(state.last_committed_round, state.next_commit_index);
  dag_.Prune(bullshark_.gc_round());
  RestoreBatches(state.batches);
  RestoreCertificates(out, state.certificates,
                      absl::flat_hash_set<Digest>(state.committed_certificates.begin(),
                                                  state.committed_certificates.end()),
                      now);

  if (state.own_header.has_value()) {
    const Header& h = *state.own_header;
    GL_CHECK(h.author == me_);
    round_ = h.round;
    own_header_ = OwnHeader{h, HeaderDigest(h), {}, false};
    own_header_->certified = dag_.Contains(own_header_->digest);
    // The OwnHeaderRecord precedes its LastVotedRecord: a crash between the two
    // writes leaves only the first, and nothing was sent yet.
    auto& lv = last_voted_[me_.value()];
    if (!lv.has_value() || lv->first < h.round) lv = std::make_pair(h.round, own_header_->digest);
    GL_CHECK(lv->first == h.round && lv->second == own_header_->digest);
    if (!own_header_->certified) {
      own_header_->votes[me_] =
          VoteSignature{me_, key_.Sign(VotePayload(own_header_->digest)), /*verified=*/true};
      out.Broadcast(h);
    }
  }
  SealRestored(out, now);
  TryPropose(out, now);
  RequestMissing(out, now, /*retry=*/false);
  return std::move(out.actions);
}

void Core::RestoreBatches(const std::vector<Batch>& batches) {
  // Restored batches are those of certificates and the own header: needed,
  // so only the total bound applies.
  for (const Batch& b : batches) {
    if (batches_.size() >= kMaxStoredBatches) break;
    if (!committee_.Contains(b.author)) continue;
    if (b.author == me_) next_batch_sequence_ = std::max(next_batch_sequence_, b.sequence + 1);
    // A peer's batch counts as verified again only once a restored
    // certificate proves it (RestoreCertificates): an availability vote
    // before the crash must not become a verified one after it.
    if (batches_
            .emplace(BatchDigest(b), StoredBatch{std::make_shared<const Batch>(b), Round(0),
                                                 std::nullopt, /*verified=*/b.author == me_})
            .second) {
      ++stored_per_author_[b.author.value()];
    }
  }
}

void Core::RestoreCertificates(Output& out, const std::vector<Certificate>& certificates,
                               const absl::flat_hash_set<Digest>& committed, TimeMs now) {
  const Round gc = dag_.gc_round();
  std::vector<const Certificate*> certs;
  // Stored certificates were verified on arrival; these checks only keep a
  // store written for another committee or network out of the DAG.
  for (const Certificate& c : certificates) {
    if (c.header.round >= gc && c.header.round.value() > 0 &&
        committee_.Contains(c.header.author) && c.header.chain_id == committee_.chain_id()) {
      certs.push_back(&c);
    }
  }
  std::sort(certs.begin(), certs.end(), [](const Certificate* a, const Certificate* b) {
    return std::make_pair(a->header.round, a->header.author) <
           std::make_pair(b->header.round, b->header.author);
  });
  for (const Certificate* c : certs) {
    const Digest d = CertificateDigest(*c);
    for (const Digest& b : c->header.batches) {
      if (auto it = batches_.find(b); it != batches_.end()) it->second.verified = true;
    }
    bool batches_present = true;
    for (const Digest& b : c->header.batches) batches_present &= batches_.contains(b);
    if (c->header.round >= dag_.gc_round() && dag_.ParentsPresent(c->header) &&
        batches_present) {
      InsertCertificate(out, *c, d, /*persist=*/false, committed.contains(d), now);
    }
  }
}

std::vector<Action> Core::Rejoin(const PersistedState& state, TimeMs now) {
  GL_CHECK(started_);
  // Internal: the store's commits come from this core or from verified sync,
  // so they never run behind this core's.
  GL_CHECK(state.next_commit_index >= bullshark_.next_index());
  Output out;
  const Round gc = bullshark_.GcRoundAfter(state.last_committed_round);
  std::vector<Certificate> certs = state.certificates;
  absl::flat_hash_set<Digest> committed(state.committed_certificates.begin(),
                                        state.committed_certificates.end());
  for (uint64_t r = std::max(gc, dag_.gc_round()).value(); r <= dag_.highest_round().value();
       ++r) {
    for (uint32_t a = 0; a < committee_.size(); ++a) {
      const Vertex* v = dag_.Get(Round(r), ValidatorIndex(a));
      if (v == nullptr) continue;
      certs.push_back(v->certificate);
      if (v->committed) committed.insert(v->digest);
    }
  }
  // Own certificates this core holds uncommitted: acknowledged to clients.
  std::vector<std::pair<Digest, std::vector<Digest>>> own_uncommitted;
  for (uint64_t r = std::max<uint64_t>(dag_.gc_round().value(), 1);
       r <= dag_.highest_round().value(); ++r) {
    const Vertex* v = dag_.Get(Round(r), me_);
    if (v != nullptr && !v->committed && !committed.contains(v->digest)) {
      own_uncommitted.emplace_back(v->digest, v->certificate.header.batches);
    }
  }
  dag_ = Dag(committee_.size(), GenesisCertificates(committee_));
  bullshark_.Restore(state.last_committed_round, state.next_commit_index);
  dag_.Prune(bullshark_.gc_round());
  RestoreBatches(state.batches);
  RestoreCertificates(out, certs, committed, now);
  // Those the new DAG lost (below the new horizon, or their history gone)
  // can no longer be ordered as they are: their transactions are proposed
  // again in new batches. A copy that a synced commit already ordered is
  // harmless: execution never runs one transaction id twice.
  std::vector<Bytes> again;
  for (const auto& [digest, batches] : own_uncommitted) {
    if (dag_.Contains(digest)) continue;
    for (const Digest& b : batches) {
      auto it = batches_.find(b);
      if (it == batches_.end()) continue;
      for (ByteSpan tx : it->second.batch->transactions) again.emplace_back(tx.begin(), tx.end());
    }
  }
  stats_.rejoin_own_txs_requeued += again.size();
  batch_maker_.Restore(std::move(again));
  for (auto& p : pending_headers_) {
    if (p.has_value() && p->header.round <= dag_.gc_round()) p.reset();
  }
  missing_certs_.clear();
  // The runtime withheld verification results while it synced: forget those
  // batches (a late answer is ignored) so they are fetched and verified again.
  verifying_.clear();
  ProcessPendingCertificates(out, now);
  TryPropose(out, now);
  RequestMissing(out, now, /*retry=*/false);
  return std::move(out.actions);
}

std::vector<Action> Core::OnMessage(ValidatorIndex from, const Message& message, TimeMs now) {
  GL_CHECK(started_);
  Output out;
  if (!committee_.Contains(from) || from == me_) {
    Reject("message: sender is not another member of the committee");
    return {};
  }
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Batch>) {
          HandleBatch(out, from, m, /*solicited=*/false, now);
        } else if constexpr (std::is_same_v<T, BatchAck>) {
          HandleBatchAck(out, from, m, now);
        } else if constexpr (std::is_same_v<T, Header>) {
          HandleHeader(out, from, m, now);
        } else if constexpr (std::is_same_v<T, Vote>) {
          HandleVote(out, from, m, now);
        } else if constexpr (std::is_same_v<T, Certificate>) {
          HandleCertificate(out, from, m, now);
          ProcessPendingCertificates(out, now);
        } else if constexpr (std::is_same_v<T, CertificateRequest>) {
          HandleCertificateRequest(out, from, m);
        } else if constexpr (std::is_same_v<T, CertificateResponse>) {
          for (const Certificate& c : m.certificates) HandleCertificate(out, from, c, now);
          ProcessPendingCertificates(out, now);
        } else if constexpr (std::is_same_v<T, BatchRequest>) {
          HandleBatchRequest(out, from, m);
        } else if constexpr (std::is_same_v<T, BatchResponse>) {
          for (const Batch& b : m.batches) HandleBatch(out, from, b, /*solicited=*/true, now);
          // A batch a certificate proved is stored at once (StoreProvenBatch).
          ProcessPendingCertificates(out, now);
        }
      },
      message);
  TryPropose(out, now);
  RequestMissing(out, now, /*retry=*/false);
  return std::move(out.actions);
}

std::vector<Action> Core::OnTimer(TimeMs now) {
  GL_CHECK(started_);
  Output out;
  // A full own share of the store: the open batch waits (transactions are
  // refused meanwhile), it is never dropped.
  SealRestored(out, now);
  if (RoomForOwnBatch()) {
    if (auto txs = batch_maker_.Tick(now)) SealBatch(out, std::move(*txs), now);
  }
  if (now >= last_retransmit_ms_ + params_.sync_retry_ms) {
    last_retransmit_ms_ = now;
    Retransmit(out, now);
  }
  TryPropose(out, now);
  RequestMissing(out, now, /*retry=*/true);
  return std::move(out.actions);
}

absl::StatusOr<std::vector<Action>> Core::SubmitTransaction(ByteSpan tx, TimeMs now) {
  GL_CHECK(started_);
  if (tx.empty() || tx.size() > kMaxTransactionBytes) {
    return absl::InvalidArgumentError("transaction: size must be 1.." +
                                      std::to_string(kMaxTransactionBytes) + " bytes");
  }
  if (OwnBacklogFull()) {
    return absl::ResourceExhaustedError(
        "transaction: back-pressure, " +
        std::to_string(own_backlog_batches()) + " own batches await a header, " +
        std::to_string(unacked_own_batches_.size()) + " await acks");
  }
  if (batch_maker_.restored_txs() > 0) {
    // Transactions acknowledged before a restart go first.
    return absl::ResourceExhaustedError(
        "transaction: back-pressure, " + std::to_string(batch_maker_.restored_txs()) +
        " transactions acknowledged before a restart still wait for a batch");
  }
  if (!RoomForOwnBatch()) {
    return absl::ResourceExhaustedError(
        "transaction: back-pressure, the batch store holds " +
        std::to_string(stored_per_author_[me_.value()]) + " own batches (its share)");
  }
  Output out;
  if (auto txs = batch_maker_.Add(tx, now)) SealBatch(out, std::move(*txs), now);
  TryPropose(out, now);
  return std::move(out.actions);
}

std::vector<Action> Core::OnBatchVerified(const Digest& digest, bool ok, TimeMs now) {
  GL_CHECK(started_);
  Output out;
  auto it = verifying_.find(digest);
  if (it == verifying_.end()) return {};
  InVerification entry = std::move(it->second);
  verifying_.erase(it);
  const ValidatorIndex author = entry.batch->author;
  if (entry.stored) {
    // Stored for availability: only its flag changes. A failed one stays
    // unverified, so our votes for its headers stay availability votes, and
    // the author's next batches are verified before they are stored. (A
    // refusal of the runtime's full queue reads the same; asked again, it
    // is verified again.)
    if (!ok) {
      ++stats_.batches_rejected;
      ++stats_.stored_batch_checks_failed;
      SuspendDeferral(author);
      return {};
    }
    auto stored = batches_.find(digest);
    if (stored == batches_.end()) return {};
    stored->second.verified = true;
    // Asked for (the author short of verified acks or votes), or
    // the runtime's deferral ran out: the author may want the verified ack.
    out.Ack(author, digest, /*verified=*/true);
    UpgradeVote(out, author, now);
    return std::move(out.actions);
  }
  if (!ok) {
    ++stats_.batches_rejected;
    return {};
  }
  if (!RoomForPeerBatch(author, digest, /*reserved=*/0) ||
      !StoreBatch(out, digest, std::move(entry.batch), /*verified=*/true)) {
    // Not stored, so not acknowledged: the author retransmits, a certificate
    // that needs it fetches it again.
    ++stats_.batches_refused_store_full;
    return std::move(out.actions);
  }
  // An ack is a promise to keep the batch: only ever for a stored one. It
  // goes out before the BatchRecord is durable; a vote for a header that
  // carries the batch follows that record, so a certificate still means 2f+1
  // durable copies (persistence.h).
  if (entry.ack_owed) out.Ack(author, digest, /*verified=*/true);
  missing_batches_.erase(digest);
  for (uint32_t a = 0; a < committee_.size(); ++a) TryVote(out, ValidatorIndex(a), now);
  ProcessPendingCertificates(out, now);
  TryPropose(out, now);
  RequestMissing(out, now, /*retry=*/false);
  return std::move(out.actions);
}

// ---------------------------------------------------------------- batches

void Core::SealBatch(Output& out, TxList txs, TimeMs now) {
  const uint64_t sequence = next_batch_sequence_++;
  Batch batch{committee_.slice(), me_, sequence, std::move(txs)};
  const Digest digest = BatchDigest(batch);
  ++stats_.batches_sealed;
  auto shared = std::make_shared<const Batch>(std::move(batch));
  // Callers seal only with RoomForOwnBatch(): an own batch is never dropped.
  GL_CHECK(StoreBatch(out, digest, shared, /*verified=*/true));  // checked at admission
  batches_.find(digest)->second.sealed_ms = now;
  OwnBatchAcks& acks = unacked_own_batches_[digest];
  acks.acks.insert(me_);
  acks.verified_acks.insert(me_);
  // Queued for a header in seal order; it may enter one before its acks
  // (ProposableOwnBatches).
  ready_digests_.push_back(digest);
  out.PushOwnBatch(std::nullopt, *shared);
}

bool Core::StoreBatch(Output& out, const Digest& digest, std::shared_ptr<const Batch> batch,
                      bool verified) {
  if (auto it = batches_.find(digest); it != batches_.end()) {
    it->second.verified |= verified;  // never back to unverified
    return true;
  }
  if (batches_.size() >= kMaxStoredBatches) return false;
  ++stored_per_author_[batch->author.value()];
  out.Persist(BatchRecord{batch});
  batches_.emplace(digest, StoredBatch{std::move(batch), round_, std::nullopt, verified});
  return true;
}

bool Core::PeersAckSlowly(TimeMs now) const {
  if (own_ack_wait_ms_ > kUnackedProposalMaxAckWaitMs) return true;
  // The average moves only when acks come: a batch short of them for long
  // says so first.
  for (const auto& [digest, acks] : unacked_own_batches_) {
    const std::optional<TimeMs> sealed = SealedMs(digest);
    if (sealed && now > *sealed + kUnackedProposalMaxAckWaitMs) return true;
  }
  return false;
}

size_t Core::ProposableOwnBatches(TimeMs now) const {
  const size_t limit = std::min(ready_digests_.size(), params_.header_batches_max);
  if (!PeersAckSlowly(now)) return limit;
  size_t n = 0;
  while (n < limit && !unacked_own_batches_.contains(ready_digests_[n])) ++n;
  return n;
}

bool Core::RoomForOwnBatch() const {
  return stored_per_author_[me_.value()] < AuthorQuota() && batches_.size() < kMaxStoredBatches;
}

size_t Core::VerifyingFrom(ValidatorIndex author) const {
  size_t n = 0;
  for (const auto& [d, v] : verifying_) n += v.batch->author == author ? 1 : 0;
  return n;
}

bool Core::AllVerified(const std::vector<Digest>& batches) const {
  for (const Digest& b : batches) {
    auto it = batches_.find(b);
    if (it == batches_.end() || !it->second.verified) return false;
  }
  return true;
}

bool Core::RoomForPeerBatch(ValidatorIndex author, const Digest& digest,
                            size_t reserved) const {
  // Peers together never take the own share, so own batch making always
  // resumes once own batches are garbage collected.
  const size_t peers_stored = batches_.size() - stored_per_author_[me_.value()];
  if (peers_stored + reserved >= kMaxStoredBatches - AuthorQuota()) return false;
  // A batch a verified certificate needs is exempt from its author's share:
  // 2f+1 validators signed for it, so the author is not flooding.
  auto missing = missing_batches_.find(digest);
  if (missing != missing_batches_.end() && missing->second.certified) return true;
  return stored_per_author_[author.value()] + reserved < AuthorQuota();
}

void Core::HandleBatch(Output& out, ValidatorIndex from, const Batch& batch, bool solicited,
                       TimeMs now) {
  if (absl::Status shape =
          VerifyBatchShape(batch, committee_, params_.batch_bytes, params_.batch_txs_max);
      !shape.ok()) {
    Reject(shape);
    return;
  }
  if ((!solicited && batch.author != from) || batch.author == me_) {
    Reject("batch.author: pushed by another validator, or claims to be ours");
    return;
  }
  const Digest digest = BatchDigest(batch);
  auto missing = missing_batches_.find(digest);
  if (solicited && missing == missing_batches_.end()) return;  // not asked for
  if (auto stored = batches_.find(digest); stored != batches_.end()) {
    if (!solicited) {
      // Our ack may have been lost, or, stored for availability, the
      // author may be short of verified acks.
      out.Ack(batch.author, digest, stored->second.verified);
      OnRepush(out, digest, batch.author, now);
    }
    return;
  }
  if (auto it = verifying_.find(digest); it != verifying_.end()) {
    it->second.ack_owed |= !solicited;
    if (!solicited) OnRepush(out, digest, batch.author, now);
    return;
  }
  // Fetched for a verified certificate: the certificate already proves it.
  if (solicited && missing->second.certified) {
    if (!RoomForPeerBatch(batch.author, digest, /*reserved=*/0) ||
        !StoreProvenBatch(out, digest, std::make_shared<const Batch>(batch))) {
      ++stats_.batches_refused_store_full;
    }
    return;
  }
  // Verification slots are shared out too: a flooding author waits for its own.
  const size_t verifying_from_author = VerifyingFrom(batch.author);
  if (verifying_.size() >= kMaxBatchesInVerification ||
      (!solicited && verifying_from_author >= kMaxBatchesInVerification / committee_.size())) {
    ++stats_.dropped_for_bounds;
    return;
  }
  // Back-pressure before verification costs anything: no room, no ack.
  if (!RoomForPeerBatch(batch.author, digest, verifying_from_author)) {
    ++stats_.batches_refused_store_full;
    return;
  }
  auto shared = std::make_shared<const Batch>(batch);
  const bool deferrable = !solicited && DefersVerificationOf(batch.author);
  if (deferrable) ++stats_.verifications_deferred;
  if (deferrable && params_.availability_votes) {
    StoreForAvailability(out, digest, std::move(shared), now);
    return;
  }
  verifying_.emplace(digest, InVerification{shared, !solicited, deferrable, now});
  out.actions.push_back(VerifyBatchAction{digest, std::move(shared), deferrable});
}

void Core::StoreForAvailability(Output& out, const Digest& digest,
                                std::shared_ptr<const Batch> batch, TimeMs now) {
  const ValidatorIndex author = batch->author;
  if (!StoreBatch(out, digest, batch, /*verified=*/false)) {
    ++stats_.batches_refused_store_full;
    return;
  }
  // The deferred verification, cancelled by the certificate that usually
  // comes first (ProcessPendingCertificates).
  verifying_.emplace(digest, InVerification{batch, /*ack_owed=*/false, /*deferred=*/true, now,
                                            /*stored=*/true});
  out.actions.push_back(VerifyBatchAction{digest, std::move(batch), /*deferrable=*/true});
  // Like any ack it goes out before the BatchRecord is durable; a vote for
  // a header with the batch follows that record (persistence.h).
  out.Ack(author, digest, /*verified=*/false);
  missing_batches_.erase(digest);
  TryVote(out, author, now);
  ProcessPendingCertificates(out, now);
}

void Core::OnRepush(Output& out, const Digest& digest, ValidatorIndex author, TimeMs now) {
  auto it = verifying_.find(digest);
  if (it == verifying_.end()) {
    // Stored for availability with no check pending (Rejoin forgot it): the
    // author is short of verified acks, so verify it now.
    if (VerifyNow(out, digest)) NoteLatePush(author);
    return;
  }
  if (!it->second.deferred) return;
  // The author pushes again while short of (verified) acks. Under load that
  // is often only slow peers, whose acks come anyway: our verifying too
  // would add to everyone's work. Only a batch still short after
  // kRepushesBeforeVerifying retransmission periods, and twice as long as
  // our own batches now wait for their acks, needs ours.
  const TimeMs patience = std::max<TimeMs>(kRepushesBeforeVerifying * params_.sync_retry_ms,
                                           2 * own_ack_wait_ms_);
  if (now >= it->second.received_ms + patience) {
    VerifyNow(out, digest);
    NoteLatePush(author);
  }
}

bool Core::IsSpareFor(ValidatorIndex author, ValidatorIndex peer) const {
  const uint32_t n = static_cast<uint32_t>(committee_.size());
  const uint32_t f = n - static_cast<uint32_t>(committee_.quorum());
  const uint32_t spare = params_.availability_votes ? 2 * f : f;
  const uint32_t offset = (peer.value() + n - author.value()) % n;
  return offset != 0 && offset <= spare;
}

bool Core::DefersVerificationOf(ValidatorIndex author) const {
  if (!params_.defer_peer_verification || !IsSpareFor(author, me_)) return false;
  const uint64_t high = dag_.highest_round().value();
  if (high < deferral_backoff_[author.value()].until_round) return false;
  // Only while each peer the author needs instead keeps up: a certificate
  // of theirs within two rounds of the newest we know, and acks for our own
  // batches (one that acknowledges nobody would leave the author short of
  // acks until it asks again).
  const uint64_t low = high >= 2 ? high - 2 : 0;
  for (uint32_t p = 0; p < committee_.size(); ++p) {
    const ValidatorIndex peer(p);
    if (peer == author || IsSpareFor(author, peer)) continue;
    if (own_acks_missed_by_[p] >= kMissedAcksBeforeVerifying) return false;
    bool current = false;
    for (uint64_t r = low; r <= high && !current; ++r) {
      current = dag_.Get(Round(r), peer) != nullptr;
    }
    if (!current) return false;
  }
  return true;
}

bool Core::StoreProvenBatch(Output& out, const Digest& digest,
                            std::shared_ptr<const Batch> batch) {
  const ValidatorIndex author = batch->author;
  if (!StoreBatch(out, digest, std::move(batch), /*verified=*/true)) return false;
  ++stats_.batches_proven_by_certificate;
  missing_batches_.erase(digest);
  if (auto v = verifying_.find(digest); v != verifying_.end()) {
    // A deferral that paid off: the author's other peers ack again.
    if (v->second.deferred) deferral_backoff_[author.value()] = DeferralBackoff{};
    verifying_.erase(v);
    out.actions.push_back(CancelVerifyAction{digest});
  }
  return true;
}

void Core::NoteLatePush(ValidatorIndex author) {
  DeferralBackoff& b = deferral_backoff_[author.value()];
  if (++b.late_pushes_in_a_row < kLatePushesBeforeBackoff) return;
  // The author keeps lacking acks our deferral withholds (a peer it needs
  // acknowledges nobody, or only slowly): stop deferring for a while, twice
  // as long each time it happens again without a deferral paying off.
  SuspendDeferral(author);
}

void Core::SuspendDeferral(ValidatorIndex author) {
  DeferralBackoff& b = deferral_backoff_[author.value()];
  b.late_pushes_in_a_row = 0;
  b.until_round = dag_.highest_round().value() + b.rounds;
  b.rounds = std::min(2 * b.rounds, kDeferralBackoffMaxRounds);
}

void Core::HandleBatchAck(Output& out, ValidatorIndex from, const BatchAck& ack, TimeMs now) {
  // Any ack for an own batch, late ones too, shows `from` acknowledges us.
  auto own = batches_.find(ack.batch);
  if (own != batches_.end() && own->second.batch->author == me_) {
    own_acks_missed_by_[from.value()] = 0;
  }
  auto it = unacked_own_batches_.find(ack.batch);
  if (it == unacked_own_batches_.end()) return;
  it->second.acks.insert(from);
  if (ack.verified) it->second.verified_acks.insert(from);
  // 2f+1 copies, and f+1 checked (ours among them): what a certificate needs.
  if (it->second.acks.size() < committee_.quorum() ||
      it->second.verified_acks.size() < committee_.validity()) {
    return;
  }
  for (uint32_t p = 0; p < committee_.size(); ++p) {
    const ValidatorIndex peer(p);
    if (peer != me_ && !it->second.acks.contains(peer) && !IsSpareFor(me_, peer)) {
      ++own_acks_missed_by_[p];
    }
  }
  if (own != batches_.end() && own->second.sealed_ms.has_value() &&
      now >= *own->second.sealed_ms) {
    // A moving average (weight 1/8) of how long own batches wait for acks.
    const TimeMs waited = now - *own->second.sealed_ms;
    own_ack_wait_ms_ = (7 * own_ack_wait_ms_ + waited) / 8;
  }
  unacked_own_batches_.erase(it);
}

void Core::HandleBatchRequest(Output& out, ValidatorIndex from, const BatchRequest& req) {
  // Split so each response fits one message (a full batch always does,
  // ValidateParameters) and the whole answer stays under a byte budget.
  BatchResponse resp;
  size_t resp_bytes = kResponseOverheadBytes;
  size_t served = 0;
  size_t served_bytes = 0;
  for (const Digest& d : req.digests) {
    if (served >= kMaxBatchesServedPerRequest) break;
    auto it = batches_.find(d);
    if (it == batches_.end()) continue;
    const size_t bytes = BatchEncodedBytes(*it->second.batch);
    if (served_bytes + bytes > kMaxResponseBytesPerRequest) break;
    if (!resp.batches.empty() && (resp.batches.size() == kMaxResponseBatches ||
                                  resp_bytes + bytes > params_.message_bytes_max)) {
      out.Send(from, std::move(resp));
      resp = BatchResponse{};
      resp_bytes = kResponseOverheadBytes;
    }
    resp.batches.push_back(*it->second.batch);
    resp_bytes += bytes;
    served_bytes += bytes;
    ++served;
  }
  if (!resp.batches.empty()) out.Send(from, std::move(resp));
}

// ---------------------------------------------------------------- headers and votes

void Core::HandleHeader(Output& out, ValidatorIndex from, const Header& header, TimeMs now) {
  if (header.author != from || header.author == me_) {
    Reject("header.author: not the sending validator");
    return;
  }
  if (header.round.value() > dag_.highest_round().value() + kMaxRoundsAhead) {
    Reject("header.round: more than kMaxRoundsAhead rounds ahead");
    return;
  }
  // Vote-time bound: honest validators never vote for more, so no
  // certificate (2f+1 votes) carries more than a commit can execute.
  if (header.batches.size() > params_.header_batches_max) {
    ++stats_.headers_refused_oversized;
    Reject("header.batches: " + std::to_string(header.batches.size()) +
           " exceed header_batches_max " + std::to_string(params_.header_batches_max));
    return;
  }
  if (header.round <= dag_.gc_round()) return;  // too old to check its parents
  const Digest digest = HeaderDigest(header);
  auto& pending = pending_headers_[header.author.value()];
  if (pending.has_value() && pending->header.round > header.round) return;
  if (absl::Status valid = VerifyHeader(header, digest, committee_, *checker_); !valid.ok()) {
    Reject(valid);
    return;
  }
  // The author sends its header again only while it is short of votes:
  // ours may be needed, so deferred batches of it are verified now. An
  // anchor's certificate paces every commit: without availability votes a
  // deferring peer withholds its vote until it checks, so it checks an
  // anchor's batches at once. With them it votes at once, and the anchor's
  // f verifiers and author give the f+1 verified votes its certificate needs:
  // checking too would cost every deferring peer a verification per anchor
  // (about 0.25 per transaction with four validators) as mere slack, which
  // the author's header sent again still gets when a verifier is slow.
  const bool anchor = !params_.availability_votes && Committee::IsAnchorRound(header.round) &&
                      committee_.Leader(header.round) == header.author;
  // A header we already gave an availability vote: sent again while short
  // of votes. Under load that mostly means slow votes, ours already out:
  // checking at the first resend cost 0.2-0.3 verifications per transaction
  // at saturation, so we wait twice as long as our own batches now wait for
  // their acks. Not the two periods a batch pushed again waits (OnRepush):
  // with a verifier crashed and little load, that wait cost the commit
  // latency's tail 0.3-0.4 s.
  const auto& availability = availability_votes_[header.author.value()];
  const bool again =
      (pending.has_value() && pending->digest == digest) ||
      (availability.has_value() && availability->digest == digest &&
       now >= availability->first_sent_ms + 2 * own_ack_wait_ms_);
  if (anchor || again) {
    bool deferred = false;
    for (const Digest& b : header.batches) {
      // Only the author's own batches: a header cannot make us check
      // another author's (TryVote refuses such a header anyway).
      auto stored = batches_.find(b);
      auto in_check = verifying_.find(b);
      const Batch* batch = stored != batches_.end()      ? stored->second.batch.get()
                           : in_check != verifying_.end() ? in_check->second.batch.get()
                                                          : nullptr;
      if (batch != nullptr && batch->author == header.author) deferred |= VerifyNow(out, b);
    }
    // Short of votes after our deferral, like a late push: a verifier it
    // needs votes late or not at all (NoteLatePush suspends the deferral).
    if (again && deferred) NoteLatePush(header.author);
  }
  pending = PendingHeader{header, digest};
  TryVote(out, header.author, now);
}

bool Core::VerifyNow(Output& out, const Digest& digest) {
  auto it = verifying_.find(digest);
  if (it == verifying_.end()) {
    // Stored for availability and its deferred check forgotten (Rejoin).
    auto stored = batches_.find(digest);
    if (stored == batches_.end() || stored->second.verified ||
        verifying_.size() >= kMaxBatchesInVerification) {
      return false;
    }
    verifying_.emplace(digest, InVerification{stored->second.batch, /*ack_owed=*/false,
                                              /*deferred=*/false, 0, /*stored=*/true});
    out.actions.push_back(VerifyBatchAction{digest, stored->second.batch, /*deferrable=*/false});
    return true;
  }
  if (!it->second.deferred) return false;
  it->second.deferred = false;
  out.actions.push_back(VerifyBatchAction{digest, it->second.batch, /*deferrable=*/false});
  return true;
}

void Core::TryVote(Output& out, ValidatorIndex author, TimeMs now) {
  auto& pending = pending_headers_[author.value()];
  if (!pending.has_value()) return;
  const Header& h = pending->header;
  const Digest digest = pending->digest;
  const auto& lv = last_voted_[author.value()];
  if (lv.has_value() && lv->first >= h.round) {
    if (lv->first == h.round && lv->second == digest) {
      // The same header again (our vote was lost): the same vote is no
      // second vote, nor is a verified one after an availability one.
      SendVote(out, author, h.round, digest, h.batches, now);
    } else if (lv->first == h.round) {
      ++stats_.votes_refused_equivocation;
    }
    pending.reset();
    return;
  }
  if (h.round <= dag_.gc_round()) {
    pending.reset();
    return;
  }
  bool missing = false;
  for (const Digest& p : h.parents) {
    const Vertex* v = dag_.Find(p);
    if (v == nullptr) {
      if (!pending_cert_digests_.contains(p)) NoteMissingCertificate(p, author);
      missing = true;
    } else if (v->certificate.header.round + 1 != h.round) {
      Reject("header.parents: a parent from the wrong round");
      pending.reset();
      return;
    }
  }
  // Weak links below the horizon were decided; the rest must be here, with
  // the round the link names, before a vote vouches for the history.
  for (const WeakLink& l : h.weak_parents) {
    if (l.round < dag_.gc_round()) continue;
    const Vertex* v = dag_.Find(l.certificate);
    if (v == nullptr) {
      if (!pending_cert_digests_.contains(l.certificate)) {
        NoteMissingCertificate(l.certificate, author);
      }
      missing = true;
    } else if (v->certificate.header.round != l.round) {
      Reject("header.weak_parents: a link names the wrong round");
      pending.reset();
      return;
    }
  }
  for (const Digest& b : h.batches) {
    auto it = batches_.find(b);
    if (it == batches_.end()) {
      if (!verifying_.contains(b)) NoteMissingBatch(b, author, /*certified=*/false);
      missing = true;
    } else if (it->second.batch->author != author) {
      Reject("header.batches: another author's batch");
      pending.reset();
      return;
    }
  }
  if (missing) return;
  last_voted_[author.value()] = std::make_pair(h.round, digest);
  out.Persist(LastVotedRecord{author, h.round, digest});
  ++stats_.votes_sent;
  SendVote(out, author, h.round, digest, h.batches, now);
  pending.reset();
}

void Core::SendVote(Output& out, ValidatorIndex author, Round round, Digest digest,
                    const std::vector<Digest>& batches, TimeMs now) {
  const bool verified = AllVerified(batches);
  const Digest payload = VotePayload(digest, verified);
  const Signature signature = key_.Sign(payload);
  // The author's certificate carries this vote back to us.
  checker_->NoteSigned(key_.public_key(), payload, signature);
  out.Send(author, Vote{digest, author, round, me_, signature, verified});
  if (verified) {
    availability_votes_[author.value()].reset();
  } else {
    ++stats_.availability_votes_sent;
    auto& record = availability_votes_[author.value()];
    // The vote sent again keeps the first one's time (HandleHeader's patience).
    const TimeMs first_sent_ms =
        record.has_value() && record->digest == digest ? record->first_sent_ms : now;
    record = AvailabilityVote{round, digest, batches, first_sent_ms};
  }
}

void Core::UpgradeVote(Output& out, ValidatorIndex author, TimeMs now) {
  auto& availability = availability_votes_[author.value()];
  if (!availability.has_value()) return;
  const auto& lv = last_voted_[author.value()];
  if (!lv.has_value() || lv->first != availability->round ||
      lv->second != availability->digest) {
    availability.reset();  // we voted for a later header since
    return;
  }
  if (!AllVerified(availability->batches)) return;
  // The same header as the LastVotedRecord already durable: no new record.
  // A verified vote, which also forgets `availability` (SendVote).
  ++stats_.votes_sent;
  ++stats_.votes_upgraded;
  SendVote(out, author, availability->round, availability->digest, availability->batches, now);
}

void Core::HandleVote(Output& out, ValidatorIndex from, const Vote& vote, TimeMs now) {
  if (vote.voter != from || vote.header_author != me_ || !own_header_.has_value() ||
      vote.round > own_header_->header.round ||
      (vote.round == own_header_->header.round && vote.header != own_header_->digest)) {
    // Forged, for a header we never made, or signed for another network (its
    // header digest covers another chain id).
    Reject("vote: not for our current header (forged, or another network's)");
    return;
  }
  if (own_header_->certified || vote.round < own_header_->header.round) {
    ++stats_.stale_messages;  // late: the certificate exists or we moved on
    return;
  }
  // A verified vote may follow an availability vote; nothing else repeats.
  if (auto had = own_header_->votes.find(from);
      had != own_header_->votes.end() && (had->second.verified || !vote.verified)) {
    return;
  }
  if (absl::Status valid = VerifyVote(vote, committee_, *checker_); !valid.ok()) {
    Reject(valid);
    return;
  }
  AddOwnVote(out, VoteSignature{from, vote.signature, vote.verified}, now);
}

void Core::AddOwnVote(Output& out, const VoteSignature& vote, TimeMs now) {
  own_header_->votes[vote.voter] = vote;
  if (own_header_->certified || own_header_->votes.size() < committee_.quorum()) return;
  size_t verified = 0;
  for (const auto& [v, s] : own_header_->votes) verified += s.verified ? 1 : 0;
  if (verified < committee_.validity()) return;
  // After a restart the own header's batches may be gone from storage: such a
  // header is never certified (a commit of it could not be executed).
  for (const Digest& b : own_header_->header.batches) {
    if (!batches_.contains(b)) return;
  }
  own_header_->certified = true;
  Certificate cert{own_header_->header, {}};
  for (const auto& [v, s] : own_header_->votes) cert.votes.push_back(s);
  ++stats_.certificates_formed;
  InsertCertificate(out, cert, own_header_->digest, /*persist=*/true, /*committed=*/false, now);
  out.BroadcastOwnCertificate(std::move(cert));
}

// ---------------------------------------------------------------- certificates

void Core::HandleCertificate(Output& out, ValidatorIndex from, const Certificate& cert,
                             TimeMs now) {
  const Round round = cert.header.round;
  if (round.value() == 0 || round.value() > dag_.highest_round().value() + kMaxRoundsAhead) {
    Reject("certificate.round: genesis, or more than kMaxRoundsAhead rounds ahead");
    return;
  }
  // Only more than f faulty validators could certify what honest ones refuse
  // to vote for; refused like the header itself.
  if (cert.header.batches.size() > params_.header_batches_max) {
    ++stats_.headers_refused_oversized;
    Reject("certificate.header.batches: exceed header_batches_max");
    return;
  }
  if (round < dag_.gc_round()) return;
  const Digest digest = CertificateDigest(cert);
  if (dag_.Contains(digest) || pending_cert_digests_.contains(digest)) return;
  if (absl::Status valid = VerifyCertificate(cert, digest, committee_, *checker_);
      !valid.ok()) {
    Reject(valid);
    return;
  }
  if (pending_certs_.size() >= kMaxPendingCertificates) {
    ++stats_.dropped_for_bounds;
    return;
  }
  pending_certs_.emplace(std::make_pair(round.value(), digest),
                         PendingCertificate{cert, digest, from});
  pending_cert_digests_.insert(digest);
  missing_certs_.erase(digest);
}

void Core::ProcessPendingCertificates(Output& out, TimeMs now) {
  // Ascending rounds: inserting one may complete the parents of later ones.
  for (auto it = pending_certs_.begin(); it != pending_certs_.end();) {
    const PendingCertificate& p = it->second;
    const Header& h = p.certificate.header;
    if (h.round < dag_.gc_round() || dag_.Contains(p.digest)) {
      pending_cert_digests_.erase(p.digest);
      it = pending_certs_.erase(it);
      continue;
    }
    bool ready = true;
    if (!dag_.ParentsPresent(h)) {
      ready = false;
      for (const Digest& parent : dag_.MissingParents(h)) {
        if (!pending_cert_digests_.contains(parent)) NoteMissingCertificate(parent, p.from);
      }
    }
    for (const Digest& b : h.batches) {
      if (auto stored = batches_.find(b); stored != batches_.end()) {
        // Stored for availability: the certificate proves it.
        if (!stored->second.verified) StoreProvenBatch(out, b, stored->second.batch);
        continue;
      }
      // Received and not yet verified: the certificate proves it.
      if (auto v = verifying_.find(b);
          v != verifying_.end() && StoreProvenBatch(out, b, v->second.batch)) {
        continue;
      }
      ready = false;
      if (!verifying_.contains(b)) NoteMissingBatch(b, p.from, /*certified=*/true);
    }
    if (!ready) {
      ++it;
      continue;
    }
    PendingCertificate taken = std::move(it->second);
    pending_cert_digests_.erase(taken.digest);
    it = pending_certs_.erase(it);
    InsertCertificate(out, taken.certificate, taken.digest, /*persist=*/true,
                      /*committed=*/false, now);
  }
}

void Core::InsertCertificate(Output& out, const Certificate& cert, const Digest& digest,
                             bool persist, bool committed, TimeMs now) {
  // Dag::Insert asserts both; an own header certified by votes that came
  // after the GC horizon passed its round (late votes are peer data) is stale.
  if (cert.header.round < dag_.gc_round() || !dag_.ParentsPresent(cert.header)) {
    ++stats_.stale_messages;
    return;
  }
  const Dag::InsertResult result = dag_.Insert(cert, digest, committed);
  if (result == Dag::InsertResult::kDuplicate) return;
  if (result == Dag::InsertResult::kConflict) {
    ++stats_.certificate_conflicts;
    return;
  }
  ++stats_.certificates_inserted;
  // Still current (at most one round behind ours): its author keeps up.
  if (!committed && cert.header.round.value() + 1 >= round_.value()) {
    reputation_.OnCurrent(cert.header.author);
  }
  if (persist) out.Persist(CertificateRecord{cert});
  missing_certs_.erase(digest);
  if (own_header_.has_value() && own_header_->digest == digest) own_header_->certified = true;

  std::vector<CommittedSubDag> subs = bullshark_.OnCertificate(
      dag_, cert.header.round, [this](const Certificate& c) { return CertificateCost(c); });
  for (CommittedSubDag& sub : subs) {
    for (const Certificate& c : sub.certificates) {
      for (const Digest& b : c.header.batches) {
        auto it = batches_.find(b);
        // Internal: certificates enter the DAG only with their batches, which
        // garbage collection keeps while referenced; own batches are never dropped.
        GL_CHECK_MSG(it != batches_.end(), "a certificate entered the DAG without its batches");
        sub.batches.push_back(it->second.batch);
      }
    }
    ++stats_.commits;
    out.actions.push_back(CommitAction{std::move(sub)});
  }
  if (!subs.empty()) GarbageCollect(out);
  // New parents may unblock buffered headers.
  for (uint32_t a = 0; a < committee_.size(); ++a) TryVote(out, ValidatorIndex(a), now);
}

CommitCost Core::CertificateCost(const Certificate& cert) const {
  CommitCost cost;
  for (const Digest& b : cert.header.batches) {
    auto it = batches_.find(b);
    GL_CHECK_MSG(it != batches_.end(), "a certificate entered the DAG without its batches");
    cost.transactions += it->second.batch->transactions.size();
    cost.bytes += BatchPayloadBytes(*it->second.batch);
  }
  return cost;
}

bool Core::NothingToOrder() const {
  if (!ready_digests_.empty() || !unacked_own_batches_.empty() ||
      batch_maker_.open_bytes() > 0 || batch_maker_.restored_txs() > 0 ||
      !pending_certs_.empty()) {
    return false;
  }
  if (own_header_.has_value() && !own_header_->header.batches.empty()) {
    const Vertex* own = dag_.Find(own_header_->digest);
    if (own == nullptr || !own->committed) return false;
  }
  for (const auto& p : pending_headers_) {
    if (p.has_value() && !p->header.batches.empty()) return false;
  }
  // Uncommitted payload in the DAG needs rounds until an anchor orders it
  // (a late certificate below the last anchor too: a weak link will).
  for (uint64_t r = dag_.gc_round().value(); r <= dag_.highest_round().value(); ++r) {
    for (uint32_t a = 0; a < committee_.size(); ++a) {
      const Vertex* v = dag_.Get(Round(r), ValidatorIndex(a));
      if (v != nullptr && !v->committed && !v->certificate.header.batches.empty()) return false;
    }
  }
  return true;
}

void Core::RequeueOrphanedOwnBatches() {
  // A certificate is only ever linked from the next round, so an own
  // certificate that no later header linked to (it formed after the others
  // moved on) is never reached by an anchor, and its batches, acknowledged to
  // clients, would never commit. Once the GC horizon passes it uncommitted it
  // can never commit on any validator (the horizon follows the commit
  // sequence, identical everywhere): its batches go back to the proposer, and
  // commit exactly once. Re-proposing earlier could commit them twice, since
  // a late link from the next round may still bring the certificate in.
  const Round gc = bullshark_.gc_round();
  std::vector<Digest> requeue;
  for (uint64_t r = std::max<uint64_t>(dag_.gc_round().value(), 1); r < gc.value(); ++r) {
    const Vertex* v = dag_.Get(Round(r), me_);
    if (v == nullptr || v->committed) continue;
    for (const Digest& b : v->certificate.header.batches) {
      if (batches_.contains(b)) requeue.push_back(b);
    }
  }
  // Oldest first, ahead of newer batches: they were acknowledged earlier.
  for (auto it = requeue.rbegin(); it != requeue.rend(); ++it) ready_digests_.push_front(*it);
  stats_.orphaned_own_batches_requeued += requeue.size();
}

void Core::GarbageCollect(Output& out) {
  RequeueOrphanedOwnBatches();
  const Round gc = bullshark_.gc_round();
  dag_.Prune(gc);
  // Keep a batch while a certificate in memory or our own proposer needs it.
  absl::flat_hash_set<Digest> referenced(ready_digests_.begin(), ready_digests_.end());
  for (const auto& [d, unused] : unacked_own_batches_) referenced.insert(d);
  if (own_header_.has_value()) {
    for (const Digest& d : own_header_->header.batches) referenced.insert(d);
  }
  for (uint64_t r = gc.value(); r <= dag_.highest_round().value(); ++r) {
    for (uint32_t a = 0; a < committee_.size(); ++a) {
      const Vertex* v = dag_.Get(Round(r), ValidatorIndex(a));
      if (v == nullptr) continue;
      for (const Digest& d : v->certificate.header.batches) referenced.insert(d);
    }
  }
  for (const auto& [key, p] : pending_certs_) {
    for (const Digest& d : p.certificate.header.batches) referenced.insert(d);
  }
  absl::erase_if(batches_, [&](const auto& entry) {
    if (entry.second.received_round >= gc || referenced.contains(entry.first)) return false;
    --stored_per_author_[entry.second.batch->author.value()];
    return true;
  });
  // A batch stored for availability and collected: its deferred check too.
  absl::erase_if(verifying_, [&](const auto& entry) {
    if (!entry.second.stored || batches_.contains(entry.first)) return false;
    out.actions.push_back(CancelVerifyAction{entry.first});
    return true;
  });
  for (auto& p : pending_headers_) {
    if (p.has_value() && p->header.round <= gc) p.reset();
  }
}

void Core::HandleCertificateRequest(Output& out, ValidatorIndex from,
                                    const CertificateRequest& req) {
  CertificateResponse resp;
  absl::flat_hash_set<Digest> added;
  for (const Digest& d : req.digests) {
    if (resp.certificates.size() >= kMaxResponseCertificates) break;
    const Vertex* v = dag_.Find(d);
    if (v == nullptr || v->certificate.header.round.value() == 0) continue;
    if (added.insert(d).second) resp.certificates.push_back(v->certificate);
  }
  const uint64_t first = std::max<uint64_t>({req.from_round.value(), dag_.gc_round().value(), 1});
  const uint64_t last = std::min(req.to_round.value(), dag_.highest_round().value() + 1);
  for (uint64_t r = first; r < last && resp.certificates.size() < kMaxResponseCertificates;
       ++r) {
    for (uint32_t a = 0; a < committee_.size(); ++a) {
      if (resp.certificates.size() >= kMaxResponseCertificates) break;
      const Vertex* v = dag_.Get(Round(r), ValidatorIndex(a));
      if (v != nullptr && added.insert(v->digest).second) {
        resp.certificates.push_back(v->certificate);
      }
    }
  }
  std::stable_sort(resp.certificates.begin(), resp.certificates.end(),
                   [](const Certificate& a, const Certificate& b) {
                     return a.header.round < b.header.round;
                   });
  SendResponses(out, from, std::move(resp.certificates));
}

void Core::SendResponses(Output& out, ValidatorIndex to, std::vector<Certificate> certs) {
  // Split so each response fits one message (ValidateParameters: any one
  // certificate does) and the whole answer stays under a byte budget.
  CertificateResponse resp;
  size_t resp_bytes = kResponseOverheadBytes;
  size_t total_bytes = 0;
  for (Certificate& c : certs) {
    const size_t bytes = CertificateEncodedBytes(c);
    if (total_bytes + bytes > kMaxResponseBytesPerRequest) break;
    if (!resp.certificates.empty() && resp_bytes + bytes > params_.message_bytes_max) {
      out.Send(to, std::move(resp));
      resp = CertificateResponse{};
      resp_bytes = kResponseOverheadBytes;
    }
    resp.certificates.push_back(std::move(c));
    resp_bytes += bytes;
    total_bytes += bytes;
  }
  if (!resp.certificates.empty()) out.Send(to, std::move(resp));
}

// ---------------------------------------------------------------- catch-up

void Core::NoteMissingCertificate(const Digest& d, ValidatorIndex peer) {
  if (missing_certs_.contains(d)) return;
  if (missing_certs_.size() >= kMaxMissingCertificates) {
    ++stats_.dropped_for_bounds;
    return;
  }
  missing_certs_.emplace(d, MissingItem{peer, 0, 0});
}

void Core::NoteMissingBatch(const Digest& d, ValidatorIndex peer, bool certified) {
  if (auto it = missing_batches_.find(d); it != missing_batches_.end()) {
    it->second.certified |= certified;
    return;
  }
  if (missing_batches_.size() >= kMaxMissingBatches) {
    ++stats_.dropped_for_bounds;
    return;
  }
  missing_batches_.emplace(d, MissingItem{peer, 0, 0, certified});
}

ValidatorIndex Core::PeerFor(const MissingItem& item) const {
  // First whoever told us, then every other validator in turn, never ourselves.
  const uint32_t n = static_cast<uint32_t>(committee_.size());
  uint32_t peer = (item.first_peer.value() + item.attempts) % n;
  if (peer == me_.value()) peer = (peer + 1) % n;
  return ValidatorIndex(peer);
}

void Core::RequestMissing(Output& out, TimeMs now, bool retry) {
  auto due = [&](const MissingItem& m) {
    return m.attempts == 0 || (retry && now >= m.requested_ms + params_.sync_retry_ms);
  };
  std::map<ValidatorIndex, CertificateRequest> cert_requests;
  for (auto it = missing_certs_.begin(); it != missing_certs_.end();) {
    MissingItem& m = it->second;
    if (!due(m)) {
      ++it;
      continue;
    }
    if (m.attempts >= kMaxFetchAttempts) {
      it = missing_certs_.erase(it);
      continue;
    }
    auto& req = cert_requests[PeerFor(m)];
    if (req.digests.size() < kMaxRequestDigests) req.digests.push_back(it->first);
    ++m.attempts;
    m.requested_ms = now;
    ++it;
  }
  // A gap of several rounds: ask for the whole range rather than one round per trip.
  if (!pending_certs_.empty() && now >= last_range_request_ms_ + params_.sync_retry_ms) {
    const auto& lowest = pending_certs_.begin()->second;
    const uint64_t have = dag_.highest_round().value();
    if (lowest.certificate.header.round.value() > have + 2) {
      last_range_request_ms_ = now;
      auto& req = cert_requests[lowest.from];
      req.from_round = Round(have + 1);
      req.to_round = lowest.certificate.header.round;
    }
  }
  for (auto& [peer, req] : cert_requests) out.Send(peer, std::move(req));

  std::map<ValidatorIndex, BatchRequest> batch_requests;
  for (auto it = missing_batches_.begin(); it != missing_batches_.end();) {
    MissingItem& m = it->second;
    if (!due(m)) {
      ++it;
      continue;
    }
    if (m.attempts >= kMaxFetchAttempts) {
      it = missing_batches_.erase(it);
      continue;
    }
    auto& req = batch_requests[PeerFor(m)];
    if (req.digests.size() < kMaxRequestDigests) req.digests.push_back(it->first);
    ++m.attempts;
    m.requested_ms = now;
    ++it;
  }
  for (auto& [peer, req] : batch_requests) out.Send(peer, std::move(req));
}

void Core::Retransmit(Output& out, TimeMs now) {
  if (own_header_.has_value()) {
    if (!own_header_->certified) {
      out.Broadcast(own_header_->header);
    } else if (now >= round_entered_ms_ + params_.sync_retry_ms) {
      // Stuck in this round: our certificate may have been lost on the way.
      if (const Vertex* v = dag_.Find(own_header_->digest)) out.Broadcast(v->certificate);
    }
  }
  for (const auto& [digest, entry] : unacked_own_batches_) {
    auto it = batches_.find(digest);
    if (it == batches_.end()) continue;
    // Pushed less than a period ago: its acks may simply be on the way.
    if (now < it->second.sealed_ms.value_or(0) + params_.sync_retry_ms) continue;
    // Short of f+1 verified acks (a verifier gone or slow): the peers that
    // only stored it are pushed it again too, and verify it after their
    // patience (Core::OnRepush).
    const bool short_of_verified = entry.verified_acks.size() < committee_.validity();
    for (uint32_t a = 0; a < committee_.size(); ++a) {
      const ValidatorIndex peer(a);
      if (!entry.acks.contains(peer) ||
          (short_of_verified && !entry.verified_acks.contains(peer))) {
        out.PushOwnBatch(peer, *it->second.batch);
      }
    }
  }
  for (uint32_t a = 0; a < committee_.size(); ++a) TryVote(out, ValidatorIndex(a), now);
  ProcessPendingCertificates(out, now);
}

// ---------------------------------------------------------------- proposer

std::optional<TimeMs> Core::NextDeadlineMs(TimeMs now) const {
  std::optional<TimeMs> next;
  auto consider = [&](TimeMs t) {
    if (t > now && (!next.has_value() || t < *next)) next = t;
  };
  if (const std::optional<TimeMs> seal = batch_maker_.SealDeadline(); seal && RoomForOwnBatch()) {
    consider(*seal);
  }
  // A proposal waits for the header delay once 2f+1 certificates are in;
  // the leader's timeout runs from quorum_since_ms_ (TryPropose).
  if (quorum_round_ >= round_ && dag_.CountAtRound(quorum_round_) >= committee_.quorum()) {
    consider(last_proposal_ms_ + params_.max_header_delay_ms);
    // With nothing to order the proposal waits for the idle delay instead:
    // a runtime that sleeps until then need not tick an idle core at all.
    consider(last_proposal_ms_ + params_.idle_header_delay_ms);
    if (Committee::IsAnchorRound(quorum_round_)) {
      consider(quorum_since_ms_ + params_.leader_timeout_ms);
    }
  }
  return next;
}

void Core::TryPropose(Output& out, TimeMs now) {
  // The highest round at or above ours with 2f+1 certificates.
  std::optional<Round> q;
  for (uint64_t r = dag_.highest_round().value();; --r) {
    if (r < round_.value()) break;
    if (dag_.CountAtRound(Round(r)) >= committee_.quorum()) {
      q = Round(r);
      break;
    }
    if (r == 0) break;
  }
  if (!q.has_value()) return;
  if (*q != quorum_round_) {
    quorum_round_ = *q;
    quorum_since_ms_ = now;
  }
  bool timed_out = false;
  bool skipped_suspect = false;
  const bool anchor_round = Committee::IsAnchorRound(*q);
  const ValidatorIndex leader = anchor_round ? committee_.Leader(*q) : ValidatorIndex(0);
  // Our own anchor can only come from a header we proposed in that round:
  // after a restart that skipped it, waiting for it is waiting for nothing.
  const bool own_anchor_impossible =
      leader == me_ && !(own_header_.has_value() && own_header_->header.round == *q);
  if (anchor_round && dag_.Get(*q, leader) == nullptr && !own_anchor_impossible) {
    const TimeMs since = (*q == round_) ? std::max(round_entered_ms_, quorum_since_ms_)
                                        : quorum_since_ms_;
    const uint64_t wait_ms = reputation_.WaitMs(leader, params_.leader_timeout_ms);
    if (now < since + wait_ms) return;
    timed_out = wait_ms > 0;
    skipped_suspect = wait_ms == 0;
  }
  // Before the header delay only a full header proposes; the cheap bound
  // first (TryPropose runs on every event, ProposableOwnBatches scans the
  // unacknowledged batches).
  if (now < last_proposal_ms_ + params_.max_header_delay_ms &&
      (ready_digests_.size() < params_.header_batches_max ||
       ProposableOwnBatches(now) < params_.header_batches_max)) {
    return;
  }
  if (now < last_proposal_ms_ + params_.idle_header_delay_ms && NothingToOrder()) return;
  if (timed_out) {
    ++stats_.leader_timeouts;
    reputation_.OnTimedOut(leader);
  }
  if (skipped_suspect) ++stats_.suspected_leader_skips;

  // An own header left uncertified can never be certified now (votes for it
  // are ignored from here on): its batches go back to the front of the queue.
  if (own_header_.has_value() && !own_header_->certified) {
    const auto& old = own_header_->header.batches;
    for (auto it = old.rbegin(); it != old.rend(); ++it) {
      if (batches_.contains(*it)) ready_digests_.push_front(*it);
    }
  }
  // Our own anchor round, completed by the others while we waited out the
  // header delay: jumping to *q + 1 would skip our anchor, and every other
  // validator would wait the leader timeout for it before proposing *q + 1.
  // Proposing it late instead lets them go on as soon as it is certified
  // (a late header is still voted for, TryVote).
  Round parent_round = *q;
  if (anchor_round && leader == me_ && round_ < *q && dag_.Get(*q, me_) == nullptr &&
      q->value() >= 1 && dag_.CountAtRound(Round(q->value() - 1)) >= committee_.quorum()) {
    parent_round = Round(q->value() - 1);
    ++stats_.late_own_anchors;
  }
  Header h;
  h.chain_id = committee_.chain_id();
  h.slice = committee_.slice();
  h.author = me_;
  h.round = Round(parent_round.value() + 1);
  h.parents = dag_.DigestsAtRound(parent_round);
  // Certificates our parents do not reach (formed late, nobody linked them):
  // weak links let a later anchor order them (dag.h Unreached).
  if (parent_round.value() >= 1) {
    const Round min_round(std::max<uint64_t>(dag_.gc_round().value(), 1));
    h.weak_parents = dag_.Unreached(h.parents, min_round, Round(parent_round.value() - 1),
                                    std::min(committee_.size(), kMaxWeakLinks));
    stats_.weak_links_proposed += h.weak_parents.size();
  }
  h.timestamp_ms = now;  // the runtime's clock: wall time in the node
  const size_t proposable = ProposableOwnBatches(now);
  while (h.batches.size() < proposable) {
    h.batches.push_back(ready_digests_.front());
    ready_digests_.pop_front();
  }
  const Digest digest = HeaderDigest(h);
  h.signature = key_.Sign(digest);
  round_ = h.round;
  round_entered_ms_ = now;
  last_proposal_ms_ = now;
  own_header_ = OwnHeader{h, digest, {}, false};
  out.Persist(OwnHeaderRecord{h});
  last_voted_[me_.value()] = std::make_pair(h.round, digest);
  out.Persist(LastVotedRecord{me_, h.round, digest});
  // Our own batches were verified at admission: a verified vote.
  own_header_->votes[me_] = VoteSignature{me_, key_.Sign(VotePayload(digest)), /*verified=*/true};
  out.Broadcast(std::move(h));
}

}  // namespace gridledger::consensus
