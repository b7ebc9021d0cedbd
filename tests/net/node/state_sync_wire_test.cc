// State sync's wire (net/node/state_sync_wire.h) and the check of a final
// checkpoint from a peer (net/node/final_checkpoint.h): every message
// round-trips, anything truncated, trailing, unknown or over its byte or
// count bound is refused with a reason; a checkpoint needs 2f+1 valid
// signatures of distinct members of the genesis committee.
#include <vector>

#include "core/consensus/checkpoint.h"
#include "core/consensus/committee.h"
#include "core/consensus/signature_checker.h"
#include "core/crypto/schnorr.h"
#include "gtest/gtest.h"
#include "net/node/final_checkpoint.h"
#include "net/node/state_sync_wire.h"
#include "storage/state_snapshot.h"

namespace gridledger::node {
namespace {

std::vector<StateSyncMessage> Samples() {
  SnapshotManifest manifest;
  manifest.available = true;
  manifest.sequence = 77;
  manifest.last_committed_round = 140;
  manifest.state_root = Digest::FromSpan(Bytes(32, 3));
  manifest.commit_record = Bytes(69, 1);
  manifest.state_chunks = 5;
  manifest.consensus_chunks = 2;
  return {ManifestRequest{},
          manifest,
          SnapshotManifest{},
          ChunkRequest{77, 4},
          SnapshotChunk{77, 4, Bytes(1000, 9)},
          SnapshotChunk{77, 9, {}},
          CheckpointRequest{12, kCheckpointsPerRequest},
          CheckpointsAnswer{{Bytes(181, 2), Bytes(250, 3)}}};
}

TEST(StateSyncWireTest, EveryMessageRoundTripsAndRefusesTruncationAndTrailingBytes) {
  for (const StateSyncMessage& m : Samples()) {
    const Bytes bytes = EncodeStateSync(m);
    absl::StatusOr<StateSyncMessage> back = DecodeStateSync(bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, m);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      Bytes truncated(bytes.begin(), bytes.begin() + cut);
      EXPECT_EQ(DecodeStateSync(truncated).status().code(), absl::StatusCode::kInvalidArgument)
          << "cut at " << cut;
    }
    Bytes trailing = bytes;
    trailing.push_back(0);
    EXPECT_EQ(DecodeStateSync(trailing).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(StateSyncWireTest, BoundsAndUnknownKindsAreRefused) {
  EXPECT_FALSE(DecodeStateSync(Bytes{kStateSyncTag, 99}).ok());
  EXPECT_FALSE(DecodeStateSync(Bytes{12, 1}).ok());  // another tag
  // A chunk payload over its byte bound.
  Bytes big = EncodeStateSync(SnapshotChunk{1, 0, Bytes(kSnapshotConsensusChunkBytesMax + 1, 0)});
  absl::Status s = DecodeStateSync(big).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("exceeds"), absl::string_view::npos) << s;
  // More checkpoint records than a request may ask for.
  CheckpointsAnswer many;
  many.records.assign(kCheckpointsPerRequest + 1, Bytes(10, 1));
  EXPECT_FALSE(DecodeStateSync(EncodeStateSync(many)).ok());
  // A request for none, or for more than the bound.
  EXPECT_FALSE(DecodeStateSync(EncodeStateSync(CheckpointRequest{5, 0})).ok());
  EXPECT_FALSE(
      DecodeStateSync(EncodeStateSync(CheckpointRequest{5, kCheckpointsPerRequest + 1})).ok());
  EXPECT_FALSE(DecodeStateSync(EncodeStateSync(CheckpointRequest{0, 1})).ok());
  // A manifest with more chunks than a snapshot may have, or a big commit record.
  SnapshotManifest m;
  m.available = true;
  m.sequence = 1;
  m.state_chunks = static_cast<uint32_t>(storage::kSnapshotChunksMax);
  m.consensus_chunks = 1;
  EXPECT_FALSE(DecodeStateSync(EncodeStateSync(m)).ok());
  m.state_chunks = 1;
  m.commit_record = Bytes(kManifestCommitBytesMax + 1, 0);
  EXPECT_FALSE(DecodeStateSync(EncodeStateSync(m)).ok());
  m.commit_record.clear();
  m.state_chunks = 0;  // available without chunks
  EXPECT_FALSE(DecodeStateSync(EncodeStateSync(m)).ok());
}

TEST(StateSyncWireTest, ConsensusChunksRoundTripAndRefuseTruncation) {
  ConsensusPart part;
  for (uint32_t i = 0; i < 20; ++i) {
    consensus::Certificate c;
    c.header.round = Round(10 + i);
    c.header.author = ValidatorIndex(i % 4);
    c.header.timestamp_ms = i;
    part.certificates.push_back(c);
    consensus::Batch b;
    b.author = ValidatorIndex(i % 4);
    b.sequence = i;
    b.transactions.push_back(Bytes(50, static_cast<uint8_t>(i)));
    part.batches.push_back(b);
  }
  std::vector<Bytes> chunks = CutConsensusChunks(part, 400);
  ASSERT_GT(chunks.size(), 3u);
  ConsensusPart back;
  for (const Bytes& c : chunks) ASSERT_TRUE(DecodeConsensusChunk(c, &back).ok());
  EXPECT_EQ(back.certificates, part.certificates);
  EXPECT_EQ(back.batches, part.batches);
  Bytes truncated = chunks[0];
  truncated.pop_back();
  ConsensusPart none;
  EXPECT_EQ(DecodeConsensusChunk(truncated, &none).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(none.certificates.empty());
  Bytes unknown = chunks[0];
  unknown[4] = 'x';  // the first item's kind
  EXPECT_FALSE(DecodeConsensusChunk(unknown, &none).ok());
}

class FinalCheckpointTest : public ::testing::Test {
 protected:
  FinalCheckpointTest() {
    for (int i = 0; i < 4; ++i) {
      keys_.push_back(KeyPair::FromSeed(100 + i));
      publics_.push_back(keys_.back().public_key());
    }
    chain_ = Digest::FromSpan(Bytes(32, 0xc4));
    committee_.emplace(*consensus::Committee::Create(SliceId(0), publics_, chain_));
    checkpoint_.checkpoint.chain_id = chain_;
    checkpoint_.checkpoint.slice = SliceId(0);
    checkpoint_.checkpoint.sequence = 42;
    checkpoint_.checkpoint.state_root = Digest::FromSpan(Bytes(32, 7));
  }
  void SignBy(std::vector<int> signers) {
    checkpoint_.signatures.clear();
    for (int i : signers) {
      checkpoint_.signatures.emplace_back(
          ValidatorIndex(i), keys_[i].Sign(consensus::CheckpointDigest(checkpoint_.checkpoint)));
    }
  }
  absl::Status Verify() { return VerifyFinalCheckpoint(checkpoint_, *committee_, checker_); }

  std::vector<KeyPair> keys_;
  std::vector<PublicKey> publics_;
  Digest chain_;
  std::optional<consensus::Committee> committee_;
  consensus::SchnorrChecker checker_;
  SignedCheckpoint checkpoint_;
};

TEST_F(FinalCheckpointTest, TwoFPlusOneValidSignaturesAreFinal) {
  SignBy({0, 2, 3});
  EXPECT_TRUE(Verify().ok()) << Verify();
  SignBy({0, 1, 2, 3});
  EXPECT_TRUE(Verify().ok());
}

TEST_F(FinalCheckpointTest, FPlusOneSignaturesAreRefused) {
  SignBy({1, 3});
  absl::Status s = Verify();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("needs 3"), absl::string_view::npos) << s;
}

TEST_F(FinalCheckpointTest, ABadRepeatedOrForeignSignatureIsRefused) {
  SignBy({0, 1, 2});
  checkpoint_.signatures[1].second = checkpoint_.signatures[0].second;  // not signer 1's
  EXPECT_FALSE(Verify().ok());
  SignBy({0, 1, 1});  // one signer twice
  EXPECT_FALSE(Verify().ok());
  SignBy({0, 1, 2});
  checkpoint_.checkpoint.state_root = Digest::FromSpan(Bytes(32, 8));  // signed another root
  EXPECT_FALSE(Verify().ok());
  // Another network's checkpoint, validly signed for it.
  checkpoint_.checkpoint.chain_id = Digest::FromSpan(Bytes(32, 1));
  SignBy({0, 1, 2});
  EXPECT_FALSE(Verify().ok());
  // A signer index outside the committee.
  checkpoint_.checkpoint.chain_id = chain_;
  SignBy({0, 1, 2});
  checkpoint_.signatures.emplace_back(ValidatorIndex(9), checkpoint_.signatures[2].second);
  EXPECT_FALSE(Verify().ok());
}

}  // namespace
}  // namespace gridledger::node
