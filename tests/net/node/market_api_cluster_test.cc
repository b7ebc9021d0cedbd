// The DSO market API over gRPC on a real 4-validator cluster with 1-second
// intervals: a bid and an ask for an interval a few seconds ahead are seen
// in the book, cleared at gate closure, read by the meter and settled; every
// validator answers the same, and the event stream carries each step in
// commit order. Waits are bounded (WaitFor) and keyed to the consensus time
// the node reports, never to sleeps.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "net/node/market_service.h"
#include "tests/net/node/test_cluster.h"

namespace gridledger::node {
namespace {

using cluster_test::AsString;
using cluster_test::kValidators;
using cluster_test::MakeMarketTx;
using cluster_test::TestCluster;
using cluster_test::WaitFor;

constexpr MarketTiming kTiming{1000, 300, 3000};

std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(5)) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
  return ctx;
}

grpc::Status GetInterval(TestCluster& cluster, uint32_t i, uint64_t k, v1::MarketInterval* out) {
  v1::GetMarketIntervalRequest request;
  request.set_interval(k);
  return cluster.stub(i).GetMarketInterval(Context().get(), request, out);
}

grpc::Status GetSettlement(TestCluster& cluster, uint32_t i, const PublicKey& account,
                           uint64_t k, v1::SettlementResponse* out) {
  v1::GetSettlementRequest request;
  request.set_account(AsString(account.span()));
  request.set_interval(k);
  return cluster.stub(i).GetSettlement(Context().get(), request, out);
}

