// A random market run executed over MemoryState and over the LMDB node store
// (one write per commit, restarted halfway) gives identical outcomes, state
// summaries and market records, and conserves money on both.
#include <map>
#include <vector>

#include "core/execution/executor.h"
#include "core/execution/memory_state.h"
#include "gtest/gtest.h"
#include "storage/block_commit.h"
#include "storage/node_store.h"
#include "tests/core/execution/market_workload.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::storage {
namespace {

std::map<Bytes, Bytes> StoreMarket(NodeStore& store) {
  std::map<Bytes, Bytes> out;
  auto txn = store.env().BeginRead();
  GL_CHECK(txn.ok());
  auto cursor = txn->OpenCursor(store.tables().market);
  GL_CHECK(cursor.ok());
  for (auto on = cursor->First();; on = cursor->Next()) {
    GL_CHECK(on.ok());
    if (!*on) break;
    out.emplace(Bytes(cursor->key().begin(), cursor->key().end()),
                Bytes(cursor->value().begin(), cursor->value().end()));
  }
  return out;
}

TEST(MarketOverStoreTest, MemoryAndLmdbAgreeOnAMarketRunAcrossARestart) {
  TempDir dir;
  LmdbOptions options;
  options.dir = dir.path();
  options.initial_map_size_bytes = 256 << 10;  // grows during the run
  ::gridledger::testing::MarketWorkload workload(5, 8);
  MemoryState memory;
  const int64_t supply = static_cast<int64_t>(workload.Fund(&memory));
  auto store = NodeStore::Open(options);
  ASSERT_TRUE(store.ok());
  std::vector<std::pair<AccountRef, AccountState>> accounts = memory.SortedAccounts();
  ASSERT_TRUE((*store)->SeedGenesis(Digest(), Digest(), accounts).ok());

  const Executor executor(::gridledger::testing::kMarketSlice, {},
                          ::gridledger::testing::TestMarketConfig());
  uint64_t now = 0;
  uint64_t given = 0;
  size_t cleared = 0;
  size_t held_market = 0;  // market transactions held (record version 2)
  for (int b = 1; b <= 250; ++b) {
    if (b == 125) {
      store->reset();
      store = NodeStore::Open(options);
      ASSERT_TRUE(store.ok());
    }
    const std::vector<BlockTx> block = b == 1 ? workload.Setup() : workload.Next(memory, now);
    auto in_memory = executor.ExecuteBlock(memory, block, given);
    ASSERT_TRUE(in_memory.ok()) << in_memory.status();
    memory.Apply(*in_memory);
    const Digest anchor = Sha256(ByteSpan(reinterpret_cast<const uint8_t*>(&b), sizeof(b)));
    auto on_store = ExecuteAndCommit(**store, executor, anchor, block, given);
    ASSERT_TRUE(on_store.ok()) << on_store.status();
    ASSERT_EQ(*on_store, *in_memory) << "block " << b;
    ASSERT_EQ(*(*store)->StateSummary(), *memory.StateSummary()) << "block " << b;
    ASSERT_EQ(::gridledger::testing::MoneyInCirculation(memory), supply) << "block " << b;
    for (const auto& [key, value] : in_memory->market) cleared += key[0] == 'K' ? 1 : 0;
    for (const HeldTx& h : in_memory->held_added) {
      held_market += h.btx.tx.kind() != TxKind::kTransfer ? 1 : 0;
    }
    given = workload.NextTime(now);
    now = std::max(now, given);
  }
  EXPECT_EQ(StoreMarket(**store), memory.market());
  EXPECT_GT(cleared, 10u);
  EXPECT_GT(held_market, 5u);
}

}  // namespace
}  // namespace gridledger::storage
