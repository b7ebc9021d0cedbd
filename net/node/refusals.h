// The messages of the client API's deliberate UNAVAILABLE answers: the node
// is up and says so, as opposed to a broken or refused connection. Clients
// (the load generator) tell the two apart by these prefixes, so they live in
// one place. Header only: no link dependency on the node.
#ifndef GRIDLEDGER_NET_NODE_REFUSALS_H_
#define GRIDLEDGER_NET_NODE_REFUSALS_H_

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace gridledger::node {

inline constexpr absl::string_view kRefusedDiskFull =
    "disk full: this validator admits nothing until space returns";
inline constexpr absl::string_view kRefusedCatchingUp = "catching up";

// True for a message that starts like one of the refusals above.
inline bool IsDeliberateRefusal(absl::string_view message) {
  return absl::StartsWith(message, kRefusedDiskFull) ||
         absl::StartsWith(message, kRefusedCatchingUp);
}

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_REFUSALS_H_
