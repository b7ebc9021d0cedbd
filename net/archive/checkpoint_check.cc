#include "net/archive/checkpoint_check.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace gridledger::archive {

absl::Status VerifyFinalCheckpoint(const node::SignedCheckpoint& checkpoint,
                                   const consensus::Committee& committee,
                                   consensus::SignatureChecker& checker) {
  if (checkpoint.signatures.size() > committee.size()) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint ", checkpoint.checkpoint.sequence,
                                                   ": ", checkpoint.signatures.size(),
                                                   " signatures for a committee of ",
                                                   committee.size()));
  }
  absl::flat_hash_set<uint32_t> signers;
  for (const auto& [signer, signature] : checkpoint.signatures) {
    if (!signers.insert(signer.value()).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "checkpoint ", checkpoint.checkpoint.sequence, ": signer ", signer.value(), " twice"));
    }
    const consensus::CheckpointVote vote{checkpoint.checkpoint, signer, signature};
    if (absl::Status s = consensus::VerifyCheckpointVote(vote, committee, checker); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("checkpoint ", checkpoint.checkpoint.sequence,
                                                 ": ", s.message()));
    }
  }
  if (signers.size() < committee.quorum()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checkpoint ", checkpoint.checkpoint.sequence, ": ", signers.size(),
        " signatures, a final checkpoint needs ", committee.quorum()));
  }
  return absl::OkStatus();
}

}  // namespace gridledger::archive
