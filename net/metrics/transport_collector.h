// Exposes a Transport's counters to Prometheus at scrape time (pull), so the
// transport needs no metrics code and no polling thread.
#ifndef GRIDLEDGER_NET_METRICS_TRANSPORT_COLLECTOR_H_
#define GRIDLEDGER_NET_METRICS_TRANSPORT_COLLECTOR_H_

#include <vector>

#include "net/transport/transport.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace gridledger::net {

// Must not outlive `transport`: unregister it from the MetricsServer (which
// waits for a scrape in progress) before destroying the transport.
class TransportCollector : public prometheus::Collectable {
 public:
  explicit TransportCollector(const Transport* transport) : transport_(transport) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const Transport* transport_;
};

}  // namespace gridledger::net

#endif  // GRIDLEDGER_NET_METRICS_TRANSPORT_COLLECTOR_H_
