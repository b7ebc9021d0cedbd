#include "net/node/commit_position.h"

#include "core/common/status_macros.h"
#include "core/consensus/checkpoint.h"

namespace gridledger::node {

absl::StatusOr<Digest> CommitDigestAt(storage::NodeStore& store,
                                      const storage::ConsensusStore& consensus, uint64_t sequence) {
  GL_ASSIGN_OR_RETURN(storage::ReadTxn txn, store.env().BeginRead());
  GL_ASSIGN_OR_RETURN(const Round round, consensus.CommittedRoundIn(txn, sequence));
  GL_ASSIGN_OR_RETURN(ByteSpan record,
                      txn.Get(store.tables().commits, storage::EncodeCommitKey(sequence)));
  return consensus::CommitPositionDigest(round, record);
}

absl::StatusOr<std::optional<Digest>> RecordedCommitDigestAt(
    storage::NodeStore& store, const storage::ConsensusStore& consensus, uint64_t sequence) {
  absl::StatusOr<Digest> digest = CommitDigestAt(store, consensus, sequence);
  if (absl::IsNotFound(digest.status())) return std::nullopt;
  GL_RETURN_IF_ERROR(digest.status());
  return *digest;
}

}  // namespace gridledger::node
