// StateSync (net/node/state_sync.h) between in-process peers: a validator
// with an empty store restores from its peers; a peer whose snapshot does
// not hash to the final checkpoint's root, or whose chunk does not decode,
// is counted and the next peer is used; nothing is written until the
// snapshot verifies, and the restored store equals the honest ones.
#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "core/consensus/checkpoint.h"
#include "core/consensus/committee.h"
#include "core/crypto/schnorr.h"
#include "gtest/gtest.h"
#include "net/node/checkpoint_store.h"
#include "net/node/consensus_store.h"
#include "net/node/state_sync.h"
#include "storage/node_store.h"
#include "tests/storage/synthetic_blocks.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::node {
namespace {

constexpr uint32_t kPeers = 4;
constexpr uint32_t kClient = 3;
constexpr uint64_t kSequence = 30;

struct Peer {
  storage::TempDir dir;
  std::unique_ptr<storage::NodeStore> store;
  std::unique_ptr<ConsensusStore> consensus;
  std::unique_ptr<CheckpointStore> checkpoints;
  std::unique_ptr<StateSync> sync;
};

// Rewrites what a peer sends (a Byzantine server).
using Tamper = std::function<Bytes(Bytes)>;

class StateSyncPeerTest : public ::testing::Test {
 protected:
  StateSyncPeerTest() {
    std::vector<PublicKey> publics;
    for (uint32_t i = 0; i < kPeers; ++i) {
      keys_.push_back(KeyPair::FromSeed(100 + i));
      publics.push_back(keys_.back().public_key());
    }
    chain_ = Digest::FromSpan(Bytes(32, 0x5a));
    committee_.emplace(*consensus::Committee::Create(SliceId(0), publics, chain_));
    tampers_.resize(kPeers);
  }
  ~StateSyncPeerTest() override {
    for (auto& p : peers_) {
      if (p && p->sync) p->sync->Stop();
    }
  }

  // Peer i: `blocks` commits (`diverge`: the last one differs), a consensus
  // commit record at that sequence, and (if `final_checkpoint`) the final
  // checkpoint of the honest state, signed by 3 of 4.
  void MakePeer(uint32_t i, uint64_t blocks, bool diverge, bool final_checkpoint) {
    auto p = std::make_unique<Peer>();
    storage::LmdbOptions options;
    options.dir = p->dir.path();
    p->store = std::move(*storage::NodeStore::Open(options));
    p->consensus = std::move(*ConsensusStore::Open(&p->store->env()));
    p->checkpoints = std::move(*CheckpointStore::Open(&p->store->env()));
    for (uint64_t seq = 1; seq <= blocks; ++seq) {
      storage::BlockWrite block = storage::testing::SyntheticBlock(seq);
      if (diverge && seq == blocks) block.accounts[0].second.balance = Amount(1);
      ASSERT_TRUE(p->store->CommitBlock(block).ok());
    }
    if (blocks > 0) {
      ASSERT_TRUE(p->store->env()
                      .Write([&](storage::WriteTxn& txn) {
                        return p->consensus->WriteRestoredTip(
                            txn, ConsensusStore::CommitState{Round(0), blocks}, {}, {});
                      })
                      .ok());
    }
    if (final_checkpoint) ASSERT_TRUE(p->checkpoints->Write({Final(*p)}, 3).ok());
    p->sync = std::make_unique<StateSync>(
        &*committee_, ValidatorIndex(i), consensus::Parameters{}, p->store.get(),
        p->consensus.get(), p->checkpoints.get(), [this, i](ValidatorIndex to, Bytes bytes) {
          if (tampers_[i]) bytes = tampers_[i](std::move(bytes));
          peers_[to.value()]->sync->OnPeerMessage(ValidatorIndex(i), bytes);
        });
    p->sync->set_timeouts(StateSyncTimeouts{absl::Seconds(3), absl::Seconds(1)});
    peers_.resize(kPeers);
    peers_[i] = std::move(p);
  }

  SignedCheckpoint Final(const Peer& honest) {
    SignedCheckpoint c;
    c.checkpoint.chain_id = chain_;
    c.checkpoint.slice = SliceId(0);
    c.checkpoint.sequence = kSequence;
    c.checkpoint.state_root = *honest.store->StateRoot();
    for (uint32_t k : {0u, 1u, 2u}) {
      c.signatures.emplace_back(ValidatorIndex(k),
                                keys_[k].Sign(consensus::CheckpointDigest(c.checkpoint)));
    }
    return c;
  }

