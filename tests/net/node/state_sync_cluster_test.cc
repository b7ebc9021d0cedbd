// State sync on a real 4-validator cluster (issue 11 item 4): a validator
// stopped and restarted with an EMPTY data directory restores a snapshot at
// a final checkpoint from its peers, verified against the checkpoint's
// state root, commits with the others again (its own client's transfer
// included), agrees with every store at every sequence from the snapshot on,
// and fills its checkpoint table from there by fetching the final
// checkpoints it missed.
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/tx/codec.h"
#include "gtest/gtest.h"
#include "net/node/node.h"
#include "tests/net/node/test_cluster.h"

namespace gridledger::node {
namespace {

namespace v1 = gridledger::v1;
using cluster_test::MakeTransfer;
using cluster_test::TestCluster;
using cluster_test::WaitFor;

constexpr uint64_t kGcDepth = 6;
constexpr uint32_t kWiped = 3;
constexpr absl::Duration kSyncWait = absl::Seconds(60);

// Submits `tx` through validator `i` until accepted (a busy or still
// syncing validator refuses for a while); its id, or none at the deadline.
std::optional<TxId> SubmitUntilAccepted(TestCluster& cluster, uint32_t i, const Bytes& tx) {
  bool accepted = false;
  WaitFor(
      [&] {
        grpc::Status status;
        v1::SubmitBatchResponse resp = cluster.Submit(i, {tx}, &status);
        accepted = status.ok() && resp.results_size() == 1 && resp.results(0).accepted();
        return accepted;
      },
      kSyncWait);
  if (!accepted) return std::nullopt;
  return ComputeTxId(tx);
}

TEST(StateSyncClusterTest, AWipedValidatorRestoresASnapshotAndCommitsAgain) {
  TestCluster cluster;
  cluster.options().params.gc_depth = kGcDepth;
  ASSERT_TRUE(cluster.StartAll().ok());
  uint64_t nonce = 0;
  auto transfer = [&](uint32_t via) {
    const Bytes tx = MakeTransfer(cluster.chain_id(), cluster.account(0), nonce,
                                  cluster.account(2).public_key(), 5);
    std::optional<TxId> id = SubmitUntilAccepted(cluster, via, tx);
    if (id.has_value()) ++nonce;
    return id;
  };
  std::optional<TxId> first = transfer(0);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere({*first}); }));

  // Down, and its disk wiped.
  const std::string data_dir = cluster.ConfigFor(kWiped).data_dir;
  cluster.StopNode(kWiped);
  std::filesystem::remove_all(data_dir);
  // The others go on under load far past its peers' memory (4 x gc_depth rounds).
  const uint64_t stopped_round = cluster.node(0).round();
  std::vector<TxId> during;
  ASSERT_TRUE(WaitFor(
      [&] {
        if (during.size() < 200) {
          if (std::optional<TxId> id = transfer(0)) during.push_back(*id);
        }
        return during.size() >= 5 && cluster.node(0).round() > stopped_round + 4 * kGcDepth;
      },
      kSyncWait));
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere(during); }));
  const uint64_t peers_at = cluster.node(0).last_committed_sequence();

  absl::StatusOr<Node*> restarted = cluster.StartNode(kWiped);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  Node& wiped = **restarted;
  // The others keep committing while it restores: commit sync must bring it
  // from the snapshot's sequence to theirs.
  size_t while_restoring = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        if (while_restoring < 200 && transfer(0).has_value()) ++while_restoring;
        // Stats after the write: both show once the restore is complete.
        absl::StatusOr<std::optional<uint64_t>> from = wiped.StateSyncedFrom();
        return wiped.state_sync_stats().restores_done > 0 && from.ok() && from->has_value();
      },
      kSyncWait))
      << "no snapshot restored; restores started " << wiped.state_sync_stats().restores_started;
  const uint64_t restored = **wiped.StateSyncedFrom();
  EXPECT_GE(restored, peers_at);
  const StateSyncStats stats = wiped.state_sync_stats();
  EXPECT_EQ(stats.restores_done, 1u);
  EXPECT_EQ(stats.peers_refused, 0u);
  EXPECT_GT(stats.restored_entries, 0u);
  // What the others committed before it went down is in its restored state.
  EXPECT_EQ(cluster.GetTx(kWiped, *first).status(), v1::TRANSACTION_STATUS_COMMITTED);

  // It commits with the others again: a transfer through it, from another account.
  const Bytes own = MakeTransfer(cluster.chain_id(), cluster.account(1), 0,
                                 cluster.account(2).public_key(), 7);
  std::optional<TxId> own_id = SubmitUntilAccepted(cluster, kWiped, own);
  ASSERT_TRUE(own_id.has_value());
  std::optional<TxId> after = transfer(0);
  ASSERT_TRUE(after.has_value());
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere({*own_id, *after}); }, kSyncWait));
  EXPECT_GT(wiped.commits_executed() + wiped.commits_synced(), 0u);
  EXPECT_TRUE(wiped.health().ok()) << wiped.health();

  // Every store agrees at every sequence it holds from the snapshot on.
  const uint64_t common = cluster.MinLastCommitted();
  ASSERT_GT(common, restored);
  for (uint64_t seq = restored; seq <= common; ++seq) {
    cluster.ExpectSameSummaryAt(seq);
    const Digest root = *cluster.node(0).StateRootAt(seq);
    for (uint32_t i = 1; i < cluster_test::kValidators; ++i) {
      EXPECT_EQ(*cluster.node(i).StateRootAt(seq), root) << "validator " << i << " seq " << seq;
    }
  }
  EXPECT_EQ(*wiped.RecomputeStateRoot(), *wiped.state_root());
  EXPECT_FALSE(cluster.node(0).StateSyncedFrom()->has_value());

  // Its checkpoint table has no hole from the restored sequence on (the
  // ones it missed are fetched with their signatures).
  ASSERT_TRUE(WaitFor(
      [&] {
        const uint64_t last = wiped.last_committed_sequence();
        for (uint64_t seq = restored; seq + kCatchUpLagCommits <= last; ++seq) {
          if (!wiped.FinalCheckpoint(seq).ok()) return false;
        }
        return last > restored + kCatchUpLagCommits;
      },
      kSyncWait));
}

}  // namespace
}  // namespace gridledger::node
