// The market's rules as executed (core/execution/market_exec.h): a reject
// test per rule of every kind, escrow, gate closure, clearing and
// settlement arithmetic with debt, consensus time, and money conservation
// over long random market sequences.
#include "core/execution/market_exec.h"

#include <cstdint>
#include <vector>

#include "core/execution/executor.h"
#include "core/execution/memory_state.h"
#include "gtest/gtest.h"
#include "tests/core/execution/market_workload.h"

namespace gridledger {
namespace {

using testing::DsoKey;
using testing::kMarketSlice;
using testing::MarketTx;
using testing::MeterKey;
using testing::ProsumerKey;

class MarketTest : public ::testing::Test {
 protected:
  MarketTest() : executor_(kMarketSlice, {}, testing::TestMarketConfig()) {
    Fund(DsoKey(), 1'000'000);
    for (uint64_t i = 0; i < 4; ++i) Fund(ProsumerKey(i), 1'000'000);
  }
  void Fund(const PublicKey& k, uint64_t balance) {
    state_.SetAccount(AccountRef{kMarketSlice, k}, AccountState{Amount(balance), Nonce(0)});
    supply_ += balance;
  }
  AccountState Get(const PublicKey& k) const {
    auto got = state_.GetAccount(AccountRef{kMarketSlice, k});
    GL_CHECK(got.ok() && got->has_value());
    return **got;
  }
  uint64_t Balance(const PublicKey& k) const { return Get(k).balance.value(); }
  uint64_t NextNonce(const PublicKey& k) const {
    auto got = state_.GetAccount(AccountRef{kMarketSlice, k});
    GL_CHECK(got.ok());
    return got->has_value() ? (*got)->next_nonce.value() : 0;
  }
  std::vector<TxResult> Run(const std::vector<BlockTx>& block, uint64_t t) {
    auto outcome = executor_.ExecuteBlock(state_, block, t);
    GL_CHECK(outcome.ok());
    state_.Apply(*outcome);
    EXPECT_EQ(testing::MoneyInCirculation(state_), static_cast<int64_t>(supply_));
    return outcome->results;
  }
  // One transaction from `sender` with its next nonce, executed at t.
  TxResult Exec(const PublicKey& sender, TxBody body, uint64_t t) {
    auto results = Run({MarketTx(sender, NextNonce(sender), std::move(body))}, t);
    GL_CHECK(results.size() == 1);
    return results[0];
  }
  BlockTx OrderTx(uint64_t i, OrderSide side, uint64_t interval, uint64_t wh, uint64_t price) {
    return MarketTx(ProsumerKey(i), NextNonce(ProsumerKey(i)),
                    OrderBody{side, IntervalId(interval), EnergyWh(wh), PricePerKwh(price)});
  }
  TxResult Order(uint64_t i, OrderSide side, uint64_t interval, uint64_t wh, uint64_t price,
                 uint64_t t) {
    auto r = Run({OrderTx(i, side, interval, wh, price)}, t);
    return r[0];
  }
  void RegisterAll(uint64_t t = 0) {
    for (uint64_t i = 0; i < 4; ++i) {
      ASSERT_TRUE(Exec(DsoKey(), RegisterBody{ProsumerKey(i), AccountRole::kProsumer, PublicKey()},
                       t).ok());
      ASSERT_TRUE(
          Exec(DsoKey(), RegisterBody{MeterKey(i), AccountRole::kMeter, ProsumerKey(i)}, t).ok());
    }
  }
  void SetTariff(uint64_t fee, uint64_t shortfall, uint64_t surplus, uint64_t t) {
    ASSERT_TRUE(Exec(DsoKey(),
                     SetTariffBody{PricePerKwh(fee), PricePerKwh(shortfall),
                                   PricePerKwh(surplus)},
                     t)
                    .ok());
  }
  // Reads market records of the current state.
  template <typename F>
  auto Read(F f) const {
    Overlay overlay(state_);
    MarketState market(&overlay);
    return f(market);
  }

