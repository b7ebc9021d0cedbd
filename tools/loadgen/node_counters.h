// A validator's counters read over its client API (GetCounters) instead of
// scraping and parsing its /metrics text (issue 14 item 3): the signature
// verifications by kind, signatures verified, and the stage latency
// histograms the cluster's steady-window report differences.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_NODE_COUNTERS_H_
#define GRIDLEDGER_TOOLS_LOADGEN_NODE_COUNTERS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/proto/ledger.grpc.pb.h"
#include "tools/loadgen/histogram_quantile.h"

namespace gridledger::loadgen {

inline constexpr absl::Duration kCountersDeadline = absl::Seconds(2);

// GetCounters on the node at `grpc_address` (host:port), within
// kCountersDeadline; the RPC's error as a Status otherwise.
absl::StatusOr<gridledger::v1::NodeCounters> FetchCounters(const std::string& grpc_address);

// The histogram of `stage` ("admit", "commit", ...) with its +Inf bucket
// last; NotFound when the node reports no such stage, InvalidArgument when
// its bounds and counts do not match.
absl::StatusOr<HistogramBuckets> StageBuckets(const gridledger::v1::NodeCounters& counters,
                                              absl::string_view stage);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_NODE_COUNTERS_H_
