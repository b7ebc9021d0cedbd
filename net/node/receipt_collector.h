// Cross-slice receipt counters for Prometheus, read at scrape time (pull):
// receipts this slice sent to and credited from each other slice (from the
// committed state, so they survive restarts and agree across the slice's
// validators), receipts in flight to each destination (sent minus what the
// destination last told this validator's relay it credited), and imports
// this validator refused, by reason (admission: receipt_service.h;
// execution: commit_executor.h). Labels take values from the genesis's
// slices and a fixed set of reasons, so the series are bounded.
#ifndef GRIDLEDGER_NET_NODE_RECEIPT_COLLECTOR_H_
#define GRIDLEDGER_NET_NODE_RECEIPT_COLLECTOR_H_

#include <vector>

#include "core/execution/receipt.h"
#include "net/node/commit_executor.h"
#include "net/node/receipt_relay.h"
#include "net/node/receipt_service.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "storage/node_store.h"

namespace gridledger::node {

struct ReceiptCollectorSources {
  SliceId slice;
  const CrossSliceConfig* config = nullptr;
  storage::NodeStore* store = nullptr;
  const ReceiptRelay* relay = nullptr;
  const ReceiptServiceStats* admission = nullptr;
  const CommitExecutorStats* execution = nullptr;
};

// Must be unregistered from the MetricsServer (which waits for a scrape in
// progress) before any of its sources is destroyed.
class ReceiptCollector : public prometheus::Collectable {
 public:
  explicit ReceiptCollector(ReceiptCollectorSources sources);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const ReceiptCollectorSources sources_;
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_RECEIPT_COLLECTOR_H_
