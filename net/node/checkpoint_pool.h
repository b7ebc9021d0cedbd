// Collects checkpoint votes (core/consensus/checkpoint.h) of one slice until
// 2f+1 over the same checkpoint make it final. Single-threaded (the checkpoint
// signer's thread owns it).
//
// A peer's vote is refused, with the reason, when it comes over another
// validator's link than its signer's, fails VerifyCheckpointVote (another
// chain or slice, a non-member, a bad signature), lies outside the window
// (more than kCheckpointWindowAhead past our last executed commit, or
// kCheckpointWindowBehind before it), signs a second, different checkpoint
// for a sequence (equivocation), or signs a state root (or commit digest)
// other than ours for a commit we executed: that is divergence, counted in
// root_mismatches (votes
// that arrived before we executed the commit are checked, and dropped, when
// we do). Memory: at most one vote per member per sequence in the window.
#ifndef GRIDLEDGER_NET_NODE_CHECKPOINT_POOL_H_
#define GRIDLEDGER_NET_NODE_CHECKPOINT_POOL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/consensus/checkpoint.h"
#include "core/consensus/committee.h"
#include "core/consensus/signature_checker.h"
#include "net/node/checkpoint_store.h"

namespace gridledger::node {

inline constexpr uint64_t kCheckpointWindowAhead = 64;
inline constexpr uint64_t kCheckpointWindowBehind = 64;

struct CheckpointPoolStats {
  uint64_t accepted = 0;         // peer votes counted
  uint64_t refused = 0;          // peer votes refused (every reason below included)
  uint64_t root_mismatches = 0;  // peer votes for another state root than ours
  uint64_t equivocations = 0;    // a second, different checkpoint from one signer
  uint64_t out_of_window = 0;
  uint64_t finals = 0;
  // Final checkpoints whose state root is not ours: this validator diverged.
  uint64_t own_divergences = 0;
  uint64_t last_final_sequence = 0;
};

class CheckpointPool {
 public:
  // Both must outlive the pool. `last_executed`: the store's last committed
  // sequence at start (the window's anchor until our next own vote).
  CheckpointPool(const consensus::Committee* committee, consensus::SignatureChecker* checker,
                 uint64_t last_executed)
      : committee_(*committee), checker_(*checker), executed_(last_executed) {}

  // Our own vote for the commit we just executed (our misuse if another
  // signer or an earlier sequence). Returns what became final. Peer votes
  // already held for another root are dropped and counted; their lines are
  // appended to `divergence` (may be null).
  std::vector<SignedCheckpoint> AddOwn(const consensus::CheckpointVote& vote,
                                       std::vector<std::string>* divergence);
  // A peer's vote that arrived over validator `from`'s authenticated link.
  // The reason when refused (FailedPrecondition for a root mismatch); else
  // what became final (empty when none, or when a duplicate or late).
  absl::StatusOr<std::vector<SignedCheckpoint>> AddPeer(ValidatorIndex from,
                                                        const consensus::CheckpointVote& vote);

  const CheckpointPoolStats& stats() const { return stats_; }
  // Sequences with votes held (bounded by the window).
  size_t slots() const { return slots_.size(); }

 private:
  struct Candidate {
    consensus::Checkpoint checkpoint;
    std::map<uint32_t, Signature> signatures;  // by signer, ascending
  };
  struct Slot {
    absl::flat_hash_map<Digest, Candidate> candidates;  // by CheckpointDigest
    absl::flat_hash_map<uint32_t, Digest> signed_by;    // each signer's one digest
    std::optional<Digest> own;                          // ours, once executed
    std::optional<Digest> final_digest;  // once 2f+1 signed one
  };
  // Adds a verified signature; returns the checkpoint if it just became final.
  std::optional<SignedCheckpoint> Count(Slot& slot, const Digest& digest,
                                        const consensus::CheckpointVote& vote);
  absl::Status Refuse(absl::Status status);
  void Prune();

  const consensus::Committee& committee_;
  consensus::SignatureChecker& checker_;
  uint64_t executed_;
  std::map<uint64_t, Slot> slots_;
  CheckpointPoolStats stats_;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_CHECKPOINT_POOL_H_
