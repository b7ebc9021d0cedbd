// Reads one value from a node's Prometheus endpoint (plain HTTP/1.0 GET
// /metrics on loopback), for the CPU-cost split of a cluster run.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_METRICS_SCRAPE_H_
#define GRIDLEDGER_TOOLS_LOADGEN_METRICS_SCRAPE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gridledger::loadgen {

inline constexpr size_t kMaxScrapeBytes = 4 << 20;

// Sum of every sample of metric `name` (all label sets) in an exposition
// text; NotFound when there is none.
absl::StatusOr<double> SumMetric(absl::string_view exposition, absl::string_view name);

// GET http://<host:port>/metrics, then SumMetric. Bounded in time and size.
absl::StatusOr<double> ScrapeMetricSum(const std::string& host_port, absl::string_view name);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_METRICS_SCRAPE_H_
