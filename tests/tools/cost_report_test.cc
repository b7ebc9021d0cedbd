// The honest cost report (issue 12 item 6): node counters (GetCounters) and
// their stage histograms, window quantiles, the verification bound, the steady window's arithmetic
// and the summary / JSON lines built from them.
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tools/loadgen/cost_report.h"
#include "tools/loadgen/histogram_quantile.h"
#include "tools/loadgen/node_counters.h"
#include "tools/loadgen/steady_window.h"
#include "tools/loadgen/verification_bound.h"

namespace gridledger::loadgen {
namespace {

constexpr int64_t kSecondNs = 1'000'000'000;

// A node's counters as GetCounters answers them: verification counters and
// stage histograms (bounds 2 ms and 10 ms) where only "commit" has
// observations: `in_2ms` <= 2 ms and `in_10ms` more in (2 ms, 10 ms].
gridledger::v1::NodeCounters Counters(double admission, double peer, double consensus,
                                      double in_2ms, double in_10ms) {
  gridledger::v1::NodeCounters c;
  c.set_tx_admission_verifications(static_cast<uint64_t>(admission));
  c.set_tx_peer_batch_verifications(static_cast<uint64_t>(peer));
  c.set_consensus_verifications(static_cast<uint64_t>(consensus));
  for (const char* stage : kLatencyStages) {
    const bool timed = std::string(stage) == "commit";
    const uint64_t a = timed ? in_2ms : 0, b = timed ? in_2ms + in_10ms : 0;
    gridledger::v1::StageLatencyHistogram* h = c.add_stages();
    h->set_stage(stage);
    h->add_upper_bounds_s(0.002);
    h->add_upper_bounds_s(0.01);
    h->add_cumulative_counts(a);
    h->add_cumulative_counts(b);
    h->add_cumulative_counts(b);  // +Inf
  }
  return c;
}

TEST(NodeCounters, StageBucketsAndQuantilesBetweenTwoReads) {
  auto before = StageBuckets(Counters(0, 0, 0, 10, 0), "commit");
  auto after = StageBuckets(Counters(0, 0, 0, 10, 100), "commit");
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(after->upper.size(), 3u);
  EXPECT_TRUE(std::isinf(after->upper.back()));
  // Between the reads: 100 observations, all in (2 ms, 10 ms]: the median is
  // halfway through that bucket.
  EXPECT_NEAR(*QuantileBetween(*before, *after, 0.5), 0.006, 1e-12);
  EXPECT_NEAR(*QuantileBetween(*before, *after, 0.99), 0.002 + 0.008 * 0.99, 1e-12);
  // From zero: 10 in the first bucket, 100 in the second.
  EXPECT_NEAR(*QuantileBetween(HistogramBuckets{}, *after, 0.05), 0.002 * 5.5 / 10, 1e-12);
  EXPECT_FALSE(QuantileBetween(*after, *after, 0.5).has_value());  // nothing in between
  EXPECT_EQ(StageBuckets(gridledger::v1::NodeCounters(), "commit").status().code(),
            absl::StatusCode::kNotFound);
  // Counts must be one more than the bounds (the +Inf bucket).
  gridledger::v1::NodeCounters bad = Counters(0, 0, 0, 1, 1);
  bad.mutable_stages(0)->add_cumulative_counts(7);
  EXPECT_EQ(StageBuckets(bad, bad.stages(0).stage()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(VerificationBound, IsCoresOverValidatorsTimesTheLowerCalibration) {
  VerificationBound b;
  EXPECT_EQ(b.tps(), 0);
  b.cores = 2;
  b.validators = 4;
  b.verify_us_before = 50;
  b.verify_us_after = 40;
  EXPECT_EQ(b.verify_us(), 40);
  EXPECT_DOUBLE_EQ(b.tps(), 2 * 1e6 / (4 * 40.0));
  b.verify_us_after = 0;
  EXPECT_EQ(b.verify_us(), 50);
  EXPECT_GE(UsableCores(), 1.0);
}

TimeSeries TenSecondsAt(uint64_t committed_per_s, uint64_t sent_per_s) {
  TimeSeries series;
  for (int64_t s = 0; s < 10; ++s) {
    series.At(s * kSecondNs).committed = committed_per_s;
    series.At(s * kSecondNs).sent = sent_per_s;
  }
  return series;
}

WindowProbe Probe(std::vector<pid_t> pids, double cpu_each, double harness, double admission,
                  double peer, double in_10ms) {
  WindowProbe p;
  for (pid_t pid : pids) {
    p.validators.push_back(
        ValidatorProbe{pid, cpu_each, Counters(admission, peer, 1, 0, in_10ms)});
  }
  p.harness_cpu_s = harness;
  return p;
}

TEST(SteadyWindow, ChargesOnlyTheWindowsCpuAndCommits) {
  // 4 validators: 3 s of start-up CPU each before the window, 2 s each in it.
  const WindowProbe begin = Probe({11, 12, 13, 14}, 3.0, 1.0, 100, 300, 0);
  WindowProbe end = Probe({11, 12, 13, 14}, 5.0, 1.5, 100 + 200, 300 + 600, 50);
  // 50 synced writes each in the window (none counted before it: the
  // difference is what is charged).
  for (ValidatorProbe& v : end.validators) {
    v.counters->set_synced_writes(50);
    v.counters->set_ridden_writes(10);
  }
  const SteadyCost cost = ComputeSteadyCost(begin, end, TenSecondsAt(100, 100),
                                            absl::Seconds(1), absl::Seconds(3));
  ASSERT_TRUE(cost.measured) << cost.not_measured;
  EXPECT_EQ(cost.committed, 200u);  // seconds 1 and 2
  EXPECT_EQ(cost.sent, 200u);
  EXPECT_DOUBLE_EQ(cost.validator_cpu_s, 8.0);
  EXPECT_DOUBLE_EQ(cost.harness_cpu_s, 0.5);
  EXPECT_DOUBLE_EQ(cost.verifications[0], 4 * 200.0);
  EXPECT_DOUBLE_EQ(cost.verifications[1], 4 * 600.0);
  ASSERT_EQ(cost.stages.size(), 1u);  // only "commit" was observed
  EXPECT_EQ(cost.stages[0].stage, "commit");
  EXPECT_EQ(cost.stages[0].count, 200u);
  EXPECT_NEAR(cost.stages[0].p50_ms, 6.0, 1e-9);

  LoadgenResult result;
  result.tps_steady = 100;
  result.sent = 1000;
  result.submissions = 1000;
  CpuCost cpu;
  cpu.bound = VerificationBound{2, 4, 50, 40};
  cpu.verify_cost_us = 40;
  cpu.steady = cost;
  const std::string text = CostSummaryText(result, cpu);
  EXPECT_NE(text.find("Verification bound (measured this run): 12500 tx/s"), std::string::npos)
      << text;
  EXPECT_NE(text.find("Committed TPS (steady) / bound: 0.01"), std::string::npos) << text;
  EXPECT_NE(text.find("Steady window: 1 s to 3 s"), std::string::npos) << text;
  // 8 CPU-s over 200 commits = 40000 us each.
  EXPECT_NE(text.find("(steady window): 40000 us"), std::string::npos) << text;
  // (800 + 2400) / 200 / 4 = 4 per validator, explained.
  EXPECT_NE(text.find("per validator (steady window): 4.00"), std::string::npos) << text;
  EXPECT_NE(text.find("above 1 per validator"), std::string::npos) << text;
  EXPECT_NE(text.find("by validator: 0 4.00, 1 4.00, 2 4.00, 3 4.00\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("commit 6.0 /"), std::string::npos) << text;
  // 200 writes over 200 commits, each stored by 4 validators: 0.25 each.
  EXPECT_NE(text.find("per committed tx, per validator (steady window): 0.250 (200 writes, all "
                      "validators; 40 more writes rode in them)"),
            std::string::npos) << text;

  JsonWriter w;
  w.BeginObject();
  WriteCostJson(w, result, cpu);
  w.EndObject();
  const std::string json = w.Finish();
  EXPECT_NE(json.find("\"verification_bound\":{\"tps\":12500.0"), std::string::npos) << json;
  EXPECT_NE(json.find("\"tps_to_bound\":0.008"), std::string::npos) << json;
  EXPECT_NE(json.find("\"validator_cpu_us_per_tx\":40000.0"), std::string::npos) << json;
  EXPECT_NE(json.find("\"tx_verifications_per_committed_tx_per_validator\":4.0"),
            std::string::npos) << json;
  // Two slices of 2: each validator verifies about half the commits.
  cpu.bound.validators = 2;
  EXPECT_NE(CostSummaryText(result, cpu).find("per validator (steady window): 8.00"),
            std::string::npos) << CostSummaryText(result, cpu);
}

TEST(SteadyWindow, ARestartedValidatorMeansNotMeasured) {
  const WindowProbe begin = Probe({11, 12}, 3.0, 1.0, 0, 0, 0);
  const WindowProbe end = Probe({11, 99}, 5.0, 1.5, 0, 0, 0);
  const SteadyCost cost = ComputeSteadyCost(begin, end, TenSecondsAt(100, 100),
                                            absl::Seconds(1), absl::Seconds(3));
  EXPECT_FALSE(cost.measured);
  EXPECT_NE(cost.not_measured.find("restarted"), std::string::npos);
  CpuCost cpu;
  cpu.steady = cost;
  cpu.process_cpu_s = 10;
  LoadgenResult result;
  result.committed = 1000;
  const std::string text = CostSummaryText(result, cpu);
  EXPECT_NE(text.find("not measured (a validator stopped or restarted"), std::string::npos)
      << text;
  EXPECT_NE(text.find("whole lifetime (start-up and drain included): 10000 us"),
            std::string::npos) << text;
}

TEST(ProcStat, ReadsTheNameToTheLastParenthesisAndUserPlusSystemTime) {
  ThreadCpu cpu;
  ASSERT_TRUE(ParseProcStat("42 (a) b) S 0 0 0 0 0 0 0 0 0 0 300 100 0 0 20 0 1", &cpu));
  EXPECT_EQ(cpu.name, "a) b");
  EXPECT_DOUBLE_EQ(cpu.cpu_s, 400.0 / static_cast<double>(sysconf(_SC_CLK_TCK)));
  EXPECT_FALSE(ParseProcStat("42 (x) S 0 0", &cpu));
  EXPECT_FALSE(ParseProcStat("no parentheses", &cpu));
}

TEST(SteadyWindow, SplitsValidatorCpuByThreadGroup) {
  WindowProbe begin = Probe({11}, 3.0, 0, 0, 0, 0);
  WindowProbe end = Probe({11}, 5.4, 0, 0, 0, 0);
  begin.validators[0].threads = {{101, {"gl-verify-cli", 1.0}},
                                 {102, {"gl-execute", 1.0}},
                                 {103, {"grpc_global_tim", 0.5}}};  // ends in the window
  end.validators[0].threads = {{101, {"gl-verify-cli", 2.5}},
                               {102, {"gl-execute", 1.5}},
                               {104, {"nexting_thread", 0.2}}};  // started in it
  const SteadyCost cost = ComputeSteadyCost(begin, end, TenSecondsAt(100, 100),
                                            absl::Seconds(1), absl::Seconds(3));
  ASSERT_TRUE(cost.measured) << cost.not_measured;
  ASSERT_TRUE(cost.threads_measured);
  EXPECT_DOUBLE_EQ(cost.thread_group_cpu_s[ThreadGroupOf("gl-verify-pool")], 1.5);
  EXPECT_DOUBLE_EQ(cost.thread_group_cpu_s[ThreadGroupOf("gl-execute")], 0.5);
  EXPECT_DOUBLE_EQ(cost.thread_group_cpu_s[ThreadGroupOf("grpcpp_sync_ser")], 0.2);
  // The rest of the process's 2.4 s: the thread that ended.
  EXPECT_NEAR(cost.thread_group_cpu_s[ThreadGroupOf("main")], 0.2, 1e-9);
  double sum = 0;
  for (double g : cost.thread_group_cpu_s) sum += g;
  EXPECT_NEAR(sum, cost.validator_cpu_s, 1e-9);
  EXPECT_EQ(kThreadGroups[ThreadGroupOf("gl-verify-peer")], std::string("verification"));
  EXPECT_EQ(kThreadGroups[ThreadGroupOf("gl-verify-ppool")], std::string("verification"));
  EXPECT_EQ(kThreadGroups[ThreadGroupOf("main")], std::string("other"));
}

}  // namespace
}  // namespace gridledger::loadgen
