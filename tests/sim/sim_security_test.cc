// The simulator's newer Byzantine behaviours on their own: one validator
// that pads its headers past header_batches_max and floods valid batches no
// header carries (issue 8), or never acknowledges a batch (issue 12's
// deferred verification). The honest validators refuse what they must where
// it arrives and keep committing every client transaction (the simulator's
// safety, certified and liveness checkers).
#include <gtest/gtest.h>

#include <iostream>

#include "tests/sim/sim_config.h"
#include "tests/sim/simulator.h"

namespace gridledger::sim {
namespace {

// Seed's config without drawn faults: validator seed % 4 behaves as `b`,
// clients submit for 4 s.
SimConfig OneByzantine(uint64_t seed, const ByzantineBehaviour& b) {
  SimConfig config = DrawConfig(seed, 4, /*faults=*/false);
  config.byzantine = {static_cast<uint32_t>(seed % 4)};
  config.behaviours = {b};
  config.clients_stop_ms = config.faults_end_ms = 4000;
  return config;
}

TEST(SimSecurity, OversizedHeadersAndABatchFloodHaltNobody) {
  for (uint64_t seed = 11; seed <= 12; ++seed) {
    ByzantineBehaviour b;
    b.oversize_headers = true;
    b.flood_batches = true;
    const SimConfig config = OneByzantine(seed, b);
    const SimResult r = RunSimulation(config);
    ASSERT_TRUE(r.ok) << r.failure << "\n  " << config.Describe();
    EXPECT_GT(r.commits, 10u) << config.Describe();
    EXPECT_GT(r.transactions, 0u);
    EXPECT_GT(r.headers_refused_oversized, 0u) << config.Describe();
    // The flood outgrew the flooder's share: refused, never acknowledged.
    EXPECT_GT(r.batches_refused_store_full, 0u) << config.Describe();
  }
}

// A validator that never acknowledges a batch (withhold_acks) leaves the
// honest authors that need its ack short until their spare peer stops
// deferring: their late pushes ask for it. Every client transaction still
// commits, and the deferral's patience bounds what it adds to latency
// (virtual time, deterministic): at most three retransmission periods and
// a header delay over the same run with the deferral off.
TEST(SimSecurity, WithheldAcksCostHonestAuthorsAtMostTheDeferralsPatience) {
  for (uint64_t seed = 13; seed <= 14; ++seed) {
    ByzantineBehaviour b;
    b.withhold_acks = true;
    const SimConfig config = OneByzantine(seed, b);
    SimConfig off = config;
    off.params.defer_peer_verification = false;
    const SimResult r = RunSimulation(config);
    const SimResult control = RunSimulation(off);
    ASSERT_TRUE(r.ok) << r.failure << "\n  " << config.Describe();
    ASSERT_TRUE(control.ok) << control.failure << "\n  " << off.Describe();
    std::cout << "seed " << seed << ": mean tx latency " << control.mean_tx_latency_ms
              << " (deferral off) -> " << r.mean_tx_latency_ms << " ms (virtual); deferred "
              << r.verifications_deferred << ", proven by a certificate "
              << r.batches_proven_by_certificate << "\n";
    EXPECT_GT(r.transactions, 0u);
    EXPECT_GT(r.verifications_deferred, 0u) << config.Describe();
    EXPECT_EQ(control.verifications_deferred, 0u);
    EXPECT_LE(r.mean_tx_latency_ms,
              control.mean_tx_latency_ms + 3.0 * static_cast<double>(config.params.sync_retry_ms) +
                  static_cast<double>(config.params.max_header_delay_ms))
        << config.Describe();
  }
}

}  // namespace
}  // namespace gridledger::sim
