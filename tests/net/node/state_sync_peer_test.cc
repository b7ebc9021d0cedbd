// StateSync (net/node/state_sync.h) between in-process peers: a validator
// with an empty store restores from its peers; a peer whose snapshot does
// not hash to the final checkpoint's root, whose chunk does not decode, or
// whose manifest names another consensus position (last committed round,
// commit record) than the final checkpoint signs, is counted and the next
// peer is used; nothing is written until the snapshot verifies, and the
// restored store (and consensus tip) equals the honest ones.
#include <functional>
#include <optional>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "net/node/commit_position.h"
#include "net/node/state_sync.h"
#include "tests/net/node/state_sync_peers.h"
#include "tests/net/node/test_cluster.h"

namespace gridledger::node {
namespace {

using state_sync_test::kSequence;
using state_sync_test::Peer;

constexpr uint32_t kClient = 3;
// The serving peers' last committed round, where a test sets one.
constexpr Round kTipRound(20);

constexpr absl::Duration kWaitMax = absl::Seconds(30);

class StateSyncPeerTest : public ::testing::Test {
 protected:
  // Validators 0..2 serve the honest state (validator 0 as `first_diverges`
  // says), the client starts empty.
  void MakePeers(bool first_diverges, bool finals, Round tip_round = Round(0)) {
    ASSERT_NO_FATAL_FAILURE(
        peers_.MakePeer(0, kSequence, first_diverges, finals && !first_diverges, tip_round));
    ASSERT_NO_FATAL_FAILURE(peers_.MakePeer(1, kSequence, false, finals, tip_round));
    ASSERT_NO_FATAL_FAILURE(peers_.MakePeer(2, kSequence, false, finals, tip_round));
    ASSERT_NO_FATAL_FAILURE(peers_.MakePeer(kClient, 0, false, false));
  }

  // Peer i rewrites the snapshot manifests it serves with `forge` (the
  // state and consensus chunks stay the honest ones).
  void ForgeManifest(uint32_t i, std::function<void(SnapshotManifest&)> forge) {
    peers_.set_tamper(i, [forge](Bytes bytes) {
      absl::StatusOr<StateSyncMessage> m = DecodeStateSync(bytes);
      auto* manifest = m.ok() ? std::get_if<SnapshotManifest>(&*m) : nullptr;
      if (manifest == nullptr || !manifest->available) return bytes;
      forge(*manifest);
      return EncodeStateSync(*m);
    });
  }

  // Every serving peer (last committed round `tip`) carries `cert` in its
  // consensus part and names it as its last commit's anchor (its final
  // checkpoint signs that): the restore is refused by each, nothing written.
  void ExpectRefusedByEveryPeerNaming(const consensus::Certificate& cert,
                                      Round tip = kTipRound) {
    peers_.set_tip({cert}, consensus::CertificateDigest(cert));
    ASSERT_NO_FATAL_FAILURE(MakePeers(/*first_diverges=*/false, /*finals=*/true, tip));
    peers_.StartAll();
    EXPECT_EQ(Restore(), std::nullopt);
    EXPECT_EQ(peers_.peer(kClient).store->last_committed_sequence(), 0u);
    EXPECT_EQ(peers_.peer(kClient).sync->stats().peers_refused, 3u);
  }

  // The consensus commit state a peer's store holds.
  static std::optional<storage::ConsensusStore::CommitState> TipOf(const Peer& p) {
    auto txn = p.store->env().BeginRead();
    if (!txn.ok()) return std::nullopt;
    auto state = p.consensus->ReadCommitState(*txn);
    if (!state.ok()) return std::nullopt;
    return *state;
  }

