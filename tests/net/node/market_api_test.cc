// The DSO market API without a network: the worked example of docs/market.md
// (I = 1000 ms, gate 200 ms, window 1500 ms) executed into a real LMDB node
// store commit by commit, each outcome published to a MarketEventLog, then
// MarketService answers read from that store and the events checked against
// what execution did.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "core/crypto/sha256.h"
#include "gtest/gtest.h"
#include "net/node/market_events.h"
#include "net/node/market_service.h"
#include "storage/block_commit.h"
#include "storage/node_store.h"
#include "tests/core/execution/market_workload.h"
#include "tests/storage/temp_dir.h"

namespace gridledger::node {
namespace {

namespace v1 = gridledger::v1;
using ::gridledger::testing::DsoKey;
using ::gridledger::testing::kMarketSlice;
using ::gridledger::testing::MarketTx;
using ::gridledger::testing::MeterKey;
using ::gridledger::testing::ProsumerKey;
using ::gridledger::testing::TestMarketConfig;

std::string Str(const PublicKey& k) {
  return std::string(reinterpret_cast<const char*>(k.span().data()), k.span().size());
}
std::string Str(const TxId& id) {
  return std::string(reinterpret_cast<const char*>(id.span().data()), id.span().size());
}

BlockTx Order(uint64_t p, uint64_t nonce, OrderSide side, uint64_t interval, uint64_t wh,
              uint64_t price) {
  return MarketTx(ProsumerKey(p), nonce,
                  OrderBody{side, IntervalId(interval), EnergyWh(wh), PricePerKwh(price)});
}

// A node store and the market's read side over it, fed block by block.
class MarketApiTest : public ::testing::Test {
 protected:
  MarketApiTest() : executor_(kMarketSlice, {}, TestMarketConfig()) {
    storage::LmdbOptions options;
    options.dir = dir_.path();
    options.initial_map_size_bytes = 256 << 10;
    auto store = storage::NodeStore::Open(options);
    GL_CHECK(store.ok());
    store_ = std::move(*store);
    std::vector<std::pair<AccountRef, AccountState>> accounts;
    for (const PublicKey& k : {DsoKey(), ProsumerKey(0), ProsumerKey(1), ProsumerKey(2),
                               ProsumerKey(3)}) {
      accounts.emplace_back(AccountRef{kMarketSlice, k}, AccountState{Amount(1'000'000), Nonce(0)});
    }
    std::sort(accounts.begin(), accounts.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    GL_CHECK(store_->SeedGenesis(Digest(), Digest(), accounts).ok());
    auto log = MarketEventLogFor(kMarketSlice, TestMarketConfig(), store_.get());
    GL_CHECK(log.ok());
    log_ = std::move(*log);
    service_ = std::make_unique<MarketService>(kMarketSlice, TestMarketConfig(), store_.get(),
                                               log_.get());
  }

  // Executes and commits `block` at consensus time t; the log hears of it.
  std::vector<TxResult> Commit(const std::vector<BlockTx>& block, uint64_t t) {
    const uint64_t sequence = store_->last_committed_sequence() + 1;
    auto outcome = storage::ExecuteAndCommit(*store_, executor_, Sha256(U64Be(sequence)), block, t);
    GL_CHECK(outcome.ok());
    log_->Publish(sequence, block, *outcome);
    return outcome->results;
  }

  // The worked example up to the gate of interval 3; returns P1's order for
  // interval 4 (cancelled in commit 3).
  TxId OrdersPlaced() {
    const PublicKey dso = DsoKey();
    std::vector<BlockTx> setup;
    for (uint64_t p = 0; p < 4; ++p) {
      setup.push_back(MarketTx(dso, p, RegisterBody{ProsumerKey(p), AccountRole::kProsumer,
                                                    PublicKey()}));
    }
    setup.push_back(
        MarketTx(dso, 4, RegisterBody{MeterKey(2), AccountRole::kMeter, ProsumerKey(2)}));
    setup.push_back(MarketTx(dso, 5, SetTariffBody{PricePerKwh(10'000), PricePerKwh(400'000),
                                                   PricePerKwh(100'000)}));
    ExpectAllOk(Commit(setup, 100));
    const BlockTx later = Order(1, 1, OrderSide::kBid, 4, 10, 1'000);
    ExpectAllOk(Commit({Order(0, 0, OrderSide::kBid, 3, 100, 300'000),
                        Order(1, 0, OrderSide::kBid, 3, 50, 200'000),
                        Order(2, 0, OrderSide::kAsk, 3, 80, 100'000),
                        Order(3, 0, OrderSide::kAsk, 3, 100, 250'000), later},
                       150));
    ExpectAllOk(Commit({MarketTx(ProsumerKey(1), 2, CancelBody{later.id})}, 500));
    return later.id;
  }
  void Cleared() { ExpectAllOk(Commit({}, 2800)); }
  void ReadAndSettled() {
    ExpectAllOk(Commit({MarketTx(MeterKey(2), 0,
                                 MeterReadingBody{ProsumerKey(2), IntervalId(3), EnergyWh(0),
                                                  EnergyWh(50)})},
                       4100));
    ExpectAllOk(Commit({}, 5500));
  }

  static void ExpectAllOk(const std::vector<TxResult>& results) {
    for (const TxResult& r : results) EXPECT_TRUE(r.ok()) << r.reason;
  }

  v1::MarketInterval Interval(uint64_t k, uint32_t max_trades = 0, uint32_t first_trade = 0) {
    v1::GetMarketIntervalRequest request;
    request.set_interval(k);
    request.set_max_trades(max_trades);
    request.set_first_trade(first_trade);
    v1::MarketInterval response;
    const grpc::Status s = service_->GetMarketInterval(request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }
  grpc::Status Settlement(const PublicKey& account, uint64_t k, v1::SettlementResponse* out) {
    v1::GetSettlementRequest request;
    request.set_account(Str(account));
    request.set_interval(k);
    return service_->GetSettlement(request, out);
  }
  std::vector<v1::MarketEvent> AllEvents() {
    auto position = log_->PositionFor(1);
    GL_CHECK(position.ok());
    auto batch = log_->Read(*position, 0, 1000, absl::ZeroDuration());
    GL_CHECK(batch.ok());
    return batch->events;
  }

  storage::TempDir dir_;
  std::unique_ptr<storage::NodeStore> store_;
  const Executor executor_;
  std::unique_ptr<MarketEventLog> log_;
  std::unique_ptr<MarketService> service_;
};

TEST_F(MarketApiTest, OpenIntervalShowsItsBookDepthAndTheTariffInForce) {
  OrdersPlaced();
  const v1::MarketInterval open = Interval(3);
  EXPECT_EQ(open.status(), v1::INTERVAL_STATUS_OPEN);
  EXPECT_EQ(open.depth().bid_orders(), 2u);
  EXPECT_EQ(open.depth().bid_wh(), 150u);
  EXPECT_EQ(open.depth().ask_orders(), 2u);
  EXPECT_EQ(open.depth().ask_wh(), 180u);
  EXPECT_EQ(open.orders(), 4u);
  EXPECT_FALSE(open.has_clearing_price_per_kwh());
  EXPECT_EQ(open.start_ms(), 3000u);
  EXPECT_EQ(open.gate_closes_at_ms(), 2800u);
  EXPECT_EQ(open.end_ms(), 4000u);
  EXPECT_EQ(open.reading_window_closes_at_ms(), 5500u);
  EXPECT_EQ(open.consensus_time_ms(), 500u);
  EXPECT_EQ(open.as_of_commit_sequence(), 3u);
  // The cancelled order left interval 4's book.
  EXPECT_EQ(Interval(4).orders(), 0u);
  EXPECT_EQ(Interval(4).status(), v1::INTERVAL_STATUS_OPEN);

  // t = 500 is in interval 0: the tariff set at t = 100 is in force from 1.
  v1::TariffResponse now;
  ASSERT_TRUE(service_->GetTariff(v1::GetTariffRequest(), &now).ok());
  EXPECT_EQ(now.interval(), 0u);
  EXPECT_FALSE(now.has_effective_from_interval());
  EXPECT_EQ(now.grid_fee_per_kwh(), 0u);
  v1::GetTariffRequest at3;
  at3.set_interval(3);
  v1::TariffResponse tariff;
  ASSERT_TRUE(service_->GetTariff(at3, &tariff).ok());
  EXPECT_EQ(tariff.effective_from_interval(), 1u);
  EXPECT_EQ(tariff.grid_fee_per_kwh(), 10'000u);
  EXPECT_EQ(tariff.shortfall_price_per_kwh(), 400'000u);
  EXPECT_EQ(tariff.surplus_price_per_kwh(), 100'000u);
}

TEST_F(MarketApiTest, ClearedIntervalPagesItsTradesAndSettlementWaitsForTheWindow) {
  OrdersPlaced();
  Cleared();
  const v1::MarketInterval cleared = Interval(3);
  EXPECT_EQ(cleared.status(), v1::INTERVAL_STATUS_CLEARED);
  EXPECT_EQ(cleared.clearing_price_per_kwh(), 275'000u);
  EXPECT_EQ(cleared.cleared_wh(), 100u);
  EXPECT_EQ(cleared.orders(), 4u);
  EXPECT_EQ(cleared.grid_fee_per_kwh(), 10'000u);
  ASSERT_EQ(cleared.trades_size(), 2);
  EXPECT_EQ(cleared.trades_total(), 2u);
  EXPECT_EQ(cleared.next_trade(), 2u);
  EXPECT_EQ(cleared.trades(0).buyer(), Str(ProsumerKey(0)));
  EXPECT_EQ(cleared.trades(0).seller(), Str(ProsumerKey(2)));
  EXPECT_EQ(cleared.trades(0).energy_wh(), 80u);
  EXPECT_EQ(cleared.trades(0).paid(), 22'000u);
  EXPECT_EQ(cleared.trades(0).grid_fee_paid(), 800u);
  EXPECT_EQ(cleared.trades(1).seller(), Str(ProsumerKey(3)));
  EXPECT_EQ(cleared.trades(1).paid(), 5'500u);

  const v1::MarketInterval first = Interval(3, 1);
  ASSERT_EQ(first.trades_size(), 1);
  EXPECT_EQ(first.next_trade(), 1u);
  const v1::MarketInterval rest = Interval(3, 1, first.next_trade());
  ASSERT_EQ(rest.trades_size(), 1);
  EXPECT_EQ(rest.trades(0).index(), 1u);
  EXPECT_EQ(rest.trades(0).energy_wh(), 20u);
  EXPECT_EQ(rest.next_trade(), 2u);
  EXPECT_EQ(Interval(3, 5, 9).trades_size(), 0);  // past the end: empty, not an error

  // Interval 2 never had orders and its gate has closed.
  EXPECT_EQ(Interval(2).status(), v1::INTERVAL_STATUS_CLOSED);
  v1::SettlementResponse settlement;
  const grpc::Status early = Settlement(ProsumerKey(2), 3, &settlement);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(absl::StrContains(early.error_message(), "not settled")) << early.error_message();
}

TEST_F(MarketApiTest, SettlementReportsImbalanceMissingReadingAndPayments) {
  OrdersPlaced();
  Cleared();
  ReadAndSettled();
  EXPECT_EQ(Interval(3).status(), v1::INTERVAL_STATUS_SETTLED);
  EXPECT_EQ(Interval(3).clearing_price_per_kwh(), 275'000u);

  // P2 sold 80 Wh, its meter exported 50: 30 Wh short at 400000 per kWh.
  v1::SettlementResponse seller;
  ASSERT_TRUE(Settlement(ProsumerKey(2), 3, &seller).ok());
  EXPECT_EQ(seller.settlement().delivered_wh(), 50);
  EXPECT_EQ(seller.settlement().contracted_wh(), 80);
  EXPECT_EQ(seller.settlement().imbalance_wh(), -30);
  EXPECT_EQ(seller.settlement().paid_to_dso(), 12'000u);
  EXPECT_EQ(seller.settlement().paid_by_dso(), 0u);
  EXPECT_FALSE(seller.settlement().missing_reading());
  EXPECT_TRUE(seller.has_reading());
  EXPECT_EQ(seller.exported_wh(), 50u);
  EXPECT_EQ(seller.sold_wh(), 80u);
  EXPECT_EQ(seller.debt(), 0u);
  // P0 bought 100 Wh and no reading came: delivered 0, a surplus the DSO pays.
  v1::SettlementResponse buyer;
  ASSERT_TRUE(Settlement(ProsumerKey(0), 3, &buyer).ok());
  EXPECT_TRUE(buyer.settlement().missing_reading());
  EXPECT_EQ(buyer.settlement().imbalance_wh(), 100);
  EXPECT_EQ(buyer.settlement().paid_by_dso(), 10'000u);
  EXPECT_EQ(buyer.bought_wh(), 100u);
  EXPECT_FALSE(buyer.has_reading());

  // P1's bid did not trade and it has no reading: no settlement.
  v1::SettlementResponse none;
  const grpc::Status missing = Settlement(ProsumerKey(1), 3, &none);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(absl::StrContains(missing.error_message(), "no settlement"))
      << missing.error_message();
  EXPECT_EQ(Settlement(ProsumerKey(9), 3, &none).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(MarketApiTest, AccountShowsRoleBindingOrdersAndUnknownIsNotFound) {
  OrdersPlaced();
  auto get = [&](const PublicKey& k, v1::MarketAccount* out) {
    v1::GetMarketAccountRequest request;
    request.set_account(Str(k));
    return service_->GetMarketAccount(request, out);
  };
  v1::MarketAccount meter;
  ASSERT_TRUE(get(MeterKey(2), &meter).ok());
  EXPECT_EQ(meter.role(), v1::MARKET_ROLE_METER);
  EXPECT_EQ(meter.bound_prosumer(), Str(ProsumerKey(2)));
  v1::MarketAccount prosumer;
  ASSERT_TRUE(get(ProsumerKey(2), &prosumer).ok());
  EXPECT_EQ(prosumer.role(), v1::MARKET_ROLE_PROSUMER);
  EXPECT_EQ(prosumer.meter(), Str(MeterKey(2)));
  EXPECT_EQ(prosumer.open_orders(), 1u);
  v1::MarketAccount dso;
  ASSERT_TRUE(get(DsoKey(), &dso).ok());
  EXPECT_EQ(dso.role(), v1::MARKET_ROLE_DSO);
  v1::MarketAccount unknown;
  EXPECT_EQ(get(ProsumerKey(9), &unknown).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::GetMarketAccountRequest bad;
  bad.set_account("short");
  EXPECT_EQ(service_->GetMarketAccount(bad, &unknown).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(MarketApiTest, BadInputIsInvalidArgument) {
  v1::GetMarketIntervalRequest zero;
  v1::MarketInterval interval;
  EXPECT_EQ(service_->GetMarketInterval(zero, &interval).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetMarketIntervalRequest too_many;
  too_many.set_interval(3);
  too_many.set_max_trades(kMaxMarketTradesPerAnswer + 1);
  EXPECT_EQ(service_->GetMarketInterval(too_many, &interval).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetMarketIntervalRequest far;
  far.set_interval(UINT64_MAX / 2);
  EXPECT_EQ(service_->GetMarketInterval(far, &interval).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetSettlementRequest short_key;
  short_key.set_account("abc");
  short_key.set_interval(3);
  v1::SettlementResponse settlement;
  EXPECT_EQ(service_->GetSettlement(short_key, &settlement).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Settlement(ProsumerKey(0), 0, &settlement).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(MarketApiTest, EventsFollowExecutionOrderCommitByCommit) {
  const TxId cancelled = OrdersPlaced();
  Cleared();
  ReadAndSettled();
  const std::vector<v1::MarketEvent> events = AllEvents();
  std::vector<std::pair<uint64_t, v1::MarketEvent::EventCase>> seen;
  for (const v1::MarketEvent& e : events) seen.emplace_back(e.commit_sequence(), e.event_case());
  using E = v1::MarketEvent;
  const std::vector<std::pair<uint64_t, v1::MarketEvent::EventCase>> expected = {
      {1, E::kRegistered},      {1, E::kRegistered},       {1, E::kRegistered},
      {1, E::kRegistered},      {1, E::kRegistered},       {1, E::kTariffSet},
      {2, E::kOrderAccepted},   {2, E::kOrderAccepted},    {2, E::kOrderAccepted},
      {2, E::kOrderAccepted},   {2, E::kOrderAccepted},    {3, E::kOrderCancelled},
      {4, E::kIntervalCleared}, {4, E::kTrade},            {4, E::kTrade},
      {5, E::kReading},         {6, E::kSettled},          {6, E::kSettled},
      {6, E::kSettled},         {6, E::kIntervalSettled}};
  ASSERT_EQ(seen, expected);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].slice(), kMarketSlice.value());
    if (i > 0 && events[i].commit_sequence() == events[i - 1].commit_sequence()) {
      EXPECT_EQ(events[i].index_in_commit(), events[i - 1].index_in_commit() + 1);
    }
  }
  EXPECT_EQ(events[4].registered().role(), v1::MARKET_ROLE_METER);
  EXPECT_EQ(events[4].registered().bound_prosumer(), Str(ProsumerKey(2)));
  EXPECT_EQ(events[5].tariff_set().effective_from_interval(), 1u);
  EXPECT_EQ(events[5].consensus_time_ms(), 100u);
  // Book sequences in acceptance order; a bid's escrow includes the grid fee.
  EXPECT_EQ(events[6].order_accepted().order_seq(), 0u);
  EXPECT_EQ(events[6].order_accepted().escrow(), 30'000u + 1'000u);
  EXPECT_EQ(events[8].order_accepted().side(), v1::MARKET_SIDE_ASK);
  EXPECT_EQ(events[8].order_accepted().escrow(), 0u);
  EXPECT_EQ(events[10].order_accepted().order_seq(), 4u);
  EXPECT_EQ(events[11].order_cancelled().order_id(), Str(cancelled));
  EXPECT_EQ(events[11].order_cancelled().owner(), Str(ProsumerKey(1)));
  EXPECT_EQ(events[12].interval_cleared().interval(), 3u);
  EXPECT_EQ(events[12].interval_cleared().clearing_price_per_kwh(), 275'000u);
  EXPECT_EQ(events[12].interval_cleared().trades(), 2u);
  EXPECT_EQ(events[12].consensus_time_ms(), 2800u);
  EXPECT_EQ(events[13].trade_interval(), 3u);
  EXPECT_EQ(events[14].trade().index(), 1u);
  EXPECT_EQ(events[15].reading().meter(), Str(MeterKey(2)));
  EXPECT_EQ(events[15].reading().exported_wh(), 50u);
  EXPECT_EQ(events[19].interval_settled().accounts(), 3u);
  // Settlement entries ascend by account key, as execution made them.
  for (int i = 16; i < 18; ++i) {
    EXPECT_LT(events[i].settled().account(), events[i + 1].settled().account());
  }
  // From a later commit on: only its events.
  auto from5 = log_->PositionFor(5);
  ASSERT_TRUE(from5.ok());
  auto tail = log_->Read(*from5, 5, 100, absl::ZeroDuration());
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->events.size(), 5u);
  EXPECT_EQ(tail->events[0].commit_sequence(), 5u);
}

// A long pause: one commit both clears and settles an interval.
TEST_F(MarketApiTest, ClearingAndSettlementInOneCommitAreBothEvents) {
  const PublicKey dso = DsoKey();
  ExpectAllOk(Commit({MarketTx(dso, 0, RegisterBody{ProsumerKey(0), AccountRole::kProsumer,
                                                    PublicKey()}),
                      MarketTx(dso, 1, RegisterBody{ProsumerKey(1), AccountRole::kProsumer,
                                                    PublicKey()})},
                     100));
  ExpectAllOk(Commit({Order(0, 0, OrderSide::kBid, 2, 10, 1'000),
                      Order(1, 0, OrderSide::kAsk, 2, 10, 1'000)},
                     150));
  Commit({}, 10'000);
  std::vector<v1::MarketEvent> last;
  for (const v1::MarketEvent& e : AllEvents()) {
    if (e.commit_sequence() == 3) last.push_back(e);
  }
  using E = v1::MarketEvent;
  std::vector<v1::MarketEvent::EventCase> kinds;
  for (const auto& e : last) kinds.push_back(e.event_case());
  EXPECT_EQ(kinds, (std::vector<v1::MarketEvent::EventCase>{
                       E::kIntervalCleared, E::kTrade, E::kSettled, E::kSettled,
                       E::kIntervalSettled}));
  EXPECT_EQ(Interval(2).status(), v1::INTERVAL_STATUS_SETTLED);
}

TEST(MarketEventLogTest, KeepsABoundedHistoryAndTellsLaggardsWhereToResume) {
  MarketEventLog log(kMarketSlice, 1000, 1, 0, /*capacity=*/3);
  const PublicKey dso = DsoKey();
  auto publish = [&](uint64_t sequence, int registrations) {
    std::vector<BlockTx> block;
    BlockOutcome outcome;
    for (int i = 0; i < registrations; ++i) {
      block.push_back(MarketTx(dso, i, RegisterBody{ProsumerKey(sequence * 10 + i),
                                                    AccountRole::kProsumer, PublicKey()}));
      outcome.results.push_back(TxResult{block.back().id, static_cast<uint32_t>(i),
                                         TxResultCode::kSuccess, ""});
    }
    log.Publish(sequence, block, outcome);
  };
  const absl::StatusOr<uint64_t> live = log.PositionFor(0);
  ASSERT_TRUE(live.ok());
  publish(1, 2);
  publish(2, 0);  // no market events
  publish(3, 2);  // drops commit 1's first event: commit 1 is incomplete now
  EXPECT_EQ(log.PositionFor(1).status().code(), absl::StatusCode::kOutOfRange);
  auto from2 = log.PositionFor(2);
  ASSERT_TRUE(from2.ok());
  auto events = log.Read(*from2, 2, 10, absl::ZeroDuration());
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->events.size(), 2u);
  EXPECT_EQ(events->events[0].commit_sequence(), 3u);
  EXPECT_EQ(events->next_position, *from2 + 2);
  // A subscriber from a commit not executed yet starts at the head and skips
  // the commits before the one it asked for.
  auto ahead = log.PositionFor(5);
  ASSERT_TRUE(ahead.ok());
  publish(4, 1);
  publish(5, 1);
  auto from5 = log.Read(*ahead, 5, 10, absl::ZeroDuration());
  ASSERT_TRUE(from5.ok());
  ASSERT_EQ(from5->events.size(), 1u);
  EXPECT_EQ(from5->events[0].commit_sequence(), 5u);
  EXPECT_EQ(from5->next_position, *ahead + 2);
  // A reader still at the first position fell behind.
  const auto behind = log.Read(*live, 0, 10, absl::ZeroDuration());
  EXPECT_EQ(behind.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(behind.status().message(), "resubscribe from sequence 4"))
      << behind.status();
  // At the head: nothing within the wait; after Close: Unavailable.
  auto end = log.PositionFor(0);
  ASSERT_TRUE(end.ok());
  auto idle = log.Read(*end, 0, 10, absl::Milliseconds(1));
  ASSERT_TRUE(idle.ok());
  EXPECT_TRUE(idle->events.empty());
  log.Close();
  EXPECT_EQ(log.Read(*end, 0, 10, absl::Milliseconds(1)).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace gridledger::node
