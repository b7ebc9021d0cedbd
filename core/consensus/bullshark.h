// Bullshark's commit rule (partially synchronous variant) over the certified DAG:
// the anchor of even round r commits once >= f+1 certificates of round r+1 have
// it as a parent; then earlier uncommitted anchors reachable from it are
// committed too, oldest first; each anchor's not-yet-ordered causal history is
// flattened by (round, author). Garbage collection: after an anchor of round r
// commits, rounds below r - gc_depth are no longer considered.
//
// Commit bound (cap and carry): the history one anchor orders is not bounded
// by anything a peer controls alone (it spans every round since the previous
// commit, under asynchrony arbitrarily many, times the committee), so no
// per-header bound multiplied out can keep it under execution's block bound.
// Instead an anchor's history is cut, in its deterministic order, into
// consecutive pieces of at most CommitLimits each (whole certificates; one
// certificate always fits, ValidateParameters checks that), each its own
// CommittedSubDag with the next index. Every honest node cuts identically.
#ifndef GRIDLEDGER_CORE_CONSENSUS_BULLSHARK_H_
#define GRIDLEDGER_CORE_CONSENSUS_BULLSHARK_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/functional/function_ref.h"
#include "core/consensus/committee.h"
#include "core/consensus/dag.h"
#include "core/consensus/messages.h"

namespace gridledger::consensus {

// One committed anchor and the certificates it orders, in execution order.
struct CommittedSubDag {
  uint64_t index = 0;  // position in the slice's commit sequence, from 0
  Round anchor_round;
  Digest anchor;
  // The last committed round to persist with this commit (restart state):
  // anchor_round on the anchor's last (or only) piece, the round committed
  // before this anchor on earlier pieces. A restart between two pieces thus
  // commits the anchor again; its history then starts at a piece boundary,
  // and cutting it greedily gives the same remaining pieces.
  Round last_committed_round;
  // Consensus time of the anchor (consensus_time.h); equal on every piece.
  uint64_t time_ms = 0;
  std::vector<Certificate> certificates;  // sorted by (round, author); anchor last
  // The certificates' batches in order (certificate order, then header order).
  std::vector<std::shared_ptr<const Batch>> batches;
};

// The transactions and payload bytes of one certificate's batches.
struct CommitCost {
  size_t transactions = 0;
  size_t bytes = 0;
};
struct CommitLimits {
  size_t transactions_max = 0;
  size_t bytes_max = 0;
};
using CertificateCostFn = absl::FunctionRef<CommitCost(const Certificate&)>;

class Bullshark {
 public:
  Bullshark(const Committee* committee, uint64_t gc_depth, CommitLimits limits)
      : committee_(committee), gc_depth_(gc_depth), limits_(limits) {}

  // Restores the commit state (from persisted commits).
  void Restore(Round last_committed_round, uint64_t next_index) {
    last_committed_round_ = last_committed_round;
    next_index_ = next_index;
  }

  // Called after a certificate of `round` entered the DAG. Commits what the
  // rule allows (marking the DAG) and returns the sub-DAGs oldest first, cut
  // to the limits by `cost`, with `batches` left empty for the caller to
  // fill. Prunes nothing: the caller prunes the DAG to gc_round() afterwards.
  std::vector<CommittedSubDag> OnCertificate(Dag& dag, Round round, CertificateCostFn cost);

  Round last_committed_round() const { return last_committed_round_; }
  uint64_t next_index() const { return next_index_; }
  // The GC horizon implied by the last committed anchor.
  Round gc_round() const { return GcRoundAfter(last_committed_round_); }
  Round GcRoundAfter(Round anchor_round) const {
    return anchor_round.value() > gc_depth_ ? Round(anchor_round.value() - gc_depth_) : Round(0);
  }

 private:
  const Committee* committee_;
  uint64_t gc_depth_;
  CommitLimits limits_;
  Round last_committed_round_{0};
  uint64_t next_index_ = 0;
};

}  // namespace gridledger::consensus

#endif  // GRIDLEDGER_CORE_CONSENSUS_BULLSHARK_H_
