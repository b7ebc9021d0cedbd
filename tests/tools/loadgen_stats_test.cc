// Exact tests of the load generator's arithmetic and argument parsing.
#include <vector>

#include "gtest/gtest.h"
#include "tools/loadgen/args.h"
#include "tools/loadgen/stats.h"

namespace gridledger::loadgen {
namespace {

TEST(FixedRateSchedule, SlotsAreEvenlySpacedFromTheStart) {
  FixedRateSchedule s(200);  // one every 5 ms
  EXPECT_EQ(s.DueOffsetNs(0), 0);
  EXPECT_EQ(s.DueOffsetNs(1), 5'000'000);
  EXPECT_EQ(s.DueOffsetNs(200), 1'000'000'000);
  FixedRateSchedule thirds(3);  // floors 333'333'333.3
  EXPECT_EQ(thirds.DueOffsetNs(1), 333'333'333);
  EXPECT_EQ(thirds.DueOffsetNs(2), 666'666'666);
  EXPECT_EQ(thirds.DueOffsetNs(3), 1'000'000'000);
}

TEST(FixedRateSchedule, DueCountIsTheNumberOfSlotsAtOrBeforeNow) {
  FixedRateSchedule s(200);
  EXPECT_EQ(s.DueCount(-1), 0u);
  EXPECT_EQ(s.DueCount(0), 1u);  // slot 0 is due at the start
  EXPECT_EQ(s.DueCount(4'999'999), 1u);
  EXPECT_EQ(s.DueCount(5'000'000), 2u);
  EXPECT_EQ(s.DueCount(999'999'999), 200u);
  EXPECT_EQ(s.DueCount(1'000'000'000), 201u);
  // rate x duration transactions for a 20 s run: slots before 20 s.
  EXPECT_EQ(s.DueCount(20'000'000'000 - 1), 4000u);
}

TEST(FixedRateSchedule, DueCountAgreesWithDueOffsetForAwkwardRates) {
  for (uint64_t rate : {1ull, 3ull, 7ull, 999ull, 4001ull, 1'000'000ull}) {
    FixedRateSchedule s(rate);
    for (uint64_t i = 0; i < 2000; ++i) {
      const int64_t t = s.DueOffsetNs(i);
      // Offsets strictly increase (rate <= 1e9/s), so exactly i + 1 are due.
      EXPECT_EQ(s.DueCount(t), i + 1) << rate << " " << i;
      EXPECT_EQ(s.DueCount(t - 1), i) << rate << " " << i;
    }
  }
}

TEST(Percentiles, NearestRank) {
  std::vector<uint64_t> v;
  for (uint64_t i = 1; i <= 100; ++i) v.push_back(i * 10);  // 10..1000
  EXPECT_EQ(NearestRankPercentile(v, 500), 500u);
  EXPECT_EQ(NearestRankPercentile(v, 900), 900u);
  EXPECT_EQ(NearestRankPercentile(v, 990), 990u);
  EXPECT_EQ(NearestRankPercentile(v, 1000), 1000u);
  EXPECT_EQ(NearestRankPercentile(v, 0), 10u);  // rank at least 1
  EXPECT_EQ(NearestRankPercentile({}, 500), 0u);
  // Three samples: p50 is rank ceil(1.5) = 2, p99 rank ceil(2.97) = 3.
  EXPECT_EQ(NearestRankPercentile({1, 2, 3}, 500), 2u);
  EXPECT_EQ(NearestRankPercentile({1, 2, 3}, 990), 3u);
  EXPECT_EQ(NearestRankPercentile({7}, 990), 7u);
}

TEST(Percentiles, SummarySortsAndAverages) {
  LatencySummary s = SummarizeLatencies({900, 100, 500, 300, 700});
  EXPECT_EQ(s.count, 5u);
  EXPECT_EQ(s.p50_us, 500u);  // rank 3
  EXPECT_EQ(s.p90_us, 900u);  // rank ceil(4.5) = 5
  EXPECT_EQ(s.p99_us, 900u);
  EXPECT_EQ(s.max_us, 900u);
  EXPECT_EQ(s.mean_us, 500u);
  LatencySummary empty = SummarizeLatencies({});
  EXPECT_EQ(empty.count, 0u);
  EXPECT_EQ(empty.max_us, 0u);
}

TEST(TimeSeries, BucketsByWholeSecondAndClampsTheEnds) {
  TimeSeries series;
  ++series.At(0).sent;
  ++series.At(999'999'999).sent;
  ++series.At(1'000'000'000).committed;
  ++series.At(-5).sent;  // before the start: first bucket
  ++series.At(int64_t{10'000} * 1'000'000'000).rejected;  // past the bound: last bucket
  ASSERT_EQ(series.buckets().size(), TimeSeries::kMaxSeconds);
  EXPECT_EQ(series.buckets()[0].sent, 3u);
  EXPECT_EQ(series.buckets()[1].committed, 1u);
  EXPECT_EQ(series.buckets()[TimeSeries::kMaxSeconds - 1].rejected, 1u);
}

TEST(KillSpec, Parses) {
  auto k = ParseKillSpec("1@2s");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->count, 1u);
  EXPECT_EQ(k->at, absl::Seconds(2));
  auto ms = ParseKillSpec("3@1500ms");
  ASSERT_TRUE(ms.ok());
  EXPECT_EQ(ms->count, 3u);
  EXPECT_EQ(ms->at, absl::Milliseconds(1500));
  for (const char* bad : {"", "1", "@2s", "0@2s", "x@2s", "1@", "1@0s", "1@-2s", "-1@2s"}) {
    EXPECT_EQ(ParseKillSpec(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace gridledger::loadgen
