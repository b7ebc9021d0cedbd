// The state root (storage/state_root.h): the running LtHash kept in each
// commit's write equals a from-scratch hash of the whole store after a long
// random market and transfer run (across a restart), a changed byte of any
// state entry changes it, and LtHash16 is order-free and invertible.
#include <memory>
#include <optional>
#include <vector>

#include "core/crypto/lthash.h"
#include "core/crypto/sha256.h"
#include "core/execution/executor.h"
#include "core/execution/memory_state.h"
#include "gtest/gtest.h"
#include "storage/block_commit.h"
#include "storage/node_store.h"
#include "storage/records.h"
#include "storage/state_root.h"
#include "tests/core/execution/market_workload.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::storage {
namespace {

Bytes Str(const char* s) { return Bytes(s, s + std::char_traits<char>::length(s)); }

TEST(LtHashTest, OrderFreeAndInvertible) {
  LtHash16 ab;
  ab.Add(Str("a"));
  ab.Add(Str("b"));
  LtHash16 ba;
  ba.Add(Str("b"));
  ba.Add(Str("a"));
  EXPECT_EQ(ab, ba);
  EXPECT_EQ(ab.Root(), ba.Root());
  ab.Remove(Str("a"));
  ab.Remove(Str("b"));
  EXPECT_EQ(ab, LtHash16());
  LtHash16 one;
  one.Add(Str("a"));
  LtHash16 other;
  other.Add(Str("b"));
  EXPECT_NE(one.Root(), other.Root());
  // A multiset: the same element twice is not the same as once.
  LtHash16 twice = one;
  twice.Add(Str("a"));
  EXPECT_NE(twice, one);
  auto parsed = LtHash16::Parse(twice.Serialize());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, twice);
  EXPECT_EQ(LtHash16::Parse(Bytes(LtHash16::kBytes - 1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Pins the expansion (ChaCha20 keyed by the tagged SHA-256): every store's
// root depends on it, so a change must be deliberate. The values were checked
// independently (Python hashlib + cryptography's ChaCha20).
TEST(LtHashTest, KnownAnswer) {
  LtHash16 h;
  h.Add(Str("gridledger"));
  const Bytes lanes = h.Serialize();
  EXPECT_EQ(HexEncode(ByteSpan(lanes.data(), 8)), "edcdc0fc252f6866");
  EXPECT_EQ(h.Root().Hex(), "9a7a50527bb44e091372481c7f86af12d07f9bc705afaf9fb69715e01640594a");
  EXPECT_EQ(LtHash16().Root().Hex(), "61e1f01f77b6d1526bd6b9e882eb3444037dd167c6190e8fd34bcedbdefb4209");
}

LmdbOptions RootStoreOptions(const TempDir& dir) {
  LmdbOptions options;
  options.dir = dir.path();
  options.initial_map_size_bytes = 256 << 10;  // grows during the run
  return options;
}

// A store seeded with the workload's genesis accounts (mirrored in `memory`).
std::unique_ptr<NodeStore> FundedStore(const TempDir& dir,
                                       ::gridledger::testing::MarketWorkload& workload,
                                       MemoryState* memory) {
  workload.Fund(memory);
  auto store = NodeStore::Open(RootStoreOptions(dir));
  GL_CHECK(store.ok());
  GL_CHECK((*store)->SeedGenesis(Digest(), Digest(), memory->SortedAccounts()).ok());
  return std::move(*store);
}

TEST(StateRootTest, IncrementalRootEqualsRecomputationOverALongMarketRun) {
  TempDir dir;
  ::gridledger::testing::MarketWorkload workload(11, 8);
  MemoryState memory;
  std::unique_ptr<NodeStore> seeded;
  ASSERT_NO_FATAL_FAILURE(seeded = FundedStore(dir, workload, &memory));
  std::optional<std::unique_ptr<NodeStore>> store(std::move(seeded));
  const Digest genesis_root = *(*store)->StateRoot();
  EXPECT_NE(genesis_root, LtHash16().Root());
  EXPECT_EQ(*(*store)->RecomputeStateRoot(), genesis_root);

  const Executor executor(::gridledger::testing::kMarketSlice, {},
                          ::gridledger::testing::TestMarketConfig());
  uint64_t now = 0;
  uint64_t given = 0;
  Digest previous = genesis_root;
  for (int b = 1; b <= 300; ++b) {
    if (b == 150) {
      store->reset();
      auto reopened = NodeStore::Open(RootStoreOptions(dir));
      ASSERT_TRUE(reopened.ok());
      *store = std::move(*reopened);
    }
    const std::vector<BlockTx> block = b == 1 ? workload.Setup() : workload.Next(memory, now);
    auto in_memory = executor.ExecuteBlock(memory, block, given);
    ASSERT_TRUE(in_memory.ok()) << in_memory.status();
    memory.Apply(*in_memory);
    const Digest anchor = Sha256(ByteSpan(reinterpret_cast<const uint8_t*>(&b), sizeof(b)));
    ASSERT_TRUE(ExecuteAndCommit(**store, executor, anchor, block, given).ok());
    const Digest root = *(*store)->StateRoot();
    ASSERT_EQ(*(*store)->StateRootAt(b), root) << "block " << b;
    if (b % 25 == 0 || b == 300) {
      ASSERT_EQ(*(*store)->RecomputeStateRoot(), root) << "block " << b;
    }
    if (!block.empty()) {
      EXPECT_NE(root, previous) << "block " << b;
    }
    previous = root;
    given = workload.NextTime(now);
    now = std::max(now, given);
  }
  EXPECT_EQ((*store)->StateRootAt(301).status().code(), absl::StatusCode::kNotFound);
}

TEST(StateRootTest, AChangedByteOfAnyStateEntryChangesTheRoot) {
  TempDir dir;
  ::gridledger::testing::MarketWorkload workload(3, 4);
  MemoryState memory;
  std::unique_ptr<NodeStore> seeded;
  ASSERT_NO_FATAL_FAILURE(seeded = FundedStore(dir, workload, &memory));
  std::optional<std::unique_ptr<NodeStore>> store(std::move(seeded));
  const Executor executor(::gridledger::testing::kMarketSlice, {},
                          ::gridledger::testing::TestMarketConfig());
  const std::vector<BlockTx> setup = workload.Setup();
  ASSERT_TRUE(ExecuteAndCommit(**store, executor, Digest(), setup, 0).ok());
  const Digest root = *(*store)->StateRoot();
  ASSERT_EQ(*(*store)->RecomputeStateRoot(), root);

  NodeStore& s = **store;
  for (StateTable table : kStateTables) {
    if (table == StateTable::kHeld) continue;  // nothing held after the setup block
    Bytes key;
    Bytes value;
    {
      auto txn = s.env().BeginRead();
      ASSERT_TRUE(txn.ok());
      auto cursor = txn->OpenCursor(TableOf(s.tables(), table));
      ASSERT_TRUE(cursor.ok());
      ASSERT_TRUE(*cursor->First()) << static_cast<char>(table);
      key.assign(cursor->key().begin(), cursor->key().end());
      value.assign(cursor->value().begin(), cursor->value().end());
    }
    ASSERT_FALSE(value.empty());
    Bytes flipped = value;
    flipped.back() ^= 1;
    // Written behind the hook's back: the stored root no longer describes it.
    ASSERT_TRUE(s.env()
                    .Write([&](WriteTxn& txn) {
                      return txn.Put(TableOf(s.tables(), table), key, flipped);
                    })
                    .ok());
    EXPECT_NE(*s.RecomputeStateRoot(), root) << static_cast<char>(table);
    ASSERT_TRUE(s.env()
                    .Write([&](WriteTxn& txn) {
                      return txn.Put(TableOf(s.tables(), table), key, value);
                    })
                    .ok());
    EXPECT_EQ(*s.RecomputeStateRoot(), root) << static_cast<char>(table);
  }
}

TEST(StateRootTest, AStoreWithoutARunningHashComputesItOnOpen) {
  TempDir dir;
  MemoryState memory;
  ::gridledger::testing::MarketWorkload workload(4, 3);
  workload.Fund(&memory);
  Digest root;
  {
    auto store = NodeStore::Open(RootStoreOptions(dir));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->SeedGenesis(Digest(), Digest(), memory.SortedAccounts()).ok());
    root = *(*store)->StateRoot();
    // As a store from before the state root: no running hash.
    ASSERT_TRUE((*store)->env()
                    .Write([&](WriteTxn& txn) {
                      return txn.Delete((*store)->tables().meta, MetaKey(kMetaStateHash));
                    })
                    .ok());
  }
  auto store = NodeStore::Open(RootStoreOptions(dir));
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->StateRoot(), root);
}

}  // namespace
}  // namespace gridledger::storage
