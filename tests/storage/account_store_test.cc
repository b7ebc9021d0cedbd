// Accounts over the appending layout (storage/account_store.h): the logical
// table read through the recent run, folds and reopen, compared with stores
// that fold at other points.
#include "storage/account_store.h"

#include <atomic>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "core/common/check.h"
#include "core/common/status_macros.h"
#include "gtest/gtest.h"
#include "storage/node_store.h"
#include "storage/records.h"
#include "storage/state_snapshot.h"
#include "storage/store_state_view.h"
#include "tests/storage/run_store.h"
#include "tests/storage/synthetic_blocks.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::storage {
namespace {

using testing::CounterAccount;
using testing::CutAndAssemble;
using testing::kNeverMerge;
using testing::MergedThrough;
using testing::OpenRunStore;
using testing::SyntheticAccount;
using testing::SyntheticBlock;
using testing::TableEntries;

std::vector<std::pair<Bytes, Bytes>> LogicalAccounts(NodeStore& store) {
  std::vector<std::pair<Bytes, Bytes>> out;
  ReadTxn txn = *store.env().BeginRead();
  GL_CHECK(ForEachAccount(txn, store.tables(), [&](ByteSpan key, ByteSpan record) {
             out.emplace_back(Bytes(key.begin(), key.end()), Bytes(record.begin(), record.end()));
             return absl::OkStatus();
           }).ok());
  return out;
}

// Every account SyntheticBlock(1..last) wrote reads back with the value of
// the last block that wrote it.
void ExpectAccountsThrough(const NodeStore& store, uint64_t last) {
  absl::StatusOr<AccountState> counter = store.GetAccount(CounterAccount());
  ASSERT_TRUE(counter.ok()) << counter.status();
  EXPECT_EQ(*counter, (AccountState{Amount(last), Nonce(last)}));
  for (uint64_t seq = 1; seq <= last; ++seq) {
    absl::StatusOr<AccountState> got = store.GetAccount(SyntheticAccount(seq));
    ASSERT_TRUE(got.ok()) << seq << " " << got.status();
    EXPECT_EQ(*got, (AccountState{Amount(seq * 10), Nonce(seq)})) << seq;
  }
  EXPECT_EQ(store.GetAccount(SyntheticAccount(last + 1)).status().code(),
            absl::StatusCode::kNotFound);
}

// A view's batch reads (what execution reads before a block) give the same
// answers as its one-by-one reads, wherever the records lie: recent run,
// folded tables or both; absent and repeated keys included.
void ExpectBatchReadsAgree(NodeStore& store, uint64_t last) {
  absl::StatusOr<std::unique_ptr<StoreStateView>> view = store.Snapshot();
  ASSERT_TRUE(view.ok()) << view.status();
  std::vector<AccountRef> accounts = {CounterAccount()};
  std::vector<TxId> ids;
  for (uint64_t seq = 1; seq <= last + 1; ++seq) {
    accounts.push_back(SyntheticAccount(seq));
    for (const auto& [id, tx] : SyntheticBlock(seq).txs) ids.push_back(id);
  }
  accounts.push_back(SyntheticAccount(1));
  ids.push_back(ids.front());
  absl::StatusOr<std::vector<std::optional<AccountState>>> states = (*view)->GetAccounts(accounts);
  ASSERT_TRUE(states.ok()) << states.status();
  ASSERT_EQ(states->size(), accounts.size());
  for (size_t i = 0; i < accounts.size(); ++i) {
    absl::StatusOr<std::optional<AccountState>> one = (*view)->GetAccount(accounts[i]);
    ASSERT_TRUE(one.ok()) << one.status();
    EXPECT_EQ((*states)[i], *one) << i;
  }
  EXPECT_FALSE((*states)[last + 1].has_value());  // SyntheticAccount(last + 1)
  absl::StatusOr<std::vector<bool>> executed = (*view)->HasExecutedAll(ids);
  ASSERT_TRUE(executed.ok()) << executed.status();
  ASSERT_EQ(executed->size(), ids.size());
  size_t found = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    absl::StatusOr<bool> one = (*view)->HasExecuted(ids[i]);
    ASSERT_TRUE(one.ok()) << one.status();
    EXPECT_EQ((*executed)[i], *one) << i;
    found += *one ? 1 : 0;
  }
  EXPECT_GT(found, 0u);
  EXPECT_LT(found, ids.size());  // block last + 1's ids are not stored
}