// Reads node `i`'s market events from commit 1 on until `done` says so or
// the deadline passes.
class EventCollector {
 public:
  EventCollector(TestCluster& cluster, uint32_t i,
                 std::function<bool(const v1::MarketEvent&)> done)
      : ctx_(Context(absl::Seconds(90))) {
    v1::StreamMarketEventsRequest request;
    request.set_from_sequence(1);
    reader_ = cluster.stub(i).StreamMarketEvents(ctx_.get(), request);
    thread_ = std::thread([this, done = std::move(done)] {
      v1::MarketEvent e;
      while (reader_->Read(&e)) {
        absl::MutexLock lock(&mu_);
        events_.push_back(e);
        if (done(e)) {
          finished_ = true;
          break;
        }
      }
    });
  }
  ~EventCollector() {
    ctx_->TryCancel();
    thread_.join();
  }
  bool finished() {
    absl::MutexLock lock(&mu_);
    return finished_;
  }
  std::vector<v1::MarketEvent> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReader<v1::MarketEvent>> reader_;
  absl::Mutex mu_;
  std::vector<v1::MarketEvent> events_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

TEST(MarketApiClusterTest, IntervalClearsAndSettlesAlikeOnEveryValidatorWithEvents) {
  TestCluster cluster(kTiming);
  const absl::Status started = cluster.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  const KeyPair dso = KeyPair::FromSeed(7);
  const KeyPair& buyer = cluster.account(0);
  const KeyPair& seller = cluster.account(1);
  const KeyPair meter = KeyPair::FromSeed(55);
  auto submit_final = [&](const Bytes& tx) {
    v1::SubmitBatchResponse resp = cluster.Submit(0, {tx});
    EXPECT_EQ(resp.results_size(), 1);
    EXPECT_TRUE(resp.results_size() == 1 && resp.results(0).accepted());
    const TxId id = ComputeTxId(tx);
    EXPECT_TRUE(WaitFor([&] { return cluster.FinalEverywhere(id); }));
    EXPECT_EQ(cluster.GetTx(0, id).result().code(), "SUCCESS")
        << cluster.GetTx(0, id).result().reason();
  };

  submit_final(MakeMarketTx(cluster.chain_id(), dso, 0,
                            RegisterBody{buyer.public_key(), AccountRole::kProsumer, PublicKey()}));
  submit_final(
      MakeMarketTx(cluster.chain_id(), dso, 1,
                   RegisterBody{seller.public_key(), AccountRole::kProsumer, PublicKey()}));
  submit_final(MakeMarketTx(cluster.chain_id(), dso, 2,
                            RegisterBody{meter.public_key(), AccountRole::kMeter,
                                         seller.public_key()}));
  submit_final(MakeMarketTx(cluster.chain_id(), dso, 3,
                            SetTariffBody{PricePerKwh(1'000), PricePerKwh(8'000),
                                          PricePerKwh(2'000)}));

  // An interval whose gate closes a few seconds from now (consensus time
  // follows the validators' clocks).
  v1::MarketInterval probe;
  ASSERT_TRUE(GetInterval(cluster, 0, 1, &probe).ok());
  // Room for the two orders to commit before its gate on a busy machine.
  const uint64_t k = probe.consensus_time_ms() / kTiming.interval_ms + 8;
  EventCollector collector(cluster, 1, [k](const v1::MarketEvent& e) {
    return e.has_interval_settled() && e.interval_settled().interval() == k;
  });
  submit_final(MakeMarketTx(cluster.chain_id(), buyer, 0,
                            OrderBody{OrderSide::kBid, IntervalId(k), EnergyWh(1'000),
                                      PricePerKwh(6'000)}));
  submit_final(MakeMarketTx(cluster.chain_id(), seller, 0,
                            OrderBody{OrderSide::kAsk, IntervalId(k), EnergyWh(400),
                                      PricePerKwh(4'000)}));
  v1::MarketInterval book;
  ASSERT_TRUE(GetInterval(cluster, 2, k, &book).ok());
  EXPECT_EQ(book.orders(), 2u);
  if (book.status() == v1::INTERVAL_STATUS_OPEN) {
    EXPECT_EQ(book.depth().bid_orders(), 1u);
    EXPECT_EQ(book.depth().bid_wh(), 1'000u);
    EXPECT_EQ(book.depth().ask_wh(), 400u);
  }

  // Cleared at gate closure: 400 Wh at floor((6000 + 4000) / 2).
  auto cleared_everywhere = [&] {
    for (uint32_t i = 0; i < kValidators; ++i) {
      v1::MarketInterval r;
      if (!GetInterval(cluster, i, k, &r).ok() || r.status() < v1::INTERVAL_STATUS_CLEARED) {
        return false;
      }
    }
    return true;
  };
  ASSERT_TRUE(WaitFor(cleared_everywhere));
  for (uint32_t i = 0; i < kValidators; ++i) {
    v1::MarketInterval r;
    ASSERT_TRUE(GetInterval(cluster, i, k, &r).ok());
    EXPECT_EQ(r.clearing_price_per_kwh(), 5'000u) << "validator " << i;
    EXPECT_EQ(r.cleared_wh(), 400u);
    ASSERT_EQ(r.trades_size(), 1);
    EXPECT_EQ(r.trades(0).buyer(), AsString(buyer.public_key().span()));
    EXPECT_EQ(r.trades(0).paid(), 2'000u);
    EXPECT_EQ(r.trades(0).grid_fee_paid(), 400u);
  }

  // The meter reports once the interval has ended in consensus time.
  v1::MarketInterval ended;
  ASSERT_TRUE(WaitFor([&] {
    return GetInterval(cluster, 0, k, &ended).ok() && ended.consensus_time_ms() >= ended.end_ms();
  }));
  submit_final(MakeMarketTx(cluster.chain_id(), meter, 0,
                            MeterReadingBody{seller.public_key(), IntervalId(k), EnergyWh(0),
                                             EnergyWh(300)}));
  ASSERT_TRUE(WaitFor([&] {
    for (uint32_t i = 0; i < kValidators; ++i) {
      v1::MarketInterval r;
      if (!GetInterval(cluster, i, k, &r).ok() || r.status() != v1::INTERVAL_STATUS_SETTLED) {
        return false;
      }
    }
    return true;
  }));
  for (uint32_t i = 0; i < kValidators; ++i) {
    // Sold 400, delivered 300: 100 Wh short at 8000 per kWh.
    v1::SettlementResponse s;
    ASSERT_TRUE(GetSettlement(cluster, i, seller.public_key(), k, &s).ok());
    EXPECT_EQ(s.settlement().imbalance_wh(), -100) << "validator " << i;
    EXPECT_EQ(s.settlement().paid_to_dso(), 800u);
    EXPECT_FALSE(s.settlement().missing_reading());
    v1::SettlementResponse b;
    ASSERT_TRUE(GetSettlement(cluster, i, buyer.public_key(), k, &b).ok());
    EXPECT_TRUE(b.settlement().missing_reading());
    EXPECT_EQ(b.settlement().paid_by_dso(), 400 * 2'000 / 1'000u);
  }

  // Errors, as a client sees them.
  v1::MarketInterval bad;
  EXPECT_EQ(GetInterval(cluster, 0, 0, &bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::SettlementResponse unknown;
  EXPECT_EQ(GetSettlement(cluster, 0, KeyPair::FromSeed(99).public_key(), k, &unknown).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::GetTariffRequest next;
  next.set_interval(k);
  v1::TariffResponse tariff;
  ASSERT_TRUE(cluster.stub(3).GetTariff(Context().get(), next, &tariff).ok());
  EXPECT_EQ(tariff.grid_fee_per_kwh(), 1'000u);
  EXPECT_EQ(tariff.shortfall_price_per_kwh(), 8'000u);

  // The stream saw every step, in commit order.
  ASSERT_TRUE(WaitFor([&] { return collector.finished(); }));
  std::vector<v1::MarketEvent::EventCase> kinds;
  uint64_t last_sequence = 0;
  for (const v1::MarketEvent& e : collector.events()) {
    EXPECT_GE(e.commit_sequence(), last_sequence);
    last_sequence = e.commit_sequence();
    kinds.push_back(e.event_case());
  }
  using E = v1::MarketEvent;
  EXPECT_EQ(kinds, (std::vector<v1::MarketEvent::EventCase>{
                       E::kRegistered, E::kRegistered, E::kRegistered, E::kTariffSet,
                       E::kOrderAccepted, E::kOrderAccepted, E::kIntervalCleared, E::kTrade,
                       E::kReading, E::kSettled, E::kSettled, E::kIntervalSettled}));
}

struct MarketSubscriber {
  std::unique_ptr<grpc::ClientContext> ctx;
  std::unique_ptr<grpc::ClientReader<v1::MarketEvent>> reader;
};

MarketSubscriber SubscribeFromFirst(TestCluster& cluster) {
  MarketSubscriber s{Context(absl::Seconds(30)), nullptr};
  v1::StreamMarketEventsRequest request;
  request.set_from_sequence(1);
  s.reader = cluster.stub(0).StreamMarketEvents(s.ctx.get(), request);
  return s;
}

void End(MarketSubscriber& s) {
  s.ctx->TryCancel();
  s.reader->Finish();
}

// Each stream holds a server thread: past kMaxMarketSubscribers the next is
// refused with the reason, and a slot frees when a subscriber leaves.
TEST(MarketApiSecurityTest, MarketStreamSubscriberFloodIsRefused) {
  TestCluster cluster;
  const absl::Status started = cluster.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  // One market event, so a live subscriber has something to read at once.
  const Bytes reg = MakeMarketTx(
      cluster.chain_id(), KeyPair::FromSeed(7), 0,
      RegisterBody{cluster.account(0).public_key(), AccountRole::kProsumer, PublicKey()});
  ASSERT_EQ(cluster.Submit(0, {reg}).results(0).accepted(), true);
  ASSERT_TRUE(WaitFor([&] { return cluster.FinalEverywhere(ComputeTxId(reg)); }));

  std::vector<MarketSubscriber> subscribers;
  for (size_t i = 0; i < kMaxMarketSubscribers; ++i) {
    subscribers.push_back(SubscribeFromFirst(cluster));
    v1::MarketEvent first;
    ASSERT_TRUE(subscribers.back().reader->Read(&first)) << "subscriber " << i;
    EXPECT_TRUE(first.has_registered());
  }
  {
    MarketSubscriber extra = SubscribeFromFirst(cluster);
    v1::MarketEvent e;
    EXPECT_FALSE(extra.reader->Read(&e));
    const grpc::Status s = extra.reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), "subscribers")) << s.error_message();
  }
  // Queries still answer meanwhile.
  v1::MarketInterval interval;
  EXPECT_TRUE(GetInterval(cluster, 0, 1, &interval).ok());

  End(subscribers.back());
  subscribers.pop_back();
  ASSERT_TRUE(WaitFor([&] {
    MarketSubscriber again = SubscribeFromFirst(cluster);
    v1::MarketEvent e;
    const bool admitted = again.reader->Read(&e);
    End(again);
    return admitted;
  }));
  for (MarketSubscriber& s : subscribers) End(s);
}

}  // namespace
}  // namespace gridledger::node
