// Bullshark's commit rule (partially synchronous variant) over the certified DAG:
// the anchor of even round r commits once >= f+1 certificates of round r+1 have
// it as a parent; then earlier uncommitted anchors reachable from it are
// committed too, oldest first; each anchor's not-yet-ordered causal history is
// flattened by (round, author). Garbage collection: after an anchor of round r
// commits, rounds below r - gc_depth are no longer considered.
#ifndef GRIDLEDGER_CORE_CONSENSUS_BULLSHARK_H_
#define GRIDLEDGER_CORE_CONSENSUS_BULLSHARK_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "core/consensus/committee.h"
#include "core/consensus/dag.h"
#include "core/consensus/messages.h"

namespace gridledger::consensus {

// One committed anchor and the certificates it orders, in execution order.
struct CommittedSubDag {
  uint64_t index = 0;  // position in the slice's commit sequence, from 0
  Round anchor_round;
  Digest anchor;
  std::vector<Certificate> certificates;  // sorted by (round, author); anchor last
  // The certificates' batches in order (certificate order, then header order).
  std::vector<std::shared_ptr<const Batch>> batches;
};

class Bullshark {
 public:
  Bullshark(const Committee* committee, uint64_t gc_depth)
      : committee_(committee), gc_depth_(gc_depth) {}

  // Restores the commit state (from persisted commits).
  void Restore(Round last_committed_round, uint64_t next_index) {
    last_committed_round_ = last_committed_round;
    next_index_ = next_index;
  }

  // Called after a certificate of `round` entered the DAG. Commits what the
  // rule allows (marking the DAG) and returns the sub-DAGs oldest first, with
  // `batches` left empty for the caller to fill. Prunes nothing: the caller
  // prunes the DAG to gc_round() afterwards.
  std::vector<CommittedSubDag> OnCertificate(Dag& dag, Round round);

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
  Round last_committed_round_{0};
  uint64_t next_index_ = 0;
};

}  // namespace gridledger::consensus

#endif  // GRIDLEDGER_CORE_CONSENSUS_BULLSHARK_H_