TEST(AccountStoreTest, AccountsReadBackAcrossTheRunFoldsAndReopen) {
  TempDir dir, never_dir, every_dir;
  auto store = OpenRunStore(dir, 12);
  auto never = OpenRunStore(never_dir, kNeverMerge);
  auto every = OpenRunStore(every_dir, 1);
  uint64_t folds = 0;
  for (uint64_t seq = 1; seq <= 30; ++seq) {
    const uint64_t merged_before = MergedThrough(*store);
    for (NodeStore* s : {store.get(), never.get(), every.get()}) {
      ASSERT_TRUE(s->CommitBlock(SyntheticBlock(seq)).ok()) << seq;
    }
    if (MergedThrough(*store) != merged_before) {
      ++folds;
      // The fold emptied acct_log and memory (no reader pins).
      EXPECT_EQ(TableEntries(*store, store->tables().acct_log), 0u) << seq;
      EXPECT_EQ(store->recent_account_versions(), 0u) << seq;
    } else {
      // Two accounts per block since the last fold, in the log and in memory.
      EXPECT_EQ(TableEntries(*store, store->tables().acct_log), 2 * (seq - merged_before)) << seq;
      EXPECT_EQ(store->recent_account_versions(), 2 * (seq - merged_before)) << seq;
    }
    // The accounts table of a store that folds every commit is complete;
    // the one that never folds holds only what genesis wrote (nothing).
    EXPECT_EQ(TableEntries(*every, every->tables().accounts), seq + 1);
    EXPECT_EQ(TableEntries(*never, never->tables().accounts), 0u);
    for (NodeStore* s : {store.get(), never.get(), every.get()}) {
      ASSERT_NO_FATAL_FAILURE(ExpectAccountsThrough(*s, seq));
      ASSERT_NO_FATAL_FAILURE(ExpectBatchReadsAgree(*s, seq));
      EXPECT_EQ(*s->RecomputeStateRoot(), *s->StateRoot()) << seq;
    }
    // The logical state does not depend on where an account's record lies.
    EXPECT_EQ(LogicalAccounts(*store), LogicalAccounts(*every)) << seq;
    EXPECT_EQ(LogicalAccounts(*never), LogicalAccounts(*every)) << seq;
    EXPECT_EQ(*store->StateRoot(), *every->StateRoot()) << seq;
    EXPECT_EQ(*never->StateRoot(), *every->StateRoot()) << seq;
  }
  EXPECT_GE(folds, 2u);
  const size_t versions = store->recent_account_versions();
  EXPECT_GT(versions, 0u);  // the last fold was before seq 30

  // Reopened: the run's account versions are rebuilt from acct_log.
  store.reset();
  store = OpenRunStore(dir, 12);
  never.reset();
  never = OpenRunStore(never_dir, kNeverMerge);
  EXPECT_EQ(store->recent_account_versions(), versions);
  EXPECT_EQ(never->recent_account_versions(), 60u);
  for (NodeStore* s : {store.get(), never.get()}) {
    ASSERT_NO_FATAL_FAILURE(ExpectAccountsThrough(*s, 30));
    EXPECT_EQ(*s->RecomputeStateRoot(), *every->StateRoot());
  }
  // And they go on from there like the store that never closed.
  ASSERT_TRUE(store->CommitBlock(SyntheticBlock(31)).ok());
  ASSERT_TRUE(every->CommitBlock(SyntheticBlock(31)).ok());
  EXPECT_EQ(*store->StateRoot(), *every->StateRoot());
  ASSERT_NO_FATAL_FAILURE(ExpectAccountsThrough(*store, 31));
}

