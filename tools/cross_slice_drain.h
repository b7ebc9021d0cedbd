// After a cluster's load: waits until every cross-slice receipt the sources
// gave is credited at its destination (gridledger.v1.Receipts answers each
// slice's next outgoing number per destination and next expected per source).
#ifndef GRIDLEDGER_TOOLS_CROSS_SLICE_DRAIN_H_
#define GRIDLEDGER_TOOLS_CROSS_SLICE_DRAIN_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace gridledger::tools {

// grpc_by_slice[s]: the client API addresses of slice s's validators (any
// that answers is asked). True once, for every ordered pair of slices, the
// destination expects the source's next outgoing number; false at `timeout`.
bool WaitReceiptsCredited(const std::vector<std::vector<std::string>>& grpc_by_slice,
                          absl::Duration timeout);

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_CROSS_SLICE_DRAIN_H_
