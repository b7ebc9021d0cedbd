// CheckpointPool: 2f+1 votes over one checkpoint make it final; votes for
// another root, relayed, forged, foreign, equivocating or far from our last
// commit are refused with a reason and counted; memory stays in the window.
// Also the final checkpoint record's strict decoding, and a store of the
// record version before commit_digest refused at open.
#include "net/node/checkpoint_pool.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/core/consensus/checkpoint_fixture.h"
#include "net/node/checkpoint_store.h"
#include "storage/lmdb_env.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::node {
namespace {

using consensus::Checkpoint;
using consensus::CheckpointDigest;
using consensus::CheckpointVote;

using consensus::testing::D;

class CheckpointPoolTest : public ::testing::Test {
 protected:
  CheckpointPoolTest() : signers_(SliceId(0), 500), committee_(&signers_.committee()) {}

  CheckpointVote Vote(uint32_t signer, uint64_t sequence, const Digest& root,
                      const Digest& chain_id = D(1)) {
    return signers_.Vote(signer, sequence, root, chain_id);
  }

  consensus::testing::CheckpointSigners signers_;
  const consensus::Committee* committee_;
  consensus::SchnorrChecker checker_;
};

TEST_F(CheckpointPoolTest, TwoFPlusOneVotesOverOneCheckpointMakeItFinal) {
  CheckpointPool pool(committee_, &checker_, 0);
  std::vector<std::string> divergence;
  EXPECT_TRUE(pool.AddOwn(Vote(0, 1, D(7)), &divergence).empty());
  auto f = pool.AddPeer(ValidatorIndex(1), Vote(1, 1, D(7)));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->empty());
  // A duplicate changes nothing.
  f = pool.AddPeer(ValidatorIndex(1), Vote(1, 1, D(7)));
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->empty());
  f = pool.AddPeer(ValidatorIndex(2), Vote(2, 1, D(7)));
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->size(), 1u);
  EXPECT_EQ((*f)[0].checkpoint.state_root, D(7));
  ASSERT_EQ((*f)[0].signatures.size(), 3u);
  EXPECT_EQ((*f)[0].signatures[0].first, ValidatorIndex(0));
  EXPECT_EQ((*f)[0].signatures[2].first, ValidatorIndex(2));
  // The fourth vote is late: counted, nothing new becomes final.
  f = pool.AddPeer(ValidatorIndex(3), Vote(3, 1, D(7)));
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->empty());
  EXPECT_EQ(pool.stats().finals, 1u);
  EXPECT_EQ(pool.stats().last_final_sequence, 1u);
  EXPECT_EQ(pool.stats().root_mismatches, 0u);
  EXPECT_TRUE(divergence.empty());
  // Peers' votes may come before our own execution; finality does not wait for us.
  ASSERT_TRUE(pool.AddPeer(ValidatorIndex(1), Vote(1, 2, D(8))).ok());
  ASSERT_TRUE(pool.AddPeer(ValidatorIndex(2), Vote(2, 2, D(8))).ok());
  f = pool.AddPeer(ValidatorIndex(3), Vote(3, 2, D(8)));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->size(), 1u);
  EXPECT_TRUE(pool.AddOwn(Vote(0, 2, D(8)), &divergence).empty());
  EXPECT_EQ(pool.stats().own_divergences, 0u);
}

