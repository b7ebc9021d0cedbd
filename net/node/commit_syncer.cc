#include "net/node/commit_syncer.h"

#include <algorithm>
#include <functional>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"

namespace gridledger::node {

using consensus::Action;
using consensus::CommittedSubDag;
using consensus::TimeMs;

CommitSyncer::CommitSyncer(const consensus::Committee* committee,
                           const consensus::Parameters& params, ValidatorIndex me,
                           consensus::SignatureChecker* checker, storage::ConsensusStore* store)
    : committee_(committee), params_(params), me_(me), store_(store),
      verifier_(committee, params, checker), peer_rounds_(committee->size(), 0),
      peer_(me.value()) {}

void CommitSyncer::NotePeerMessage(ValidatorIndex from, const consensus::Message& message) {
  if (from.value() >= peer_rounds_.size()) return;
  uint64_t round = 0;
  if (const auto* h = std::get_if<consensus::Header>(&message)) {
    round = h->round.value();
  } else if (const auto* c = std::get_if<consensus::Certificate>(&message)) {
    round = c->header.round.value();
  }
  peer_rounds_[from.value()] = std::max(peer_rounds_[from.value()], round);
}

bool CommitSyncer::TakeRejoin() {
  const bool rejoin = rejoin_;
  rejoin_ = false;
  return rejoin;
}

bool CommitSyncer::MayStart(TimeMs now, Round dag_round) const {
  if (syncing_) return false;
  if (ever_ended_ && now < ended_ms_ + kSyncHoldOffMs) return false;
  if (force_start_) return true;
  // The (f+1)-th highest round among the peers: at least one honest peer is there.
  // Asked on every pass of the consensus loop: no heap for a committee of
  // up to 17.
  absl::InlinedVector<uint64_t, 16> rounds;
  for (uint32_t i = 0; i < peer_rounds_.size(); ++i) {
    if (i != me_.value()) rounds.push_back(peer_rounds_[i]);
  }
  const size_t f = committee_->max_faulty();
  if (rounds.size() <= f) return false;
  std::nth_element(rounds.begin(), rounds.begin() + f, rounds.end(), std::greater<>());
  const uint64_t trigger = std::max<uint64_t>(4, params_.gc_depth / 2);
  return rounds[f] > dag_round.value() + trigger;
}

std::vector<Action> CommitSyncer::OnTimer(TimeMs now, Round dag_round) {
  std::vector<Action> out;
  if (!syncing_) {
    if (!MayStart(now, dag_round)) return out;
    if (!force_start_) {
      if (snapshot_policy_ && snapshot_policy_(next_commit_unavailable_)) {
        next_commit_unavailable_ = false;
        return out;
      }
    }
    force_start_ = false;
    Start(now);
    if (syncing_) Request(&out, now);
    return out;
  }
  if (request_.has_value() && now >= requested_ms_ + kSyncRequestTimeoutMs) {
    ++stats_.requests_timed_out;
    ClearAnswer();
    request_.reset();
    NextPeer();
    if (++peers_without_progress_ >= committee_->size() - 1) {
      Finish(now);
      return out;
    }
    Request(&out, now);
  }
  return out;
}

void CommitSyncer::Start(TimeMs now) {
  auto persisted = store_->Load(params_.gc_depth);
  if (!persisted.ok()) {
    logger_.Error(absl::StrCat("commit sync cannot start: ", persisted.status().message()));
    ended_ms_ = now;
    ever_ended_ = true;
    return;
  }
  chain_ = verifier_.StateFrom(*persisted);
  started_ms_ = now;
  started_index_ = chain_.next_index;
  syncing_ = true;
  behind_commits_ = 0;
  peers_without_progress_ = 0;
  unavailable_answers_ = 0;
  ++stats_.syncs_started;
  NextPeer();  // each sync starts with another peer
  logger_.Info(
      absl::StrCat("behind the committee, commit sync from sequence ", chain_.next_index + 1));
}

void CommitSyncer::Finish(TimeMs now) {
  syncing_ = false;
  // Peers are ahead but none served our next commit: only a snapshot helps.
  next_commit_unavailable_ = chain_.next_index == started_index_ && unavailable_answers_ > 0;
  rejoin_ = true;
  ended_ms_ = now;
  ever_ended_ = true;
  ClearAnswer();
  request_.reset();
  // Rounds are heard afresh from the rejoined DAG's traffic.
  std::fill(peer_rounds_.begin(), peer_rounds_.end(), 0);
  logger_.Info(absl::StrCat("commit sync done at sequence ", chain_.next_index, " (",
                            chain_.next_index - started_index_, " commits in ", now - started_ms_,
                            " ms), rejoining the DAG"));
}

void CommitSyncer::NextPeer() {
  const uint32_t n = static_cast<uint32_t>(committee_->size());
  peer_ = (peer_ + 1) % n;
  if (peer_ == me_.value()) peer_ = (peer_ + 1) % n;
}

void CommitSyncer::Request(std::vector<Action>* out, TimeMs now) {
  request_ = consensus::CommitSyncRequest{chain_.next_index + 1, kSyncCommitsPerRequest};
  answer_.emplace(request_->from_sequence, request_->max_commits, kSyncAnswerBufferBytesMax);
  requested_ms_ = now;
  ++stats_.requests_sent;
  out->push_back(consensus::SendAction{ValidatorIndex(peer_), *request_});
}

void CommitSyncer::ClearAnswer() { answer_.reset(); }

void CommitSyncer::Refuse(std::string why) {
  ++stats_.answers_refused;
  logger_.Warn(absl::StrCat("commit sync refused validator ", peer_, "'s answer: ", why));
  last_refusal_ = std::move(why);
}

std::vector<Action> CommitSyncer::OnResponse(ValidatorIndex from,
                                             const consensus::CommitSyncResponse& response,
                                             TimeMs now) {
  std::vector<Action> out;
  if (!syncing_ || !request_.has_value() || from.value() != peer_) return out;  // unasked
  auto refuse = [&](std::string why) {
    Refuse(std::move(why));
    ClearAnswer();
    NextPeer();
    if (++peers_without_progress_ >= committee_->size() - 1) {
      Finish(now);
    } else {
      Request(&out, now);
    }
  };
  if (!answer_.has_value()) return out;
  if (absl::Status added = answer_->Add(response); !added.ok()) {
    refuse(std::string(added.message()));
    return out;
  }
  if (answer_->complete()) OnAnswer(&out, answer_->highest_sequence(), now);
  return out;
}

void CommitSyncer::OnAnswer(std::vector<Action>* out, uint64_t highest_sequence, TimeMs now) {
  // Whole commits, from the first asked for on.
  std::vector<CommittedSubDag> commits = answer_->TakeCommits();
  if (commits.empty() && highest_sequence > chain_.next_index) ++unavailable_answers_;
  consensus::CommitVerifyResult result = verifier_.Verify(chain_, commits, answer_->support());
  if (!result.error.ok()) Refuse(std::string(result.error.message()));

  // Proven commits: their certificates and batches durable first (one write,
  // also what Rejoin and later sync serving read), then executed in order.
  absl::flat_hash_set<Digest> persisted;
  for (size_t i = 0; i < result.proven; ++i) {
    for (const consensus::Certificate& c : commits[i].certificates) {
      out->push_back(consensus::PersistAction{consensus::CertificateRecord{c}});
    }
    for (const auto& b : commits[i].batches) {
      if (persisted.insert(consensus::BatchDigest(*b)).second) {
        out->push_back(consensus::PersistAction{consensus::BatchRecord{b}});
      }
    }
  }
  for (size_t i = 0; i < result.proven; ++i) {
    commits[i].time_ms = result.time_ms[i];  // as the committee executed it
    out->push_back(consensus::CommitAction{std::move(commits[i])});
  }
  stats_.commits_synced += result.proven;
  chain_ = std::move(result.state);
  behind_commits_ = highest_sequence > chain_.next_index ? highest_sequence - chain_.next_index : 0;
  ClearAnswer();
  request_.reset();

  if (result.error.ok() && highest_sequence <= chain_.next_index) {
    Finish(now);  // the peer has nothing more
    return;
  }
  if (!result.error.ok() || result.proven == 0) {
    NextPeer();
    if (++peers_without_progress_ >= committee_->size() - 1) {
      Finish(now);  // the DAG tries; the sync starts again if still behind
      return;
    }
  } else {
    peers_without_progress_ = 0;
  }
  Request(out, now);
}

}  // namespace gridledger::node
