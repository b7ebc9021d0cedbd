// The chaos planner (tools/loadgen/chaos.h): seeded, within the run, never
// more than max_down validators of a slice down at once, and the optional
// over-f phase exactly max_down + 1 wide with nothing else overlapping it.
#include "tools/loadgen/chaos.h"

#include <gtest/gtest.h>

#include <set>

namespace gridledger::loadgen {
namespace {

ChaosOptions Options(uint64_t seed, uint32_t slices = 1) {
  ChaosOptions o;
  o.seed = seed;
  o.duration = absl::Seconds(60);
  o.slices = slices;
  o.candidates.assign(slices, {0, 1, 2, 3});
  o.max_down = 1;
  return o;
}

TEST(ChaosPlanTest, SameSeedSamePlanOtherSeedOtherPlan) {
  auto a = PlanChaos(Options(7));
  auto b = PlanChaos(Options(7));
  auto c = PlanChaos(Options(8));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
}

TEST(ChaosPlanTest, CoversTheRunWithBothKindsAndNeverMoreThanMaxDown) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    for (uint32_t slices : {1u, 2u}) {
      ChaosOptions o = Options(seed, slices);
      auto plan = PlanChaos(o);
      ASSERT_TRUE(plan.ok()) << plan.status();
      ASSERT_GE(plan->size(), 8u) << "seed " << seed;  // 60 s, one every ~2-5 s
      std::set<FaultKind> kinds;
      for (const PlannedFault& f : *plan) {
        kinds.insert(f.kind);
        EXPECT_GE(f.at, o.warmup);
        EXPECT_LE(f.at + f.down, o.duration - o.quiet_end);
        EXPECT_LT(f.index, 4u);
        EXPECT_LT(f.slice, slices);
        EXPECT_FALSE(f.over_f);
        const bool kill = f.kind == FaultKind::kKill;
        EXPECT_GE(f.down, kill ? o.kill_down_min : o.pause_min);
        EXPECT_LE(f.down, kill ? o.kill_down_max : o.pause_max);
      }
      EXPECT_EQ(kinds.size(), 2u) << "seed " << seed;
      EXPECT_GT(plan->back().at, o.duration / 2);  // the whole run, not just its start
      for (uint32_t s = 0; s < slices; ++s) {
        EXPECT_EQ(MaxConcurrentDown(*plan, s, o.recovery, true), 1u) << "seed " << seed;
      }
    }
  }
}

TEST(ChaosPlanTest, OnlyCandidatesAreFaulted) {
  ChaosOptions o = Options(3);
  o.candidates = {{0, 1, 2}};  // validator 3 Byzantine, say
  auto plan = PlanChaos(o);
  ASSERT_TRUE(plan.ok()) << plan.status();
  for (const PlannedFault& f : *plan) EXPECT_NE(f.index, 3u);
}

TEST(ChaosPlanTest, TwoDownAtOnceWhenAllowed) {
  ChaosOptions o = Options(5);
  o.candidates = {{0, 1, 2, 3, 4, 5, 6}};
  o.max_down = 2;
  o.gap_max = absl::Milliseconds(300);
  auto plan = PlanChaos(o);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(MaxConcurrentDown(*plan, 0, o.recovery, true), 2u);
}

TEST(ChaosPlanTest, OverFPhaseIsMaxDownPlusOneWideAndAlone) {
  ChaosOptions o = Options(11);
  o.over_f = true;
  auto plan = PlanChaos(o);
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::set<uint32_t> phase;
  absl::Duration at = absl::InfiniteDuration();
  for (const PlannedFault& f : *plan) {
    if (!f.over_f) continue;
    phase.insert(f.index);
    at = f.at;
    EXPECT_EQ(f.down, o.over_f_down);
  }
  EXPECT_EQ(phase.size(), 2u);  // max_down + 1 distinct validators
  EXPECT_EQ(MaxConcurrentDown(*plan, 0, o.recovery, false), 1u);
  EXPECT_EQ(MaxConcurrentDown(*plan, 0, o.recovery, true), 2u);
  for (const PlannedFault& f : *plan) {
    if (f.over_f) continue;
    // Nothing else down or recovering during the phase.
    const bool before = f.at + f.down + o.recovery <= at;
    const bool after = f.at >= at + o.over_f_down + o.recovery;
    EXPECT_TRUE(before || after) << absl::FormatDuration(f.at);
  }
}

TEST(ChaosPlanTest, RefusesWhatCannotBeHonoured) {
  ChaosOptions o = Options(1);
  o.max_down = 0;
  EXPECT_FALSE(PlanChaos(o).ok());
  o = Options(1);
  o.candidates = {{}};
  EXPECT_FALSE(PlanChaos(o).ok());
  o = Options(1);
  o.over_f = true;
  o.candidates = {{2}};
  EXPECT_FALSE(PlanChaos(o).ok());
  o = Options(1);
  o.over_f = true;
  o.duration = absl::Seconds(3);
  EXPECT_FALSE(PlanChaos(o).ok());
}

TEST(ChaosPlanTest, DescribesEachFault) {
  InjectedFault f;
  f.planned = PlannedFault{absl::Seconds(3), 0, 2, FaultKind::kKill, absl::Seconds(1), false};
  f.started = absl::Milliseconds(3010);
  f.ended = absl::Milliseconds(4020);
  f.ready_after = absl::Milliseconds(450);
  EXPECT_EQ(DescribeFault(f),
            "t=3.01s validator 0/2 SIGKILL+restart down 1.01s, ready 0.45s after restart");
  f.planned.kind = FaultKind::kPause;
  f.planned.over_f = true;
  EXPECT_EQ(DescribeFault(f), "t=3.01s validator 0/2 SIGSTOP/SIGCONT [over f] down 1.01s");
  f.skipped = "1 of its slice still down or restarting";
  EXPECT_EQ(DescribeFault(f),
            "t=3.00s validator 0/2 SIGSTOP/SIGCONT [over f] skipped: 1 of its slice still down "
            "or restarting");
}

}  // namespace
}  // namespace gridledger::loadgen
