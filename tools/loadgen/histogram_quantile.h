// Quantiles of a cumulative histogram between two reads of it (the node's
// stage latency histograms, read over gRPC with GetCounters), as PromQL's
// histogram_quantile interpolates them.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_HISTOGRAM_QUANTILE_H_
#define GRIDLEDGER_TOOLS_LOADGEN_HISTOGRAM_QUANTILE_H_

#include <optional>
#include <vector>

namespace gridledger::loadgen {

// One histogram series' cumulative buckets, ascending by upper bound (the
// last is +Inf).
struct HistogramBuckets {
  std::vector<double> upper;
  std::vector<double> cumulative;
};

// Quantile q (0..1) of the observations made between two reads of one
// histogram (`after` minus `before`; an empty `before` counts from zero),
// interpolated linearly inside its bucket; the highest finite bound when it
// falls in +Inf. nullopt when nothing was observed in between or the buckets
// differ.
std::optional<double> QuantileBetween(const HistogramBuckets& before,
                                      const HistogramBuckets& after, double q);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_HISTOGRAM_QUANTILE_H_
