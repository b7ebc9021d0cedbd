// Seed sweeps of the deterministic simulator: random faults (loss, duplication,
// reordering, partitions, crash-restart, f Byzantine validators) at n = 4 and
// n = 7, split into cases so ctest -j runs them in parallel. A failure prints
// the seed and its drawn parameters; `gridledger-sim --seeds=1 --seed=S
// --validators=N` replays it.
#include <gtest/gtest.h>

#include "tests/sim/sim_config.h"
#include "tests/sim/simulator.h"

namespace gridledger::sim {
namespace {

void Sweep(uint64_t first_seed, int seeds, uint32_t validators,
           SimPacing pacing = SimPacing::kWide) {
  uint64_t weak_links = 0;
  for (int i = 0; i < seeds; ++i) {
    const SimConfig config = DrawConfig(first_seed + i, validators, /*faults=*/true, pacing);
    const SimResult r = RunSimulation(config);
    ASSERT_TRUE(r.ok) << r.failure << "\n  replay: gridledger-sim --seeds=1 --seed="
                      << config.seed << " --validators=" << validators
                      << (pacing == SimPacing::kNode ? " --node_pacing" : "") << "\n  "
                      << config.Describe();
    EXPECT_GT(r.commits, 0u) << config.Describe();
    weak_links += r.weak_links_proposed;
  }
  // Faults make late certificates: the sweep exercises weak links, and the
  // checkers above held with them.
  EXPECT_GT(weak_links, 0u);
}

TEST(SimFaultFree, CommitsEveryTransactionInAboutTwoRounds) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const SimConfig config = DrawConfig(seed, 4, /*faults=*/false);
    const SimResult r = RunSimulation(config);
    ASSERT_TRUE(r.ok) << r.failure << "\n  " << config.Describe();
    EXPECT_GT(r.transactions, 0u);
    EXPECT_EQ(r.rejected_messages, 0u);
    // Every anchor needs its own round and the next one; more means a missed anchor.
    EXPECT_GE(r.mean_commit_latency_rounds, 2.0);
    EXPECT_LT(r.mean_commit_latency_rounds, 3.0);
  }
}

TEST(SimReplay, TheSeedAloneDeterminesTheRun) {
  const SimConfig config = DrawConfig(4242, 4, /*faults=*/true);
  EXPECT_EQ(config.Describe(), DrawConfig(4242, 4, true).Describe());
  const SimResult a = RunSimulation(config);
  const SimResult b = RunSimulation(config);
  ASSERT_TRUE(a.ok) << a.failure;
  EXPECT_EQ(a.end_ms, b.end_ms);
  EXPECT_EQ(a.commits, b.commits);
  EXPECT_EQ(a.messages_delivered, b.messages_delivered);
  EXPECT_EQ(a.rejected_messages, b.rejected_messages);
  EXPECT_EQ(a.mean_tx_latency_ms, b.mean_tx_latency_ms);
  EXPECT_NE(DrawConfig(4243, 4, true).Describe(), config.Describe());
}

TEST(SimN4, Seeds1000) { Sweep(1000, 30, 4); }
TEST(SimN4, Seeds2000) { Sweep(2000, 30, 4); }
TEST(SimN4, Seeds3000) { Sweep(3000, 30, 4); }
TEST(SimN4, Seeds4000) { Sweep(4000, 30, 4); }
TEST(SimN7, Seeds5000) { Sweep(5000, 20, 7); }
TEST(SimN7, Seeds6000) { Sweep(6000, 20, 7); }
TEST(SimN7, Seeds7000) { Sweep(7000, 20, 7); }
TEST(SimN7, Seeds8000) { Sweep(8000, 20, 7); }
// The node's own pacing (10 ms batches, 25 ms headers) under the same faults:
// faster rounds make more late certificates and leader timeouts.
TEST(SimN4NodePacing, Seeds9000) { Sweep(9000, 30, 4, SimPacing::kNode); }
TEST(SimN7NodePacing, Seeds9500) { Sweep(9500, 15, 7, SimPacing::kNode); }

}  // namespace
}  // namespace gridledger::sim
