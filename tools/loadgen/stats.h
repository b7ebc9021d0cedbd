// The arithmetic of a benchmark run, kept free of clocks and I/O so it can be
// tested exactly: the fixed-rate (open-loop) send schedule, nearest-rank
// latency percentiles, and per-second buckets for the time series.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_STATS_H_
#define GRIDLEDGER_TOOLS_LOADGEN_STATS_H_

#include <cstdint>
#include <vector>

namespace gridledger::loadgen {

// As Hyperledger Caliper's fixed-rate controller: transaction i is due
// floor(i * 1e9 / rate) ns after the start, whatever happened to earlier
// ones (open loop: replies never delay the schedule).
class FixedRateSchedule {
 public:
  explicit FixedRateSchedule(uint64_t rate_per_s);  // rate_per_s >= 1
  uint64_t rate_per_s() const { return rate_per_s_; }
  // Offset of transaction i from the start.
  int64_t DueOffsetNs(uint64_t i) const;
  // How many transactions are due at `elapsed_ns` after the start (those
  // with DueOffsetNs(i) <= elapsed_ns); 0 before the start.
  uint64_t DueCount(int64_t elapsed_ns) const;

 private:
  uint64_t rate_per_s_;
};

// Nearest-rank percentile of `sorted` (ascending): the value at rank
// ceil(permille * N / 1000), 1-based, at least rank 1. 0 for an empty input.
uint64_t NearestRankPercentile(const std::vector<uint64_t>& sorted, uint32_t permille);

struct LatencySummary {
  uint64_t count = 0;
  uint64_t p50_us = 0;
  uint64_t p90_us = 0;
  uint64_t p99_us = 0;
  uint64_t max_us = 0;
  uint64_t mean_us = 0;  // rounded down
};
// Sorts `latencies_us` and summarizes it.
LatencySummary SummarizeLatencies(std::vector<uint64_t> latencies_us);

// One row of the per-second time series.
struct SecondBucket {
  uint64_t sent = 0;       // transactions sent in this second
  uint64_t rejected = 0;   // refused at submission, or failed in execution
  uint64_t committed = 0;  // committed and executed successfully, by commit time
  std::vector<uint64_t> latencies_us;  // of this second's commits
};

// Buckets indexed by whole seconds since the start; grows on demand up to a
// fixed bound (later events land in the last bucket).
class TimeSeries {
 public:
  static constexpr uint64_t kMaxSeconds = 3600;
  SecondBucket& At(int64_t elapsed_ns);
  const std::vector<SecondBucket>& buckets() const { return buckets_; }

 private:
  std::vector<SecondBucket> buckets_;
};

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_STATS_H_
