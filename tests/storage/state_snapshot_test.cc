// State sync's snapshot (storage/state_snapshot.h): a store cut into small
// chunks and assembled elsewhere hashes to the source's root and, written in
// one transaction, gives a store equal to the source (held entries and their
// derived expiry index included); a wrong root, a truncated, reordered,
// repeated or foreign chunk is refused with a reason and writes nothing.
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "storage/node_store.h"
#include "storage/state_snapshot.h"
#include "tests/storage/synthetic_blocks.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::storage {
namespace {

using testing::SyntheticBlock;

std::unique_ptr<NodeStore> OpenSnapshotStore(const TempDir& dir) {
  LmdbOptions options;
  options.dir = dir.path();
  absl::StatusOr<std::unique_ptr<NodeStore>> store = NodeStore::Open(options);
  GL_CHECK(store.ok());
  return std::move(*store);
}

HeldTx MakeHeld(uint64_t sequence, uint64_t nonce) {
  HeldTx held;
  held.held_sequence = sequence;
  held.btx.tx.slice = SliceId(0);
  held.btx.tx.nonce = Nonce(nonce);
  held.btx.tx.sender = PublicKey(testing::Tagged("sender", 1).bytes);
  held.btx.tx.body =
      TransferBody{AccountRef{SliceId(0), PublicKey(testing::Tagged("to", 1).bytes)}, Amount(5)};
  held.btx.raw.assign(120, static_cast<uint8_t>(nonce));
  held.btx.id = testing::Tagged("held", sequence, nonce);
  return held;
}

class StateSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = OpenSnapshotStore(source_dir_);
    target_ = OpenSnapshotStore(target_dir_);
    const std::vector<std::pair<AccountRef, AccountState>> genesis = {
        {testing::CounterAccount(), AccountState{Amount(1), Nonce(0)}}};
    ASSERT_TRUE(source_->SeedGenesis(Digest(), Digest(), genesis).ok());
    ASSERT_TRUE(target_->SeedGenesis(Digest(), Digest(), genesis).ok());
    for (uint64_t seq = 1; seq <= 40; ++seq) {
      BlockWrite block = SyntheticBlock(seq);
      if (seq % 10 == 0) {
        block.held_added.push_back(MakeHeld(seq, 1000 + seq));
        StoredTx held_result;
        held_result.code = TxResultCode::kHeld;
        held_result.reason = "held: nonce ahead";
        held_result.commit_sequence = seq;
        held_result.index = 0;
        held_result.raw = block.held_added.back().btx.raw;
        block.txs.emplace_back(block.held_added.back().btx.id, std::move(held_result));
      }
      const absl::Status committed = source_->CommitBlock(block);
      ASSERT_TRUE(committed.ok()) << seq << " " << committed;
    }
    ReadTxn txn = *source_->env().BeginRead();
    // Small chunks: many of them, several entries each.
    chunks_ = *CutStateChunks(txn, source_->tables(), 600);
    point_.sequence = source_->last_committed_sequence();
    point_.state_root = *source_->StateRoot();
    point_.commit = *source_->GetCommit(point_.sequence);
  }

  SnapshotAssembler AssembleAll() {
    SnapshotAssembler assembler;
    for (const Bytes& chunk : chunks_) EXPECT_TRUE(assembler.Add(chunk).ok());
    return assembler;
  }

  TempDir source_dir_, target_dir_;
  std::unique_ptr<NodeStore> source_, target_;
  std::vector<Bytes> chunks_;
  SnapshotPoint point_;
};

