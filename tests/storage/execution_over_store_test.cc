// The same blocks executed over MemoryState and over the LMDB node store give
// identical results, outcomes and state, across a store restart.
#include <random>
#include <vector>

#include "core/crypto/schnorr.h"
#include "core/execution/executor.h"
#include "core/execution/genesis.h"
#include "core/execution/memory_state.h"
#include "gtest/gtest.h"
#include "storage/block_commit.h"
#include "storage/genesis_seed.h"
#include "storage/node_store.h"
#include "tests/core/execution/block_builder.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::storage {
namespace {

constexpr SliceId kSlice(0);
constexpr int kAccounts = 30;

Genesis MakeGenesis() {
  Genesis g;
  g.dso = KeyPair::FromSeed(1).public_key();
  for (uint32_t s = 0; s < 2; ++s) {
    g.slices.push_back(GenesisSlice{
        SliceId(s), {GenesisValidator{KeyPair::FromSeed(10 + s).public_key(), "127.0.0.1",
                                      static_cast<uint16_t>(7000 + s)}}});
  }
  for (int a = 0; a < kAccounts; ++a) {
    g.accounts.push_back(GenesisAccount{
        AccountRef{SliceId(a % 5 == 4 ? 1 : 0), KeyPair::FromSeed(100 + a).public_key()},
        Amount(10'000)});
  }
  return g;
}

std::vector<std::pair<AccountRef, AccountState>> StoreAccounts(NodeStore& store) {
  std::vector<std::pair<AccountRef, AccountState>> out;
  auto txn = store.env().BeginRead();
  GL_CHECK(txn.ok());
  auto cursor = txn->OpenCursor(store.tables().accounts);
  GL_CHECK(cursor.ok());
  for (auto on = cursor->First(); ; on = cursor->Next()) {
    GL_CHECK(on.ok());
    if (!*on) break;
    out.emplace_back(*DecodeAccountKey(cursor->key()), *DecodeAccountRecord(cursor->value()));
  }
  return out;
}

TEST(ExecutionOverStoreTest, MemoryAndLmdbAgreeOnResultsAndState) {
  TempDir dir;
  LmdbOptions options;
  options.dir = dir.path();
  options.initial_map_size_bytes = 128 << 10;  // grows during the run
  const Genesis genesis = MakeGenesis();

  MemoryState memory(GenesisStateSummary(genesis, kSlice));
  for (const GenesisAccount& a : GenesisAccountsOf(genesis, kSlice)) {
    memory.SetAccount(a.account, AccountState{a.balance, Nonce(0)});
  }
  auto store = NodeStore::Open(options);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(SeedFromGenesis(**store, genesis, kSlice).ok());
  ASSERT_EQ(StoreAccounts(**store), memory.SortedAccounts());

  const Executor executor(kSlice);
  std::mt19937_64 rng(7);
  std::vector<uint64_t> nonces(kAccounts, 0);
  std::vector<BlockTx> history;
  for (int b = 1; b <= 60; ++b) {
    if (b == 30) {  // restart the store halfway
      store->reset();
      store = NodeStore::Open(options);
      ASSERT_TRUE(store.ok());
      ASSERT_EQ((*store)->last_committed_sequence(), 29u);
    }
    std::vector<BlockTx> block;
    for (int i = 0; i < 25; ++i) {
      const int from = static_cast<int>(rng() % kAccounts);
      const int to = static_cast<int>(rng() % kAccounts);
      const uint64_t roll = rng() % 10;
      if (roll == 0 && !history.empty()) {
        block.push_back(history[rng() % history.size()]);  // duplicate
        continue;
      }
      const uint64_t nonce = roll == 1 ? nonces[from] + 1 : nonces[from];
      BlockTx tx = ::gridledger::testing::Transfer(
          kSlice, genesis.accounts[from].account.key, nonce, genesis.accounts[to].account,
          1 + rng() % 3000);
      ++nonces[from];
      history.push_back(tx);
      block.push_back(std::move(tx));
    }
    auto in_memory = executor.ExecuteBlock(memory, block);
    ASSERT_TRUE(in_memory.ok());
    memory.Apply(*in_memory);
    const Digest anchor = Sha256(ByteSpan(reinterpret_cast<const uint8_t*>(&b), sizeof(b)));
    auto on_store = ExecuteAndCommit(**store, executor, anchor, block);
    ASSERT_TRUE(on_store.ok()) << on_store.status();
    ASSERT_EQ(*on_store, *in_memory) << "block " << b;
    for (size_t i = 0; i < block.size(); ++i) {
      const TxResult& r = on_store->results[i];
      if (r.code == TxResultCode::kDuplicate) continue;
      auto stored = (*store)->GetTx(r.id);
      ASSERT_TRUE(stored.ok());
      EXPECT_EQ(*stored, (StoredTx{r.code, r.reason, static_cast<uint64_t>(b), r.index,
                                   block[i].raw}));
    }
    auto meta = (*store)->GetCommit(b);
    ASSERT_TRUE(meta.ok());
    EXPECT_EQ(*meta, (CommitMeta{anchor, static_cast<uint32_t>(block.size()),
                                 in_memory->state_summary}));
    // Resync nonces to the real ones so most transfers stay valid.
    for (int a = 0; a < kAccounts; ++a) {
      auto acct = memory.GetAccount(genesis.accounts[a].account);
      if (acct->has_value()) nonces[a] = (*acct)->next_nonce.value();
    }
  }
  EXPECT_EQ(StoreAccounts(**store), memory.SortedAccounts());
  EXPECT_EQ(*(*store)->StateSummary(), *memory.StateSummary());
  EXPECT_EQ((*store)->last_committed_sequence(), memory.last_committed_sequence());
  EXPECT_GT((*store)->env().map_growths(), 0);
}

}  // namespace
}  // namespace gridledger::storage
