// Four validators on loopback: every validator records the same state root at
// every commit, checkpoints become final with 2f+1 valid signatures over it,
// and after the run each store's running root equals a from-scratch hash.
#include <gtest/gtest.h>

#include <vector>

#include "core/consensus/checkpoint.h"
#include "core/consensus/signature_checker.h"
#include "storage/node_store.h"
#include "tests/net/node/test_cluster.h"

namespace gridledger::node::cluster_test {
namespace {

TEST(CheckpointClusterTest, FourValidatorsReachFinalCheckpointsOverEqualStateRoots) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.StartAll().ok());
  std::vector<TxId> ids;
  for (uint64_t n = 0; n < 20; ++n) {
    const Bytes tx = MakeTransfer(cluster.chain_id(), cluster.account(n % kAccounts), n / kAccounts,
                                  cluster.account((n + 1) % kAccounts).public_key(), 10 + n);
    ids.push_back(ComputeTxId(tx));
    cluster.Submit(static_cast<uint32_t>(n % kValidators), {tx});
  }
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere(ids); }));
  const uint64_t sequence = cluster.MinLastCommitted();
  ASSERT_GE(sequence, 1u);
  ASSERT_TRUE(WaitFor([&] {
    for (uint32_t i = 0; i < kValidators; ++i) {
      if (!cluster.node(i).FinalCheckpoint(sequence).ok()) return false;
    }
    return true;
  })) << "no final checkpoint of commit " << sequence << " everywhere";

  std::vector<PublicKey> keys;
  for (uint32_t i = 0; i < kValidators; ++i) {
    keys.push_back(KeyPair::FromSeed(100 + i).public_key());  // TestCluster's validator keys
  }
  auto committee = consensus::Committee::Create(SliceId(0), keys, cluster.chain_id());
  ASSERT_TRUE(committee.ok());
  consensus::SchnorrChecker checker;
  const Digest root = *cluster.node(0).StateRootAt(sequence);
  for (uint32_t i = 0; i < kValidators; ++i) {
    for (uint64_t s = 1; s <= sequence; ++s) {
      ASSERT_EQ(*cluster.node(i).StateRootAt(s), *cluster.node(0).StateRootAt(s))
          << "validator " << i << " sequence " << s;
    }
    auto final_checkpoint = cluster.node(i).FinalCheckpoint(sequence);
    ASSERT_TRUE(final_checkpoint.ok());
    const consensus::Checkpoint& c = final_checkpoint->checkpoint;
    EXPECT_EQ(c.state_root, root);
    EXPECT_EQ(c.sequence, sequence);
    EXPECT_EQ(c.chain_id, cluster.chain_id());
    EXPECT_TRUE(c.receipts_root.IsZero());
    ASSERT_GE(final_checkpoint->signatures.size(), committee->quorum());
    for (const auto& [signer, signature] : final_checkpoint->signatures) {
      EXPECT_TRUE(consensus::VerifyCheckpointVote(consensus::CheckpointVote{c, signer, signature},
                                                  *committee, checker)
                      .ok())
          << "validator " << i << " signer " << signer.value();
    }
    const CheckpointSignerStats stats = cluster.node(i).checkpoint_stats();
    EXPECT_EQ(stats.pool.root_mismatches, 0u) << "validator " << i;
    EXPECT_EQ(stats.pool.own_divergences, 0u) << "validator " << i;
    EXPECT_GE(stats.signed_own, 1u) << "validator " << i;

    // GetNodeInfo pairs a sequence with the root recorded at it.
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::NodeInfo info;
    ASSERT_TRUE(cluster.stub(i).GetNodeInfo(&ctx, v1::GetNodeInfoRequest(), &info).ok());
    EXPECT_EQ(info.state_root(),
              AsString(cluster.node(i).StateRootAt(info.last_committed_sequence())->span()));
    EXPECT_GE(info.last_final_checkpoint(), sequence);
  }

  cluster.StopAll();
  // Stopped: each store's running root equals its from-scratch hash.
  for (uint32_t i = 0; i < kValidators; ++i) {
    storage::LmdbOptions options;
    options.dir = cluster.ConfigFor(i).data_dir;
    auto store = storage::NodeStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    const Digest running = *(*store)->StateRoot();
    EXPECT_EQ(*(*store)->RecomputeStateRoot(), running) << "validator " << i;
    EXPECT_EQ(*(*store)->StateRootAt((*store)->last_committed_sequence()), running);
  }
}

// Submits `count` transfers (account j's nonces from next_nonce[j]) and waits
// until every running validator committed them.
void CommitTransfers(TestCluster& cluster, uint64_t count, std::vector<uint64_t>* next_nonce) {
  std::vector<TxId> ids;
  for (uint64_t n = 0; n < count; ++n) {
    const uint32_t from = static_cast<uint32_t>(n % kAccounts);
    const Bytes tx = MakeTransfer(cluster.chain_id(), cluster.account(from), (*next_nonce)[from]++,
                                  cluster.account((from + 1) % kAccounts).public_key(), 1 + n);
    ids.push_back(ComputeTxId(tx));
    cluster.Submit(0, {tx});
  }
  ASSERT_TRUE(WaitFor([&] { return cluster.CommittedEverywhere(ids); }));
}

bool FinalEverywhereAt(TestCluster& cluster, uint64_t sequence) {
  for (uint32_t i = 0; i < kValidators; ++i) {
    if (!cluster.node(i).FinalCheckpoint(sequence).ok()) return false;
  }
  return true;
}

TEST(CheckpointClusterTest, ARestartedValidatorKeepsItsFinalCheckpointsAndReachesNewOnes) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.StartAll().ok());
  std::vector<uint64_t> next_nonce(kAccounts, 0);
  ASSERT_NO_FATAL_FAILURE(CommitTransfers(cluster, 8, &next_nonce));
  const uint64_t before = cluster.MinLastCommitted();
  ASSERT_TRUE(WaitFor([&] { return FinalEverywhereAt(cluster, before); }));

  cluster.StopNode(3);
  ASSERT_NO_FATAL_FAILURE(CommitTransfers(cluster, 8, &next_nonce));
  ASSERT_TRUE(cluster.StartNode(3).ok());
  // Back in step with the others, then new commits.
  ASSERT_NO_FATAL_FAILURE(CommitTransfers(cluster, 8, &next_nonce));
  const uint64_t after = cluster.MinLastCommitted();
  ASSERT_GT(after, before);
  ASSERT_TRUE(WaitFor([&] { return FinalEverywhereAt(cluster, after); }))
      << "no final checkpoint of commit " << after << " everywhere";
  // Stored before the restart, still there after it.
  auto kept = cluster.node(3).FinalCheckpoint(before);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->checkpoint.state_root, *cluster.node(0).StateRootAt(before));
  for (uint32_t i = 0; i < kValidators; ++i) {
    EXPECT_EQ(cluster.node(i).FinalCheckpoint(after)->checkpoint.state_root,
              *cluster.node(0).StateRootAt(after))
        << "validator " << i;
    EXPECT_EQ(cluster.node(i).checkpoint_stats().pool.root_mismatches, 0u) << "validator " << i;
  }
}

}  // namespace
}  // namespace gridledger::node::cluster_test
