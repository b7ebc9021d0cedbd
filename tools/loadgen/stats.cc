#include "tools/loadgen/stats.h"

#include <algorithm>

#include "core/common/check.h"

namespace gridledger::loadgen {
namespace {
constexpr uint64_t kNsPerS = 1'000'000'000;
}

FixedRateSchedule::FixedRateSchedule(uint64_t rate_per_s) : rate_per_s_(rate_per_s) {
  GL_CHECK(rate_per_s >= 1);
}

int64_t FixedRateSchedule::DueOffsetNs(uint64_t i) const {
  return static_cast<int64_t>(static_cast<unsigned __int128>(i) * kNsPerS / rate_per_s_);
}

uint64_t FixedRateSchedule::DueCount(int64_t elapsed_ns) const {
  if (elapsed_ns < 0) return 0;
  // floor(i * 1e9 / r) <= t  <=>  i * 1e9 < (t + 1) * r  <=>  i <= ((t + 1) * r - 1) / 1e9.
  const unsigned __int128 limit =
      (static_cast<unsigned __int128>(elapsed_ns) + 1) * rate_per_s_ - 1;
  return static_cast<uint64_t>(limit / kNsPerS) + 1;
}

uint64_t NearestRankPercentile(const std::vector<uint64_t>& sorted, uint32_t permille) {
  GL_CHECK(permille <= 1000);
  if (sorted.empty()) return 0;
  const uint64_t n = sorted.size();
  uint64_t rank = (static_cast<uint64_t>(permille) * n + 999) / 1000;
  if (rank == 0) rank = 1;
  return sorted[rank - 1];
}

LatencySummary SummarizeLatencies(std::vector<uint64_t> latencies_us) {
  std::sort(latencies_us.begin(), latencies_us.end());
  LatencySummary s;
  s.count = latencies_us.size();
  if (latencies_us.empty()) return s;
  s.p50_us = NearestRankPercentile(latencies_us, 500);
  s.p90_us = NearestRankPercentile(latencies_us, 900);
  s.p99_us = NearestRankPercentile(latencies_us, 990);
  s.max_us = latencies_us.back();
  unsigned __int128 sum = 0;
  for (uint64_t v : latencies_us) sum += v;
  s.mean_us = static_cast<uint64_t>(sum / latencies_us.size());
  return s;
}

SecondBucket& TimeSeries::At(int64_t elapsed_ns) {
  int64_t second = elapsed_ns < 0 ? 0 : elapsed_ns / static_cast<int64_t>(kNsPerS);
  if (second >= static_cast<int64_t>(kMaxSeconds)) second = kMaxSeconds - 1;
  if (buckets_.size() <= static_cast<size_t>(second)) buckets_.resize(second + 1);
  return buckets_[second];
}

}  // namespace gridledger::loadgen
