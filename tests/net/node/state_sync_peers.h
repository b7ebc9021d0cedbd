// In-process StateSync peers for the state sync tests: a committee of four
// (keys 100 + i), validators whose stores hold synthetic commits with the
// consensus commit record at that sequence (optionally committed
// certificates and the last commit's anchor, set_tip) and, if asked, the
// final checkpoint of the honest state and consensus position (3 of 4
// signatures); their StateSyncs deliver to each other directly (a Tamper
// may rewrite what one sends).
#ifndef GRIDLEDGER_TESTS_NET_NODE_STATE_SYNC_PEERS_H_
#define GRIDLEDGER_TESTS_NET_NODE_STATE_SYNC_PEERS_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "core/consensus/checkpoint.h"
#include "core/consensus/committee.h"
#include "core/consensus/messages.h"
#include "core/crypto/schnorr.h"
#include "core/crypto/sha256.h"
#include "gtest/gtest.h"
#include "net/node/checkpoint_store.h"
#include "net/node/state_sync.h"
#include "storage/consensus_store.h"
#include "storage/node_store.h"
#include "tests/storage/synthetic_blocks.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::node::state_sync_test {

inline constexpr uint32_t kPeers = 4;
// The sequence the serving peers' stores are at.
inline constexpr uint64_t kSequence = 30;

struct Peer {
  storage::TempDir dir;
  std::unique_ptr<storage::NodeStore> store;
  std::unique_ptr<storage::ConsensusStore> consensus;
  std::unique_ptr<CheckpointStore> checkpoints;
  std::unique_ptr<StateSync> sync;
};

// Rewrites what a peer sends (a Byzantine server).
using Tamper = std::function<Bytes(Bytes)>;

class SnapshotPeers {
 public:
  SnapshotPeers() : tampers_(kPeers), peers_(kPeers) {
    std::vector<PublicKey> publics;
    for (uint32_t i = 0; i < kPeers; ++i) {
      keys_.push_back(KeyPair::FromSeed(100 + i));
      publics.push_back(keys_.back().public_key());
    }
    chain_ = Digest::FromSpan(Bytes(32, 0x5a));
    committee_.emplace(*consensus::Committee::Create(SliceId(0), publics, chain_));
  }
  ~SnapshotPeers() {
    for (auto& p : peers_) {
      if (p && p->sync) p->sync->Stop();
    }
  }

  // Peer i: `blocks` commits (`diverge`: the last one differs), a consensus
  // commit record at that sequence (last committed round `tip_round`), and
  // (if `final_checkpoint`) the final checkpoint of the honest state. Its
  // StateSync is made, not started.
  void MakePeer(uint32_t i, uint64_t blocks, bool diverge, bool final_checkpoint,
                Round tip_round = Round(0)) {
    auto p = std::make_unique<Peer>();
    storage::LmdbOptions options;
    options.dir = p->dir.path();
    auto store = storage::NodeStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    p->store = std::move(*store);
    auto consensus = storage::ConsensusStore::Open(&p->store->env());
    ASSERT_TRUE(consensus.ok()) << consensus.status();
    p->consensus = std::move(*consensus);
    auto checkpoints = CheckpointStore::Open(&p->store->env());
    ASSERT_TRUE(checkpoints.ok()) << checkpoints.status();
    p->checkpoints = std::move(*checkpoints);
    ASSERT_NO_FATAL_FAILURE(Fill(*p, blocks, diverge, tip_round));
    if (final_checkpoint) {
      ASSERT_TRUE(p->checkpoints->Write({Final(*p)}, 3).ok());
    }
    p->sync = std::make_unique<StateSync>(
        &*committee_, ValidatorIndex(i), consensus::Parameters{}, p->store.get(),
        p->consensus.get(), p->checkpoints.get(), [this, i](ValidatorIndex to, Bytes bytes) {
          if (tampers_[i]) bytes = tampers_[i](std::move(bytes));
          peers_[to.value()]->sync->OnPeerMessage(ValidatorIndex(i), bytes);
        });
    p->sync->set_timeouts(StateSyncTimeouts{absl::Seconds(3), absl::Seconds(1)});
    peers_[i] = std::move(p);
  }

  // Peers made from now on hold `committed` as their committed certificates
  // and, when given, `last_anchor` as the anchor of their last commit.
  void set_tip(std::vector<consensus::Certificate> committed,
               std::optional<Digest> last_anchor) {
    tip_certificates_ = std::move(committed);
    last_anchor_ = last_anchor;
  }

