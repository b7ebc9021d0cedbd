// TEST ONLY: which Byzantine behaviours a validator process shows (node config
// `byzantine = ...`, refused unless `test_only_byzantine = yes`). Kept apart
// from the behaviour itself (byzantine_behaviour.h) so the config parser does
// not depend on the consensus messages.
#ifndef GRIDLEDGER_NET_NODE_BYZANTINE_SWITCH_H_
#define GRIDLEDGER_NET_NODE_BYZANTINE_SWITCH_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gridledger::node {

struct ByzantineBehaviours {
  // A second, different header for the same round, first to half the peers.
  bool equivocate = false;
  // Some own headers padded past header_batches_max (honest nodes refuse to vote).
  bool oversize_headers = false;
  // Frames of random bytes to random peers.
  bool garbage_frames = false;
  // Own batches sent only to 2f peers; batch fetches never answered.
  bool withhold_batches = false;
  // Many valid batches that no header carries.
  bool flood_batches = false;

  bool any() const {
    return equivocate || oversize_headers || garbage_frames || withhold_batches || flood_batches;
  }
  // "equivocate,oversize_headers,..." in this order; "none" when none.
  std::string ToString() const;
  bool operator==(const ByzantineBehaviours&) const = default;
};

// "all", or a comma-separated list of equivocate, oversize_headers,
// garbage_frames, withhold_batches, flood_batches (each at most once).
// InvalidArgument naming the first unknown or repeated name.
absl::StatusOr<ByzantineBehaviours> ParseByzantineBehaviours(absl::string_view text);

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_BYZANTINE_SWITCH_H_
