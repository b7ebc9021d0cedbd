#include "net/node/commit_position.h"

#include "core/common/status_macros.h"
#include "core/consensus/checkpoint.h"

namespace gridledger::node {

absl::StatusOr<Digest> CommitDigestAt(storage::NodeStore& store, const ConsensusStore& consensus,
                                      uint64_t sequence) {
  GL_ASSIGN_OR_RETURN(storage::ReadTxn txn, store.env().BeginRead());
  GL_ASSIGN_OR_RETURN(const Round round, consensus.CommittedRoundIn(txn, sequence));
  GL_ASSIGN_OR_RETURN(ByteSpan record,
                      txn.Get(store.tables().commits, storage::EncodeCommitKey(sequence)));
  return consensus::CommitPositionDigest(round, record);
}

}  // namespace gridledger::node
