// The consensus position a commit leaves, as this validator recorded it
// (consensus::CommitPositionDigest, core/consensus/checkpoint.h): what its
// checkpoint vote signs, and what a fetched final checkpoint (catch-up, an
// archive) is compared with.
#ifndef GRIDLEDGER_NET_NODE_COMMIT_POSITION_H_
#define GRIDLEDGER_NET_NODE_COMMIT_POSITION_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "core/common/types.h"
#include "storage/consensus_store.h"
#include "storage/node_store.h"

namespace gridledger::node {

// CommitPositionDigest of commit `sequence`: the last committed round stored
// with it (commit_subdag) and its commit record (the commits table), read in
// one transaction. NotFound when either is missing (a restored snapshot's
// own sequence has no commit_subdag record).
absl::StatusOr<Digest> CommitDigestAt(storage::NodeStore& store,
                                      const storage::ConsensusStore& consensus, uint64_t sequence);

// For comparing a fetched final checkpoint with ours: nullopt where we never
// recorded a position for `sequence` (NotFound above: nothing to compare);
// any other error is an error (a record we cannot read vouches for nothing).
absl::StatusOr<std::optional<Digest>> RecordedCommitDigestAt(
    storage::NodeStore& store, const storage::ConsensusStore& consensus, uint64_t sequence);

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_COMMIT_POSITION_H_
