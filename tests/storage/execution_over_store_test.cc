// The same blocks executed over MemoryState and over the LMDB node store give
// identical results, outcomes and state, across a store restart.
#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "core/crypto/schnorr.h"
#include "core/execution/executor.h"
#include "core/execution/genesis.h"
#include "core/execution/memory_state.h"
#include "gtest/gtest.h"
#include "storage/account_store.h"
#include "storage/block_commit.h"
#include "storage/genesis_seed.h"
#include "storage/node_store.h"
#include "tests/core/execution/block_builder.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::storage {
namespace {

constexpr SliceId kSlice(0);
constexpr int kAccounts = 30;

Genesis MakeStoreGenesis() {
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

MemoryState GenesisMemoryState(const Genesis& genesis) {
  MemoryState memory(GenesisStateSummary(genesis, kSlice));
  for (const GenesisAccount& a : GenesisAccountsOf(genesis, kSlice)) {
    memory.SetAccount(a.account, AccountState{a.balance, Nonce(0)});
  }
  return memory;
}

// The store's nonce hold as (key, id, held sequence), sorted by key, as
// MemoryState::SortedHeld lists it.
std::vector<std::tuple<HeldKey, TxId, uint64_t>> StoreHeld(NodeStore& store) {
  auto view = store.Snapshot();
  GL_CHECK(view.ok());
  auto held = (*view)->HeldUpTo(UINT64_MAX);
  GL_CHECK(held.ok());
  GL_CHECK(*(*view)->HeldCount() == held->size());
  std::vector<std::tuple<HeldKey, TxId, uint64_t>> out;
  for (const HeldTx& h : *held) out.emplace_back(h.key(), h.btx.id, h.held_sequence);
  std::sort(out.begin(), out.end());
  return out;
}

uint64_t TotalBalance(const std::vector<std::pair<AccountRef, AccountState>>& accounts) {
  uint64_t sum = 0;
  for (const auto& entry : accounts) sum += entry.second.balance.value();
  return sum;
}

std::vector<std::pair<AccountRef, AccountState>> StoreAccounts(NodeStore& store) {
  std::vector<std::pair<AccountRef, AccountState>> out;
  auto txn = store.env().BeginRead();
  GL_CHECK(txn.ok());
  // The logical table: accounts merged with the commits' acct_log.
  GL_CHECK(ForEachAccount(*txn, store.tables(), [&](ByteSpan key, ByteSpan record) {
             out.emplace_back(*DecodeAccountKey(key), *DecodeAccountRecord(record));
             return absl::OkStatus();
           }).ok());
  return out;
}

TEST(ExecutionOverStoreTest, MemoryAndLmdbAgreeOnResultsAndState) {
  TempDir dir;
  LmdbOptions options;
  options.dir = dir.path();
  options.initial_map_size_bytes = 128 << 10;  // grows during the run
  const Genesis genesis = MakeStoreGenesis();

  MemoryState memory = GenesisMemoryState(genesis);
  auto store = NodeStore::Open(options);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(SeedFromGenesis(**store, genesis, kSlice).ok());
  ASSERT_EQ(StoreAccounts(**store), memory.SortedAccounts());

  const Executor executor(kSlice);
  const uint64_t total = TotalBalance(memory.SortedAccounts());
  int held_results = 0;
  int released_results = 0;
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
    absl::flat_hash_set<TxId> released;
    std::vector<TxId> released_ids;
    for (const ReleasedTx& r : on_store->released) {
      released.insert(r.result.id);
      released_ids.push_back(r.result.id);
      ++released_results;
      auto stored = (*store)->GetTx(r.result.id);
      ASSERT_TRUE(stored.ok());
      EXPECT_EQ(*stored, (StoredTx{r.result.code, r.result.reason, static_cast<uint64_t>(b),
                                   r.result.index, r.raw}));
    }
    EXPECT_EQ(*(*store)->ReleasedTxIds(b), released_ids);
    for (size_t i = 0; i < block.size(); ++i) {
      const TxResult& r = on_store->results[i];
      if (r.code == TxResultCode::kDuplicate || released.contains(r.id)) continue;
      if (r.code == TxResultCode::kHeld) ++held_results;
      auto stored = (*store)->GetTx(r.id);
      ASSERT_TRUE(stored.ok());
      EXPECT_EQ(*stored, (StoredTx{r.code, r.reason, static_cast<uint64_t>(b), r.index,
                                   block[i].raw}));
    }
    ASSERT_EQ(StoreHeld(**store), memory.SortedHeld()) << "block " << b;
    ASSERT_EQ(TotalBalance(StoreAccounts(**store)), total) << "block " << b;
    auto meta = (*store)->GetCommit(b);
    ASSERT_TRUE(meta.ok());
    EXPECT_EQ(*meta, (CommitMeta{anchor, static_cast<uint32_t>(block.size() + in_memory->released.size()),
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
  // The run really held and released transactions.
  EXPECT_GT(held_results, 0);
  EXPECT_GT(released_results, 0);
}

// A nonce gap held across a store restart: released when a later commit
// fills it, or expired after exactly hold_commits commits; memory and LMDB
// agree at every step and money is conserved.
TEST(ExecutionOverStoreTest, NonceHoldSurvivesRestartThenReleasesAndExpires) {
  TempDir dir;
  LmdbOptions options;
  options.dir = dir.path();
  const Genesis genesis = MakeStoreGenesis();
  MemoryState memory = GenesisMemoryState(genesis);
  auto store = NodeStore::Open(options);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(SeedFromGenesis(**store, genesis, kSlice).ok());
  const uint64_t total = TotalBalance(memory.SortedAccounts());
  constexpr uint64_t kHoldCommits = 3;
  const Executor executor(kSlice, NonceHoldLimits{.hold_commits = kHoldCommits});
  const AccountRef a = genesis.accounts[0].account, b = genesis.accounts[1].account;
  auto pay = [&](const AccountRef& from, uint64_t nonce, uint64_t amount) {
    return ::gridledger::testing::Transfer(kSlice, from.key, nonce, b, amount);
  };
  const BlockTx a1 = pay(a, 1, 100), a2 = pay(a, 2, 200), b5 = pay(b, 5, 1);
  auto commit = [&](const std::vector<BlockTx>& block) {
    auto in_memory = executor.ExecuteBlock(memory, block);
    GL_CHECK(in_memory.ok());
    memory.Apply(*in_memory);
    auto on_store = ExecuteAndCommit(**store, executor, Digest(), block);
    GL_CHECK(on_store.ok());
    EXPECT_EQ(*on_store, *in_memory);
    EXPECT_EQ(*(*store)->StateSummary(), *memory.StateSummary());
    EXPECT_EQ(StoreHeld(**store), memory.SortedHeld());
    EXPECT_EQ(StoreAccounts(**store), memory.SortedAccounts());
    EXPECT_EQ(TotalBalance(StoreAccounts(**store)), total);
    return *std::move(on_store);
  };

  commit({a1, a2, b5});  // commit 1: all three held
  EXPECT_EQ((*store)->GetTx(a1.id)->status(), TxStatus::kHeld);
  EXPECT_EQ((*store)->GetTx(b5.id)->commit_sequence, 1u);
  store->reset();
  store = NodeStore::Open(options);
  ASSERT_TRUE(store.ok());
  ASSERT_EQ(StoreHeld(**store).size(), 3u);
  ASSERT_EQ(StoreHeld(**store), memory.SortedHeld());

  BlockOutcome filled = commit({pay(a, 0, 10)});  // commit 2 fills a's gap
  ASSERT_EQ(filled.released.size(), 2u);
  auto stored = (*store)->GetTx(a2.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, (StoredTx{TxResultCode::kSuccess, "", 2, 2, a2.raw}));
  EXPECT_EQ(*(*store)->ReleasedTxIds(2), (std::vector<TxId>{a1.id, a2.id}));
  EXPECT_EQ((*store)->GetTx(b5.id)->status(), TxStatus::kHeld);

  commit({});  // commit 3
  EXPECT_EQ((*store)->GetTx(b5.id)->status(), TxStatus::kHeld);
  BlockOutcome expired = commit({});  // commit 4 = 1 + kHoldCommits
  ASSERT_EQ(expired.released.size(), 1u);
  stored = (*store)->GetTx(b5.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->code, TxResultCode::kNonceGapExpired);
  EXPECT_EQ(stored->commit_sequence, 4u);
  EXPECT_EQ(*(*store)->ReleasedTxIds(4), (std::vector<TxId>{b5.id}));
  EXPECT_TRUE(StoreHeld(**store).empty());
  EXPECT_TRUE((*store)->ReleasedTxIds(3)->empty());
}

}  // namespace
}  // namespace gridledger::storage
