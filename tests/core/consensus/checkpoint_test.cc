// Checkpoint votes (core/consensus/checkpoint.h): canonical round trip,
// strict decoding, and verification that binds chain id, slice, membership
// and the signer's key.
#include "core/consensus/checkpoint.h"

#include <gtest/gtest.h>

#include <vector>

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
  const Checkpoint base{D(1), SliceId(2), 5, D(3), D(4)};
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
