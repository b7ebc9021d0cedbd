// ACCEPTED is durable: admitted transactions are on disk before Persist
// returns, come back after a reopen in admission order unless committed, and
// a commit removes them in its ONE synced write (with the consensus record);
// a commit delivered again must carry the anchor it was executed with.
#include "net/node/admitted_store.h"

#include <stdlib.h>

#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/common/check.h"
#include "core/crypto/schnorr.h"
#include "core/tx/codec.h"
#include "gtest/gtest.h"
#include "net/node/commit_executor.h"
#include "storage/consensus_store.h"
#include "storage/node_store.h"

namespace gridledger::node {
namespace {

constexpr absl::Duration kTimeout = absl::Seconds(30);

Bytes Tx(uint64_t nonce) {
  const KeyPair key = KeyPair::FromSeed(41);
  Transaction tx;
  tx.slice = SliceId(0);
  tx.nonce = Nonce(nonce);
  tx.sender = key.public_key();
  tx.body = TransferBody{AccountRef{SliceId(0), KeyPair::FromSeed(42).public_key()}, Amount(1)};
  SignTransaction(&tx, key, Digest());
  return Encode(tx);
}

// Commit index 0 (anchor 7...) of one batch holding `txs`.
consensus::CommittedSubDag FirstCommit(std::initializer_list<Bytes> txs) {
  consensus::CommittedSubDag sub;
  sub.index = 0;
  sub.anchor.bytes.fill(7);
  sub.batches.push_back(std::make_shared<const consensus::Batch>(
      consensus::Batch{SliceId(0), ValidatorIndex(0), 0, std::move(txs)}));
  return sub;
}

std::pair<TxId, Bytes> Entry(uint64_t nonce) {
  Bytes raw = Tx(nonce);
  const TxId id = ComputeTxId(raw);
  return {id, std::move(raw)};
}

class AdmittedStoreTest : public ::testing::Test {
 protected:
  AdmittedStoreTest() {
    std::string pattern = "/tmp/gridledger-admitted-test-XXXXXX";
    GL_CHECK(mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
    Reopen();
  }
  ~AdmittedStoreTest() override {
    Close();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void Close() {
    executor_.reset();
    admitted_.reset();
    consensus_.reset();
    store_.reset();
  }
  void Reopen() {
    Close();
    storage::LmdbOptions options;
    options.dir = dir_;
    auto store = storage::NodeStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto consensus = storage::ConsensusStore::Open(&store_->env());
    ASSERT_TRUE(consensus.ok()) << consensus.status();
    consensus_ = std::move(*consensus);
    auto admitted = AdmittedStore::Open(&store_->env());
    ASSERT_TRUE(admitted.ok()) << admitted.status();
    admitted_ = std::move(*admitted);
  }
  std::vector<TxId> RecoveredIds() {
    auto recovered = admitted_->Recover(*store_);
    EXPECT_TRUE(recovered.ok()) << recovered.status();
    std::vector<TxId> ids;
    if (recovered.ok()) {
      for (const auto& [id, raw] : *recovered) {
        EXPECT_EQ(ComputeTxId(raw), id);
        ids.push_back(id);
      }
    }
    return ids;
  }

  // Rows in the admitted table now (Recover would drop committed ones, so a
  // stale row shows only here).
  size_t TableRows() {
    auto table = store_->env().OpenTable(kAdmittedTable);
    EXPECT_TRUE(table.ok()) << table.status();
    if (!table.ok()) return 0;
    auto txn = store_->env().BeginRead();
    EXPECT_TRUE(txn.ok()) << txn.status();
    if (!txn.ok()) return 0;
    auto cursor = txn->OpenCursor(*table);
    EXPECT_TRUE(cursor.ok()) << cursor.status();
    if (!cursor.ok()) return 0;
    size_t rows = 0;
    for (auto on = cursor->First(); on.ok() && *on; on = cursor->Next()) ++rows;
    return rows;
  }
  // Commits Tx(0) through the real commit path (EraseIn in the commit's
  // write, then Forget) when the admission write of Entry(0) reaches `at`.
  void CommitTx0At(AdmittedStore::WritePhase at) {
    admitted_->SetWriteHookForTest([this, at](AdmittedStore::WritePhase phase) {
      if (phase != at || committed_) return;
      committed_ = true;
      EXPECT_TRUE(executor_->Execute(FirstCommit({Tx(0)})).ok());
    });
  }
  void MakeExecutor() {
    executor_ = std::make_unique<CommitExecutor>(store_.get(), consensus_.get(), SliceId(0),
                                                 &pending_, &feed_, nullptr);
    executor_->set_admitted_store(admitted_.get());
  }

  std::string dir_;
  PendingTxs pending_;
  CommitFeed feed_{0};
  std::unique_ptr<CommitExecutor> executor_;
  bool committed_ = false;  // by the hook, on the writer thread; read after Persist returns
  std::unique_ptr<storage::NodeStore> store_;
  std::unique_ptr<storage::ConsensusStore> consensus_;
  std::unique_ptr<AdmittedStore> admitted_;
};

TEST_F(AdmittedStoreTest, PersistedTransactionsComeBackInAdmissionOrder) {
  std::vector<TxId> expected;
  for (uint64_t n = 0; n < 5; ++n) {
    auto e = Entry(n);
    expected.push_back(e.first);
    ASSERT_TRUE(admitted_->Persist({e}, kTimeout).ok());
  }
  EXPECT_EQ(admitted_->stats().txs, 5u);
  EXPECT_LE(admitted_->stats().writes, 5u);
  // One call, one synced write.
  const AdmittedStats before = admitted_->stats();
  ASSERT_TRUE(admitted_->Persist({Entry(5), Entry(6)}, kTimeout).ok());
  expected.push_back(Entry(5).first);
  expected.push_back(Entry(6).first);
  EXPECT_EQ(admitted_->stats().writes, before.writes + 1);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(RecoveredIds(), expected);
}

TEST_F(AdmittedStoreTest, ConcurrentCallersShareGroupWritesAndAllAreDurable) {
  constexpr int kCallers = 8;
  std::vector<std::thread> callers;
  std::vector<absl::Status> results(kCallers);
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] { results[c] = admitted_->Persist({Entry(100 + c)}, kTimeout); });
  }
  for (auto& t : callers) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(admitted_->stats().txs, static_cast<uint64_t>(kCallers));
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(RecoveredIds().size(), static_cast<size_t>(kCallers));
}

TEST_F(AdmittedStoreTest, ACommitRemovesItsTransactionsInItsOneSyncedWrite) {
  ASSERT_TRUE(admitted_->Persist({Entry(0), Entry(1), Entry(2)}, kTimeout).ok());
  PendingTxs pending;
  CommitFeed feed(0);
  CommitExecutor executor(store_.get(), consensus_.get(), SliceId(0), &pending, &feed, nullptr);
  executor.set_admitted_store(admitted_.get());
  const consensus::CommittedSubDag sub = FirstCommit({Tx(0), Tx(1)});
  const uint64_t writes_before = store_->env().synced_writes();
  ASSERT_TRUE(executor.Execute(sub).ok());
  // Results, accounts, commit metadata, consensus commit record and the
  // admitted removals: one synced write (two before this change).
  EXPECT_EQ(store_->env().synced_writes(), writes_before + 1);
  EXPECT_EQ(store_->last_committed_sequence(), 1u);
  auto ids = consensus_->CommitTxIds(1);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(ids->size(), 2u);
  EXPECT_EQ(admitted_->outstanding(), 1u);

  // Delivered again (a restart, or catch-up): recorded, not re-executed, and
  // only with the same anchor.
  ASSERT_TRUE(executor.Execute(sub).ok());
  EXPECT_EQ(executor.stats().already_executed.load(), 1u);
  consensus::CommittedSubDag forged = sub;
  forged.anchor.bytes.fill(8);
  const absl::Status s = executor.Execute(forged);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
  EXPECT_EQ(store_->last_committed_sequence(), 1u);

  // After a crash only the uncommitted one comes back.
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(RecoveredIds(), std::vector<TxId>{Entry(2).first});
}

TEST_F(AdmittedStoreTest, RecoverDropsEntriesCommittedBeforeTheirRemovalLanded) {
  // A commit can land before the admitted write that carries the same id
  // (the core had the transaction first): the entry is settled at restart.
  ASSERT_TRUE(admitted_->Persist({Entry(0), Entry(1)}, kTimeout).ok());
  storage::BlockWrite block = {};
  block.sequence = 1;
  block.meta.num_txs = 1;
  block.txs.emplace_back(Entry(0).first,
                         storage::StoredTx{TxResultCode::kSuccess, "", 1, 0, Tx(0)});
  ASSERT_TRUE(store_->CommitBlock(block).ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(RecoveredIds(), std::vector<TxId>{Entry(1).first});
  ASSERT_NO_FATAL_FAILURE(Reopen());  // and its entry is gone for good
  EXPECT_EQ(RecoveredIds(), std::vector<TxId>{Entry(1).first});
}

TEST_F(AdmittedStoreTest, StoppedStoreRefusesPersist) {
  admitted_->Stop();
  EXPECT_EQ(admitted_->Persist({Entry(0)}, kTimeout).code(), absl::StatusCode::kUnavailable);
}

TEST_F(AdmittedStoreTest, ATransactionAdmittedTwiceIsStoredOnceAndErasedByItsCommit) {
  ASSERT_TRUE(admitted_->Persist({Entry(0), Entry(0)}, kTimeout).ok());
  ASSERT_TRUE(admitted_->Persist({Entry(0), Entry(1)}, kTimeout).ok());
  EXPECT_EQ(admitted_->outstanding(), 2u);
  PendingTxs pending;
  CommitFeed feed(0);
  CommitExecutor executor(store_.get(), consensus_.get(), SliceId(0), &pending, &feed, nullptr);
  executor.set_admitted_store(admitted_.get());
  ASSERT_TRUE(executor.Execute(FirstCommit({Tx(0)})).ok());
  EXPECT_EQ(admitted_->outstanding(), 1u);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(RecoveredIds(), std::vector<TxId>{Entry(1).first});
}

TEST_F(AdmittedStoreTest, AdmissionOrderContinuesAcrossAReopenWithoutRecover) {
  ASSERT_TRUE(admitted_->Persist({Entry(0), Entry(1)}, kTimeout).ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_TRUE(admitted_->Persist({Entry(2)}, kTimeout).ok());  // appended after both
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(RecoveredIds(), (std::vector<TxId>{Entry(0).first, Entry(1).first, Entry(2).first}));
}

TEST_F(AdmittedStoreTest, ADataDirOfTheVersionOneLayoutIsRefused) {
  Close();
  {
    storage::LmdbOptions options;
    options.dir = dir_;
    auto env = storage::LmdbEnv::Open(options);
    ASSERT_TRUE(env.ok()) << env.status();
    ASSERT_TRUE((*env)->OpenTable(kAdmittedTableV1).ok());  // what version 1 created
    const auto opened = AdmittedStore::Open(env->get());
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(opened.status().message().find("version-1 layout"), absl::string_view::npos)
        << opened.status();
  }
}

// A commit of a transaction can land while its admission record is being
// written (the core had it before the record was durable). Whichever side of
// the record's synced write the commit's write falls, neither the in-memory
// map nor the table keeps an entry for it.
TEST_F(AdmittedStoreTest, ACommitJustAfterTheAdmissionWriteLeavesNoEntry) {
  MakeExecutor();
  CommitTx0At(AdmittedStore::WritePhase::kAfterWrite);
  ASSERT_TRUE(admitted_->Persist({Entry(0), Entry(1)}, kTimeout).ok());
  ASSERT_TRUE(committed_);
  EXPECT_EQ(admitted_->outstanding(), 1u);  // Entry(1)
  EXPECT_EQ(TableRows(), 1u);
}

TEST_F(AdmittedStoreTest, ACommitJustBeforeTheAdmissionWriteLeavesNoEntry) {
  MakeExecutor();
  CommitTx0At(AdmittedStore::WritePhase::kBeforeWrite);
  ASSERT_TRUE(admitted_->Persist({Entry(0), Entry(1)}, kTimeout).ok());
  ASSERT_TRUE(committed_);
  EXPECT_EQ(admitted_->outstanding(), 1u);
  EXPECT_EQ(TableRows(), 1u);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(RecoveredIds(), std::vector<TxId>{Entry(1).first});
}

// The commit's write lands before the admission write, and its Forget only
// after the admission write's bookkeeping: the row is removed all the same
// (by the writer thread, at the latest when the store stops).
TEST_F(AdmittedStoreTest, AForgetAfterTheAdmissionWriteOfAnEarlierCommitLeavesNoEntry) {
  MakeExecutor();
  const TxId id0 = Entry(0).first;
  admitted_->SetWriteHookForTest([&](AdmittedStore::WritePhase phase) {
    if (phase != AdmittedStore::WritePhase::kBeforeWrite || committed_) return;
    committed_ = true;
    // The commit executor's write without its Forget (which follows below).
    EXPECT_TRUE(store_->env()
                    .Write([&](storage::WriteTxn& txn) {
                      return admitted_->EraseIn(txn, absl::MakeConstSpan(&id0, 1));
                    })
                    .ok());
  });
  ASSERT_TRUE(admitted_->Persist({Entry(0), Entry(1)}, kTimeout).ok());
  ASSERT_TRUE(committed_);
  admitted_->Forget(absl::MakeConstSpan(&id0, 1));
  admitted_->Stop();
  EXPECT_EQ(admitted_->outstanding(), 1u);
  EXPECT_EQ(TableRows(), 1u);
}

}  // namespace
}  // namespace gridledger::node
