// Checks a final checkpoint that came from outside (a peer's answer in state
// sync or checkpoint catch-up): nothing a peer says about a checkpoint is
// taken without the committee's signatures.
#ifndef GRIDLEDGER_NET_NODE_FINAL_CHECKPOINT_H_
#define GRIDLEDGER_NET_NODE_FINAL_CHECKPOINT_H_

#include "absl/status/status.h"
#include "core/consensus/committee.h"
#include "core/consensus/signature_checker.h"
#include "net/node/checkpoint_store.h"

namespace gridledger::node {

// OK when the checkpoint is for this committee's chain id and slice and
// carries at least quorum (2f+1) signatures of distinct members, ascending,
// each verifying over CheckpointDigest with that member's genesis key.
// InvalidArgument (chain, slice, too few signers) or PermissionDenied (a
// non-member, a bad signature), naming the reason.
absl::Status VerifyFinalCheckpoint(const SignedCheckpoint& checkpoint,
                                   const consensus::Committee& committee,
                                   consensus::SignatureChecker& checker);

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_FINAL_CHECKPOINT_H_
