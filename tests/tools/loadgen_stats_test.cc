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

std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return argv;
}

TEST(NamedArgs, ParsesKnownFlagsAndRejectsTheRest) {
  std::vector<std::string> args = {"gridledger cluster", "--rate=200", "--duration=6s"};
  auto argv = Argv(args);
  auto parsed = NamedArgs::Parse(static_cast<int>(argv.size()), argv.data(), {"rate", "duration"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed->Uint("rate", 1, 1, 1000), 200u);
  EXPECT_EQ(*parsed->Duration("duration", absl::Seconds(1)), absl::Seconds(6));
  EXPECT_EQ(*parsed->Uint("missing", 9, 1, 1000), 9u);

  std::vector<std::string> unknown = {"x", "--bogus=1"};
  auto argv2 = Argv(unknown);
  auto bad = NamedArgs::Parse(2, argv2.data(), {"rate"});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "unknown flag --bogus");

  std::vector<std::string> twice = {"x", "--rate=1", "--rate=2"};
  auto argv3 = Argv(twice);
  EXPECT_EQ(NamedArgs::Parse(3, argv3.data(), {"rate"}).status().message(), "--rate given twice");

  std::vector<std::string> values = {"x", "--rate=012", "--duration=-1s"};
  auto argv4 = Argv(values);
  auto v = NamedArgs::Parse(3, argv4.data(), {"rate", "duration"});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->Uint("rate", 1, 1, 1000).status().message(),
            "--rate: '012' is not a non-negative integer");
  EXPECT_EQ(v->Duration("duration", absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(NamedArgs, RangeIsChecked) {
  std::vector<std::string> args = {"x", "--validators=0"};
  auto argv = Argv(args);
  auto parsed = NamedArgs::Parse(2, argv.data(), {"validators"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->Uint("validators", 4, 1, 64).status().message(),
            "--validators: 0 is outside [1, 64]");
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
