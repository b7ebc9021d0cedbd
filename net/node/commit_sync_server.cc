#include "net/node/commit_sync_server.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "absl/container/flat_hash_set.h"

namespace gridledger::node {

using consensus::Certificate;
using consensus::CommitPart;
using consensus::CommitSyncResponse;

namespace {

// Builds an answer's messages, each within the message bound.
class AnswerWriter {
 public:
  AnswerWriter(uint64_t highest_sequence, size_t message_bytes_max)
      : highest_(highest_sequence), max_(message_bytes_max) {
    Reset();
  }

  bool Fits(size_t bytes) const { return bytes_ + bytes <= max_; }
  bool Empty() const {
    return current_.commits.empty() && current_.batches.empty() && current_.support.empty();
  }
  // Makes room for `bytes` (a new message if needed); false if even an
  // empty message cannot hold them.
  bool MakeRoom(size_t bytes, bool list_full) {
    if (Fits(bytes) && !list_full) return true;
    if (Empty()) return false;
    messages_.push_back(std::move(current_));
    Reset();
    return Fits(bytes);
  }
  CommitSyncResponse& current() { return current_; }
  void Add(size_t bytes) {
    bytes_ += bytes;
    total_ += bytes;
  }
  size_t total_bytes() const { return total_; }
  std::vector<CommitSyncResponse> Finish() {
    current_.complete = true;
    messages_.push_back(std::move(current_));
    return std::move(messages_);
  }

 private:
  void Reset() {
    current_ = CommitSyncResponse{};
    current_.highest_sequence = highest_;
    bytes_ = consensus::kSyncResponseOverheadBytes;
  }

  uint64_t highest_;
  size_t max_;
  size_t bytes_ = 0;
  size_t total_ = 0;
  CommitSyncResponse current_;
  std::vector<CommitSyncResponse> messages_;
};

}  // namespace

CommitSyncServer::CommitSyncServer(const storage::ConsensusStore* store, size_t committee_size,
                                   size_t message_bytes_max)
    : store_(store), message_bytes_max_(message_bytes_max), buckets_(committee_size) {}

std::vector<CommitSyncResponse> CommitSyncServer::Serve(
    ValidatorIndex from, const consensus::CommitSyncRequest& request, consensus::TimeMs now) {
  if (from.value() >= buckets_.size()) return {};
  Bucket& bucket = buckets_[from.value()];
  if (bucket.used && now > bucket.updated_ms) {
    bucket.tokens = std::min(kSyncServeBurstBytes,
                             bucket.tokens + kSyncServeBytesPerSecond *
                                                 static_cast<double>(now - bucket.updated_ms) /
                                                 1000.0);
  }
  bucket.used = true;
  bucket.updated_ms = now;
  if (bucket.tokens < kSyncRequestMinCostBytes) {
    ++stats_.requests_over_rate;
    return {};
  }

  auto highest = store_->LastRecordedSequence();
  if (!highest.ok()) return {};
  AnswerWriter out(*highest, message_bytes_max_);
  const uint64_t first = std::max<uint64_t>(request.from_sequence, 1);
  const uint64_t end =
      std::min<uint64_t>(first + request.max_commits, *highest + 1);
  std::optional<consensus::CommittedSubDag> last;
  absl::flat_hash_set<Digest> batches_sent;
  bool stop = false;
  for (uint64_t seq = first; seq < end && !stop; ++seq) {
    if (out.total_bytes() >= kSyncAnswerBytesMax) break;
    auto sub = store_->ReadCommit(seq);
    if (!sub.ok()) break;  // not stored (older data directory) or a storage error
    const uint32_t total = static_cast<uint32_t>(sub->certificates.size());
    // Certificates, in parts that fit a message each.
    for (uint32_t i = 0; i < total && !stop; ++i) {
      const Certificate& c = sub->certificates[i];
      const size_t bytes = consensus::CertificateEncodedBytes(c);
      auto& commits = out.current().commits;
      const bool open = !commits.empty() && commits.back().sequence == seq &&
                        commits.back().certificates.size() < consensus::kMaxResponseCertificates;
      const bool full = !open && commits.size() >= consensus::kMaxSyncPartsPerMessage;
      if (!out.MakeRoom(bytes + consensus::kCommitPartOverheadBytes, full)) {
        stop = true;
        break;
      }
      auto& now_commits = out.current().commits;
      if (now_commits.empty() || now_commits.back().sequence != seq ||
          now_commits.back().certificates.size() >= consensus::kMaxResponseCertificates) {
        now_commits.push_back(CommitPart{seq, sub->anchor_round, sub->anchor,
                                         sub->last_committed_round, total, i, {}});
        out.Add(consensus::kCommitPartOverheadBytes);
      }
      now_commits.back().certificates.push_back(c);
      out.Add(bytes);
    }
    // Then the commit's batches, each once per answer.
    for (const auto& batch : sub->batches) {
      if (stop) break;
      const Digest d = consensus::BatchDigest(*batch);
      if (!batches_sent.insert(d).second) continue;
      const size_t bytes = consensus::BatchEncodedBytes(*batch);
      if (!out.MakeRoom(bytes, out.current().batches.size() >=
                                   consensus::kMaxSyncBatchesPerMessage)) {
        stop = true;
        break;
      }
      out.current().batches.push_back(*batch);
      out.Add(bytes);
    }
    if (!stop) {
      ++stats_.commits_served;
      last = std::move(*sub);
    }
  }
  // Support for the last whole commit's anchor: the next round's links to it.
  if (last.has_value() && last->last_committed_round == last->anchor_round) {
    auto support = store_->CertificatesLinking(Round(last->anchor_round.value() + 1),
                                               last->anchor, buckets_.size());
    if (support.ok()) {
      for (Certificate& c : *support) {
        const size_t bytes = consensus::CertificateEncodedBytes(c);
        if (!out.MakeRoom(bytes, false)) break;
        out.current().support.push_back(std::move(c));
        out.Add(bytes);
      }
    }
  }
  const size_t cost = out.total_bytes();
  bucket.tokens -= std::max(static_cast<double>(cost), kSyncRequestMinCostBytes);
  ++stats_.requests_served;
  stats_.bytes_served += cost;
  return out.Finish();
}

}  // namespace gridledger::node
