#include "core/consensus/consensus_time.h"

#include <algorithm>

namespace gridledger::consensus {

uint64_t MedianMs(std::vector<uint64_t> timestamps_ms) {
  if (timestamps_ms.empty()) return 0;
  const size_t mid = timestamps_ms.size() / 2;
  std::nth_element(timestamps_ms.begin(), timestamps_ms.begin() + mid, timestamps_ms.end());
  return timestamps_ms[mid];
}

uint64_t AnchorTimeMs(const Dag& dag, const Header& anchor) {
  std::vector<uint64_t> times;
  times.reserve(anchor.parents.size());
  for (const Digest& parent : anchor.parents) {
    if (const Vertex* v = dag.Find(parent)) times.push_back(v->certificate.header.timestamp_ms);
  }
  return MedianMs(std::move(times));
}

}  // namespace gridledger::consensus
