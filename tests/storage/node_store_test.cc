#include "storage/node_store.h"

#include <string>

#include "core/common/check.h"
#include "core/crypto/schnorr.h"
#include "gtest/gtest.h"
#include "storage/genesis_seed.h"
#include "storage/records.h"
#include "tests/storage/synthetic_blocks.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::storage {
namespace {

using testing::CounterAccount;
using testing::SyntheticAccount;
using testing::SyntheticBlock;
using testing::SyntheticTxId;

LmdbOptions Options(const TempDir& dir) {
  LmdbOptions options;
  options.dir = dir.path();
  options.initial_map_size_bytes = 1 << 20;
  return options;
}

std::unique_ptr<NodeStore> OpenStore(const TempDir& dir, const NodeStoreOptions& options = {}) {
  auto store = NodeStore::Open(Options(dir), options);
  GL_CHECK(store.ok());
  return std::move(*store);
}

void ExpectBlockStored(const NodeStore& store, uint64_t sequence) {
  const BlockWrite expected = SyntheticBlock(sequence);
  auto meta = store.GetCommit(sequence);
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(*meta, expected.meta);
  for (const auto& [id, tx] : expected.txs) {
    auto got = store.GetTx(id);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, tx);
  }
  auto account = store.GetAccount(SyntheticAccount(sequence));
  ASSERT_TRUE(account.ok());
  EXPECT_EQ(*account, expected.accounts[0].second);
}

