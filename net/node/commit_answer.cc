#include "net/node/commit_answer.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace gridledger::node {

using consensus::CommitPart;
using consensus::CommittedSubDag;

absl::Status CommitAnswer::Add(const consensus::CommitSyncResponse& response) {
  for (const CommitPart& p : response.commits) {
    if (p.sequence < first_ || p.sequence >= end_) {
      return absl::InvalidArgumentError(
          absl::StrCat("commit ", p.sequence, " outside the range asked for"));
    }
    auto [it, inserted] = parts_.try_emplace(p.sequence);
    CommitPart& have = it->second;
    if (inserted) {
      have = CommitPart{p.sequence, p.anchor_round, p.anchor, p.last_committed_round,
                        p.total_certificates, 0, {}};
    }
    if (have.anchor != p.anchor || have.anchor_round != p.anchor_round ||
        have.last_committed_round != p.last_committed_round ||
        have.total_certificates != p.total_certificates ||
        p.first_certificate != have.certificates.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("commit ", p.sequence, ": parts do not fit together"));
    }
    // The declared total bounds what its parts may carry (else the commit
    // would only never complete, after holding every extra certificate).
    if (p.certificates.size() > have.total_certificates - have.certificates.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "commit ", p.sequence, ": ", have.certificates.size() + p.certificates.size(),
          " certificates, more than its declared total of ", have.total_certificates));
    }
    for (const consensus::Certificate& c : p.certificates) {
      bytes_ += consensus::CertificateEncodedBytes(c);
      for (const Digest& b : c.header.batches) wanted_batches_.insert(b);
      have.certificates.push_back(c);
    }
  }
  for (const consensus::Batch& b : response.batches) {
    const Digest d = consensus::BatchDigest(b);
    if (!wanted_batches_.contains(d) || batches_.contains(d)) continue;  // not asked for
    bytes_ += consensus::BatchEncodedBytes(b);
    batches_.emplace(d, std::make_shared<const consensus::Batch>(b));
  }
  if (bytes_ > bytes_max_) {
    return absl::InvalidArgumentError(absl::StrCat("answer over ", bytes_max_, " bytes"));
  }
  highest_sequence_ = response.highest_sequence;
  if (response.complete) {
    complete_ = true;
    support_ = response.support;
  }
  return absl::OkStatus();
}

std::vector<CommittedSubDag> CommitAnswer::TakeCommits() {
  std::vector<CommittedSubDag> commits;
  for (uint64_t seq = first_;; ++seq) {
    auto it = parts_.find(seq);
    if (it == parts_.end() || it->second.certificates.size() != it->second.total_certificates) {
      break;
    }
    CommitPart& p = it->second;
    CommittedSubDag sub;
    sub.index = seq - 1;
    sub.anchor_round = p.anchor_round;
    sub.anchor = p.anchor;
    sub.last_committed_round = p.last_committed_round;
    bool complete = true;
    for (const consensus::Certificate& c : p.certificates) {
      for (const Digest& d : c.header.batches) {
        auto b = batches_.find(d);
        if (b == batches_.end()) {
          complete = false;
          break;
        }
        sub.batches.push_back(b->second);
      }
    }
    if (!complete) break;
    sub.certificates = std::move(p.certificates);
    commits.push_back(std::move(sub));
  }
  return commits;
}

}  // namespace gridledger::node
