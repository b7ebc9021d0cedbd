// The store side of the cluster's market report: figures read from real LMDB
// stores, the money check against the genesis supply, and stores that
// disagree are counted.
#include "tools/loadgen/market_report.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "core/crypto/schnorr.h"
#include "core/execution/market_state.h"
#include "core/execution/memory_state.h"
#include "core/execution/overlay.h"
#include "storage/genesis_seed.h"
#include "storage/node_store.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::loadgen {
namespace {

const SliceId kSlice(0);

Genesis TwoAccountGenesis() {
  Genesis g;
  g.dso = KeyPair::FromSeed(1).public_key();
  GenesisSlice slice;
  slice.id = kSlice;
  slice.validators.push_back(
      GenesisValidator{KeyPair::FromSeed(2).public_key(), "127.0.0.1", 9000});
  g.slices.push_back(slice);
  g.accounts.push_back(GenesisAccount{AccountRef{kSlice, KeyPair::FromSeed(3).public_key()},
                                      Amount(100)});
  g.accounts.push_back(GenesisAccount{AccountRef{kSlice, KeyPair::FromSeed(4).public_key()},
                                      Amount(200)});
  return g;
}

std::unique_ptr<storage::NodeStore> SeededStore(const std::string& dir, const Genesis& g) {
  storage::LmdbOptions options;
  options.dir = dir;
  auto store = storage::NodeStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return nullptr;
  EXPECT_TRUE(storage::SeedFromGenesis(**store, g, kSlice).ok());
  return *std::move(store);
}

// Commit 1 on `store`: account 3's balance set to `balance`, and interval 5
// recorded as cleared at `price` with 2 trades.
void CommitOne(storage::NodeStore& store, const Genesis& g, uint64_t balance, uint64_t price) {
  MemoryState memory;
  Overlay overlay(memory);
  MarketState market(&overlay);
  market.PutInterval(5, IntervalRecord{IntervalStatus::kSettled, price, 1500, 4, 2, 0});
  auto changes = overlay.MarketChanges();
  ASSERT_TRUE(changes.ok());
  storage::BlockWrite block;
  block.sequence = 1;
  block.accounts.push_back({g.accounts[0].account, AccountState{Amount(balance), Nonce(0)}});
  block.market = *changes;
  ASSERT_TRUE(store.CommitBlock(block).ok());
}

TEST(MarketReportStores, SeededStoresConserveMoneyAndAgree) {
  const Genesis g = TwoAccountGenesis();
  storage::TempDir a, b;
  SeededStore(a.path(), g).reset();
  SeededStore(b.path(), g).reset();
  auto report = ReadMarketFromStores({{a.path(), b.path()}}, g);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->done);
  EXPECT_TRUE(report->money_conserved);
  EXPECT_EQ(report->stores, 2u);
  EXPECT_EQ(report->intervals_cleared, 0u);
  EXPECT_EQ(report->disagreements, 0u);
}

TEST(MarketReportStores, ReadsClearedIntervalsFromEveryStore) {
  const Genesis g = TwoAccountGenesis();
  storage::TempDir a, b;
  for (const std::string& dir : {a.path(), b.path()}) {
    auto store = SeededStore(dir, g);
    ASSERT_NE(store, nullptr);
    CommitOne(*store, g, 100, 120'000);
  }
  auto report = ReadMarketFromStores({{a.path(), b.path()}}, g);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->money_conserved);
  EXPECT_EQ(report->disagreements, 0u);
  EXPECT_EQ(report->intervals_cleared, 1u);
  EXPECT_EQ(report->settled_intervals, 1u);
  EXPECT_EQ(report->trades, 2u);
  EXPECT_EQ(report->orders, 4u);
  EXPECT_EQ(report->cleared_wh, 1500u);
  EXPECT_EQ(report->price_min, 120'000u);
  ASSERT_EQ(report->intervals.size(), 1u);
  EXPECT_EQ(report->intervals[0].interval, 5u);
}

// A store whose balances no longer sum to the supply fails the money check,
// named; one whose market records differ from validator 0's is counted.
TEST(MarketReportStores, MoneyOutOfThinAirAndDisagreementAreFound) {
  const Genesis g = TwoAccountGenesis();
  storage::TempDir a, b;
  {
    auto store = SeededStore(a.path(), g);
    ASSERT_NE(store, nullptr);
    CommitOne(*store, g, 100, 120'000);
  }
  {
    auto store = SeededStore(b.path(), g);
    ASSERT_NE(store, nullptr);
    CommitOne(*store, g, 150, 130'000);  // 50 created; another price
  }
  auto report = ReadMarketFromStores({{a.path(), b.path()}}, g);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->money_conserved);
  ASSERT_EQ(report->money_errors.size(), 1u);
  EXPECT_NE(report->money_errors[0].find("validator 1"), std::string::npos);
  EXPECT_NE(report->money_errors[0].find("350"), std::string::npos) << report->money_errors[0];
  EXPECT_EQ(report->disagreements, 1u);
  EXPECT_EQ(report->price_min, 120'000u);  // validator 0's figures
}

}  // namespace
}  // namespace gridledger::loadgen