TEST(AccountStoreTest, AReaderWhoseSnapshotPredatesAFoldReadsItsOwnState) {
  TempDir dir;
  auto store = OpenRunStore(dir, 12);
  uint64_t seq = 1;
  for (; MergedThrough(*store) == 0; ++seq) {
    ASSERT_TRUE(store->CommitBlock(SyntheticBlock(seq)).ok());
  }
  ASSERT_TRUE(store->CommitBlock(SyntheticBlock(seq)).ok());  // one in the run
  const uint64_t seen = seq;
  absl::StatusOr<std::unique_ptr<StoreStateView>> view = store->Snapshot();
  ASSERT_TRUE(view.ok()) << view.status();
  // Later commits, with a fold, while the view lives.
  const uint64_t folded_before = MergedThrough(*store);
  for (++seq; MergedThrough(*store) == folded_before; ++seq) {
    ASSERT_TRUE(store->CommitBlock(SyntheticBlock(seq)).ok());
  }
  ASSERT_NO_FATAL_FAILURE(ExpectAccountsThrough(*store, seq - 1));
  absl::StatusOr<std::optional<AccountState>> counter = (*view)->GetAccount(CounterAccount());
  ASSERT_TRUE(counter.ok() && counter->has_value()) << counter.status();
  EXPECT_EQ(**counter, (AccountState{Amount(seen), Nonce(seen)}));
  absl::StatusOr<std::optional<AccountState>> later =
      (*view)->GetAccount(SyntheticAccount(seen + 1));
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(later->has_value());
  // The view held the versions it needs; once it goes, the fold's prune does too.
  EXPECT_GT(store->recent_account_versions(), 2 * (seq - 1 - MergedThrough(*store)));
  view->reset();
  EXPECT_EQ(store->recent_account_versions(), 2 * (seq - 1 - MergedThrough(*store)));
}

TEST(AccountStoreTest, ConcurrentReadersSeeTheirSnapshotsAccountsThroughFolds) {
  constexpr uint64_t kBlocks = 150;
  constexpr int kReaders = 2;
  constexpr int kReadsMax = 100'000;
  TempDir dir;
  auto store = OpenRunStore(dir, 16);
  std::atomic<int> wrong{0};
  ASSERT_TRUE(store->CommitBlock(SyntheticBlock(1)).ok());
  const int reads =
      testing::CommitWhileReading(*store, kBlocks, kReaders, kReadsMax, [&](int r, int i) {
        if ((i + r) % 2 == 0) {
          // A view answers exactly as of its own commit: the counter says
          // which block wrote last, and every earlier block's account is there.
          auto view = store->Snapshot();
          absl::StatusOr<uint64_t> last = view.ok() ? (*view)->LastCommittedSequence()
                                                    : absl::StatusOr<uint64_t>(view.status());
          if (!last.ok()) {
            wrong.fetch_add(1);
            return;
          }
          auto counter = (*view)->GetAccount(CounterAccount());
          if (!counter.ok() || !counter->has_value() ||
              **counter != AccountState{Amount(*last), Nonce(*last)}) {
            wrong.fetch_add(1);
          }
          for (uint64_t seq = *last > 20 ? *last - 20 : 1; seq <= *last + 1; seq += 3) {
            auto got = (*view)->GetAccount(SyntheticAccount(seq));
            const bool expected = seq <= *last;
            if (!got.ok() || got->has_value() != expected ||
                (expected && **got != AccountState{Amount(seq * 10), Nonce(seq)})) {
              wrong.fetch_add(1);
            }
          }
        } else {
          // GetAccount: a state some commit wrote, never older than the
          // commit that was last before the call.
          const uint64_t before = store->last_committed_sequence();
          absl::StatusOr<AccountState> counter = store->GetAccount(CounterAccount());
          if (!counter.ok() || counter->balance.value() != counter->next_nonce.value() ||
              counter->balance.value() < before) {
            wrong.fetch_add(1);
          }
        }
      });
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(reads, 0);
  EXPECT_GT(MergedThrough(*store), kBlocks / 2);
  ASSERT_NO_FATAL_FAILURE(ExpectAccountsThrough(*store, kBlocks));
}

TEST(AccountStoreTest, TheAccountVersionBoundMergesTooAndARefusedCommitLeavesNoVersions) {
  TempDir dir;
  // Ids never force a merge here: only the 5-version bound does.
  auto store = OpenRunStore(dir, kNeverMerge, 5);
  for (uint64_t seq = 1; seq <= 9; ++seq) {
    ASSERT_TRUE(store->CommitBlock(SyntheticBlock(seq)).ok());
    EXPECT_LE(store->recent_account_versions(), 4u) << seq;
  }
  EXPECT_GT(MergedThrough(*store), 0u);
  ASSERT_NO_FATAL_FAILURE(ExpectAccountsThrough(*store, 9));
  const size_t versions = store->recent_account_versions();
  BlockWrite refused = SyntheticBlock(10);
  refused.txs[0].first = SyntheticBlock(3).txs[0].first;  // already stored
  const AccountRef extra = SyntheticAccount(1000);
  refused.accounts.emplace_back(extra, AccountState{Amount(5), Nonce(5)});
  EXPECT_EQ(store->CommitBlock(refused).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->recent_account_versions(), versions);
  // An account twice in one block is refused before anything is written.
  BlockWrite twice = SyntheticBlock(10);
  twice.accounts.push_back(twice.accounts.front());
  EXPECT_EQ(store->CommitBlock(twice).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->recent_account_versions(), versions);
  // Block 10 as it should be: the refused block's extra account never appears.
  ASSERT_TRUE(store->CommitBlock(SyntheticBlock(10)).ok());
  ASSERT_NO_FATAL_FAILURE(ExpectAccountsThrough(*store, 10));
  EXPECT_EQ(store->GetAccount(extra).status().code(), absl::StatusCode::kNotFound);
}

