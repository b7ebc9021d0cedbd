// GetCounters (issue 14 item 3, issue 12 item 5): the node's counters that
// load generators read, from the same NodeMetrics its /metrics endpoint
// exports, so tools read typed values over gRPC instead of parsing the
// exposition text.
#ifndef GRIDLEDGER_NET_NODE_NODE_COUNTERS_H_
#define GRIDLEDGER_NET_NODE_NODE_COUNTERS_H_

#include "net/metrics/node_metrics.h"
#include "net/proto/ledger.pb.h"

namespace gridledger::node {

// Fills every counter of `out` but slice and validator_index.
void FillNodeCounters(const net::NodeMetrics& metrics, gridledger::v1::NodeCounters* out);

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_NODE_COUNTERS_H_