TEST_F(CheckpointPoolTest, AnotherRootIsADivergenceCountedWithItsSequence) {
  CheckpointPool pool(committee_, &checker_, 0);
  // Validator 3 votes first, before we executed sequence 1.
  ASSERT_TRUE(pool.AddPeer(ValidatorIndex(3), Vote(3, 1, D(66))).ok());
  std::vector<std::string> divergence;
  EXPECT_TRUE(pool.AddOwn(Vote(0, 1, D(7)), &divergence).empty());
  ASSERT_EQ(divergence.size(), 1u);
  EXPECT_NE(divergence[0].find("sequence 1"), std::string::npos) << divergence[0];
  // After we executed it, a mismatch is refused as it arrives.
  auto f = pool.AddPeer(ValidatorIndex(2), Vote(2, 1, D(66)));
  EXPECT_EQ(f.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(pool.stats().root_mismatches, 2u);
  // Two honest peers still make ours final.
  ASSERT_TRUE(pool.AddPeer(ValidatorIndex(1), Vote(1, 1, D(7))).ok());
  EXPECT_EQ(pool.stats().finals, 0u);  // 2 of 3: validator 2 is spent on the other root
}

TEST_F(CheckpointPoolTest, SecurityForgedRelayedForeignAndEquivocatingVotesAreRefused) {
  CheckpointPool pool(committee_, &checker_, 10);
  // Another network's chain id, correctly signed by a member.
  EXPECT_EQ(pool.AddPeer(ValidatorIndex(1), Vote(1, 11, D(7), D(2))).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Forged: validator 2's name on validator 1's signature, sent by 2.
  CheckpointVote forged = Vote(1, 11, D(7));
  forged.signer = ValidatorIndex(2);
  EXPECT_EQ(pool.AddPeer(ValidatorIndex(2), forged).status().code(),
            absl::StatusCode::kPermissionDenied);
  // A genuine vote of validator 1 relayed by validator 3.
  EXPECT_EQ(pool.AddPeer(ValidatorIndex(3), Vote(1, 11, D(7))).status().code(),
            absl::StatusCode::kPermissionDenied);
  // A non-member signer index over a member's link.
  CheckpointVote outsider = Vote(1, 11, D(7));
  outsider.signer = ValidatorIndex(9);
  EXPECT_EQ(pool.AddPeer(ValidatorIndex(9), outsider).status().code(),
            absl::StatusCode::kPermissionDenied);
  // Equivocation: a second, different checkpoint at one sequence.
  ASSERT_TRUE(pool.AddPeer(ValidatorIndex(1), Vote(1, 11, D(7))).ok());
  EXPECT_EQ(pool.AddPeer(ValidatorIndex(1), Vote(1, 11, D(8))).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(pool.stats().equivocations, 1u);
  // Far ahead of and far behind our last commit.
  EXPECT_EQ(pool.AddPeer(ValidatorIndex(1), Vote(1, 10 + kCheckpointWindowAhead + 1, D(7)))
                .status()
                .code(),
            absl::StatusCode::kOutOfRange);
  CheckpointPool later(committee_, &checker_, 10 + kCheckpointWindowBehind);
  EXPECT_EQ(later.AddPeer(ValidatorIndex(1), Vote(1, 10, D(7))).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(pool.stats().refused, 6u);
  EXPECT_EQ(pool.stats().accepted, 1u);
  EXPECT_EQ(pool.stats().finals, 0u);
}

TEST_F(CheckpointPoolTest, MemoryStaysInsideTheWindow) {
  CheckpointPool pool(committee_, &checker_, 0);
  for (uint64_t s = 1; s <= 5 * kCheckpointWindowBehind; ++s) {
    // Peers vote one sequence ahead; only one peer, so nothing is final.
    ASSERT_TRUE(pool.AddPeer(ValidatorIndex(1), Vote(1, s + 1, D(7))).ok());
    pool.AddOwn(Vote(0, s, D(static_cast<uint8_t>(s))), nullptr);
    ASSERT_LE(pool.slots(), kCheckpointWindowBehind + 1) << s;
  }
}

TEST(SignedCheckpointRecordTest, RoundTripAndCorruptRecordsAreDataLoss) {
  SignedCheckpoint c;
  c.checkpoint = Checkpoint{D(1), SliceId(0), 9, D(2), Digest(), D(3)};
  c.signatures = {{ValidatorIndex(0), Signature()}, {ValidatorIndex(2), Signature()}};
  const Bytes record = EncodeSignedCheckpoint(c);
  auto decoded = DecodeSignedCheckpoint(record);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, c);
  for (size_t n = 0; n < record.size(); ++n) {
    EXPECT_EQ(DecodeSignedCheckpoint(ByteSpan(record.data(), n)).status().code(),
              absl::StatusCode::kDataLoss) << n;
  }
  SignedCheckpoint unsorted = c;
  std::swap(unsorted.signatures[0], unsorted.signatures[1]);
  EXPECT_EQ(DecodeSignedCheckpoint(EncodeSignedCheckpoint(unsorted)).status().code(),
            absl::StatusCode::kDataLoss);
}

// A version 1 record: 108-byte checkpoint (no commit digest), 3 signatures.
Bytes VersionOneRecord(uint64_t sequence) {
  Bytes out;
  ByteWriter w(&out);
  w.U8(1);
  w.Raw(D(1).span());
  w.U32(0);
  w.U64(sequence);
  w.Raw(D(2).span());
  w.Raw(Digest().span());
  w.U32(3);
  for (uint32_t signer = 0; signer < 3; ++signer) {
    w.U32(signer);
    w.Raw(Signature().span());
  }
  return out;
}

TEST(SignedCheckpointRecordTest, AVersionOneRecordIsRefused) {
  // As a peer or an archive source would serve it from an old store.
  EXPECT_EQ(DecodeSignedCheckpoint(VersionOneRecord(9)).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(SignedCheckpointRecordTest, AStoreOfVersionOneRecordsIsRefusedAtOpenSayingWhatToDo) {
  storage::TempDir dir;
  storage::LmdbOptions options;
  options.dir = dir.path();
  auto env = storage::LmdbEnv::Open(options);
  ASSERT_TRUE(env.ok()) << env.status();
  {
    auto fresh = CheckpointStore::Open(env->get());  // an empty table opens
    ASSERT_TRUE(fresh.ok()) << fresh.status();
  }
  auto table = (*env)->OpenTable(kCheckpointsTable);
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_TRUE((*env)
                  ->Write([&](storage::WriteTxn& txn) {
                    Bytes key;
                    ByteWriter(&key).U64(9);
                    return txn.Put(*table, key, VersionOneRecord(9));
                  })
                  .ok());
  auto old = CheckpointStore::Open(env->get());
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(old.status().message().find("record version 1"), std::string::npos)
      << old.status();
  EXPECT_NE(old.status().message().find("wipe the data directory"), std::string::npos)
      << old.status();
}

}  // namespace
}  // namespace gridledger::node