TEST(AccountStoreTest, AReaderPinningAMergeDoesNotMakeEveryLaterCommitMerge) {
  TempDir dir;
  // Only the 8-version bound merges: every 4 blocks (2 accounts each).
  auto store = OpenRunStore(dir, kNeverMerge, 8);
  uint64_t seq = 1;
  for (; MergedThrough(*store) == 0; ++seq) {
    ASSERT_TRUE(store->CommitBlock(SyntheticBlock(seq)).ok());
  }
  // A view pinned before the next merge keeps that merge's versions in memory.
  absl::StatusOr<std::unique_ptr<StoreStateView>> view = store->Snapshot();
  ASSERT_TRUE(view.ok()) << view.status();
  const uint64_t first_merge = MergedThrough(*store);
  for (; MergedThrough(*store) == first_merge; ++seq) {
    ASSERT_TRUE(store->CommitBlock(SyntheticBlock(seq)).ok());
  }
  const uint64_t second_merge = MergedThrough(*store);
  EXPECT_GT(store->recent_account_versions(), 0u);  // pinned
  // The next commit does not merge again: the pinned versions are merged ones.
  ASSERT_TRUE(store->CommitBlock(SyntheticBlock(seq)).ok());
  EXPECT_EQ(MergedThrough(*store), second_merge);
  EXPECT_EQ(second_merge - first_merge, 4u);
  view->reset();
  ASSERT_NO_FATAL_FAILURE(ExpectAccountsThrough(*store, seq));
}

TEST(AccountStoreTest, ASnapshotCutCarriesTheRunsAccountsAndTheRestoreFoldsThem) {
  TempDir source_dir, target_dir;
  auto source = OpenRunStore(source_dir, kNeverMerge);
  for (uint64_t seq = 1; seq <= 6; ++seq) {
    ASSERT_TRUE(source->CommitBlock(SyntheticBlock(seq)).ok());
  }
  ASSERT_GT(TableEntries(*source, source->tables().acct_log), 0u);
  SnapshotAssembler assembler;
  SnapshotPoint point;
  ASSERT_NO_FATAL_FAILURE(CutAndAssemble(*source, &assembler, &point, 300));
  ASSERT_EQ(point.sequence, 6u);
  auto target = OpenRunStore(target_dir, kNeverMerge);
  ASSERT_TRUE(target->RestoreSnapshot(assembler, point).ok());
  EXPECT_EQ(TableEntries(*target, target->tables().acct_log), 0u);
  EXPECT_EQ(TableEntries(*target, target->tables().accounts), 7u);
  EXPECT_EQ(target->recent_account_versions(), 0u);
  ASSERT_NO_FATAL_FAILURE(ExpectAccountsThrough(*target, 6));
  EXPECT_EQ(*target->RecomputeStateRoot(), point.state_root);
  // Both go on alike.
  ASSERT_TRUE(source->CommitBlock(SyntheticBlock(7)).ok());
  ASSERT_TRUE(target->CommitBlock(SyntheticBlock(7)).ok());
  EXPECT_EQ(*target->StateRoot(), *source->StateRoot());
  ASSERT_NO_FATAL_FAILURE(ExpectAccountsThrough(*target, 7));
}

