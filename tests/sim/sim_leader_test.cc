// Leader reputation (core/consensus/leader_reputation.h) in the deterministic
// simulator: a crashed leader costs each validator at most
// leader_misses_to_suspect full timeouts instead of one per anchor round, and
// once it is back its anchors are waited for and committed again. The same
// seed with suspicion off is the control, run in the same test.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>

#include "tests/sim/sim_config.h"
#include "tests/sim/simulator.h"

namespace gridledger::sim {
namespace {

constexpr uint32_t kCrashed = 3;
constexpr uint64_t kDownMs = 300;
constexpr uint64_t kUpMs = 5000;
// Clients keep the rounds at the loaded pace until well after the restart.
constexpr uint64_t kClientsStopMs = 8000;

SimConfig CrashOneLeader(uint64_t seed, uint32_t misses_to_suspect) {
  SimConfig config = DrawConfig(seed, 4, /*faults=*/false);
  config.crashes.push_back(Crash{kCrashed, kDownMs, kUpMs});
  config.clients_stop_ms = kClientsStopMs;
  config.faults_end_ms = kUpMs;
  config.params.leader_misses_to_suspect = misses_to_suspect;
  // The restarted validator catches up from its peers' memory (no state sync
  // in the simulator): keep the whole outage above the GC horizon.
  config.params.gc_depth = 400;
  return config;
}

TEST(SimLeaderReputation, ACrashedLeaderIsSuspectedAfterTwoTimeoutsAndWaitedForWhenBack) {
  for (uint64_t seed = 21; seed <= 24; ++seed) {
    const SimConfig with = CrashOneLeader(seed, 2);
    const SimConfig without = CrashOneLeader(seed, 0);
    const SimResult r = RunSimulation(with);
    const SimResult control = RunSimulation(without);
    ASSERT_TRUE(r.ok) << r.failure << "\n  " << with.Describe();
    ASSERT_TRUE(control.ok) << control.failure << "\n  " << without.Describe();
    std::cout << "seed " << seed << ": leader timeouts " << control.leader_timeouts << " -> "
              << r.leader_timeouts << ", suspected skips " << r.suspected_leader_skips
              << ", mean tx latency " << control.mean_tx_latency_ms << " -> "
              << r.mean_tx_latency_ms << " ms (virtual)\n";

    // Suspicion off: every anchor round of the crashed leader costs each of
    // the 3 live validators a timeout. On: 2 each, then no wait at all.
    EXPECT_EQ(control.suspected_leader_skips, 0u);
    EXPECT_GT(control.leader_timeouts, 3u * 2u) << with.Describe();
    EXPECT_LE(r.leader_timeouts, 3u * 2u) << with.Describe();
    EXPECT_GT(r.suspected_leader_skips, 0u);

    // Back up, its certificates arrive current again: its anchors commit.
    EXPECT_GT(r.last_anchor_commit_ms_by_author[kCrashed], kUpMs) << with.Describe();
    for (uint32_t a = 0; a < 4; ++a) EXPECT_GT(r.anchors_committed_by_author[a], 0u);
  }
}

}  // namespace
}  // namespace gridledger::sim
