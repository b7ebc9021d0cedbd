// Checkpoint votes (core/consensus/checkpoint.h): canonical round trip,
// strict decoding, and verification that binds chain id, slice, membership
// and the signer's key.
#include "core/consensus/checkpoint.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/crypto/sha256.h"
#include "tests/core/consensus/checkpoint_fixture.h"

namespace gridledger::consensus {
namespace {

using testing::D;

class CheckpointTest : public ::testing::Test {
 protected:
  CheckpointTest() : signers_(SliceId(2), 300), committee_(&signers_.committee()) {}

  CheckpointVote Signed(uint32_t signer, uint64_t sequence, const Digest& root,
                        const Digest& chain_id = D(1)) {
    return signers_.Vote(signer, sequence, root, chain_id);
  }

  testing::CheckpointSigners signers_;
  const Committee* committee_;
  SchnorrChecker checker_;
};

TEST_F(CheckpointTest, RoundTripIsCanonical) {
  const CheckpointVote v = Signed(3, 77, D(9));
  const Bytes bytes = EncodeCheckpointVote(v);
  ASSERT_EQ(bytes.size(), kCheckpointVoteBytes);
  EXPECT_EQ(bytes[0], kCheckpointVoteTag);
  auto decoded = DecodeCheckpointVote(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, v);
  EXPECT_EQ(EncodeCheckpointVote(*decoded), bytes);
  EXPECT_TRUE(VerifyCheckpointVote(*decoded, *committee_, checker_).ok());
}

TEST_F(CheckpointTest, DecodingIsStrict) {
  const Bytes bytes = EncodeCheckpointVote(Signed(0, 5, D(9)));
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeCheckpointVote(ByteSpan(bytes.data(), n)).ok()) << n;
  }
  Bytes longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(DecodeCheckpointVote(longer).ok());
  Bytes wrong_tag = bytes;
  wrong_tag[0] = kCheckpointVoteTag + 1;
  EXPECT_FALSE(DecodeCheckpointVote(wrong_tag).ok());
  // Sequence 0 (no commit has it): bytes 1 + 32 + 4 .. +8.
  Bytes zero_sequence = bytes;
  for (size_t i = 1 + 32 + 4; i < 1 + 32 + 4 + 8; ++i) zero_sequence[i] = 0;
  auto decoded = DecodeCheckpointVote(zero_sequence);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("sequence"), std::string::npos);
}

TEST_F(CheckpointTest, EveryFieldIsInsideTheSignedDigest) {
  const Checkpoint base{D(1), SliceId(2), 5, D(3), D(4), D(5)};
  const Digest d = CheckpointDigest(base);
  Checkpoint c = base;
  c.chain_id = D(7);
  EXPECT_NE(CheckpointDigest(c), d);
  c = base;
  c.slice = SliceId(3);
  EXPECT_NE(CheckpointDigest(c), d);
  c = base;
  c.sequence = 6;
  EXPECT_NE(CheckpointDigest(c), d);
  c = base;
  c.state_root = D(8);
  EXPECT_NE(CheckpointDigest(c), d);
  c = base;
  c.receipts_root = D(8);
  EXPECT_NE(CheckpointDigest(c), d);
  c = base;
  c.commit_digest = D(8);
  EXPECT_NE(CheckpointDigest(c), d);
}

TEST_F(CheckpointTest, TheCommitDigestRoundTripsInsideTheVote) {
  CheckpointVote v = Signed(2, 9, D(9));
  v.checkpoint.commit_digest = CommitPositionDigest(Round(8), Bytes(68, 7));
  v.signature = signers_.key(2).Sign(CheckpointDigest(v.checkpoint));
  const Bytes bytes = EncodeCheckpointVote(v);
  ASSERT_EQ(bytes.size(), size_t{1 + 140 + 4 + 64});
  auto decoded = DecodeCheckpointVote(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->checkpoint.commit_digest, v.checkpoint.commit_digest);
  EXPECT_TRUE(VerifyCheckpointVote(*decoded, *committee_, checker_).ok());
}

