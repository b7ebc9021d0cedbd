// The simulator in real_store mode: every validator persists through the
// node's ConsensusStore (LMDB) and a crash-restarted validator comes back
// through ConsensusStore::Load(gc_depth), the node's GC-horizon load. A
// failure prints its replay: `gridledger-sim --seeds=1 --seed=S --real_store`.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/sim/real_store.h"
#include "tests/sim/sim_config.h"
#include "tests/sim/simulator.h"

namespace gridledger::sim {
namespace {

constexpr uint32_t kValidators = 4;
constexpr int kSeedsMax = 400;  // bounds the search for seeds with crashes

// Seeds from `first` on whose drawn faults include a crash-restart.
std::vector<uint64_t> SeedsWithCrashes(uint64_t first, int wanted) {
  std::vector<uint64_t> seeds;
  for (int i = 0; i < kSeedsMax && static_cast<int>(seeds.size()) < wanted; ++i) {
    if (!DrawConfig(first + i, kValidators, /*faults=*/true).crashes.empty()) {
      seeds.push_back(first + i);
    }
  }
  return seeds;
}

SimConfig RealStoreConfig(uint64_t seed, SimPacing pacing = SimPacing::kWide) {
  SimConfig config = DrawConfig(seed, kValidators, /*faults=*/true, pacing);
  config.real_store = true;
  return config;
}

void SweepRealStore(uint64_t first_seed, int seeds, SimPacing pacing = SimPacing::kWide) {
  const std::vector<uint64_t> picked = SeedsWithCrashes(first_seed, seeds);
  ASSERT_EQ(static_cast<int>(picked.size()), seeds);
  uint64_t restored = 0, lazy_lost = 0;
  for (uint64_t seed : picked) {
    const SimConfig config = RealStoreConfig(seed, pacing);
    const SimResult r = RunSimulation(config);
    ASSERT_TRUE(r.ok) << r.failure << "\n  replay: gridledger-sim --seeds=1 --seed=" << seed
                      << " --validators=" << kValidators << " --real_store"
                      << (pacing == SimPacing::kNode ? " --node_pacing" : "") << "\n  "
                      << config.Describe();
    EXPECT_GT(r.commits, 0u) << config.Describe();
    restored += r.restored_certificates;
    lazy_lost += r.lazy_records_lost;
  }
  // The restarts really came back through the LMDB store's load, and some
  // crashes lost records still waiting for a write (lazy_records_ms).
  EXPECT_GT(restored, 0u);
  EXPECT_GT(lazy_lost, 0u);
}

// 24 crash-restart seeds at n = 4 (with the drawn loss, partitions and
// Byzantine validators), split so ctest -j runs them in parallel.
TEST(SimRealStore, CrashRestartSeeds1000) { SweepRealStore(1000, 12); }
TEST(SimRealStore, CrashRestartSeeds2000) { SweepRealStore(2000, 12); }
// The same at the node's pacing (10 ms batches, 25 ms headers).
TEST(SimRealStore, CrashRestartNodePacingSeeds5000) { SweepRealStore(5000, 12, SimPacing::kNode); }

// The run's LMDB directories live under TempDir::BaseDir() and are gone afterwards.
TEST(SimRealStore, RemovesItsStoreDirectories) {
  const SimConfig config = RealStoreConfig(SeedsWithCrashes(3000, 1).at(0));
  const SimResult r = RunSimulation(config);
  ASSERT_TRUE(r.ok) << r.failure;
  ASSERT_FALSE(r.store_dir.empty());
  EXPECT_EQ(r.store_dir.rfind(TempDir::BaseDir(), 0), 0u) << r.store_dir;
  EXPECT_FALSE(std::filesystem::exists(r.store_dir)) << r.store_dir;
}

// Restoring from an older GC horizon (Load with 4 x gc_depth: certificates
// the core has already collected come back) must still agree: the core keeps
// only what lies above its own horizon (persistence.h).
TEST(SimRealStore, OlderGcHorizonOnRestartStillAgrees) {
  for (uint64_t seed : SeedsWithCrashes(4000, 6)) {
    SimConfig config = RealStoreConfig(seed);
    config.restore_gc_depth = 4 * config.params.gc_depth;
    const SimResult r = RunSimulation(config);
    ASSERT_TRUE(r.ok) << r.failure << "\n  " << config.Describe();
    EXPECT_GT(r.commits, 0u);
  }
}

// A restart bug of the class this mode exists for — the restored state loses
// the commit state — is caught by the checkers on the first crash seed that
// commits before its crash, with the same seeds passing without the bug.
TEST(SimRealStore, RestartBugForgettingCommitsIsCaught) {
  int caught = 0;
  for (uint64_t seed : SeedsWithCrashes(1000, 12)) {
    SimConfig config = RealStoreConfig(seed);
    config.restart_bug_forget_commits = true;
    const SimResult buggy = RunSimulation(config);
    if (buggy.ok) continue;
    // Re-committing from index 0 breaks the commit-sequence check.
    EXPECT_NE(buggy.failure.find("commit index 0 after"), std::string::npos) << buggy.failure;
    config.restart_bug_forget_commits = false;
    const SimResult fixed = RunSimulation(config);
    EXPECT_TRUE(fixed.ok) << fixed.failure << "\n  " << config.Describe();
    ++caught;
  }
  EXPECT_GT(caught, 0);
  std::printf("restart bug caught on %d of 12 crash seeds\n", caught);
}

// The other restart bug class: the restored state loses the last-voted
// records and the own header, so the validator signs a second header or vote
// for a round. The equivocation checkers (an honest validator never sends two
// headers for one round; no two certificates for one author and round in
// honest DAGs) catch it within the first 60 crash seeds.
TEST(SimRealStore, RestartBugForgettingVotesIsCaught) {
  const std::vector<uint64_t> seeds = SeedsWithCrashes(1000, 60);
  std::string failure;
  for (uint64_t seed : seeds) {
    SimConfig config = RealStoreConfig(seed);
    config.restart_bug_forget_votes = true;
    const SimResult buggy = RunSimulation(config);
    if (buggy.ok) continue;
    failure = buggy.failure;
    config.restart_bug_forget_votes = false;
    const SimResult fixed = RunSimulation(config);
    EXPECT_TRUE(fixed.ok) << fixed.failure << "\n  " << config.Describe();
    break;
  }
  EXPECT_TRUE(failure.find("proposed two headers for round") != std::string::npos ||
              failure.find("two certificates for author") != std::string::npos)
      << failure;
}

// The node's outbox (net/node/durable_outbox.h): a validator's records become
// durable first and its commits execute later, on another thread. Crashes
// drawn from the seed land exactly between the two (records durable, commits
// queued and not executed); the restarted validator must re-derive those
// commits from its store and execute each once: the commit-index, safety
// (same anchors, certificates and batches at every index as the others) and
// exactly-once transaction checks show it did.
void SweepOutboxCrashes(uint64_t first_seed, int seeds, SimPacing pacing = SimPacing::kWide) {
  uint64_t crashes = 0, dropped = 0, rederived = 0;
  for (uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
    SimConfig config = RealStoreConfig(seed, pacing);
    DrawOutboxCrashes(&config);
    const SimResult r = RunSimulation(config);
    ASSERT_TRUE(r.ok) << r.failure << "\n  replay: gridledger-sim --seeds=1 --seed=" << seed
                      << " --validators=" << kValidators << " --real_store --outbox_crashes"
                      << (pacing == SimPacing::kNode ? " --node_pacing" : "") << "\n  "
                      << config.Describe();
    EXPECT_GT(r.commits, 0u) << config.Describe();
    crashes += r.queued_commit_crashes;
    dropped += r.queued_commits_dropped;
    rederived += r.commits_rederived;
  }
  std::printf("%d seeds: %llu queued-commit crashes dropped %llu commits, %llu re-derived\n",
              seeds, static_cast<unsigned long long>(crashes),
              static_cast<unsigned long long>(dropped),
              static_cast<unsigned long long>(rederived));
  // The crashes really landed there, and the lost commits came back.
  EXPECT_GT(crashes, 0u);
  EXPECT_GT(dropped, 0u);
  EXPECT_GT(rederived, 0u);
}

// The queued-commit crashes drawn keep to the regular outage bounds: no
// longer than MaxOutageMs, over by faults_end_ms when fired in time, never
// overlapping another outage of the same validator, never more than f
// validators down at once.
TEST(SimRealStore, QueuedCommitCrashDrawsKeepTheOutageBounds) {
  constexpr uint32_t kF = (kValidators - 1) / 3;
  uint64_t drawn = 0;
  for (uint64_t seed = 6000; seed < 6400; ++seed) {
    SimConfig config = RealStoreConfig(seed);
    DrawOutboxCrashes(&config);
    EXPECT_LE(config.queued_commit_crashes.size(), kF) << config.Describe();
    for (const QueuedCommitCrash& q : config.queued_commit_crashes) {
      ++drawn;
      EXPECT_LE(q.down_for_ms, MaxOutageMs(config)) << config.Describe();
      for (const Crash& c : config.crashes) {
        // Down somewhere within [after_ms, faults_end_ms].
        const bool may_overlap = q.after_ms <= c.up_ms && c.down_ms <= config.faults_end_ms;
        EXPECT_FALSE(may_overlap && kF < 2) << config.Describe();
      }
    }
  }
  EXPECT_GT(drawn, 0u);
}

TEST(SimRealStore, QueuedCommitCrashSeeds6000) { SweepOutboxCrashes(6000, 12); }
TEST(SimRealStore, QueuedCommitCrashNodePacingSeeds7000) {
  SweepOutboxCrashes(7000, 12, SimPacing::kNode);
}

// The bug class the mode exists for: the commit state recorded when a commit
// is queued (in the consensus records' write) instead of when it executes. A
// crash with commits queued then loses them for good: the restarted
// validator resumes after them and the commit-index check fails. The same
// seeds pass without the bug.
TEST(SimRealStore, OutboxBugRecordingCommitsBeforeTheyExecuteIsCaught) {
  int caught = 0;
  for (uint64_t seed = 6000; seed < 6012 && caught == 0; ++seed) {
    SimConfig config = RealStoreConfig(seed);
    DrawOutboxCrashes(&config);
    config.outbox_bug_record_at_queue = true;
    const SimResult buggy = RunSimulation(config);
    if (buggy.ok) continue;
    EXPECT_NE(buggy.failure.find("commit index"), std::string::npos) << buggy.failure;
    config.outbox_bug_record_at_queue = false;
    const SimResult fixed = RunSimulation(config);
    EXPECT_TRUE(fixed.ok) << fixed.failure << "\n  " << config.Describe();
    ++caught;
  }
  EXPECT_GT(caught, 0);
}

// Sends that do not wait for records (acks, own batch pushes and own
// certificates, persistence.h): crashes drawn from the seed land inside the
// call that sent one, after the send and before the call's records are
// durable, so peers hold an ack, a batch or a certificate the restarted
// validator never stored. Safety, exactly-once and liveness (every
// transaction commits: clients resubmit what a lost batch carried, and an
// author certifies its header again) must hold.
void SweepEarlySendCrashes(uint64_t first_seed, int seeds, SimPacing pacing) {
  uint64_t crashes = 0, after_push = 0, after_certificate = 0, lost = 0, own_batches_lost = 0,
           own_certificates_lost = 0;
  for (uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
    SimConfig config = RealStoreConfig(seed, pacing);
    DrawEarlySendCrashes(&config);
    const SimResult r = RunSimulation(config);
    ASSERT_TRUE(r.ok) << r.failure << "\n  replay: gridledger-sim --seeds=1 --seed=" << seed
                      << " --validators=" << kValidators << " --real_store --early_send_crashes"
                      << (pacing == SimPacing::kNode ? " --node_pacing" : "") << "\n  "
                      << config.Describe();
    EXPECT_GT(r.commits, 0u) << config.Describe();
    crashes += r.early_send_crashes;
    after_push += r.early_send_crashes_after_push;
    after_certificate += r.early_send_crashes_after_certificate;
    lost += r.early_send_records_lost;
    own_batches_lost += r.early_send_own_batches_lost;
    own_certificates_lost += r.early_send_own_certificates_lost;
  }
  std::printf(
      "%d seeds: %llu early-send crashes (%llu after an own batch push, %llu after an own "
      "certificate) lost %llu records, %llu of them own batches already pushed, %llu own "
      "certificates already broadcast\n",
      seeds, static_cast<unsigned long long>(crashes), static_cast<unsigned long long>(after_push),
      static_cast<unsigned long long>(after_certificate), static_cast<unsigned long long>(lost),
      static_cast<unsigned long long>(own_batches_lost),
      static_cast<unsigned long long>(own_certificates_lost));
  // The crashes really landed there, after every kind of early send, and
  // validators restarted without batches and certificates their peers hold.
  EXPECT_GT(after_push, 0u);
  EXPECT_GT(after_certificate, 0u);
  EXPECT_GT(crashes - after_push - after_certificate, 0u);
  EXPECT_GT(own_batches_lost, 0u);
  EXPECT_GT(own_certificates_lost, 0u);
}

TEST(SimRealStore, EarlySendCrashSeeds8000) { SweepEarlySendCrashes(8000, 12, SimPacing::kWide); }
// 16 seeds: with records waiting for a write (lazy_records_ms) a crash
// lands at an earlier send, and the first 12 of these seeds hold no crash
// right after an own batch push.
TEST(SimRealStore, EarlySendCrashNodePacingSeeds8500) {
  SweepEarlySendCrashes(8500, 16, SimPacing::kNode);
}

// The bug class early-send crashes exist for: a send that must wait for its
// record (an own header, OwnHeaderRecord) going out early. A crash there
// lets the restarted validator propose a second header for the round, which
// the equivocation check sees. The same seeds pass without the bug.
TEST(SimRealStore, EarlySendBugHeaderBeforeItsRecordIsCaught) {
  int caught = 0;
  std::string failure;
  for (uint64_t seed = 8000; seed < 8040 && caught == 0; ++seed) {
    SimConfig config = RealStoreConfig(seed, SimPacing::kNode);
    DrawEarlySendCrashes(&config);
    config.early_send_bug_header = true;
    const SimResult buggy = RunSimulation(config);
    if (buggy.ok) continue;
    failure = buggy.failure;
    config.early_send_bug_header = false;
    const SimResult fixed = RunSimulation(config);
    EXPECT_TRUE(fixed.ok) << fixed.failure << "\n  " << config.Describe();
    ++caught;
  }
  ASSERT_GT(caught, 0);
  EXPECT_NE(failure.find("proposed two headers for round"), std::string::npos) << failure;
}

}  // namespace
}  // namespace gridledger::sim
