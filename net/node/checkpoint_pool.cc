#include "net/node/checkpoint_pool.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"

namespace gridledger::node {

using consensus::CheckpointDigest;
using consensus::CheckpointVote;

namespace {
// What two checkpoints of one sequence can differ in (divergence lines).
std::string Describe(const consensus::Checkpoint& c) {
  return absl::StrCat("state root ", c.state_root.Hex(), " (commit digest ",
                      c.commit_digest.ShortHex(), ")");
}
}  // namespace

absl::Status CheckpointPool::Refuse(absl::Status status) {
  ++stats_.refused;
  return status;
}

void CheckpointPool::Prune() {
  while (!slots_.empty() && slots_.begin()->first + kCheckpointWindowBehind <= executed_) {
    slots_.erase(slots_.begin());
  }
}

std::optional<SignedCheckpoint> CheckpointPool::Count(Slot& slot, const Digest& digest,
                                                      const CheckpointVote& vote) {
  slot.signed_by[vote.signer.value()] = digest;
  Candidate& c = slot.candidates[digest];
  c.checkpoint = vote.checkpoint;
  c.signatures[vote.signer.value()] = vote.signature;
  if (slot.final_digest.has_value() || c.signatures.size() < committee_.quorum()) {
    return std::nullopt;
  }
  slot.final_digest = digest;
  ++stats_.finals;
  stats_.last_final_sequence = std::max(stats_.last_final_sequence, vote.checkpoint.sequence);
  if (slot.own.has_value() && *slot.own != digest) ++stats_.own_divergences;
  SignedCheckpoint out;
  out.checkpoint = c.checkpoint;
  for (const auto& [signer, signature] : c.signatures) {
    out.signatures.emplace_back(ValidatorIndex(signer), signature);
  }
  return out;
}

std::vector<SignedCheckpoint> CheckpointPool::AddOwn(const CheckpointVote& vote,
                                                     std::vector<std::string>* divergence) {
  const uint64_t sequence = vote.checkpoint.sequence;
  GL_CHECK_MSG(sequence > executed_, "own checkpoint votes come once each, in commit order");
  executed_ = std::max(executed_, sequence);
  Prune();
  std::vector<SignedCheckpoint> finals;
  const Digest digest = CheckpointDigest(vote.checkpoint);
  Slot& slot = slots_[sequence];
  slot.own = digest;
  if (slot.final_digest.has_value() && *slot.final_digest != digest) {
    ++stats_.own_divergences;
    if (divergence != nullptr) {
      divergence->push_back(absl::StrCat("the final checkpoint at sequence ", sequence,
                                         " certifies another checkpoint than ours (",
                                         Describe(vote.checkpoint),
                                         "): THIS validator diverged"));
    }
  }
  // Votes that arrived first for another root: divergence, now known.
  for (auto it = slot.candidates.begin(); it != slot.candidates.end();) {
    if (it->first == digest || it->first == slot.final_digest) {
      ++it;
      continue;
    }
    for (const auto& entry : it->second.signatures) {
      ++stats_.root_mismatches;
      if (divergence != nullptr) {
        divergence->push_back(absl::StrCat(
            "validator ", entry.first, " signed ", Describe(it->second.checkpoint),
            " at sequence ", sequence, ", ours is ", Describe(vote.checkpoint)));
      }
    }
    slot.candidates.erase(it++);
  }
  if (auto f = Count(slot, digest, vote)) finals.push_back(std::move(*f));
  return finals;
}

absl::StatusOr<std::vector<SignedCheckpoint>> CheckpointPool::AddPeer(
    ValidatorIndex from, const CheckpointVote& vote) {
  const uint64_t sequence = vote.checkpoint.sequence;
  if (vote.signer != from) {
    return Refuse(absl::PermissionDeniedError(
        absl::StrCat("checkpoint vote of validator ", vote.signer.value(),
                     " relayed by validator ", from.value(), ": only its signer sends it")));
  }
  if (sequence > executed_ + kCheckpointWindowAhead ||
      sequence + kCheckpointWindowBehind <= executed_) {
    ++stats_.out_of_window;
    return Refuse(absl::OutOfRangeError(absl::StrCat(
        "checkpoint vote of validator ", from.value(), " at sequence ", sequence,
        " is outside the window around our last executed commit ", executed_)));
  }
  absl::Status verified = consensus::VerifyCheckpointVote(vote, committee_, checker_);
  if (!verified.ok()) return Refuse(verified);
  const Digest digest = CheckpointDigest(vote.checkpoint);
  Slot& slot = slots_[sequence];
  auto signed_before = slot.signed_by.find(vote.signer.value());
  if (signed_before != slot.signed_by.end()) {
    if (signed_before->second == digest) return std::vector<SignedCheckpoint>();  // duplicate
    ++stats_.equivocations;
    return Refuse(absl::PermissionDeniedError(
        absl::StrCat("validator ", from.value(), " signed two checkpoints at sequence ",
                     sequence)));
  }
  if (slot.own.has_value() && *slot.own != digest) {
    ++stats_.root_mismatches;
    slot.signed_by[vote.signer.value()] = digest;  // one verdict per signer and sequence
    return Refuse(absl::FailedPreconditionError(absl::StrCat(
        "validator ", from.value(), " signed ", Describe(vote.checkpoint), " at sequence ",
        sequence, ", ours differs")));
  }
  ++stats_.accepted;
  std::vector<SignedCheckpoint> finals;
  if (auto f = Count(slot, digest, vote)) finals.push_back(std::move(*f));
  return finals;
}

}  // namespace gridledger::node
