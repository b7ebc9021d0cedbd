// Crash consistency: a child process commits a long stream of deterministic
// blocks and is SIGKILLed at a seeded random moment; the reopened store must
// hold exactly a committed prefix, never a torn block. Each round continues
// the same store from where the last one stopped.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "core/common/check.h"
#include "gtest/gtest.h"
#include "storage/node_store.h"
#include "tests/storage/synthetic_blocks.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::storage {
namespace {

using testing::CounterAccount;
using testing::SyntheticAccount;
using testing::SyntheticBlock;

constexpr int kRounds = 8;
constexpr uint64_t kMaxBlocksPerChild = 1'000'000;

LmdbOptions Options(const std::string& dir) {
  LmdbOptions options;
  options.dir = dir;
  // Small, so the children also crash around map growth.
  options.initial_map_size_bytes = 256 << 10;
  return options;
}

// Runs in the child: never returns. `merge_at`: the recent run's bound
// (storage/node_store.h); small, so kills also land in and around merges.
[[noreturn]] void CommitForever(const std::string& dir, int ready_fd, size_t merge_at) {
  NodeStoreOptions store_options;
  store_options.recent_txs_merge_at = merge_at;
  auto store = NodeStore::Open(Options(dir), store_options);
  GL_CHECK(store.ok());
  const uint64_t first = (*store)->last_committed_sequence() + 1;
  GL_CHECK(write(ready_fd, "r", 1) == 1);
  for (uint64_t s = first; s < first + kMaxBlocksPerChild; ++s) {
    GL_CHECK((*store)->CommitBlock(SyntheticBlock(s)).ok());
  }
  _exit(0);
}

// Asserts the store holds exactly blocks 1..k (k = last committed) as written.
void ExpectCommittedPrefix(const NodeStore& store) {
  const uint64_t k = store.last_committed_sequence();
  for (uint64_t s = 1; s <= k + 1; ++s) {
    const BlockWrite expected = SyntheticBlock(s);
    auto meta = store.GetCommit(s);
    auto account = store.GetAccount(SyntheticAccount(s));
    if (s <= k) {
      ASSERT_TRUE(meta.ok()) << "block " << s << " of " << k << ": " << meta.status();
      EXPECT_EQ(*meta, expected.meta);
      ASSERT_TRUE(account.ok()) << account.status();
      EXPECT_EQ(*account, expected.accounts[0].second);
    } else {
      EXPECT_EQ(meta.status().code(), absl::StatusCode::kNotFound) << "torn block " << s;
      EXPECT_EQ(account.status().code(), absl::StatusCode::kNotFound) << "torn block " << s;
    }
    for (const auto& [id, tx] : expected.txs) {
      auto got = store.GetTx(id);
      if (s <= k) {
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_EQ(*got, tx);
      } else {
        EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound) << "torn block " << s;
      }
    }
  }
  if (k > 0) {
    EXPECT_EQ(*store.GetAccount(CounterAccount()), (AccountState{Amount(k), Nonce(k)}));
    EXPECT_EQ(*store.StateSummary(), SyntheticBlock(k).meta.state_summary);
  }
}

TEST(CrashTest, SigkillDuringCommitsLeavesExactlyACommittedPrefix) {
  TempDir dir;
  std::mt19937_64 rng(20240611);
  uint64_t last = 0;
  int progressed = 0;
  for (int round = 0; round < kRounds; ++round) {
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(ready[0]);
      // Odd rounds never reach the default bound: the recent run only.
      CommitForever(dir.path(), ready[1], round % 2 == 0 ? 24 : kRecentTxsMergeAt);
    }
    close(ready[1]);
    char byte = 0;
    ASSERT_EQ(read(ready[0], &byte, 1), 1) << "child failed to open the store";
    close(ready[0]);
    std::this_thread::sleep_for(std::chrono::microseconds(1000 + rng() % 60'000));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child ended otherwise (status " << status << ")";

    auto store = NodeStore::Open(Options(dir.path()));
    ASSERT_TRUE(store.ok()) << store.status();
    const uint64_t k = (*store)->last_committed_sequence();
    EXPECT_GE(k, last) << "round " << round << " lost committed blocks";
    if (k > last) ++progressed;
    last = k;
    RecordProperty("round_" + std::to_string(round) + "_last", std::to_string(k));
    ExpectCommittedPrefix(**store);
    if (HasFatalFailure()) return;
  }
  // The children really committed while being killed, and merged.
  EXPECT_GT(progressed, kRounds / 2);
  EXPECT_GT(last, 0u);
  auto store = NodeStore::Open(Options(dir.path()));
  ASSERT_TRUE(store.ok()) << store.status();
  ReadTxn txn = *(*store)->env().BeginRead();
  EXPECT_GT(*ReadTxsMergedThrough(txn, (*store)->tables()), 0u);
}

}  // namespace
}  // namespace gridledger::storage
