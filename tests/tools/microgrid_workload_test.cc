// The microgrid workload generator: the same seed gives the same signed
// transactions, every transaction fits the market's timing rules, and the
// market picture's program and CSV.
#include "tools/loadgen/microgrid_workload.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "core/tx/codec.h"
#include "tools/loadgen/market_plot.h"
#include "tools/loadgen/market_report.h"
#include "tools/loadgen/plot.h"

namespace gridledger::loadgen {
namespace {

constexpr uint32_t kProsumers = 8;
// A Unix time well inside an interval (start times in a cluster run are
// arbitrary).
constexpr uint64_t kStartMs = 1'790'000'000'123;

// One or two slices, 2 * kProsumers funded accounts each, fixed keys.
Deployment TestDeployment(uint32_t slices, uint32_t accounts_per_slice = 2 * kProsumers) {
  Deployment d;
  d.genesis.dso = KeyPair::FromSeed(1).public_key();
  d.genesis.market = CompressedMarketTiming();
  d.accounts_by_slice.resize(slices);
  for (uint32_t s = 0; s < slices; ++s) {
    GenesisSlice slice;
    slice.id = SliceId(s);
    slice.validators.push_back(
        GenesisValidator{KeyPair::FromSeed(50 + s).public_key(), "127.0.0.1",
                         static_cast<uint16_t>(9000 + s)});
    d.genesis.slices.push_back(slice);
    for (uint32_t a = 0; a < accounts_per_slice; ++a) {
      const KeyPair key = KeyPair::FromSeed(1000 + s * 1000 + a);
      d.genesis.accounts.push_back(
          GenesisAccount{AccountRef{SliceId(s), key.public_key()}, Amount(1'000'000'000)});
      d.accounts_by_slice[s].push_back(key);
    }
  }
  return d;
}

MicrogridOptions TestOptions(uint64_t seed) {
  MicrogridOptions o;
  o.prosumers_per_slice = kProsumers;
  o.seed = seed;
  o.start_unix_ms = kStartMs;
  o.duration_ms = 30'000;
  return o;
}

MicrogridPlan Plan(const Deployment& d, uint64_t seed) {
  auto plan = PlanMicrogrid(MicrogridKeys{&d, KeyPair::FromSeed(1)}, TestOptions(seed),
                            FreshNonces(d));
  EXPECT_TRUE(plan.ok()) << plan.status();
  return plan.ok() ? *std::move(plan) : MicrogridPlan{};
}

TEST(MicrogridWorkload, SameSeedGivesTheSameSignedTransactions) {
  const Deployment d = TestDeployment(2);
  const MicrogridPlan a = Plan(d, 7);
  const MicrogridPlan b = Plan(d, 7);
  ASSERT_GT(a.txs.size(), 0u);
  ASSERT_EQ(a.txs.size(), b.txs.size());
  for (size_t i = 0; i < a.txs.size(); ++i) {
    EXPECT_EQ(a.txs[i].raw, b.txs[i].raw) << i;
    EXPECT_EQ(a.txs[i].send_at_ns, b.txs[i].send_at_ns) << i;
    EXPECT_EQ(a.txs[i].slice, b.txs[i].slice) << i;
  }
  EXPECT_EQ(a.orders, b.orders);
  EXPECT_EQ(a.readings, b.readings);
}

TEST(MicrogridWorkload, AnotherSeedGivesOtherOrders) {
  const Deployment d = TestDeployment(1);
  const MicrogridPlan a = Plan(d, 7);
  const MicrogridPlan b = Plan(d, 8);
  auto orders = [](const MicrogridPlan& p) {
    std::vector<Bytes> out;
    for (size_t i = 0; i < p.txs.size(); ++i) {
      if (p.info[i].kind == TxKind::kOrder) out.push_back(p.txs[i].raw);
    }
    return out;
  };
  EXPECT_NE(orders(a), orders(b));
  EXPECT_NE(ProfileFor(7, 0, 0).bid_price, ProfileFor(8, 0, 0).bid_price);
}

TEST(MicrogridWorkload, ProfilesMixProducersConsumersAndBatteries) {
  int pv = 0, consumers = 0, batteries = 0;
  for (uint32_t i = 0; i < 200; ++i) {
    const ProsumerProfile p = ProfileFor(1, 0, i);
    (p.kind == ProsumerKind::kPv ? pv : consumers) += 1;
    batteries += p.battery_wh > 0 ? 1 : 0;
    EXPECT_EQ(p.kind == ProsumerKind::kPv, p.pv_peak_wh > 0);
    EXPECT_LT(p.ask_price, p.bid_price);
  }
  EXPECT_EQ(pv, 90);  // 9 of every 20
  EXPECT_EQ(consumers, 110);
  EXPECT_GT(batteries, 20);
  // A slice of 3 still has both kinds, whatever the seed.
  for (uint64_t seed = 0; seed < 50; ++seed) {
    int small_pv = 0;
    for (uint32_t i = 0; i < 3; ++i) small_pv += ProfileFor(seed, 1, i).kind == ProsumerKind::kPv;
    EXPECT_GT(small_pv, 0) << seed;
    EXPECT_LT(small_pv, 3) << seed;
  }
}

// Every transaction decodes, is signed for this genesis, and meets the
// market's timing: orders go out before gate closure, readings after their
// interval and inside the reading window; each sender's nonces run 0, 1, ...
// in send order; the DSO's setup comes first, the tariff before the
// registrations, each prosumer registered before its meter.
TEST(MicrogridWorkload, EveryTransactionFitsTheMarketRules) {
  const Deployment d = TestDeployment(2);
  const MicrogridPlan plan = Plan(d, 3);
  const MarketTiming t = d.genesis.market;
  const Digest chain_id = GenesisDigest(d.genesis);
  const PublicKey dso = d.genesis.dso;
  ASSERT_EQ(plan.txs.size(), plan.info.size());
  ASSERT_GE(plan.last_interval, plan.first_interval + 5);
  EXPECT_EQ(plan.registrations, 2 * (2 * kProsumers + 1));
  absl::flat_hash_map<AccountRef, uint64_t> next_nonce;
  std::map<std::pair<uint32_t, uint64_t>, int> orders_per_prosumer_interval;
  int64_t previous_at = INT64_MIN;
  uint64_t orders = 0, readings = 0;
  for (size_t i = 0; i < plan.txs.size(); ++i) {
    const PlannedTx& p = plan.txs[i];
    auto tx = Decode(p.raw);
    ASSERT_TRUE(tx.ok()) << tx.status();
    EXPECT_TRUE(VerifyTransactionSignature(*tx, chain_id)) << i;
    EXPECT_EQ(ComputeTxId(p.raw), p.id);
    EXPECT_EQ(tx->slice.value(), p.slice);
    EXPECT_GE(p.send_at_ns, previous_at) << "not ascending by send time at " << i;
    previous_at = p.send_at_ns;
    uint64_t& nonce = next_nonce[AccountRef{tx->slice, tx->sender}];
    EXPECT_EQ(tx->nonce.value(), nonce++) << i;
    const uint64_t at_ms = kStartMs + static_cast<uint64_t>(p.send_at_ns / 1'000'000);
    EXPECT_EQ(tx->kind(), plan.info[i].kind);
    switch (tx->kind()) {
      case TxKind::kSetTariff:
      case TxKind::kRegister:
        EXPECT_EQ(tx->sender, dso);
        EXPECT_EQ(p.send_at_ns, 0);
        break;
      case TxKind::kOrder: {
        const auto& o = std::get<OrderBody>(tx->body);
        const uint64_t k = o.interval.value();
        EXPECT_EQ(plan.info[i].interval, k);
        EXPECT_GE(k, plan.first_interval);
        EXPECT_LE(k, plan.last_interval);
        // Sent one interval before gate closure, after the setup.
        EXPECT_LE(at_ms + t.gate_closure_ms + t.interval_ms, k * t.interval_ms + 1);
        EXPECT_GE(p.send_at_ns, 2'000'000'000);
        EXPECT_LT(p.account, kProsumers);
        EXPECT_EQ(tx->sender, d.accounts_by_slice[p.slice][p.account].public_key());
        const std::pair<uint32_t, uint64_t> key(p.slice * 1000 + p.account, k);
        EXPECT_EQ(++orders_per_prosumer_interval[key], 1);
        ++orders;
        break;
      }
      case TxKind::kMeterReading: {
        const auto& r = std::get<MeterReadingBody>(tx->body);
        const uint64_t k = r.interval.value();
        const uint64_t end = (k + 1) * t.interval_ms;
        EXPECT_GE(at_ms + 1, end);
        EXPECT_LT(at_ms, end + t.reading_window_ms);
        EXPECT_LE(end + t.reading_window_ms, plan.settled_by_unix_ms);
        EXPECT_LE(plan.settled_by_unix_ms, kStartMs + 30'000);
        // Signed by the prosumer's meter: account P + i.
        EXPECT_GE(p.account, kProsumers);
        EXPECT_EQ(r.prosumer,
                  d.accounts_by_slice[p.slice][p.account - kProsumers].public_key());
        EXPECT_TRUE(r.imported.value() == 0 || r.exported.value() == 0);
        ++readings;
        break;
      }
      default:
        ADD_FAILURE() << "unexpected kind at " << i;
    }
  }
  EXPECT_EQ(orders, plan.orders);
  EXPECT_EQ(readings, plan.readings);
  // Both sides of the market, and meters that sometimes fail.
  EXPECT_GT(plan.orders, 0u);
  EXPECT_GT(plan.readings + plan.outages, plan.orders);
  // The first slice's setup: tariff, then (prosumer, meter) pairs.
  auto first = Decode(plan.txs[0].raw);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->kind(), TxKind::kSetTariff);
  auto second = Decode(plan.txs[1].raw);
  auto third = Decode(plan.txs[2].raw);
  ASSERT_TRUE(second.ok() && third.ok());
  EXPECT_EQ(std::get<RegisterBody>(second->body).role, AccountRole::kProsumer);
  EXPECT_EQ(std::get<RegisterBody>(third->body).role, AccountRole::kMeter);
  EXPECT_EQ(std::get<RegisterBody>(third->body).bound_prosumer,
            std::get<RegisterBody>(second->body).account);
}

TEST(MicrogridWorkload, PlanContinuesFromTheGivenNonces) {
  const Deployment d = TestDeployment(1);
  MicrogridNonces nonces = FreshNonces(d);
  nonces.dso[0] = 40;
  for (uint64_t& n : nonces.accounts[0]) n = 5;
  auto plan = PlanMicrogrid(MicrogridKeys{&d, KeyPair::FromSeed(1)}, TestOptions(1), nonces);
  ASSERT_TRUE(plan.ok()) << plan.status();
  for (const PlannedTx& p : plan->txs) {
    auto tx = Decode(p.raw);
    ASSERT_TRUE(tx.ok());
    EXPECT_GE(tx->nonce.value(), tx->sender == d.genesis.dso ? 40u : 5u);
  }
}

TEST(MicrogridWorkload, WithoutSetupTheDsoSignsNothing) {
  const Deployment d = TestDeployment(1);
  MicrogridOptions options = TestOptions(1);
  options.setup = false;
  auto plan = PlanMicrogrid(MicrogridKeys{&d, KeyPair::FromSeed(1)}, options, FreshNonces(d));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->registrations, 0u);
  for (const PlannedTx& p : plan->txs) {
    auto tx = Decode(p.raw);
    ASSERT_TRUE(tx.ok());
    EXPECT_NE(tx->sender, d.genesis.dso);
  }
  EXPECT_EQ(plan->orders, Plan(d, 1).orders);
}

TEST(MicrogridWorkload, RefusesWhatCannotRun) {
  const Deployment d = TestDeployment(1);
  const MicrogridKeys keys{&d, KeyPair::FromSeed(1)};
  MicrogridOptions short_run = TestOptions(1);
  short_run.duration_ms = 4'000;
  EXPECT_EQ(PlanMicrogrid(keys, short_run, FreshNonces(d)).status().code(),
            absl::StatusCode::kInvalidArgument);
  MicrogridOptions many = TestOptions(1);
  many.prosumers_per_slice = kProsumers + 1;  // needs 2 * 9 accounts, has 16
  EXPECT_EQ(PlanMicrogrid(keys, many, FreshNonces(d)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  const MicrogridKeys wrong_dso{&d, KeyPair::FromSeed(2)};
  EXPECT_EQ(PlanMicrogrid(wrong_dso, TestOptions(1), FreshNonces(d)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

MarketReport SampleReport() {
  MarketReport r;
  r.done = true;
  r.money_conserved = true;
  r.stores = 4;
  for (uint64_t k = 0; k < 6; ++k) {
    IntervalFigures f{0, 500 + k, std::nullopt, 0, 10, 0, k < 4};
    if (k != 3) {
      f.price_per_kwh = 100'000 + 10'000 * k;
      f.cleared_wh = 1'000 * (k + 1);
      f.trades = 3;
    }
    r.intervals.push_back(f);
  }
  return r;
}

TEST(MarketReport, CsvHasOneRowPerIntervalAndAGapWhereNothingCrossed) {
  const std::string csv = MarketCsv(SampleReport());
  EXPECT_EQ(csv.rfind("slice,interval,step,price_per_kwh,cleared_kwh,orders,trades\n", 0), 0u);
  EXPECT_NE(csv.find("0,500,0,0.100000,1.000,10,3\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("0,503,3,,0.000,10,0\n"), std::string::npos) << csv;
}

TEST(MarketReport, SummaryNamesAFailedMoneyCheck) {
  MarketReport r = SampleReport();
  r.money_conserved = false;
  r.money_errors.push_back("slice 0 validator 2: balances + escrow - debt = 9, genesis supply 10");
  const std::string text = MarketSummaryText(r, true);
  EXPECT_NE(text.find("Money conserved (balances + escrow - debt = genesis supply): NO"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("validator 2"), std::string::npos);
  EXPECT_EQ(MarketSummaryText(r, false).find("MARKET"), std::string::npos);
}

TEST(MarketPlot, GnuplotDrawsPriceAndVolume) {
  RunConfig config;
  config.validators = 4;
  config.slices = 2;
  config.workload = "microgrid";
  auto script = MarketGnuplotScript("/x/run-market.csv", "/x/run-market.png", "t", 2);
  ASSERT_TRUE(script.ok()) << script.status();
  EXPECT_NE(script->find("plot for [s=0:1]"), std::string::npos) << *script;
  EXPECT_EQ(MarketCsvPathFor("/x/run.csv"), "/x/run-market.csv");
  auto gnuplot = FindGnuplot();
  if (!gnuplot.ok()) GTEST_SKIP() << gnuplot.status().message();
  const std::string dir = absl::StrCat(::testing::TempDir(), "/market_plot_", getpid());
  std::filesystem::create_directories(dir);
  PlotMarketBesideCsv(dir + "/run-market.csv", MarketCsv(SampleReport()), config);
  std::ifstream in(dir + "/run-market.png", std::ios::binary);
  char head[8] = {};
  in.read(head, 8);
  EXPECT_EQ(std::memcmp(head, "\x89PNG\r\n\x1a\n", 8), 0);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace gridledger::loadgen
