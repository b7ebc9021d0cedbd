// Counts the client transactions a SubmitBatch answer refused, by reason
// (gridledger_transactions_rejected_total{reason=...}), so the dashboard
// shows why clients are turned away without parsing logs.
#ifndef GRIDLEDGER_NET_NODE_REJECTION_METRICS_H_
#define GRIDLEDGER_NET_NODE_REJECTION_METRICS_H_

#include <optional>

#include "net/metrics/node_metrics.h"
#include "net/proto/ledger.pb.h"

namespace gridledger::node {

// The metrics reason of a refusal code; nullopt for ACCEPTED/UNSPECIFIED.
std::optional<net::TxRejection> RejectionOf(v1::SubmitCode code);

// One count per refused result of `response`. `metrics` may be null.
void CountRejections(const v1::SubmitBatchResponse& response, net::NodeMetrics* metrics);

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_REJECTION_METRICS_H_
