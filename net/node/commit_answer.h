// One answer to a CommitSyncRequest as its messages arrive (commit sync,
// net/node/commit_syncer.h, and archive nodes, net/archive/): parts of each
// commit in order, the batches its certificates name, the support
// certificates; bounded by bytes. Only assembles: the CommitVerifier decides
// what the commits are worth.
#ifndef GRIDLEDGER_NET_NODE_COMMIT_ANSWER_H_
#define GRIDLEDGER_NET_NODE_COMMIT_ANSWER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "core/consensus/bullshark.h"
#include "core/consensus/messages.h"

namespace gridledger::node {

class CommitAnswer {
 public:
  // The answer to a request for [from_sequence, from_sequence + max_commits),
  // holding at most `bytes_max` of certificates and batches.
  CommitAnswer(uint64_t from_sequence, uint32_t max_commits, size_t bytes_max)
      : first_(from_sequence), end_(from_sequence + max_commits), bytes_max_(bytes_max) {}

  // One message. InvalidArgument (the reason) for a commit outside the range,
  // parts that do not fit together, more certificates than a commit's
  // declared total, or an answer over bytes_max.
  absl::Status Add(const consensus::CommitSyncResponse& response);
  bool complete() const { return complete_; }
  uint64_t highest_sequence() const { return highest_sequence_; }
  // The whole commits from from_sequence on (up to the first incomplete
  // one), index = sequence - 1, batches filled; moves them out.
  std::vector<consensus::CommittedSubDag> TakeCommits();
  const std::vector<consensus::Certificate>& support() const { return support_; }

 private:
  uint64_t first_;
  uint64_t end_;
  size_t bytes_max_;
  bool complete_ = false;
  uint64_t highest_sequence_ = 0;
  std::map<uint64_t, consensus::CommitPart> parts_;  // by sequence
  absl::flat_hash_set<Digest> wanted_batches_;
  absl::flat_hash_map<Digest, std::shared_ptr<const consensus::Batch>> batches_;
  std::vector<consensus::Certificate> support_;
  size_t bytes_ = 0;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_COMMIT_ANSWER_H_