  // A certificate of `author` at `round` (parents made up, no batches),
  // signed by it and voted by 0..2: it verifies.
  consensus::Certificate CertificateOf(uint32_t author, Round round) const {
    consensus::Header h;
    h.slice = SliceId(0);
    h.author = ValidatorIndex(author);
    h.round = round;
    for (uint8_t k = 0; k < 3; ++k) h.parents.push_back(Sha256(Bytes{k, 0x77}));
    std::sort(h.parents.begin(), h.parents.end());
    h.chain_id = chain_;
    const Digest d = consensus::HeaderDigest(h);
    h.signature = keys_[author].Sign(d);
    consensus::Certificate c{h, {}};
    for (uint32_t v = 0; v < 3; ++v) {
      c.votes.push_back({ValidatorIndex(v), keys_[v].Sign(consensus::VotePayload(d))});
    }
    return c;
  }

  // Commits `blocks` synthetic blocks to p's empty store (`diverge`: the
  // last one differs) and a consensus commit record at that sequence.
  void Fill(Peer& p, uint64_t blocks, bool diverge, Round tip_round) {
    for (uint64_t seq = 1; seq <= blocks; ++seq) {
      storage::BlockWrite block = storage::testing::SyntheticBlock(seq);
      if (diverge && seq == blocks) block.accounts[0].second.balance = Amount(1);
      if (seq == blocks && last_anchor_.has_value()) block.meta.anchor = *last_anchor_;
      ASSERT_TRUE(p.store->CommitBlock(block).ok());
    }
    if (blocks > 0) {
      ASSERT_TRUE(p.store->env()
                      .Write([&](storage::WriteTxn& txn) {
                        return p.consensus->WriteRestoredTip(
                            txn, storage::ConsensusStore::CommitState{tip_round, blocks},
                            tip_certificates_, {});
                      })
                      .ok());
    }
  }

  // The consensus position `p`'s store is at (its last committed round and
  // commit record at kSequence), as the checkpoint signs it.
  static Digest Position(const Peer& p) {
    auto txn = p.store->env().BeginRead();
    EXPECT_TRUE(txn.ok()) << txn.status();
    if (!txn.ok()) return Digest();
    auto state = p.consensus->ReadCommitState(*txn);
    EXPECT_TRUE(state.ok() && state->has_value());
    auto record = txn->Get(p.store->tables().commits, storage::EncodeCommitKey(kSequence));
    EXPECT_TRUE(record.ok()) << record.status();
    if (!state.ok() || !state->has_value() || !record.ok()) return Digest();
    return consensus::CommitPositionDigest((*state)->last_committed_round, *record);
  }

  // The final checkpoint of `honest`'s state at kSequence, signed by 0..2.
  SignedCheckpoint Final(const Peer& honest) {
    SignedCheckpoint c;
    c.checkpoint.chain_id = chain_;
    c.checkpoint.slice = SliceId(0);
    c.checkpoint.sequence = kSequence;
    c.checkpoint.state_root = *honest.store->StateRoot();
    c.checkpoint.commit_digest = Position(honest);
    return SignedBy012(c);
  }

  // The final checkpoint of `p`'s state at `sequence` with `commit_digest`,
  // signed by 0..2.
  SignedCheckpoint FinalAt(const Peer& p, uint64_t sequence, const Digest& commit_digest) {
    SignedCheckpoint c;
    c.checkpoint.chain_id = chain_;
    c.checkpoint.slice = SliceId(0);
    c.checkpoint.sequence = sequence;
    c.checkpoint.state_root = *p.store->StateRootAt(sequence);
    c.checkpoint.commit_digest = commit_digest;
    return SignedBy012(c);
  }

  SignedCheckpoint SignedBy012(SignedCheckpoint c) const {
    for (uint32_t k : {0u, 1u, 2u}) {
      c.signatures.emplace_back(ValidatorIndex(k),
                                keys_[k].Sign(consensus::CheckpointDigest(c.checkpoint)));
    }
    return c;
  }

  // Starts every peer made so far.
  void StartAll() {
    for (auto& p : peers_) {
      if (p) p->sync->Start();
    }
  }

  Peer& peer(uint32_t i) { return *peers_[i]; }
  void set_tamper(uint32_t i, Tamper tamper) { tampers_[i] = std::move(tamper); }
  const consensus::Committee& committee() const { return *committee_; }
  const KeyPair& key(uint32_t i) const { return keys_[i]; }

 private:
  std::vector<KeyPair> keys_;
  Digest chain_;
  std::optional<consensus::Committee> committee_;
  std::vector<Tamper> tampers_;
  std::vector<std::unique_ptr<Peer>> peers_;
  std::vector<consensus::Certificate> tip_certificates_;
  std::optional<Digest> last_anchor_;
};

}  // namespace gridledger::node::state_sync_test

#endif  // GRIDLEDGER_TESTS_NET_NODE_STATE_SYNC_PEERS_H_
