// Reads values from a node's Prometheus endpoint (plain HTTP/1.0 GET
// /metrics on loopback), for the CPU-cost split and the latency anatomy of a
// cluster run.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_METRICS_SCRAPE_H_
#define GRIDLEDGER_TOOLS_LOADGEN_METRICS_SCRAPE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gridledger::loadgen {

inline constexpr size_t kMaxScrapeBytes = 4 << 20;

// Sum of every sample of metric `name` (all label sets) in an exposition
// text; NotFound when there is none.
absl::StatusOr<double> SumMetric(absl::string_view exposition, absl::string_view name);
// The same over the samples whose labels include label="value".
absl::StatusOr<double> SumMetricWhere(absl::string_view exposition, absl::string_view name,
                                      absl::string_view label, absl::string_view value);

// One histogram series' cumulative buckets, ascending by upper bound (the
// last is +Inf).
struct HistogramBuckets {
  std::vector<double> upper;
  std::vector<double> cumulative;
};
// The `<name>_bucket` samples whose labels include label="value"; NotFound
// when there are none.
absl::StatusOr<HistogramBuckets> ReadHistogram(absl::string_view exposition,
                                               absl::string_view name, absl::string_view label,
                                               absl::string_view value);
// Quantile q (0..1) of the observations made between two reads of one
// histogram (`after` minus `before`), interpolated linearly inside its bucket
// as PromQL's histogram_quantile does; the highest finite bound when it falls
// in +Inf. nullopt when nothing was observed in between or the buckets differ.
std::optional<double> QuantileBetween(const HistogramBuckets& before,
                                      const HistogramBuckets& after, double q);

// GET http://<host:port>/metrics: the exposition text. Bounded in time and size.
absl::StatusOr<std::string> FetchMetrics(const std::string& host_port);
// FetchMetrics, then SumMetric.
absl::StatusOr<double> ScrapeMetricSum(const std::string& host_port, absl::string_view name);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_METRICS_SCRAPE_H_
