// Loopback ports for the processes `gridledger cluster` starts. Their configs
// name each other's addresses before any of them runs, so the ports are
// chosen first and bound by the nodes later. A port picked by binding port 0
// comes from the kernel's ephemeral range, which every outgoing connection on
// the machine draws from too: in the gap before the node binds it, a client
// connecting anywhere may take it, and the node fails to start. So the ports
// are drawn at random BELOW the ephemeral range (which the kernel never hands
// out by itself) and each is checked free by binding it; only a machine whose
// ephemeral range starts too low falls back to port 0.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_FREE_PORTS_H_
#define GRIDLEDGER_TOOLS_LOADGEN_FREE_PORTS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace gridledger::loadgen {

// `count` distinct loopback TCP ports, free when this returns.
// Unavailable when that many cannot be found.
absl::StatusOr<std::vector<uint16_t>> FreePorts(size_t count);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_FREE_PORTS_H_