TEST_F(StateSnapshotTest, AssembledSnapshotRestoresAnEqualStore) {
  ASSERT_GT(chunks_.size(), 10u);
  for (const Bytes& chunk : chunks_) EXPECT_LE(chunk.size(), 600u);
  SnapshotAssembler assembler = AssembleAll();
  EXPECT_EQ(assembler.Root(), point_.state_root);
  ASSERT_TRUE(target_->RestoreSnapshot(assembler, point_).ok());
  EXPECT_EQ(target_->last_committed_sequence(), point_.sequence);
  EXPECT_EQ(*target_->StateRoot(), point_.state_root);
  EXPECT_EQ(*target_->RecomputeStateRoot(), point_.state_root);
  EXPECT_EQ(*target_->StateRootAt(point_.sequence), point_.state_root);
  EXPECT_EQ(*target_->StateSummary(), *source_->StateSummary());
  EXPECT_EQ(*target_->GetCommit(point_.sequence), point_.commit);
  EXPECT_EQ(**target_->StateSyncedFrom(), point_.sequence);
  EXPECT_FALSE(source_->StateSyncedFrom()->has_value());
  // Derived: the hold's count and expiry index equal the source's.
  ReadTxn s = *source_->env().BeginRead();
  ReadTxn t = *target_->env().BeginRead();
  EXPECT_EQ(*ReadHeldCount(t, target_->tables()), 4u);
  EXPECT_EQ(*ReadHeldCount(t, target_->tables()), *ReadHeldCount(s, source_->tables()));
  Cursor sc = *s.OpenCursor(source_->tables().held_expiry);
  Cursor tc = *t.OpenCursor(target_->tables().held_expiry);
  bool son = *sc.First(), ton = *tc.First();
  for (int i = 0; i < 100 && son && ton; ++i) {
    EXPECT_TRUE(std::ranges::equal(sc.key(), tc.key()));
    son = *sc.Next();
    ton = *tc.Next();
  }
  EXPECT_EQ(son, ton);
  // The restored store goes on from the snapshot's sequence.
  ASSERT_TRUE(target_->CommitBlock(SyntheticBlock(point_.sequence + 1)).ok());
  ASSERT_TRUE(source_->CommitBlock(SyntheticBlock(point_.sequence + 1)).ok());
  EXPECT_EQ(*target_->StateRoot(), *source_->StateRoot());
}

TEST_F(StateSnapshotTest, AWrongRootIsRefusedAndNothingIsWritten) {
  SnapshotAssembler assembler = AssembleAll();
  SnapshotPoint wrong = point_;
  wrong.state_root = testing::Tagged("not the root", 1);
  const Digest before = *target_->StateRoot();
  absl::Status s = target_->RestoreSnapshot(assembler, wrong);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(target_->last_committed_sequence(), 0u);
  EXPECT_EQ(*target_->StateRoot(), before);
  // A snapshot missing one chunk hashes to another root: refused too.
  SnapshotAssembler partial;
  for (size_t i = 0; i + 1 < chunks_.size(); ++i) ASSERT_TRUE(partial.Add(chunks_[i]).ok());
  EXPECT_EQ(target_->RestoreSnapshot(partial, point_).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(StateSnapshotTest, TruncatedChunkIsRefused) {
  SnapshotAssembler assembler;
  Bytes truncated = chunks_[0];
  truncated.pop_back();
  absl::Status s = assembler.Add(truncated);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(assembler.entries().empty());  // nothing of a refused chunk is kept
  Bytes trailing = chunks_[0];
  trailing.push_back(0);
  EXPECT_EQ(assembler.Add(trailing).code(), absl::StatusCode::kInvalidArgument);
  // A count the bytes cannot hold.
  Bytes count_only = {0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(assembler.Add(count_only).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(assembler.Add(Bytes{0, 0, 0, 0}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(assembler.Add(chunks_[0]).ok());  // the good one still fits
}

TEST_F(StateSnapshotTest, ReorderedRepeatedOrForeignChunksAreRefused) {
  SnapshotAssembler assembler;
  ASSERT_TRUE(assembler.Add(chunks_[1]).ok());
  EXPECT_EQ(assembler.Add(chunks_[0]).code(), absl::StatusCode::kInvalidArgument);  // order
  EXPECT_EQ(assembler.Add(chunks_[1]).code(), absl::StatusCode::kInvalidArgument);  // repeat
  // An unknown table id.
  Bytes foreign;
  ByteWriter w(&foreign);
  w.U32(1);
  w.U8('z');
  w.U16(1);
  w.U8(7);
  w.U32(0);
  EXPECT_EQ(SnapshotAssembler().Add(foreign).code(), absl::StatusCode::kInvalidArgument);
  // Bounds: a chunk over kSnapshotChunkBytesMax, a snapshot over its total.
  EXPECT_EQ(SnapshotAssembler().Add(Bytes(kSnapshotChunkBytesMax + 1)).code(),
            absl::StatusCode::kInvalidArgument);
  SnapshotAssembler small(chunks_[0].size() + 1);
  ASSERT_TRUE(small.Add(chunks_[0]).ok());
  EXPECT_EQ(small.Add(chunks_[1]).code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(StateSnapshotTest, AStateOverTheBoundIsNotCut) {
  ReadTxn txn = *source_->env().BeginRead();
  EXPECT_EQ(CutStateChunks(txn, source_->tables(), 600, 1000).status().code(),
            absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace gridledger::storage