  // Validators 0..2 serve the honest state (validator 0 as `first_diverges`
  // says), the client starts empty.
  void MakePeers(bool first_diverges, bool finals) {
    MakePeer(0, kSequence, first_diverges, finals && !first_diverges);
    MakePeer(1, kSequence, false, finals);
    MakePeer(2, kSequence, false, finals);
    MakePeer(kClient, 0, false, false);
  }

  void StartAll() {
    for (auto& p : peers_) p->sync->Start();
  }

  // Restores the client; the sequence restored, or none within the deadline.
  std::optional<uint64_t> Restore() {
    StateSync& client = *peers_[kClient]->sync;
    client.RequestRestore();
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      if (std::optional<uint64_t> s = client.TakeRestored()) return s;
      if (!client.restoring()) return std::nullopt;  // abandoned
      absl::SleepFor(absl::Milliseconds(10));
    }
    return std::nullopt;
  }

  std::vector<KeyPair> keys_;
  Digest chain_;
  std::optional<consensus::Committee> committee_;
  std::vector<Tamper> tampers_;
  std::vector<std::unique_ptr<Peer>> peers_;
};

TEST_F(StateSyncPeerTest, AnEmptyStoreRestoresFromAnHonestPeer) {
  MakePeers(/*first_diverges=*/false, /*finals=*/true);
  StartAll();
  ASSERT_EQ(Restore(), kSequence);
  const Peer& client = *peers_[kClient];
  EXPECT_EQ(client.store->last_committed_sequence(), kSequence);
  EXPECT_EQ(*client.store->RecomputeStateRoot(), *peers_[0]->store->StateRoot());
  EXPECT_EQ(*client.store->StateSummary(), *peers_[0]->store->StateSummary());
  EXPECT_TRUE(client.checkpoints->Get(kSequence).ok());  // the final one, stored
  const StateSyncStats stats = client.sync->stats();
  EXPECT_EQ(stats.restores_done, 1u);
  EXPECT_EQ(stats.peers_refused, 0u);
  EXPECT_EQ(stats.restored_sequence, kSequence);
}

TEST_F(StateSyncPeerTest, APeerWhoseSnapshotIsNotTheFinalRootIsRefusedAndAnotherUsed) {
  // Validator 0 (asked first) has another state at the same sequence; it
  // cannot make a final checkpoint for it (one signature is its own).
  MakePeers(/*first_diverges=*/true, /*finals=*/true);
  StartAll();
  ASSERT_EQ(Restore(), kSequence);
  const Peer& client = *peers_[kClient];
  EXPECT_EQ(*client.store->RecomputeStateRoot(), *peers_[1]->store->StateRoot());
  EXPECT_NE(*client.store->StateRoot(), *peers_[0]->store->StateRoot());
  EXPECT_EQ(client.sync->stats().peers_refused, 1u);
}

TEST_F(StateSyncPeerTest, APeerServingATruncatedChunkIsRefusedAndAnotherUsed) {
  MakePeers(/*first_diverges=*/false, /*finals=*/true);
  // Validator 0 cuts a byte off every chunk payload it serves.
  tampers_[0] = [](Bytes bytes) {
    absl::StatusOr<StateSyncMessage> m = DecodeStateSync(bytes);
    if (!m.ok()) return bytes;
    if (auto* chunk = std::get_if<SnapshotChunk>(&*m); chunk && !chunk->payload.empty()) {
      chunk->payload.pop_back();
      return EncodeStateSync(*m);
    }
    return bytes;
  };
  StartAll();
  ASSERT_EQ(Restore(), kSequence);
  EXPECT_EQ(peers_[kClient]->sync->stats().peers_refused, 1u);
  EXPECT_EQ(*peers_[kClient]->store->RecomputeStateRoot(), *peers_[1]->store->StateRoot());
}

TEST_F(StateSyncPeerTest, WithoutAFinalCheckpointNothingIsWritten) {
  // Every peer has the state but none holds its final checkpoint (and f+1
  // signatures are all a Byzantine pair could add): the restore is
  // abandoned and the store stays empty.
  MakePeers(/*first_diverges=*/false, /*finals=*/false);
  SignedCheckpoint weak = Final(*peers_[1]);
  weak.signatures.pop_back();  // f+1 = 2 signatures
  ASSERT_TRUE(peers_[1]->checkpoints->Write({weak}, 2).ok());
  StartAll();
  EXPECT_EQ(Restore(), std::nullopt);
  EXPECT_EQ(peers_[kClient]->store->last_committed_sequence(), 0u);
  EXPECT_GT(peers_[kClient]->sync->stats().checkpoints_refused, 0u);
}

}  // namespace
}  // namespace gridledger::node