TEST(AccountStoreTest, ARestoreOverAPinnedRunReadsTheRestoredStateAndTheViewItsOwn) {
  TempDir source_dir, target_dir;
  auto source = OpenRunStore(source_dir, kNeverMerge);
  auto target = OpenRunStore(target_dir, kNeverMerge);
  for (uint64_t seq = 1; seq <= 6; ++seq) {
    ASSERT_TRUE(source->CommitBlock(SyntheticBlock(seq)).ok());
    if (seq <= 3) {
      ASSERT_TRUE(target->CommitBlock(SyntheticBlock(seq)).ok());
    }
  }
  // A view of the target's commit 3 pins its run through the restore.
  absl::StatusOr<std::unique_ptr<StoreStateView>> view = target->Snapshot();
  ASSERT_TRUE(view.ok()) << view.status();
  SnapshotAssembler assembler;
  SnapshotPoint point;
  ASSERT_NO_FATAL_FAILURE(CutAndAssemble(*source, &assembler, &point, 300));
  ASSERT_EQ(point.sequence, 6u);
  ASSERT_TRUE(target->RestoreSnapshot(assembler, point).ok());
  // The pinned versions (commits 1-3) are still in memory, below the new
  // merge point: new readers take the restored table.
  EXPECT_GT(target->recent_account_versions(), 0u);
  ASSERT_NO_FATAL_FAILURE(ExpectAccountsThrough(*target, 6));
  absl::StatusOr<std::optional<AccountState>> counter = (*view)->GetAccount(CounterAccount());
  ASSERT_TRUE(counter.ok() && counter->has_value()) << counter.status();
  EXPECT_EQ(**counter, (AccountState{Amount(3), Nonce(3)}));
  view->reset();
  EXPECT_EQ(target->recent_account_versions(), 0u);
  ASSERT_NO_FATAL_FAILURE(ExpectAccountsThrough(*target, 6));
}