  // The client restored the honest state and consensus position of peer
  // `honest`: same root, commit record and commit state.
  void ExpectRestoredLike(uint32_t honest) {
    const Peer& client = peers_.peer(kClient);
    const Peer& h = peers_.peer(honest);
    EXPECT_EQ(*client.store->RecomputeStateRoot(), *h.store->StateRoot());
    EXPECT_EQ(*client.store->GetCommit(kSequence), *h.store->GetCommit(kSequence));
    const auto tip = TipOf(client);
    const auto honest_tip = TipOf(h);
    ASSERT_TRUE(tip.has_value() && honest_tip.has_value());
    EXPECT_EQ(tip->last_committed_round, honest_tip->last_committed_round);
    EXPECT_EQ(tip->next_commit_index, kSequence);
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

TEST_F(StateSyncPeerTest, SecurityAForgedLastCommittedRoundIsRefusedAndAnotherPeerUsed) {
  // Validator 0 (asked first) serves the honest snapshot, but says it was
  // cut two rounds later: the restored validator would rejoin at round 22.
  ASSERT_NO_FATAL_FAILURE(MakePeers(/*first_diverges=*/false, /*finals=*/true, kTipRound));
  ForgeManifest(0, [](SnapshotManifest& m) { m.last_committed_round += 2; });
  peers_.StartAll();
  ASSERT_EQ(Restore(), kSequence);
  EXPECT_EQ(peers_.peer(kClient).sync->stats().peers_refused, 1u);
  ASSERT_NO_FATAL_FAILURE(ExpectRestoredLike(1));
  EXPECT_EQ(TipOf(peers_.peer(kClient))->last_committed_round, kTipRound);
}

TEST_F(StateSyncPeerTest, SecurityAForgedCommitRecordIsRefusedAndAnotherPeerUsed) {
  // Validator 0 names another anchor for the snapshot's commit.
  ASSERT_NO_FATAL_FAILURE(MakePeers(/*first_diverges=*/false, /*finals=*/true, kTipRound));
  ForgeManifest(0, [](SnapshotManifest& m) {
    storage::CommitMeta meta = *storage::DecodeCommitRecord(m.commit_record);
    meta.anchor = Sha256(Bytes{0xAA});
    m.commit_record = storage::EncodeCommitRecord(meta);
  });
  peers_.StartAll();
  ASSERT_EQ(Restore(), kSequence);
  EXPECT_EQ(peers_.peer(kClient).sync->stats().peers_refused, 1u);
  ASSERT_NO_FATAL_FAILURE(ExpectRestoredLike(1));
}

TEST_F(StateSyncPeerTest, SecurityAForgedStateSummaryIsRefusedAndAnotherPeerUsed) {
  // The state summary chain after the snapshot is in the commit record,
  // so the final checkpoint covers it too.
  ASSERT_NO_FATAL_FAILURE(MakePeers(/*first_diverges=*/false, /*finals=*/true, kTipRound));
  ForgeManifest(0, [](SnapshotManifest& m) {
    storage::CommitMeta meta = *storage::DecodeCommitRecord(m.commit_record);
    meta.state_summary = Sha256(Bytes{0xBB});
    m.commit_record = storage::EncodeCommitRecord(meta);
  });
  peers_.StartAll();
  ASSERT_EQ(Restore(), kSequence);
  EXPECT_EQ(peers_.peer(kClient).sync->stats().peers_refused, 1u);
  ASSERT_NO_FATAL_FAILURE(ExpectRestoredLike(1));
  EXPECT_EQ(*peers_.peer(kClient).store->StateSummary(), *peers_.peer(1).store->StateSummary());
}

TEST_F(StateSyncPeerTest, SecurityWhenEveryPeerForgesThePositionNothingIsWritten) {
  ASSERT_NO_FATAL_FAILURE(MakePeers(/*first_diverges=*/false, /*finals=*/true, kTipRound));
  for (uint32_t i = 0; i < 3; ++i) {
    ForgeManifest(i, [](SnapshotManifest& m) { m.last_committed_round -= 2; });
  }
  peers_.StartAll();
  EXPECT_EQ(Restore(), std::nullopt);
  const Peer& client = peers_.peer(kClient);
  EXPECT_EQ(client.store->last_committed_sequence(), 0u);
  EXPECT_FALSE(TipOf(client).has_value());
  EXPECT_EQ(client.sync->stats().peers_refused, 3u);
  EXPECT_EQ(client.sync->stats().restores_done, 0u);
}

TEST_F(StateSyncPeerTest, TheAnchorOfTheLastCommittedRoundInThePartRestores) {
  // The snapshot's commit is its anchor's last piece: the part carries the
  // anchor, the leader's certificate of the last committed round.
  const consensus::Certificate anchor =
      peers_.CertificateOf(peers_.committee().Leader(kTipRound).value(), kTipRound);
  peers_.set_tip({anchor}, consensus::CertificateDigest(anchor));
  ASSERT_NO_FATAL_FAILURE(MakePeers(/*first_diverges=*/false, /*finals=*/true, kTipRound));
  peers_.StartAll();
  ASSERT_EQ(Restore(), kSequence);
  EXPECT_EQ(peers_.peer(kClient).sync->stats().peers_refused, 0u);
  ASSERT_NO_FATAL_FAILURE(ExpectRestoredLike(0));
}

TEST_F(StateSyncPeerTest, SecurityACommitRecordAnchorOfAnotherRoundInThePartIsRefused) {
  // Even signed by 2f+1 (here: synthetic), a commit record whose anchor is
  // a carried certificate of an earlier round than the last committed one
  // is inconsistent with the part: every peer is refused.
  const Round earlier(18);
  ASSERT_NO_FATAL_FAILURE(ExpectRefusedByEveryPeerNaming(
      peers_.CertificateOf(peers_.committee().Leader(earlier).value(), earlier)));
}

TEST_F(StateSyncPeerTest, SecurityACommitRecordAnchorByANonLeaderInThePartIsRefused) {
  // The same with a certificate of the last committed round by another
  // validator than that round's leader: never an anchor.
  const uint32_t other =
      (peers_.committee().Leader(kTipRound).value() + 1) % state_sync_test::kPeers;
  ASSERT_NO_FATAL_FAILURE(ExpectRefusedByEveryPeerNaming(peers_.CertificateOf(other, kTipRound)));
}

// Checkpoint catch-up: the client executed commits 1..kSequence (each
// recorded with last committed round 10) but holds no final checkpoints;
// peers 0..2 hold those of 1..kCatchUpTo with `commit_digest_of(sequence)`.
class StateSyncCatchUpTest : public StateSyncPeerTest {
 protected:
  static constexpr uint64_t kCatchUpTo = kSequence - kCatchUpLagCommits;

  void MakeAndStart(const std::function<Digest(const Peer&, uint64_t)>& commit_digest_of) {
    for (uint32_t i = 0; i < 3; ++i) {
      ASSERT_NO_FATAL_FAILURE(peers_.MakePeer(i, kSequence, false, false));
    }
    ASSERT_NO_FATAL_FAILURE(peers_.MakePeer(kClient, kSequence, false, false));
    Peer& client = peers_.peer(kClient);
    for (uint64_t seq = 1; seq <= kSequence; ++seq) {
      consensus::CommittedSubDag sub;
      sub.index = seq - 1;
      sub.anchor_round = Round(10);
      sub.anchor = client.store->GetCommit(seq)->anchor;
      sub.last_committed_round = Round(10);
      ASSERT_TRUE(client.consensus->RecordCommit(sub, seq, {}).ok());
    }
    std::vector<SignedCheckpoint> finals;
    for (uint64_t seq = 1; seq <= kCatchUpTo; ++seq) {
      finals.push_back(peers_.FinalAt(client, seq, commit_digest_of(client, seq)));
    }
    for (uint32_t i = 0; i < 3; ++i) {
      ASSERT_TRUE(peers_.peer(i).checkpoints->Write(finals, 3).ok());
    }
    peers_.StartAll();
  }
};

TEST_F(StateSyncCatchUpTest, FinalCheckpointsOfOurOwnPositionAreStored) {
  ASSERT_NO_FATAL_FAILURE(MakeAndStart([](const Peer& p, uint64_t seq) {
    return *CommitDigestAt(*p.store, *p.consensus, seq);
  }));
  const Peer& client = peers_.peer(kClient);
  ASSERT_TRUE(cluster_test::WaitFor(
      [&] { return client.sync->stats().checkpoints_fetched >= kCatchUpTo; }, kWaitMax));
  EXPECT_EQ(*client.checkpoints->FirstMissing(1, kCatchUpTo), std::nullopt);
  EXPECT_EQ(client.sync->stats().checkpoints_refused, 0u);
}

TEST_F(StateSyncCatchUpTest, SecurityFinalCheckpointsOfAnotherPositionAreRefused) {
  // The same state roots, 2f+1 signed, but over another last committed
  // round than the one this validator recorded: divergence, not stored.
  ASSERT_NO_FATAL_FAILURE(MakeAndStart([](const Peer& p, uint64_t seq) {
    return consensus::CommitPositionDigest(
        Round(12), storage::EncodeCommitRecord(*p.store->GetCommit(seq)));
  }));
  const Peer& client = peers_.peer(kClient);
  ASSERT_TRUE(cluster_test::WaitFor(
      [&] { return client.sync->stats().checkpoints_refused >= kCatchUpTo; }, kWaitMax));
  EXPECT_EQ(client.sync->stats().checkpoints_fetched, 0u);
  EXPECT_EQ(*client.checkpoints->FirstMissing(1, kCatchUpTo), std::optional<uint64_t>(1));
}

TEST_F(StateSyncPeerTest, SecurityACommitRecordAnchorOfAnOddRoundIsRefusedWithoutAnAbort) {
  // A server's last committed round and anchor of an odd round (no leader
  // there; asking the schedule for one would be our misuse, an abort):
  // refused like any inconsistent part.
  const Round odd(kTipRound.value() + 1);
  ASSERT_NO_FATAL_FAILURE(ExpectRefusedByEveryPeerNaming(peers_.CertificateOf(1, odd), odd));
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
  ASSERT_TRUE(
      cluster_test::WaitFor([&] { return client.MayRestore(); }, kWaitMax));  // kRestoreHoldOff
  EXPECT_EQ(Restore(), kSequence);
  EXPECT_EQ(client.stats().restores_done, 1u);
}

}  // namespace
}  // namespace gridledger::node
