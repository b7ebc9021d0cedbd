#include "tools/loadgen/histogram_quantile.h"

#include <algorithm>
#include <cmath>

namespace gridledger::loadgen {

std::optional<double> QuantileBetween(const HistogramBuckets& before,
                                      const HistogramBuckets& after, double q) {
  const size_t n = after.upper.size();
  if (n == 0 || after.cumulative.size() != n ||
      (!before.upper.empty() && before.upper != after.upper)) {
    return std::nullopt;
  }
  auto count = [&](size_t i) {
    return after.cumulative[i] - (before.upper.empty() ? 0.0 : before.cumulative[i]);
  };
  const double total = count(n - 1);
  if (total <= 0) return std::nullopt;
  const double rank = std::clamp(q, 0.0, 1.0) * total;
  for (size_t i = 0; i < n; ++i) {
    if (count(i) < rank) continue;
    if (std::isinf(after.upper[i])) return i > 0 ? after.upper[i - 1] : 0.0;
    const double lower = i > 0 ? after.upper[i - 1] : 0.0;
    const double below = i > 0 ? count(i - 1) : 0.0;
    const double in_bucket = count(i) - below;
    if (in_bucket <= 0) return after.upper[i];
    return lower + (after.upper[i] - lower) * (rank - below) / in_bucket;
  }
  return std::nullopt;
}

}  // namespace gridledger::loadgen