TEST(AccountStoreTest, CorruptLogRecordsAreDataLoss) {
  TempDir dir;
  LmdbOptions options;
  options.dir = dir.path();
  const auto counter_key = EncodeAccountKey(CounterAccount());
  auto poke = [&](ByteSpan key, ByteSpan value) {
    auto store = OpenRunStore(dir, kNeverMerge);
    ASSERT_TRUE(store->env().Write([&](WriteTxn& txn) {
      return txn.Put(store->tables().acct_log, key, value);
    }).ok());
  };
  {
    auto store = OpenRunStore(dir, kNeverMerge);
    ASSERT_TRUE(store->CommitBlock(SyntheticBlock(1)).ok());
  }
  const auto good = EncodeAccountRecord(AccountState{Amount(1), Nonce(1)});
  // The counter's record of commit 1, cut short: the run cannot be rebuilt.
  ASSERT_NO_FATAL_FAILURE(poke(EncodeAcctLogKey(1, counter_key), Bytes(5, 1)));
  absl::StatusOr<std::unique_ptr<NodeStore>> reopened = NodeStore::Open(options);
  ASSERT_EQ(reopened.status().code(), absl::StatusCode::kDataLoss) << reopened.status();
  {
    // The snapshot reader says so too.
    auto env = LmdbEnv::Open(options);
    ASSERT_TRUE(env.ok());
    auto tables = NodeTables::Open(**env);
    ASSERT_TRUE(tables.ok());
    ReadTxn txn = *(*env)->BeginRead();
    EXPECT_EQ(ForEachAccount(txn, *tables,
                             [](ByteSpan, ByteSpan record) {
                               return DecodeAccountRecord(record).status();
                             })
                  .code(),
              absl::StatusCode::kDataLoss);
  }
  // A record at the merge point cannot be there (the fold cleared the log):
  // opening refuses. Here a store that merged through commit 2.
  TempDir merged_dir;
  {
    auto store = OpenRunStore(merged_dir, 1);
    for (uint64_t seq = 1; seq <= 2; ++seq) {
      ASSERT_TRUE(store->CommitBlock(SyntheticBlock(seq)).ok());
    }
    ASSERT_EQ(MergedThrough(*store), 2u);
    ASSERT_TRUE(store->env().Write([&](WriteTxn& txn) {
      return txn.Put(store->tables().acct_log, EncodeAcctLogKey(2, counter_key), good);
    }).ok());
  }
  options.dir = merged_dir.path();
  reopened = NodeStore::Open(options);
  ASSERT_EQ(reopened.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(reopened.status().message().find("merge point 2"), std::string::npos)
      << reopened.status();
}

TEST(AccountStoreTest, ALayoutThreeStoreIsStampedByItsFirstWriteAndKeepsItsAccounts) {
  TempDir dir;
  LmdbOptions options;
  options.dir = dir.path();
  auto layout = [&]() {
    auto env = LmdbEnv::Open(options);
    GL_CHECK(env.ok());
    auto tables = NodeTables::Open(**env);
    GL_CHECK(tables.ok());
    ReadTxn txn = *(*env)->BeginRead();
    return *ReadStoreLayout(txn, *tables);
  };
  {
    // As layout 3 left it: every account in the table, acct_log empty, and
    // the merge point (of the ids) below the last commit.
    auto store = OpenRunStore(dir, kNeverMerge);
    for (uint64_t seq = 1; seq <= 3; ++seq) {
      ASSERT_TRUE(store->CommitBlock(SyntheticBlock(seq)).ok());
    }
    const std::vector<std::pair<Bytes, Bytes>> accounts = LogicalAccounts(*store);
    ASSERT_TRUE(store->env().Write([&](WriteTxn& txn) -> absl::Status {
      for (const auto& [key, record] : accounts) {
        GL_RETURN_IF_ERROR(txn.Put(store->tables().accounts, key, record));
      }
      GL_RETURN_IF_ERROR(txn.Clear(store->tables().acct_log));
      Bytes value;
      ByteWriter(&value).U64(3);
      return txn.Put(store->tables().meta, MetaKey(kMetaStoreLayout), value);
    }).ok());
    ASSERT_EQ(MergedThrough(*store), 0u);
  }
  {
    // Opened and read only: still layout 3, for the build that wrote it.
    auto store = OpenRunStore(dir, kNeverMerge);
    ASSERT_NO_FATAL_FAILURE(ExpectAccountsThrough(*store, 3));
    EXPECT_EQ(*store->RecomputeStateRoot(), *store->StateRoot());
  }
  EXPECT_EQ(layout(), 3u);
  {
    auto store = OpenRunStore(dir, kNeverMerge);
    ASSERT_TRUE(store->CommitBlock(SyntheticBlock(4)).ok());
    ASSERT_NO_FATAL_FAILURE(ExpectAccountsThrough(*store, 4));
    EXPECT_EQ(*store->RecomputeStateRoot(), *store->StateRoot());
  }
  EXPECT_EQ(layout(), kStoreLayoutVersion);
  auto store = OpenRunStore(dir, kNeverMerge);
  ASSERT_NO_FATAL_FAILURE(ExpectAccountsThrough(*store, 4));
}

// The executor's before-states (AccountBefore) stand in for the store's own
// reads in the state-root update, in any account order; wrong ones change
// the root (so they are used), and a count that does not match is refused.
TEST(AccountStoreTest, BeforeStatesFromExecutionGiveTheRootOfTheStoresOwnReads) {
  TempDir plain_dir, given_dir, wrong_dir;
  auto plain = OpenRunStore(plain_dir, 12);
  auto given = OpenRunStore(given_dir, 12);
  auto wrong = OpenRunStore(wrong_dir, 12);
  for (uint64_t seq = 1; seq <= 20; ++seq) {
    ASSERT_TRUE(plain->CommitBlock(SyntheticBlock(seq)).ok()) << seq;
    BlockWrite block = SyntheticBlock(seq);
    // Unsorted: the counter (all zero key) sorts first.
    ASSERT_EQ(block.accounts.back().first, CounterAccount());
    const std::optional<AccountState> counter_before =
        seq == 1 ? std::nullopt
                 : std::optional<AccountState>(AccountState{Amount(seq - 1), Nonce(seq - 1)});
    block.accounts_before = {AccountBefore{true, std::nullopt},
                             AccountBefore{true, counter_before}};
    ASSERT_TRUE(given->CommitBlock(block).ok()) << seq;
    EXPECT_EQ(*given->StateRoot(), *plain->StateRoot()) << seq;
    if (seq == 1) {
      BlockWrite bad = SyntheticBlock(seq);
      bad.accounts_before = {AccountBefore{}};
      EXPECT_EQ(wrong->CommitBlock(bad).code(), absl::StatusCode::kInvalidArgument);
      BlockWrite off = SyntheticBlock(seq);
      off.accounts_before = {AccountBefore{}, AccountBefore{true, AccountState{Amount(7), Nonce(0)}}};
      ASSERT_TRUE(wrong->CommitBlock(off).ok());
      EXPECT_NE(*wrong->StateRoot(), *plain->StateRoot());
    }
  }
  EXPECT_EQ(*given->RecomputeStateRoot(), *given->StateRoot());
}

}  // namespace
}  // namespace gridledger::storage
