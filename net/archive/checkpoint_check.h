// Checks a final checkpoint fetched from a source (net/node/checkpoint_store.h
// record) against the slice's committee from genesis: the chain id and slice
// are the committee's, and at least 2f+1 distinct members signed it. The
// source is not trusted: a record short of a quorum, with a non-member, a
// repeated signer or a bad signature is refused with the reason.
#ifndef GRIDLEDGER_NET_ARCHIVE_CHECKPOINT_CHECK_H_
#define GRIDLEDGER_NET_ARCHIVE_CHECKPOINT_CHECK_H_

#include "absl/status/status.h"
#include "core/consensus/committee.h"
#include "core/consensus/signature_checker.h"
#include "net/node/checkpoint_store.h"

namespace gridledger::archive {

// OK when final for `committee`; InvalidArgument / PermissionDenied naming why not.
absl::Status VerifyFinalCheckpoint(const node::SignedCheckpoint& checkpoint,
                                   const consensus::Committee& committee,
                                   consensus::SignatureChecker& checker);

}  // namespace gridledger::archive

#endif  // GRIDLEDGER_NET_ARCHIVE_CHECKPOINT_CHECK_H_