TEST(NodeStoreTest, EmptyStoreStartsAtSequenceZero) {
  TempDir dir;
  auto store = OpenStore(dir);
  EXPECT_EQ(store->last_committed_sequence(), 0u);
  EXPECT_EQ(store->GetCommit(1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->GetTx(TxId()).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->GetAccount(CounterAccount()).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*store->StateSummary(), Digest());
  EXPECT_FALSE(store->GenesisDigest()->has_value());
}

TEST(NodeStoreTest, CommitRoundTripAndRecoveryAfterRestart) {
  TempDir dir;
  {
    auto store = OpenStore(dir);
    for (uint64_t s = 1; s <= 20; ++s) {
      ASSERT_TRUE(store->CommitBlock(SyntheticBlock(s)).ok()) << s;
      EXPECT_EQ(store->last_committed_sequence(), s);
    }
    for (uint64_t s = 1; s <= 20; ++s) ExpectBlockStored(*store, s);
  }
  auto store = OpenStore(dir);
  EXPECT_EQ(store->last_committed_sequence(), 20u);
  for (uint64_t s = 1; s <= 20; ++s) ExpectBlockStored(*store, s);
  EXPECT_EQ(*store->GetAccount(CounterAccount()), (AccountState{Amount(20), Nonce(20)}));
  EXPECT_EQ(*store->StateSummary(), SyntheticBlock(20).meta.state_summary);
  // And it continues from there.
  ASSERT_TRUE(store->CommitBlock(SyntheticBlock(21)).ok());
  ExpectBlockStored(*store, 21);
}

// GetTxs answers like GetTx for each id, present or not, in order.
TEST(NodeStoreTest, GetTxsAnswersEachIdLikeGetTx) {
  TempDir dir;
  auto store = OpenStore(dir);
  for (uint64_t s = 1; s <= 3; ++s) ASSERT_TRUE(store->CommitBlock(SyntheticBlock(s)).ok());
  std::vector<TxId> ids;
  for (uint64_t s = 1; s <= 3; ++s) {
    for (const auto& entry : SyntheticBlock(s).txs) ids.push_back(entry.first);
  }
  ASSERT_GE(ids.size(), 3u);
  ids.insert(ids.begin() + 1, SyntheticTxId(9, 0));  // never committed
  ids.push_back(TxId());
  const std::vector<absl::StatusOr<StoredTx>> answers = store->GetTxs(ids);
  ASSERT_EQ(answers.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const absl::StatusOr<StoredTx> one = store->GetTx(ids[i]);
    ASSERT_EQ(answers[i].status().code(), one.status().code()) << i;
    if (one.ok()) {
      EXPECT_EQ(*answers[i], *one) << i;
    }
  }
  EXPECT_EQ(answers[1].status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(answers[0].ok());
  EXPECT_TRUE(store->GetTxs({}).empty());
}

TEST(NodeStoreTest, CommitsIterateInSequenceOrder) {
  TempDir dir;
  auto store = OpenStore(dir);
  for (uint64_t s = 1; s <= 300; ++s) ASSERT_TRUE(store->CommitBlock(SyntheticBlock(s)).ok());
  auto txn = store->env().BeginRead();
  ASSERT_TRUE(txn.ok());
  auto cursor = txn->OpenCursor(store->tables().commits);
  ASSERT_TRUE(cursor.ok());
  uint64_t expected = 1;
  for (auto on = cursor->First(); ; on = cursor->Next()) {
    ASSERT_TRUE(on.ok());
    if (!*on) break;
    EXPECT_EQ(*DecodeCommitKey(cursor->key()), expected);
    EXPECT_EQ(*DecodeCommitRecord(cursor->value()), SyntheticBlock(expected).meta);
    ++expected;
  }
  EXPECT_EQ(expected, 301u);
}

TEST(NodeStoreTest, OutOfSequenceCommitIsRejectedAndWritesNothing) {
  TempDir dir;
  auto store = OpenStore(dir);
  EXPECT_EQ(store->CommitBlock(SyntheticBlock(2)).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store->CommitBlock(SyntheticBlock(1)).ok());
  absl::Status again = store->CommitBlock(SyntheticBlock(1));
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.message(), "commit sequence 1 does not follow last committed 1");
  EXPECT_EQ(store->GetAccount(SyntheticAccount(2)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->last_committed_sequence(), 1u);
}

TEST(NodeStoreTest, AlreadyIndexedTxIdRejectsTheWholeBlock) {
  TempDir dir;
  auto store = OpenStore(dir);
  ASSERT_TRUE(store->CommitBlock(SyntheticBlock(1)).ok());
  BlockWrite second = SyntheticBlock(2);
  second.txs.back().first = SyntheticTxId(1, 0);
  absl::Status st = store->CommitBlock(second);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("is already indexed"), absl::string_view::npos);
  // Atomic: nothing of block 2 is visible.
  EXPECT_EQ(store->last_committed_sequence(), 1u);
  EXPECT_EQ(store->GetCommit(2).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->GetTx(SyntheticTxId(2, 0)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->GetAccount(SyntheticAccount(2)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*store->GetAccount(CounterAccount()), (AccountState{Amount(1), Nonce(1)}));
}

TEST(NodeStoreTest, InconsistentBlocksAreInvalidArgument) {
  TempDir dir;
  auto store = OpenStore(dir);
  BlockWrite b = SyntheticBlock(1);
  b.txs[0].second.commit_sequence = 7;
  EXPECT_EQ(store->CommitBlock(b).code(), absl::StatusCode::kInvalidArgument);
  b = SyntheticBlock(1);
  b.txs[0].second.index = b.meta.num_txs;
  EXPECT_EQ(store->CommitBlock(b).code(), absl::StatusCode::kInvalidArgument);
  b = SyntheticBlock(1);
  b.txs[0].second.reason = std::string(kMaxReasonBytes + 1, 'r');
  b.txs[0].second.code = TxResultCode::kBadNonce;
  EXPECT_EQ(store->CommitBlock(b).code(), absl::StatusCode::kInvalidArgument);
  b = SyntheticBlock(1);
  b.txs[0].second.raw.assign(kMaxRawTxBytes + 1, 0);
  EXPECT_EQ(store->CommitBlock(b).code(), absl::StatusCode::kInvalidArgument);
  b = SyntheticBlock(1);
  b.txs[0].second.code = TxResultCode::kDuplicate;
  b.txs[0].second.reason = "duplicate";
  EXPECT_EQ(store->CommitBlock(b).code(), absl::StatusCode::kInvalidArgument);
  b = SyntheticBlock(1);
  b.txs.push_back(b.txs[0]);
  EXPECT_EQ(store->CommitBlock(b).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->last_committed_sequence(), 0u);
}

// Writes raw bytes under a key, bypassing the record encoders.
void Poke(NodeStore& store, LmdbTable table, ByteSpan key, ByteSpan value) {
  GL_CHECK(store.env().Write([&](WriteTxn& txn) { return txn.Put(table, key, value); }).ok());
}

// Only a held record may be replaced (by its final result), only held
// entries can be removed, and a refused block writes nothing of the hold.
TEST(NodeStoreTest, NonceHoldChangesAreCheckedAgainstTheStoredHold) {
  TempDir dir;
  auto store = OpenStore(dir);
  HeldTx held;
  held.btx.id = SyntheticTxId(1, 99);
  held.btx.tx.slice = SliceId(0);
  held.btx.tx.sender = SyntheticAccount(1).key;
  held.btx.tx.nonce = Nonce(3);
  held.btx.tx.body = TransferBody{CounterAccount(), Amount(5)};
  held.btx.raw = {1, 2, 3};
  held.held_sequence = 1;
  BlockWrite b1 = SyntheticBlock(1);
  b1.txs.emplace_back(held.btx.id, StoredTx{TxResultCode::kHeld, "held", 1, 0, held.btx.raw});
  b1.held_added.push_back(held);
  ASSERT_TRUE(store->CommitBlock(b1).ok());
  EXPECT_EQ(store->GetTx(held.btx.id)->status(), TxStatus::kHeld);
  auto view = store->Snapshot();
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(*(*view)->HeldCount(), 1u);
  EXPECT_EQ(*(*view)->HeldFor(SyntheticAccount(1)), (std::vector<HeldTx>{held}));
  EXPECT_TRUE((*view)->HeldFor(SyntheticAccount(2))->empty());
  view->reset();

  // Block 2 may not re-index one of block 1's final results...
  BlockWrite b2 = SyntheticBlock(2);
  b2.txs.emplace_back(SyntheticTxId(1, 0), StoredTx{TxResultCode::kSuccess, "", 2, 0, {}});
  EXPECT_EQ(store->CommitBlock(b2).code(), absl::StatusCode::kFailedPrecondition);
  // ...nor remove an entry that is not held...
  b2 = SyntheticBlock(2);
  b2.held_removed.push_back(HeldKey{SyntheticAccount(1), Nonce(4)});
  EXPECT_EQ(store->CommitBlock(b2).code(), absl::StatusCode::kFailedPrecondition);
  // ...nor list a released id without a final result.
  b2 = SyntheticBlock(2);
  b2.released.push_back(held.btx.id);
  EXPECT_EQ(store->CommitBlock(b2).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->last_committed_sequence(), 1u);

  b2 = SyntheticBlock(2);
  b2.txs.emplace_back(held.btx.id,
                      StoredTx{TxResultCode::kNonceGapExpired, "expired", 2, 0, held.btx.raw});
  b2.held_removed.push_back(held.key());
  b2.released.push_back(held.btx.id);
  ASSERT_TRUE(store->CommitBlock(b2).ok());
  EXPECT_EQ(store->GetTx(held.btx.id)->code, TxResultCode::kNonceGapExpired);
  EXPECT_EQ(*store->ReleasedTxIds(2), (std::vector<TxId>{held.btx.id}));
  view = store->Snapshot();
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(*(*view)->HeldCount(), 0u);
  EXPECT_TRUE((*view)->HeldUpTo(UINT64_MAX)->empty());
}

TEST(NodeStoreTest, CorruptRecordsReadBackAsDataLoss) {
  TempDir dir;
  // Every commit merges, so the account lives in the accounts table.
  NodeStoreOptions merge_every_commit;
  merge_every_commit.recent_txs_merge_at = 1;
  auto store = OpenStore(dir, merge_every_commit);
  ASSERT_TRUE(store->CommitBlock(SyntheticBlock(1)).ok());
  const NodeTables t = store->tables();

  Poke(*store, t.accounts, EncodeAccountKey(SyntheticAccount(1)), Bytes(16, 0));
  absl::Status st = store->GetAccount(SyntheticAccount(1)).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(st.message(), "corrupt accounts record: size 16 bytes, expected 17");

  auto wrong_version = EncodeAccountRecord(AccountState{Amount(1), Nonce(1)});
  wrong_version[0] = 9;
  Poke(*store, t.accounts, EncodeAccountKey(SyntheticAccount(1)), wrong_version);
  EXPECT_EQ(store->GetAccount(SyntheticAccount(1)).status().code(), absl::StatusCode::kDataLoss);

  Poke(*store, t.commits, EncodeCommitKey(1), Bytes(70, 1));
  EXPECT_EQ(store->GetCommit(1).status().code(), absl::StatusCode::kDataLoss);

  const TxId id = SyntheticTxId(1, 0);
  Bytes record = *EncodeTxRecord(SyntheticBlock(1).txs[0].second);
  Bytes truncated(record.begin(), record.end() - 1);
  Poke(*store, t.tx_log, EncodeTxLogKey(1, id), truncated);
  EXPECT_EQ(store->GetTx(id).status().code(), absl::StatusCode::kDataLoss);
  Bytes trailing = record;
  trailing.push_back(0);
  Poke(*store, t.tx_log, EncodeTxLogKey(1, id), trailing);
  EXPECT_EQ(store->GetTx(id).status().code(), absl::StatusCode::kDataLoss);
  Bytes bad_status = record;
  bad_status[1] = static_cast<uint8_t>(TxStatus::kFailed);  // but code is success
  Poke(*store, t.tx_log, EncodeTxLogKey(1, id), bad_status);
  EXPECT_EQ(store->GetTx(id).status().code(), absl::StatusCode::kDataLoss);
  Bytes bad_code = record;
  bad_code[2] = kMaxTxResultCode + 1;
  Poke(*store, t.tx_log, EncodeTxLogKey(1, id), bad_code);
  EXPECT_EQ(store->GetTx(id).status().code(), absl::StatusCode::kDataLoss);

  // A corrupt last_committed_sequence stops the store from opening.
  Poke(*store, t.meta, MetaKey(kMetaLastCommittedSequence), Bytes(4, 0));
  store.reset();
  auto reopened = NodeStore::Open(Options(dir));
  EXPECT_EQ(reopened.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(reopened.status().message().find("last_committed_sequence"), absl::string_view::npos);
}

TEST(NodeStoreTest, OpenFailsWhenTheLastCommitRecordIsMissing) {
  TempDir dir;
  {
    auto store = OpenStore(dir);
    ASSERT_TRUE(store->CommitBlock(SyntheticBlock(1)).ok());
    ASSERT_TRUE(store->env().Write([&](WriteTxn& txn) {
      return txn.Delete(store->tables().commits, EncodeCommitKey(1));
    }).ok());
  }
  EXPECT_EQ(NodeStore::Open(Options(dir)).status().code(), absl::StatusCode::kNotFound);
}

Genesis SmallGenesis(uint64_t balance) {
  Genesis g;
  g.dso = KeyPair::FromSeed(1).public_key();
  for (uint32_t s = 0; s < 2; ++s) {
    g.slices.push_back(GenesisSlice{
        SliceId(s), {GenesisValidator{KeyPair::FromSeed(10 + s).public_key(), "127.0.0.1",
                                      static_cast<uint16_t>(7000 + s)}}});
  }
  for (uint32_t a = 0; a < 4; ++a) {
    g.accounts.push_back(GenesisAccount{
        AccountRef{SliceId(a % 2), KeyPair::FromSeed(100 + a).public_key()}, Amount(balance)});
  }
  return g;
}

TEST(GenesisSeedTest, SeedsOnlyTheSlicesAccountsAndIsIdempotent) {
  TempDir dir;
  auto store = OpenStore(dir);
  const Genesis g = SmallGenesis(500);
  ASSERT_TRUE(SeedFromGenesis(*store, g, SliceId(1)).ok());
  EXPECT_EQ(**store->GenesisDigest(), GenesisDigest(g));
  EXPECT_EQ(*store->StateSummary(), GenesisStateSummary(g, SliceId(1)));
  EXPECT_EQ(*store->GetAccount(g.accounts[1].account), (AccountState{Amount(500), Nonce(0)}));
  EXPECT_EQ(*store->GetAccount(g.accounts[3].account), (AccountState{Amount(500), Nonce(0)}));
  EXPECT_EQ(store->GetAccount(g.accounts[0].account).status().code(),
            absl::StatusCode::kNotFound);
  // Seeding again with the same genesis changes nothing, even after commits.
  ASSERT_TRUE(store->CommitBlock(SyntheticBlock(1)).ok());
  ASSERT_TRUE(SeedFromGenesis(*store, g, SliceId(1)).ok());
  EXPECT_EQ(*store->StateSummary(), SyntheticBlock(1).meta.state_summary);
  // A different genesis is refused.
  absl::Status other = SeedFromGenesis(*store, SmallGenesis(600), SliceId(1));
  EXPECT_EQ(other.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(SeedFromGenesis(*store, g, SliceId(2)).code(), absl::StatusCode::kInvalidArgument);
}

TEST(GenesisSeedTest, RefusesAStoreWithHistoryButNoGenesis) {
  TempDir dir;
  auto store = OpenStore(dir);
  ASSERT_TRUE(store->CommitBlock(SyntheticBlock(1)).ok());
  EXPECT_EQ(SeedFromGenesis(*store, SmallGenesis(5), SliceId(0)).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace gridledger::storage