  Executor executor_;
  MemoryState state_;
  uint64_t supply_ = 0;
};

// ---- REGISTER

TEST_F(MarketTest, RegisterRules) {
  const RegisterBody p0{ProsumerKey(0), AccountRole::kProsumer, PublicKey()};
  EXPECT_EQ(Exec(ProsumerKey(1), p0, 0).code, TxResultCode::kUnauthorized);
  EXPECT_TRUE(Exec(DsoKey(), p0, 0).ok());
  EXPECT_EQ(Exec(DsoKey(), p0, 0).code, TxResultCode::kRoleConflict);  // twice
  EXPECT_EQ(Exec(DsoKey(), RegisterBody{DsoKey(), AccountRole::kProsumer, PublicKey()}, 0).code,
            TxResultCode::kRoleConflict);
  EXPECT_EQ(Exec(DsoKey(), RegisterBody{ProsumerKey(3), AccountRole::kDso, PublicKey()}, 0).code,
            TxResultCode::kRoleConflict);
  // A meter needs a registered prosumer.
  EXPECT_EQ(Exec(DsoKey(), RegisterBody{MeterKey(0), AccountRole::kMeter, ProsumerKey(1)}, 0).code,
            TxResultCode::kNotRegistered);
  EXPECT_TRUE(Exec(DsoKey(), RegisterBody{MeterKey(0), AccountRole::kMeter, ProsumerKey(0)}, 0).ok());
  EXPECT_EQ(Get(MeterKey(0)), (AccountState{Amount(0), Nonce(0)}));  // can now sign
  EXPECT_EQ(Exec(DsoKey(), RegisterBody{MeterKey(0), AccountRole::kMeter, ProsumerKey(0)}, 0).code,
            TxResultCode::kRoleConflict);  // already bound there
  EXPECT_EQ(Exec(DsoKey(), RegisterBody{MeterKey(1), AccountRole::kMeter, ProsumerKey(0)}, 0).code,
            TxResultCode::kRoleConflict);  // the prosumer has a meter
  EXPECT_EQ(Exec(DsoKey(), RegisterBody{MeterKey(0), AccountRole::kProsumer, PublicKey()}, 0).code,
            TxResultCode::kRoleConflict);  // a meter is not a prosumer
  // Explicit re-binding moves the meter.
  ASSERT_TRUE(Exec(DsoKey(), RegisterBody{ProsumerKey(1), AccountRole::kProsumer, PublicKey()}, 0).ok());
  EXPECT_TRUE(Exec(DsoKey(), RegisterBody{MeterKey(0), AccountRole::kMeter, ProsumerKey(1)}, 0).ok());
  Read([](MarketState& m) {
    EXPECT_EQ(*m.MeterOf(ProsumerKey(0)), std::nullopt);
    EXPECT_EQ(*m.MeterOf(ProsumerKey(1)), std::optional<PublicKey>(MeterKey(0)));
    EXPECT_EQ((*m.Role(MeterKey(0)))->bound_prosumer, ProsumerKey(1));
    return 0;
  });
  // Failed transactions consumed no nonce: 6 successes by the DSO.
  EXPECT_EQ(Get(DsoKey()).next_nonce, Nonce(4));
}

// ---- SET_TARIFF

TEST_F(MarketTest, TariffAppliesFromTheNextIntervalAndKeepsHistory) {
  EXPECT_EQ(Exec(ProsumerKey(0), SetTariffBody{PricePerKwh(1), PricePerKwh(1), PricePerKwh(1)},
                 0).code,
            TxResultCode::kUnauthorized);
  SetTariff(10, 20, 30, 1'500);   // committed in interval 1: from interval 2
  SetTariff(11, 21, 31, 4'999);   // interval 4: from 5
  SetTariff(12, 22, 32, 4'000);   // time never goes back: still interval 4, replaces
  Read([](MarketState& m) {
    EXPECT_EQ(*m.TariffFor(1), Tariff{});
    EXPECT_EQ(*m.TariffFor(2), (Tariff{10, 20, 30}));
    EXPECT_EQ(*m.TariffFor(4), (Tariff{10, 20, 30}));
    EXPECT_EQ(*m.TariffFor(5), (Tariff{12, 22, 32}));
    EXPECT_EQ(*m.TariffFor(1'000'000), (Tariff{12, 22, 32}));
    return 0;
  });
}

// ---- ORDER / CANCEL

TEST_F(MarketTest, OrderRulesEscrowAndBounds) {
  RegisterAll();
  SetTariff(50'000, 0, 0, 0);  // from interval 1
  // Unregistered sender (the meter account exists but is no prosumer).
  EXPECT_EQ(Exec(MeterKey(0), OrderBody{OrderSide::kBid, IntervalId(3), EnergyWh(1),
                                        PricePerKwh(1)}, 100).code,
            TxResultCode::kNotRegistered);
  // Gate: interval 3 starts at 3000, gate 200 before: open until t < 2800.
  EXPECT_EQ(Order(0, OrderSide::kBid, 3, 1000, 100'000, 2'800).code, TxResultCode::kGateClosed);
  EXPECT_EQ(Order(0, OrderSide::kBid, 2, 1000, 100'000, 2'800).code, TxResultCode::kGateClosed);
  EXPECT_EQ(Order(0, OrderSide::kBid, 8, 1000, 100'000, 2'800).code,
            TxResultCode::kIntervalTooFar);  // max 4 ahead of interval 2
  const uint64_t before = Balance(ProsumerKey(0));
  ASSERT_TRUE(Order(0, OrderSide::kBid, 4, 1000, 100'000, 2'800).ok());
  // Escrow: 1000 Wh x 100000 / 1000 + 1000 Wh x 50000 / 1000.
  EXPECT_EQ(Balance(ProsumerKey(0)), before - 100'000 - 50'000);
  EXPECT_EQ(Order(0, OrderSide::kAsk, 4, 1000, 1, 2'800).code,
            TxResultCode::kOneSidePerInterval);
  EXPECT_EQ(Order(0, OrderSide::kBid, 5, 1'000'000, 1'000'000'000, 2'800).code,
            TxResultCode::kInsufficientBalance);
  // Open orders per account: max 6.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Order(0, OrderSide::kBid, 5, 1, 1, 2'800).ok());
  const TxResult over = Order(0, OrderSide::kBid, 5, 1, 1, 2'800);
  EXPECT_EQ(over.code, TxResultCode::kOrderLimit);
  EXPECT_NE(over.reason.find("max_open_orders_per_account 6"), std::string::npos) << over.reason;
  Read([](MarketState& m) {
    EXPECT_EQ(*m.OpenOrders(ProsumerKey(0)), 6u);
    EXPECT_EQ(*m.Meta(MarketMeta::kTotalEscrow), 150'000u + 5 * (1 * 50'000 / 1000));
    return 0;
  });
}

TEST_F(MarketTest, OrdersPerIntervalAreBounded) {
  RegisterAll();
  MarketConfig tight = testing::TestMarketConfig();
  tight.limits.max_orders_per_interval = 3;
  executor_ = Executor(kMarketSlice, {}, tight);
  for (uint64_t i = 0; i < 3; ++i) ASSERT_TRUE(Order(i, OrderSide::kAsk, 3, 1, 1, 100).ok());
  const TxResult full = Order(3, OrderSide::kAsk, 3, 1, 1, 100);
  EXPECT_EQ(full.code, TxResultCode::kOrderLimit);
  EXPECT_NE(full.reason.find("max_orders_per_interval 3"), std::string::npos) << full.reason;
  EXPECT_TRUE(Order(3, OrderSide::kAsk, 4, 1, 1, 100).ok());  // another interval
}

TEST_F(MarketTest, CancelRulesReleaseTheEscrow) {
  RegisterAll();
  const uint64_t before = Balance(ProsumerKey(1));
  BlockTx order = OrderTx(1, OrderSide::kBid, 4, 2'000, 30'000);
  ASSERT_TRUE(Run({order}, 100)[0].ok());
  EXPECT_EQ(Balance(ProsumerKey(1)), before - 60'000);
  EXPECT_EQ(Exec(ProsumerKey(2), CancelBody{order.id}, 100).code, TxResultCode::kUnauthorized);
  EXPECT_EQ(Exec(ProsumerKey(1), CancelBody{TxId(ProsumerKey(9).bytes)}, 100).code,
            TxResultCode::kUnknownOrder);
  EXPECT_TRUE(Exec(ProsumerKey(1), CancelBody{order.id}, 3'799).ok());
  EXPECT_EQ(Balance(ProsumerKey(1)), before);
  EXPECT_EQ(Exec(ProsumerKey(1), CancelBody{order.id}, 3'799).code, TxResultCode::kUnknownOrder);
  // After the gate closes a cancel is refused (the order then clears).
  BlockTx late = OrderTx(1, OrderSide::kBid, 5, 1'000, 10'000);
  ASSERT_TRUE(Run({late}, 3'799)[0].ok());
  ASSERT_TRUE(Run({OrderTx(2, OrderSide::kAsk, 5, 10, 10'000)}, 3'799)[0].ok());
  // At 4800 interval 5's gate has closed and it cleared at the block's start.
  EXPECT_EQ(Exec(ProsumerKey(1), CancelBody{late.id}, 4'800).code, TxResultCode::kUnknownOrder);
  Read([](MarketState& m) {
    EXPECT_EQ((*m.Interval(5))->cleared_wh, 10u);
    return 0;
  });
}

TEST_F(MarketTest, CancelAfterTheGateInTheSameBlockAsClearingIsGateClosedOrUnknown) {
  RegisterAll();
  BlockTx order = OrderTx(1, OrderSide::kAsk, 4, 1'000, 10'000);
  ASSERT_TRUE(Run({order}, 100)[0].ok());
  // 3800 is the gate of interval 4; it clears at the start of this block.
  EXPECT_EQ(Exec(ProsumerKey(1), CancelBody{order.id}, 3'800).code, TxResultCode::kUnknownOrder);
}

// ---- Clearing in execution

TEST_F(MarketTest, ClearingMovesMoneyPaysTheGridFeeAndReturnsTheRestOfTheEscrow) {
  RegisterAll();
  SetTariff(10'000, 0, 0, 0);  // 10000 micro-units per kWh from interval 1
  const uint64_t b0 = Balance(ProsumerKey(0));
  const uint64_t b1 = Balance(ProsumerKey(1));
  const uint64_t b2 = Balance(ProsumerKey(2));
  const uint64_t b3 = Balance(ProsumerKey(3));
  const uint64_t dso = Balance(DsoKey());
  auto r = Run({OrderTx(0, OrderSide::kBid, 3, 100, 300'000), OrderTx(1, OrderSide::kBid, 3, 50, 200'000),
                OrderTx(2, OrderSide::kAsk, 3, 80, 100'000), OrderTx(3, OrderSide::kAsk, 3, 100, 250'000)},
               100);
  for (const TxResult& x : r) ASSERT_TRUE(x.ok()) << x.reason;
  Run({}, 2'800);  // gate closure of interval 3
  // Trades: 80 Wh 0<-2, 20 Wh 0<-3 at floor((300000+250000)/2) = 275000.
  const uint64_t paid80 = 80 * 275'000 / 1000;  // 22000
  const uint64_t paid20 = 20 * 275'000 / 1000;  // 5500
  const uint64_t fee = 80 * 10'000 / 1000 + 20 * 10'000 / 1000;
  EXPECT_EQ(Balance(ProsumerKey(0)), b0 - paid80 - paid20 - fee);
  EXPECT_EQ(Balance(ProsumerKey(1)), b1);  // nothing traded: all escrow back
  EXPECT_EQ(Balance(ProsumerKey(2)), b2 + paid80);
  EXPECT_EQ(Balance(ProsumerKey(3)), b3 + paid20);
  EXPECT_EQ(Balance(DsoKey()), dso + fee);
  Read([&](MarketState& m) {
    const IntervalRecord k = **m.Interval(3);
    EXPECT_EQ(k.price, std::optional<uint64_t>(275'000));
    EXPECT_EQ(k.cleared_wh, 100u);
    EXPECT_EQ(k.orders, 4u);
    EXPECT_EQ(k.trades, 2u);
    EXPECT_EQ(*m.Meta(MarketMeta::kTotalEscrow), 0u);
    EXPECT_EQ(*m.OpenOrders(ProsumerKey(0)), 0u);
    EXPECT_EQ(m.Trades(3)->size(), 2u);
    EXPECT_EQ(*m.PositionOf(3, ProsumerKey(0)), (Position{100, 0}));
    EXPECT_EQ(*m.PositionOf(3, ProsumerKey(3)), (Position{0, 20}));
    return 0;
  });
}

// ---- METER_READING and settlement

TEST_F(MarketTest, ReadingRules) {
  RegisterAll();
  const MeterReadingBody reading{ProsumerKey(0), IntervalId(3), EnergyWh(10), EnergyWh(0)};
  const MeterReadingBody early{ProsumerKey(0), IntervalId(3), EnergyWh(11), EnergyWh(0)};
  EXPECT_EQ(Exec(MeterKey(0), early, 3'999).code, TxResultCode::kOutsideReadingWindow);
  EXPECT_EQ(Exec(ProsumerKey(1), reading, 4'000).code, TxResultCode::kNotRegistered);
  EXPECT_EQ(Exec(MeterKey(1), reading, 4'000).code, TxResultCode::kUnauthorized);
  // Interval 3 ends at 4000; window 1500: accepted while t < 5500.
  EXPECT_TRUE(Exec(MeterKey(0), reading, 4'000).ok());
  EXPECT_EQ(Exec(MeterKey(0), reading, 4'000).code, TxResultCode::kDuplicateReading);
  const MeterReadingBody late{ProsumerKey(0), IntervalId(2), EnergyWh(10), EnergyWh(0)};
  Run({}, 4'500);
  EXPECT_EQ(Exec(MeterKey(0), late, 4'500).code, TxResultCode::kOutsideReadingWindow);
}

TEST_F(MarketTest, SettlementImbalanceMissingReadingAndDebt) {
  RegisterAll();
  SetTariff(0, 400'000, 100'000, 0);
  // Prosumer 0 sells 1000 Wh to prosumer 1 in interval 3 at 100000.
  ASSERT_TRUE(Order(0, OrderSide::kAsk, 3, 1'000, 100'000, 100).ok());
  ASSERT_TRUE(Order(1, OrderSide::kBid, 3, 1'000, 100'000, 100).ok());
  Run({}, 2'800);
  // Prosumer 0 exported only 400 Wh: shortfall 600 Wh. Prosumer 1 imported
  // 700 Wh of its 1000 bought: delivered -700, contracted -1000: surplus 300.
  // Prosumer 2 did not trade but its meter reports exporting 50 Wh.
  ASSERT_TRUE(Exec(MeterKey(0), MeterReadingBody{ProsumerKey(0), IntervalId(3), EnergyWh(0),
                                                EnergyWh(400)}, 4'100).ok());
  ASSERT_TRUE(Exec(MeterKey(1), MeterReadingBody{ProsumerKey(1), IntervalId(3), EnergyWh(700),
                                                EnergyWh(0)}, 4'100).ok());
  ASSERT_TRUE(Exec(MeterKey(2), MeterReadingBody{ProsumerKey(2), IntervalId(3), EnergyWh(0),
                                                EnergyWh(50)}, 4'100).ok());
  // Prosumer 0 spends almost everything first: the shortfall charge leaves debt.
  const uint64_t keep = 100;
  ASSERT_TRUE(Exec(ProsumerKey(0), TransferBody{AccountRef{kMarketSlice, ProsumerKey(3)},
                                                Amount(Balance(ProsumerKey(0)) - keep)}, 4'100).ok());
  const uint64_t dso = Balance(DsoKey());
  const uint64_t b1 = Balance(ProsumerKey(1));
  const uint64_t b2 = Balance(ProsumerKey(2));
  Run({}, 5'500);  // reading window of interval 3 closes
  const uint64_t shortfall = 600 * 400'000 / 1000;  // 240000
  EXPECT_EQ(Balance(ProsumerKey(0)), 0u);
  // In debt: no new orders (asks need no escrow, so this is the only stop).
  EXPECT_EQ(Order(0, OrderSide::kAsk, 8, 10, 0, 5'500).code, TxResultCode::kInsufficientBalance);
  EXPECT_EQ(Balance(ProsumerKey(1)), b1 + 300 * 100'000 / 1000);
  EXPECT_EQ(Balance(ProsumerKey(2)), b2 + 50 * 100'000 / 1000);
  EXPECT_EQ(Balance(DsoKey()), dso + shortfall - 30'000 - 5'000);
  Read([&](MarketState& m) {
    EXPECT_EQ(*m.Debt(ProsumerKey(0)), shortfall - keep);
    EXPECT_EQ(*m.Meta(MarketMeta::kTotalDebt), shortfall - keep);
    EXPECT_EQ(**m.Settlement(3, ProsumerKey(0)), (SettlementRecord{400, 1'000, -600, shortfall, 0}));
    EXPECT_EQ(**m.Settlement(3, ProsumerKey(1)), (SettlementRecord{-700, -1'000, 300, 30'000, 0}));
    EXPECT_EQ((*m.Interval(3))->status, IntervalStatus::kSettled);
    return 0;
  });
  // A later credit repays the debt first.
  ASSERT_TRUE(Exec(ProsumerKey(3), TransferBody{AccountRef{kMarketSlice, ProsumerKey(0)},
                                                Amount(shortfall)}, 5'600).ok());
  EXPECT_EQ(Balance(ProsumerKey(0)), keep);
  Read([](MarketState& m) {
    EXPECT_EQ(*m.Debt(ProsumerKey(0)), 0u);
    return 0;
  });
}

TEST_F(MarketTest, TradesWithoutAReadingSettleAsMissingReading) {
  RegisterAll();
  SetTariff(0, 1'000, 1'000, 0);
  ASSERT_TRUE(Order(0, OrderSide::kAsk, 3, 500, 0, 100).ok());
  ASSERT_TRUE(Order(1, OrderSide::kBid, 3, 500, 2'000, 100).ok());
  Run({}, 5'500);  // clears and, the window already closed, settles at once
  Read([](MarketState& m) {
    const SettlementRecord s0 = **m.Settlement(3, ProsumerKey(0));
    EXPECT_EQ(s0.flags, kSettlementMissingReading);
    EXPECT_EQ(s0.imbalance_wh, -500);  // sold 500, delivered 0
    EXPECT_EQ(s0.amount, 500u);
    const SettlementRecord s1 = **m.Settlement(3, ProsumerKey(1));
    EXPECT_EQ(s1.imbalance_wh, 500);
    return 0;
  });
}

// ---- Consensus time and nonces

TEST_F(MarketTest, ConsensusTimeNeverGoesBack) {
  RegisterAll(5'000);
  // Executed at 100 < 5000: the block runs at 5000, so interval 5's gate is closed.
  EXPECT_EQ(Order(0, OrderSide::kBid, 5, 1, 1, 100).code, TxResultCode::kGateClosed);
  EXPECT_TRUE(Order(0, OrderSide::kBid, 6, 1, 1, 100).ok());
}

TEST_F(MarketTest, AMarketTransactionAheadIsHeldAndRunsWhenTheGapFills) {
  RegisterAll();
  const uint64_t n = NextNonce(ProsumerKey(0));
  const BlockTx ahead = MarketTx(ProsumerKey(0), n + 1,
                                 OrderBody{OrderSide::kBid, IntervalId(4), EnergyWh(1'000),
                                           PricePerKwh(10'000)});
  EXPECT_EQ(Run({ahead}, 100)[0].code, TxResultCode::kHeld);
  const uint64_t before = Balance(ProsumerKey(0));
  auto outcome = executor_.ExecuteBlock(
      state_,
      {MarketTx(ProsumerKey(0), n,
                OrderBody{OrderSide::kBid, IntervalId(3), EnergyWh(1'000), PricePerKwh(10'000)})},
      100);
  ASSERT_TRUE(outcome.ok());
  ASSERT_EQ(outcome->released.size(), 1u);
  EXPECT_EQ(outcome->released[0].result, (TxResult{ahead.id, 1, TxResultCode::kSuccess, ""}));
  state_.Apply(*outcome);
  EXPECT_EQ(Balance(ProsumerKey(0)), before - 2 * 10'000);  // both bids escrowed
  EXPECT_EQ(NextNonce(ProsumerKey(0)), n + 2);
  // A DSO without an account cannot have a transaction held.
  MemoryState bare;
  auto dso = Executor(kMarketSlice, {}, testing::TestMarketConfig())
                 .ExecuteBlock(bare, {MarketTx(DsoKey(), 1, SetTariffBody{})}, 0);
  ASSERT_TRUE(dso.ok());
  EXPECT_EQ(dso->results[0].code, TxResultCode::kNonceNotNext);
}

// ---- Properties

TEST(MarketPropertyTest, MoneyAndEnergyAreConservedOverLongRandomMarkets) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    testing::MarketWorkload workload(seed, 8);
    MemoryState state;
    const int64_t supply = static_cast<int64_t>(workload.Fund(&state));
    const Executor executor(kMarketSlice, {}, testing::TestMarketConfig());
    absl::flat_hash_map<TxResultCode, int> seen;
    uint64_t now = 0;
    uint64_t given = 0;
    auto run = [&](const std::vector<BlockTx>& block) {
      auto outcome = executor.ExecuteBlock(state, block, given);
      ASSERT_TRUE(outcome.ok()) << outcome.status();
      for (const TxResult& r : outcome->results) ++seen[r.code];
      state.Apply(*outcome);
      ASSERT_EQ(testing::MoneyInCirculation(state), supply) << "seed " << seed;
    };
    run(workload.Setup());
    for (int b = 0; b < 400; ++b) {
      given = workload.NextTime(now);
      now = std::max(now, given);
      run(workload.Next(state, now));
    }
    // Escrow and debt totals equal their records; energy bought = sold.
    Overlay overlay(state);
    MarketState market(&overlay);
    uint64_t escrow = 0;
    uint64_t debt = 0;
    uint64_t cleared = 0;
    uint64_t intervals_with_trades = 0;
    auto u64_at = [](const Bytes& v, size_t offset) {
      uint64_t n = 0;
      for (size_t i = 0; i < 8; ++i) n = n << 8 | v[offset + i];
      return n;
    };
    for (const auto& [key, value] : state.market()) {
      if (key[0] == 'O') escrow += u64_at(value, 32 + 1 + 8 + 8);  // owner side energy limit
      if (key[0] == 'D') debt += u64_at(value, 0);
    }
    for (uint64_t k = 1; k <= now / 1000 + 5; ++k) {
      auto rec = *market.Interval(k);
      if (!rec.has_value()) continue;
      uint64_t bought = 0;
      uint64_t sold = 0;
      const auto positions = market.Positions(k);  // the StatusOr outlives the loop
      ASSERT_TRUE(positions.ok());
      for (const auto& [account, p] : *positions) {
        bought += p.bought_wh;
        sold += p.sold_wh;
      }
      EXPECT_EQ(bought, rec->cleared_wh) << "seed " << seed << " interval " << k;
      EXPECT_EQ(sold, rec->cleared_wh) << "seed " << seed << " interval " << k;
      cleared += rec->cleared_wh;
      if (rec->trades > 0) ++intervals_with_trades;
    }
    EXPECT_EQ(escrow, *market.Meta(MarketMeta::kTotalEscrow)) << "seed " << seed;
    EXPECT_EQ(debt, *market.Meta(MarketMeta::kTotalDebt)) << "seed " << seed;
    EXPECT_GT(cleared, 0u) << "seed " << seed;
    EXPECT_GE(intervals_with_trades, 5u) << "seed " << seed;
    for (TxResultCode code :
         {TxResultCode::kSuccess, TxResultCode::kGateClosed, TxResultCode::kOneSidePerInterval,
          TxResultCode::kUnknownOrder, TxResultCode::kOutsideReadingWindow,
          TxResultCode::kDuplicateReading, TxResultCode::kUnauthorized,
          TxResultCode::kInsufficientBalance, TxResultCode::kHeld}) {
      EXPECT_GT(seen[code], 0) << "seed " << seed << " never saw " << TxResultCodeName(code);
    }
  }
}

TEST(MarketPropertyTest, ExecutionIsDeterministic) {
  auto run = [] {
    testing::MarketWorkload workload(99, 6);
    MemoryState state;
    workload.Fund(&state);
    const Executor executor(kMarketSlice, {}, testing::TestMarketConfig());
    uint64_t now = 0;
    auto outcome = executor.ExecuteBlock(state, workload.Setup(), 0);
    GL_CHECK(outcome.ok());
    state.Apply(*outcome);
    for (int b = 0; b < 150; ++b) {
      now += 97;
      outcome = executor.ExecuteBlock(state, workload.Next(state, now), now);
      GL_CHECK(outcome.ok());
      state.Apply(*outcome);
    }
    return std::make_pair(*state.StateSummary(), state.market());
  };
  EXPECT_EQ(run(), run());
}

// The total debt is the sum of the accounts' debts (Credit and Debit move
// both), so a credit reads an account's debt only while the total is above
// zero. A total below an account's debt is a corrupt store: the credit says
// so instead of wrapping the total around.
TEST(MarketRunTest, ACreditAgainstATotalBelowTheAccountsDebtIsDataLoss) {
  MemoryState base;
  Overlay overlay(base);
  const MarketConfig config;
  MarketRun run(kMarketSlice, config, &overlay, 0);
  run.state().PutDebt(ProsumerKey(0), 10);
  run.state().PutMeta(MarketMeta::kTotalDebt, 5);
  EXPECT_EQ(run.Credit(ProsumerKey(0), 3).code(), absl::StatusCode::kDataLoss);
  // Consistent again: the credit repays the debt first, and the rest of a
  // larger one reaches the balance.
  run.state().PutMeta(MarketMeta::kTotalDebt, 10);
  ASSERT_TRUE(run.Credit(ProsumerKey(0), 3).ok());
  EXPECT_EQ(*run.state().Debt(ProsumerKey(0)), 7u);
  EXPECT_EQ(*run.state().Meta(MarketMeta::kTotalDebt), 7u);
  ASSERT_TRUE(run.Credit(ProsumerKey(0), 9).ok());
  EXPECT_EQ(*run.state().Debt(ProsumerKey(0)), 0u);
  EXPECT_EQ(*run.state().Meta(MarketMeta::kTotalDebt), 0u);
  absl::StatusOr<std::optional<AccountState>> account =
      overlay.Get(AccountRef{kMarketSlice, ProsumerKey(0)});
  ASSERT_TRUE(account.ok());
  ASSERT_TRUE(account->has_value());
  EXPECT_EQ((*account)->balance, Amount(2));
}

}  // namespace
}  // namespace gridledger
