// Verifies committed sub-DAGs fetched from one peer (commit sync,
// net/node/commit_syncer.h) before they are executed: a syncing validator
// trusts no peer, only the committee's signatures and Bullshark's rule.
//
// The commits are checked one anchor at a time (all pieces of an anchor
// together, bullshark.h), against the state the previous anchor left:
//   - sequence: indices contiguous from the state's next index; every piece
//     of one anchor names the same anchor; last_committed_round is the
//     previous anchor's round on all pieces but the last, the anchor's on it.
//   - certificates: each has 2f+1 valid votes (VerifyCertificate: chain id,
//     slice, author, header signature), at most header_batches_max batches,
//     and its batches are present, match the header's digests, have its
//     author and pass VerifyBatchShape.
//   - anchor: the last certificate of the last piece, of an even round above
//     the previous anchor's, authored by Committee::Leader of its round.
//   - sub-DAG: exactly the anchor's causal history not committed before and
//     not below the GC horizon of the previous anchor (Dag::UncommittedHistory):
//     in (round, author) order, no certificate committed before, every one
//     reachable from the anchor, and every parent at or above the horizon
//     either in it or committed before. Pieces are cut greedily to the commit
//     limits (kMaxCommitTransactions, kMaxCommitBytes), as Bullshark cuts them.
//   - chain (Bullshark's walk back): the anchor has a path to the previous
//     anchor (a certificate of the round after it links to it), and no
//     leader of an anchor round in between is in its history (that leader
//     would have been committed first).
//   - commit rule: an anchor is proven once f+1 verified certificates of the
//     next round link to it (from later fetched commits or the response's
//     support certificates); the walk back then proves every anchor before
//     it. Only proven commits may be executed; the rest is fetched again.
// With at most f faulty validators this accepts exactly the commits every
// honest validator makes, so a Byzantine peer can omit commits, never forge
// or reorder them.
#ifndef GRIDLEDGER_CORE_CONSENSUS_COMMIT_VERIFIER_H_
#define GRIDLEDGER_CORE_CONSENSUS_COMMIT_VERIFIER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/consensus/bullshark.h"
#include "core/consensus/committee.h"
#include "core/consensus/messages.h"
#include "core/consensus/params.h"
#include "core/consensus/persistence.h"
#include "core/consensus/signature_checker.h"

namespace gridledger::consensus {

// A committed certificate as far as later histories need it.
struct CommittedVertex {
  Round round;
  ValidatorIndex author;
  std::vector<Digest> parents;
  uint64_t timestamp_ms = 0;  // its header's: a later anchor's time needs it
};

// Where the verified chain stands: what Bullshark's state would be.
struct CommitChainState {
  uint64_t next_index = 0;
  Round last_committed_round{0};
  // The anchor of last_committed_round (none before the first commit, or
  // when a damaged store lacks it: the path check is then skipped).
  std::optional<Digest> last_anchor;
  // Committed certificates of rounds at or above the GC horizon of
  // last_committed_round (genesis included while that horizon is 0).
  absl::flat_hash_map<Digest, CommittedVertex> committed;
};

struct CommitVerifyResult {
  size_t proven = 0;       // leading commits proven (executable), whole anchors
  // Consensus time of each checked commit (indexed like `commits`): the
  // median of its anchor's parents' timestamps, exactly what Bullshark set
  // on the validators that committed it (consensus_time.h). A synced commit
  // must execute at that time or the market state would diverge.
  std::vector<uint64_t> time_ms;
  CommitChainState state;  // the state after them
  absl::Status error;      // why the first refused commit was refused (OK if none)
};

class CommitVerifier {
 public:
  // Everything must outlive the verifier.
  CommitVerifier(const Committee* committee, const Parameters& params,
                 SignatureChecker* checker)
      : committee_(committee), params_(params), checker_(checker) {}

  // The state after the commits recorded in `persisted` (ConsensusStore::Load).
  CommitChainState StateFrom(const PersistedState& persisted) const;

  // Verifies `commits` (batches filled, indices from state.next_index on)
  // and `support` against `state`. A trailing anchor whose pieces are not
  // all there is left unproven, not refused.
  CommitVerifyResult Verify(const CommitChainState& state,
                            absl::Span<const CommittedSubDag> commits,
                            absl::Span<const Certificate> support) const;

 private:
  absl::Status CheckAnchor(const CommitChainState& state,
                           absl::Span<const CommittedSubDag> pieces) const;
  void Apply(absl::Span<const CommittedSubDag> pieces, CommitChainState* state) const;
  Round GcRoundAfter(Round r) const {
    return r.value() > params_.gc_depth ? Round(r.value() - params_.gc_depth) : Round(0);
  }

  const Committee* committee_;
  Parameters params_;
  SignatureChecker* checker_;
};

}  // namespace gridledger::consensus

#endif  // GRIDLEDGER_CORE_CONSENSUS_COMMIT_VERIFIER_H_
