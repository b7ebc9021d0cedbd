// A full disk (here: the LMDB map at a small max_map_size_bytes) is its own
// error, "disk full", visible as LmdbEnv::disk_full() until space returns; a
// validator's env (wait_for_space) waits for the space instead of failing.
// And a commit's extra writes land in the block's own write transaction.
#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/lmdb_env.h"
#include "storage/node_store.h"
#include "tests/storage/synthetic_blocks.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::storage {
namespace {

constexpr uint64_t kSmallMapBytes = uint64_t{1} << 20;
constexpr size_t kValueBytes = 64 << 10;
constexpr int kMaxFillWrites = 1000;
constexpr absl::Duration kWaitLimit = absl::Seconds(30);

LmdbOptions SmallMap(const std::string& dir, bool wait_for_space) {
  LmdbOptions options;
  options.dir = dir;
  options.initial_map_size_bytes = 256 << 10;
  options.max_map_size_bytes = kSmallMapBytes;
  options.wait_for_space = wait_for_space;
  return options;
}

absl::Status PutValue(LmdbEnv& env, LmdbTable table, int key) {
  const Bytes value(kValueBytes, static_cast<uint8_t>(key));
  Bytes k;
  ByteWriter(&k).U32(static_cast<uint32_t>(key));
  return env.Write([&](WriteTxn& txn) { return txn.Put(table, k, value); });
}

// Writes until the map is full; returns the number of the first write that failed.
int FillUntilFull(LmdbEnv& env, LmdbTable table, absl::Status* failure) {
  for (int i = 0; i < kMaxFillWrites; ++i) {
    absl::Status s = PutValue(env, table, i);
    if (!s.ok()) {
      *failure = s;
      return i;
    }
  }
  return kMaxFillWrites;
}

bool WaitUntil(const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + kWaitLimit;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return done();
}

TEST(DiskFullTest, MapAtItsBoundSaysDiskFullUntilSpaceReturns) {
  TempDir dir;
  auto env = LmdbEnv::Open(SmallMap(dir.path(), /*wait_for_space=*/false));
  ASSERT_TRUE(env.ok()) << env.status();
  auto table = (*env)->OpenTable("fill");
  ASSERT_TRUE(table.ok());
  absl::Status failure;
  const int failed_at = FillUntilFull(**env, *table, &failure);
  ASSERT_LT(failed_at, kMaxFillWrites) << "a 1 MiB map never filled";
  EXPECT_TRUE(IsDiskFull(failure)) << failure;
  EXPECT_TRUE(absl::StartsWith(failure.message(), "disk full")) << failure;
  EXPECT_TRUE((*env)->disk_full());
  // Space returns (the bound is raised): the same write succeeds, the flag clears.
  (*env)->SetMaxMapSize(kSmallMapBytes * 8);
  EXPECT_TRUE(PutValue(**env, *table, failed_at).ok());
  EXPECT_FALSE((*env)->disk_full());
}

TEST(DiskFullTest, AWaitingWriterResumesWhenSpaceReturns) {
  TempDir dir;
  auto env = LmdbEnv::Open(SmallMap(dir.path(), /*wait_for_space=*/true));
  ASSERT_TRUE(env.ok()) << env.status();
  auto table = (*env)->OpenTable("fill");
  ASSERT_TRUE(table.ok());
  std::atomic<int> written{0};
  std::atomic<bool> finished{false};
  absl::Status last;
  std::thread writer([&] {
    for (int i = 0; i < kMaxFillWrites / 10; ++i) {
      last = PutValue(**env, *table, i);
      if (!last.ok()) break;
      written.fetch_add(1);
    }
    finished.store(true);
  });
  // The writer blocks on the full map instead of failing.
  ASSERT_TRUE(WaitUntil([&] { return (*env)->disk_full(); }));
  EXPECT_FALSE(finished.load());
  const int before = written.load();
  (*env)->SetMaxMapSize(uint64_t{64} << 20);
  ASSERT_TRUE(WaitUntil([&] { return finished.load(); }));
  writer.join();
  EXPECT_TRUE(last.ok()) << last;
  EXPECT_GT(written.load(), before);
  EXPECT_EQ(written.load(), kMaxFillWrites / 10);
  EXPECT_FALSE((*env)->disk_full());
}

TEST(DiskFullTest, StopWaitingReturnsTheDiskFullError) {
  TempDir dir;
  auto env = LmdbEnv::Open(SmallMap(dir.path(), /*wait_for_space=*/true));
  ASSERT_TRUE(env.ok()) << env.status();
  auto table = (*env)->OpenTable("fill");
  ASSERT_TRUE(table.ok());
  std::atomic<bool> finished{false};
  absl::Status last;
  std::thread writer([&] {
    for (int i = 0; i < kMaxFillWrites; ++i) {
      last = PutValue(**env, *table, i);
      if (!last.ok()) break;
    }
    finished.store(true);
  });
  ASSERT_TRUE(WaitUntil([&] { return (*env)->disk_full(); }));
  (*env)->StopWaitingForSpace();
  ASSERT_TRUE(WaitUntil([&] { return finished.load(); }));
  writer.join();
  EXPECT_TRUE(IsDiskFull(last)) << last;
}

TEST(CommitExtraWriteTest, LandsWithTheBlockOrNotAtAll) {
  TempDir dir;
  LmdbOptions options;
  options.dir = dir.path();
  auto store = NodeStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  auto table = (*store)->env().OpenTable("extra");
  ASSERT_TRUE(table.ok());
  const uint8_t key[] = {'k'};
  // A failing extra write aborts the whole commit.
  absl::Status s = (*store)->CommitBlock(testing::SyntheticBlock(1), [&](WriteTxn& txn) {
    EXPECT_TRUE(txn.Put(*table, ByteSpan(key, 1), ByteSpan(key, 1)).ok());
    return absl::DataLossError("extra failed");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ((*store)->last_committed_sequence(), 0u);
  {
    auto txn = (*store)->env().BeginRead();
    ASSERT_TRUE(txn.ok());
    EXPECT_TRUE(absl::IsNotFound(txn->Get(*table, ByteSpan(key, 1)).status()));
  }
  // A good one commits with it.
  s = (*store)->CommitBlock(testing::SyntheticBlock(1), [&](WriteTxn& txn) {
    return txn.Put(*table, ByteSpan(key, 1), ByteSpan(key, 1));
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ((*store)->last_committed_sequence(), 1u);
  auto txn = (*store)->env().BeginRead();
  ASSERT_TRUE(txn.ok());
  EXPECT_TRUE(txn->Get(*table, ByteSpan(key, 1)).ok());
}

}  // namespace
}  // namespace gridledger::storage