TEST_F(CheckpointTest, TheCommitPositionBindsTheRoundAndTheWholeRecord) {
  const Bytes record(68, 7);
  const Digest d = CommitPositionDigest(Round(8), record);
  EXPECT_NE(CommitPositionDigest(Round(10), record), d);
  for (size_t i = 0; i < record.size(); i += 17) {
    Bytes other = record;
    other[i] ^= 1;
    EXPECT_NE(CommitPositionDigest(Round(8), other), d) << i;
  }
  // Domain-separated: not the record's hash under another tag, and the
  // length is inside (a shorter record with the round's bytes moved).
  Bytes plain;
  ByteWriter(&plain).U64(8);
  plain.insert(plain.end(), record.begin(), record.end());
  EXPECT_NE(TaggedHash(kTagCheckpointV2, plain), d);
  EXPECT_NE(CommitPositionDigest(Round(8), Bytes(67, 7)), d);
}

TEST_F(CheckpointTest, SecurityVotesOfTheOldLayoutAndDomainAreRefused) {
  // A 108-byte checkpoint vote (before commit_digest), correctly signed in
  // the old domain: refused by length.
  const Checkpoint c{D(1), SliceId(2), 5, D(3), Digest(), D(6)};
  Bytes old_checkpoint;
  ByteWriter ow(&old_checkpoint);
  ow.Raw(c.chain_id.span());
  ow.U32(c.slice.value());
  ow.U64(c.sequence);
  ow.Raw(c.state_root.span());
  ow.Raw(c.receipts_root.span());
  ASSERT_EQ(old_checkpoint.size(), size_t{108});
  const Signature old_signature =
      signers_.key(1).Sign(TaggedHash(kTagCheckpoint, old_checkpoint));
  Bytes old_vote;
  ByteWriter vw(&old_vote);
  vw.U8(kCheckpointVoteTag);
  vw.Raw(old_checkpoint);
  vw.U32(1);
  vw.Raw(old_signature.span());
  ASSERT_EQ(old_vote.size(), size_t{177});
  auto decoded = DecodeCheckpointVote(old_vote);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  // Nor does an old-domain signature verify over the same fields now.
  const CheckpointVote replayed{c, ValidatorIndex(1), old_signature};
  EXPECT_EQ(VerifyCheckpointVote(replayed, *committee_, checker_).code(),
            absl::StatusCode::kPermissionDenied);
  // A commit digest changed after signing does not verify either.
  CheckpointVote moved = Signed(1, 5, D(9));
  moved.checkpoint.commit_digest = D(11);
  EXPECT_EQ(VerifyCheckpointVote(moved, *committee_, checker_).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(CheckpointTest, SecurityForgedForeignAndNonMemberVotesAreRefused) {
  // Signed correctly, but for another network.
  const CheckpointVote foreign = Signed(1, 5, D(9), D(2));
  EXPECT_EQ(VerifyCheckpointVote(foreign, *committee_, checker_).code(),
            absl::StatusCode::kInvalidArgument);
  // Another slice.
  CheckpointVote other_slice = Signed(1, 5, D(9));
  other_slice.checkpoint.slice = SliceId(0);
  other_slice.signature = signers_.key(1).Sign(CheckpointDigest(other_slice.checkpoint));
  EXPECT_EQ(VerifyCheckpointVote(other_slice, *committee_, checker_).code(),
            absl::StatusCode::kInvalidArgument);
  // A non-member index.
  CheckpointVote outsider = Signed(1, 5, D(9));
  outsider.signer = ValidatorIndex(4);
  EXPECT_EQ(VerifyCheckpointVote(outsider, *committee_, checker_).code(),
            absl::StatusCode::kPermissionDenied);
  // Validator 1's signature claimed by validator 2 (forged), and a root
  // changed after signing.
  CheckpointVote forged = Signed(1, 5, D(9));
  forged.signer = ValidatorIndex(2);
  EXPECT_EQ(VerifyCheckpointVote(forged, *committee_, checker_).code(),
            absl::StatusCode::kPermissionDenied);
  CheckpointVote altered = Signed(1, 5, D(9));
  altered.checkpoint.state_root = D(10);
  EXPECT_EQ(VerifyCheckpointVote(altered, *committee_, checker_).code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace gridledger::consensus
