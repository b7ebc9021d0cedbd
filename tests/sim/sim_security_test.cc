// The simulator's new Byzantine behaviours on their own (issue 8): one
// validator that pads its headers past header_batches_max and floods valid
// batches no header carries. The honest validators refuse both where they
// arrive and keep committing every client transaction (the simulator's
// safety, certified and liveness checkers).
#include <gtest/gtest.h>

#include "tests/sim/sim_config.h"
#include "tests/sim/simulator.h"

namespace gridledger::sim {
namespace {

TEST(SimSecurity, OversizedHeadersAndABatchFloodHaltNobody) {
  for (uint64_t seed = 11; seed <= 12; ++seed) {
    SimConfig config = DrawConfig(seed, 4, /*faults=*/false);
    config.byzantine = {static_cast<uint32_t>(seed % 4)};
    ByzantineBehaviour b;
    b.oversize_headers = true;
    b.flood_batches = true;
    config.behaviours = {b};
    config.clients_stop_ms = config.faults_end_ms = 4000;
    const SimResult r = RunSimulation(config);
    ASSERT_TRUE(r.ok) << r.failure << "\n  " << config.Describe();
    EXPECT_GT(r.commits, 10u) << config.Describe();
    EXPECT_GT(r.transactions, 0u);
    EXPECT_GT(r.headers_refused_oversized, 0u) << config.Describe();
    // The flood outgrew the flooder's share: refused, never acknowledged.
    EXPECT_GT(r.batches_refused_store_full, 0u) << config.Describe();
  }
}

}  // namespace
}  // namespace gridledger::sim
