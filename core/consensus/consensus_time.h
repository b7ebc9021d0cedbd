// Consensus time: the time a commit executes at, agreed by every validator
// without reading a clock. Each header carries its author's timestamp; an
// anchor's time is the median of the timestamps of its parent certificates
// (>= 2f+1 of them, one per author). With at most f Byzantine authors among
// them, the median lies between the smallest and the largest honest timestamp
// (docs/architecture.md, "Consensus time"). Execution additionally never lets
// it go below the previous commit's (core/execution/executor.h).
#ifndef GRIDLEDGER_CORE_CONSENSUS_CONSENSUS_TIME_H_
#define GRIDLEDGER_CORE_CONSENSUS_CONSENSUS_TIME_H_

#include <cstdint>
#include <vector>

#include "core/consensus/dag.h"

namespace gridledger::consensus {

// The upper median (index n/2 of the ascending list); 0 for an empty list.
uint64_t MedianMs(std::vector<uint64_t> timestamps_ms);

// Median of the timestamps of `anchor`'s parents found in `dag` (all of them
// are: an uncommitted anchor's parents lie above the GC horizon).
uint64_t AnchorTimeMs(const Dag& dag, const Header& anchor);

}  // namespace gridledger::consensus

#endif  // GRIDLEDGER_CORE_CONSENSUS_CONSENSUS_TIME_H_
