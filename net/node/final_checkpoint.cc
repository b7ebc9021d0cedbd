#include "net/node/final_checkpoint.h"

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"

namespace gridledger::node {

absl::Status VerifyFinalCheckpoint(const SignedCheckpoint& checkpoint,
                                   const consensus::Committee& committee,
                                   consensus::SignatureChecker& checker) {
  const uint64_t sequence = checkpoint.checkpoint.sequence;
  if (checkpoint.signatures.size() < committee.quorum()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checkpoint ", sequence, ": ", checkpoint.signatures.size(),
        " signatures, a final one needs ", committee.quorum()));
  }
  for (size_t i = 0; i < checkpoint.signatures.size(); ++i) {
    const auto& [signer, signature] = checkpoint.signatures[i];
    if (i > 0 && checkpoint.signatures[i - 1].first.value() >= signer.value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint ", sequence, ": signers not ascending (a signer twice)"));
    }
    consensus::CheckpointVote vote{checkpoint.checkpoint, signer, signature};
    absl::Status s = consensus::VerifyCheckpointVote(vote, committee, checker);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("checkpoint ", sequence, " signer ",
                                                 signer.value(), ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace gridledger::node
