// StateSync (net/node/state_sync.h) between in-process peers: a validator
// with an empty store restores from its peers; a peer whose snapshot does
// not hash to the final checkpoint's root, or whose chunk does not decode,
// is counted and the next peer is used; nothing is written until the
// snapshot verifies, and the restored store equals the honest ones.
#include <optional>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "net/node/state_sync.h"
#include "tests/net/node/state_sync_peers.h"
#include "tests/net/node/test_cluster.h"

namespace gridledger::node {
namespace {

using state_sync_test::kSequence;
using state_sync_test::Peer;

constexpr uint32_t kClient = 3;

constexpr absl::Duration kWaitMax = absl::Seconds(30);

class StateSyncPeerTest : public ::testing::Test {
 protected:
  // Validators 0..2 serve the honest state (validator 0 as `first_diverges`
  // says), the client starts empty.
  void MakePeers(bool first_diverges, bool finals) {
    ASSERT_NO_FATAL_FAILURE(
        peers_.MakePeer(0, kSequence, first_diverges, finals && !first_diverges));
    ASSERT_NO_FATAL_FAILURE(peers_.MakePeer(1, kSequence, false, finals));
    ASSERT_NO_FATAL_FAILURE(peers_.MakePeer(2, kSequence, false, finals));
    ASSERT_NO_FATAL_FAILURE(peers_.MakePeer(kClient, 0, false, false));
  }

  // Restores the client, writing the verified snapshot as the consensus
  // driver does; the sequence restored, or none within the deadline.
  std::optional<uint64_t> Restore() {
    StateSync& client = *peers_.peer(kClient).sync;
    client.RequestRestore();
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      if (client.restore_ready()) {
        absl::StatusOr<uint64_t> s = client.ApplyRestore();
        if (!s.ok()) return std::nullopt;
        return *s;
      }
      if (!client.restoring()) return std::nullopt;  // abandoned
      absl::SleepFor(absl::Milliseconds(10));
    }
    return std::nullopt;
  }

  state_sync_test::SnapshotPeers peers_;
};

TEST_F(StateSyncPeerTest, AnEmptyStoreRestoresFromAnHonestPeer) {
  ASSERT_NO_FATAL_FAILURE(MakePeers(/*first_diverges=*/false, /*finals=*/true));
  peers_.StartAll();
  ASSERT_EQ(Restore(), kSequence);
  const Peer& client = peers_.peer(kClient);
  EXPECT_EQ(client.store->last_committed_sequence(), kSequence);
  EXPECT_EQ(*client.store->RecomputeStateRoot(), *peers_.peer(0).store->StateRoot());
  EXPECT_EQ(*client.store->StateSummary(), *peers_.peer(0).store->StateSummary());
  EXPECT_TRUE(client.checkpoints->Get(kSequence).ok());  // the final one, stored
  const StateSyncStats stats = client.sync->stats();
  EXPECT_EQ(stats.restores_done, 1u);
  EXPECT_EQ(stats.peers_refused, 0u);
  EXPECT_EQ(stats.restored_sequence, kSequence);
}

TEST_F(StateSyncPeerTest, APeerWhoseSnapshotIsNotTheFinalRootIsRefusedAndAnotherUsed) {
  // Validator 0 (asked first) has another state at the same sequence; it
  // cannot make a final checkpoint for it (one signature is its own).
  ASSERT_NO_FATAL_FAILURE(MakePeers(/*first_diverges=*/true, /*finals=*/true));
  peers_.StartAll();
  ASSERT_EQ(Restore(), kSequence);
  const Peer& client = peers_.peer(kClient);
  EXPECT_EQ(*client.store->RecomputeStateRoot(), *peers_.peer(1).store->StateRoot());
  EXPECT_NE(*client.store->StateRoot(), *peers_.peer(0).store->StateRoot());
  EXPECT_EQ(client.sync->stats().peers_refused, 1u);
}

TEST_F(StateSyncPeerTest, APeerServingATruncatedChunkIsRefusedAndAnotherUsed) {
  ASSERT_NO_FATAL_FAILURE(MakePeers(/*first_diverges=*/false, /*finals=*/true));
  // Validator 0 cuts a byte off every chunk payload it serves.
  peers_.set_tamper(0, [](Bytes bytes) {
    absl::StatusOr<StateSyncMessage> m = DecodeStateSync(bytes);
    if (!m.ok()) return bytes;
    if (auto* chunk = std::get_if<SnapshotChunk>(&*m); chunk && !chunk->payload.empty()) {
      chunk->payload.pop_back();
      return EncodeStateSync(*m);
    }
    return bytes;
  });
  peers_.StartAll();
  ASSERT_EQ(Restore(), kSequence);
  EXPECT_EQ(peers_.peer(kClient).sync->stats().peers_refused, 1u);
  EXPECT_EQ(*peers_.peer(kClient).store->RecomputeStateRoot(), *peers_.peer(1).store->StateRoot());
}

TEST_F(StateSyncPeerTest, WithoutAFinalCheckpointNothingIsWritten) {
  // Every peer has the state but none holds its final checkpoint (and f+1
  // signatures are all a Byzantine pair could add): the restore is
  // abandoned and the store stays empty.
  ASSERT_NO_FATAL_FAILURE(MakePeers(/*first_diverges=*/false, /*finals=*/false));
  SignedCheckpoint weak = peers_.Final(peers_.peer(1));
  weak.signatures.pop_back();  // f+1 = 2 signatures
  ASSERT_TRUE(peers_.peer(1).checkpoints->Write({weak}, 2).ok());
  peers_.StartAll();
  EXPECT_EQ(Restore(), std::nullopt);
  EXPECT_EQ(peers_.peer(kClient).store->last_committed_sequence(), 0u);
  EXPECT_GT(peers_.peer(kClient).sync->stats().checkpoints_refused, 0u);
}

TEST_F(StateSyncPeerTest, AnAbandonedVerifiedRestoreEndsAndTheNextOneRuns) {
  // The consensus driver could not apply a verified snapshot (its outbox
  // failed to drain): abandoning it ends the restore, nothing is written,
  // and a later restore starts from the beginning instead of waiting for
  // an apply that never comes.
  ASSERT_NO_FATAL_FAILURE(MakePeers(/*first_diverges=*/false, /*finals=*/true));
  peers_.StartAll();
  StateSync& client = *peers_.peer(kClient).sync;
  client.RequestRestore();
  ASSERT_TRUE(cluster_test::WaitFor([&] { return client.restore_ready(); }, kWaitMax));
  client.AbandonRestore();
  EXPECT_FALSE(client.restoring());
  EXPECT_FALSE(client.restore_ready());
  EXPECT_TRUE(client.TakeEndedWithoutWrite());
  EXPECT_FALSE(client.TakeEndedWithoutWrite());
  EXPECT_EQ(peers_.peer(kClient).store->last_committed_sequence(), 0u);
  ASSERT_TRUE(cluster_test::WaitFor([&] { return client.MayRestore(); }, kWaitMax));  // kRestoreHoldOff
  EXPECT_EQ(Restore(), kSequence);
  EXPECT_EQ(client.stats().restores_done, 1u);
}

}  // namespace
}  // namespace gridledger::node
