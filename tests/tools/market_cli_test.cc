// `gridledger market ...` and `gridledger query market ...` as a DSO script
// runs them against a 4-validator cluster (in process, loopback, 1-second
// market intervals): register and tariff with the DSO key, bid and ask with
// prosumer keys, readings from a CSV with the meter key, then the interval,
// settlement and events queries; and the exit codes for a bad CSV line, an
// unknown account and a wrong key.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/net/node/test_cluster.h"
#include "tests/tools/cli_runner.h"

namespace gridledger {
namespace {

using cli_test::CliRun;
using cli_test::RunGridledger;
using node::cluster_test::TestCluster;
using node::cluster_test::WaitFor;

constexpr MarketTiming kTiming{1000, 300, 3000};

class MarketNodeCliTest : public ::testing::Test {
 protected:
  MarketNodeCliTest() : cluster_(kTiming) {
    std::string pattern = "/tmp/gridledger-market-cli-XXXXXX";
    GL_CHECK(mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
  }
  ~MarketNodeCliTest() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = absl::StrCat(dir_, "/", name);
    std::ofstream out(path);
    out << text;
    GL_CHECK(out.good());
    return path;
  }
  std::string KeyFile(const std::string& name, const KeyPair& key) {
    return WriteFile(name, key.secret().Hex() + "\n");
  }
  // The node and network flags every command needs.
  std::string Node() const {
    return absl::StrCat(" --node=", cluster_.node(0).grpc_address(),
                        " --chain_id=", cluster_.chain_id().Hex());
  }
  CliRun Market(const std::string& args) { return RunGridledger("market " + args + Node()); }
  CliRun Query(const std::string& args) {
    return RunGridledger(absl::StrCat("query market ", args,
                                      " --node=", cluster_.node(1).grpc_address()));
  }
  // The interval's JSON answer (ASSERTs in the caller on `ok`).
  nlohmann::json IntervalJson(uint64_t k, bool* ok) {
    CliRun run = Query(absl::StrCat("interval ", k, " --json"));
    *ok = run.exit_code == 0;
    if (!*ok) return nlohmann::json();
    return nlohmann::json::parse(absl::StripAsciiWhitespace(run.output));
  }

  mutable TestCluster cluster_;
  std::string dir_;
};

TEST_F(MarketNodeCliTest, DsoProsumersAndMeterDriveAnIntervalToSettlement) {
  const absl::Status started = cluster_.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  const KeyPair dso = KeyPair::FromSeed(7);
  const KeyPair& buyer = cluster_.account(0);
  const KeyPair& seller = cluster_.account(1);
  const KeyPair meter = KeyPair::FromSeed(55);
  const KeyPair stranger = KeyPair::FromSeed(56);
  const std::string dso_key = KeyFile("dso.key", dso);
  const std::string buyer_key = KeyFile("buyer.key", buyer);
  const std::string seller_key = KeyFile("seller.key", seller);
  const std::string meter_key = KeyFile("meter.key", meter);
  const std::string stranger_key = KeyFile("stranger.key", stranger);

  // The DSO registers both prosumers and the seller's meter, then a tariff.
  for (const KeyPair* p : {&buyer, &seller}) {
    CliRun reg = Market(absl::StrCat("register --account=", p->public_key().Hex(),
                                     " --role=prosumer --wait --key=", dso_key));
    ASSERT_EQ(reg.exit_code, 0) << reg.output;
    EXPECT_TRUE(absl::StrContains(reg.output, "TRANSACTION_STATUS_COMMITTED SUCCESS"))
        << reg.output;
  }
  CliRun bind = Market(absl::StrCat("register --account=", meter.public_key().Hex(),
                                    " --role=meter --bound_prosumer=", seller.public_key().Hex(),
                                    " --wait --key=", dso_key));
  ASSERT_EQ(bind.exit_code, 0) << bind.output;
  CliRun tariff = Market(absl::StrCat("tariff --grid_fee=1000 --shortfall_price=8000 "
                                      "--surplus_price=2000 --wait --json --key=", dso_key));
  ASSERT_EQ(tariff.exit_code, 0) << tariff.output;
  const std::vector<std::string> tariff_lines =
      absl::StrSplit(absl::StripAsciiWhitespace(tariff.output), '\n');
  ASSERT_EQ(tariff_lines.size(), 2u) << tariff.output;  // accepted, then final
  const nlohmann::json final_tariff = nlohmann::json::parse(tariff_lines[1]);
  EXPECT_EQ(final_tariff["status"], "TRANSACTION_STATUS_COMMITTED");
  EXPECT_EQ(final_tariff["code"], "SUCCESS");

  // A wrong key: the ledger refuses, exit 3 with its reason.
  CliRun not_dso = Market(absl::StrCat("register --account=", stranger.public_key().Hex(),
                                       " --role=prosumer --wait --key=", buyer_key));
  EXPECT_EQ(not_dso.exit_code, 3) << not_dso.output;
  EXPECT_TRUE(absl::StrContains(not_dso.output, "UNAUTHORIZED")) << not_dso.output;
  CliRun meter_bids = Market(absl::StrCat("bid --interval=1 --energy_wh=1 --limit_price=1 "
                                          "--wait --key=", meter_key));
  EXPECT_EQ(meter_bids.exit_code, 3) << meter_bids.output;
  EXPECT_TRUE(absl::StrContains(meter_bids.output, "NOT_REGISTERED")) << meter_bids.output;
  // An unknown account: exit 4 naming it.
  CliRun unknown_meter = Market(absl::StrCat("reading --interval=1 --imported_wh=0 "
                                             "--exported_wh=1 --key=", stranger_key));
  EXPECT_EQ(unknown_meter.exit_code, 4) << unknown_meter.output;
  EXPECT_TRUE(absl::StrContains(unknown_meter.output, "is not registered")) << unknown_meter.output;
  EXPECT_EQ(Query("account " + stranger.public_key().Hex()).exit_code, 4);
  // A bad CSV line: exit 1 naming the line, nothing submitted.
  const std::string bad_csv = WriteFile(
      "bad.csv", absl::StrCat("# meter,interval,imported_wh,exported_wh\n",
                              meter.public_key().Hex(), ",7,0,10\n",
                              meter.public_key().Hex(), ",8,zero,10\n"));
  CliRun bad = Market(absl::StrCat("reading --csv=", bad_csv, " --key=", meter_key));
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_TRUE(absl::StrContains(bad.output, "readings line 3: imported_wh 'zero'")) << bad.output;
  EXPECT_FALSE(absl::StrContains(bad.output, "SUBMIT_CODE")) << bad.output;

  // The account query shows the binding.
  CliRun meter_account = Query("account " + meter.public_key().Hex() + " --json");
  ASSERT_EQ(meter_account.exit_code, 0) << meter_account.output;
  EXPECT_EQ(nlohmann::json::parse(absl::StripAsciiWhitespace(meter_account.output))
                ["bound_prosumer"],
            seller.public_key().Hex());

  // A bid and an ask for an interval a few seconds ahead in consensus time.
  CliRun now = Query("tariff --json");
  ASSERT_EQ(now.exit_code, 0) << now.output;
  const uint64_t k =
      nlohmann::json::parse(absl::StripAsciiWhitespace(now.output))["consensus_time_ms"]
          .get<uint64_t>() / kTiming.interval_ms + 8;  // room for two CLI runs before its gate
  CliRun bid = Market(absl::StrCat("bid --interval=", k, " --energy_wh=1000 --limit_price=6000 "
                                   "--wait --key=", buyer_key));
  ASSERT_EQ(bid.exit_code, 0) << bid.output;
  CliRun ask = Market(absl::StrCat("ask --interval=", k, " --energy_wh=400 --limit_price=4000 "
                                   "--wait --key=", seller_key));
  ASSERT_EQ(ask.exit_code, 0) << ask.output;

  // A second bid, cancelled by its owner; a second cancel finds it gone.
  CliRun later = Market(absl::StrCat("bid --interval=", k + 2, " --energy_wh=10 --limit_price=10 "
                                     "--wait --json --key=", buyer_key));
  ASSERT_EQ(later.exit_code, 0) << later.output;
  const std::vector<std::string> later_lines = absl::StrSplit(later.output, '\n');
  const std::string order_id = nlohmann::json::parse(later_lines[0])["tx_id"];
  CliRun cancel = Market(absl::StrCat("cancel --order_id=", order_id, " --wait --key=", buyer_key));
  EXPECT_EQ(cancel.exit_code, 0) << cancel.output;
  CliRun again = Market(absl::StrCat("cancel --order_id=", order_id, " --wait --key=", buyer_key));
  EXPECT_EQ(again.exit_code, 3) << again.output;
  EXPECT_TRUE(absl::StrContains(again.output, "UNKNOWN_ORDER")) << again.output;

  bool ok = false;
  nlohmann::json interval;
  ASSERT_TRUE(WaitFor([&] {
    interval = IntervalJson(k, &ok);
    return ok && interval["status"] == "cleared";
  })) << interval.dump();
  EXPECT_EQ(interval["clearing_price_per_kwh"], 5000);
  EXPECT_EQ(interval["cleared_wh"], 400);
  ASSERT_EQ(interval["trades"].size(), 1u);
  EXPECT_EQ(interval["trades"][0]["seller"], seller.public_key().Hex());

  // The meter's reading from a CSV once the interval has ended.
  ASSERT_TRUE(WaitFor([&] {
    interval = IntervalJson(k, &ok);
    return ok && interval["consensus_time_ms"].get<uint64_t>() >=
                     interval["end_ms"].get<uint64_t>();
  }));
  const std::string csv = WriteFile(
      "readings.csv", absl::StrCat("# meter,interval,imported_wh,exported_wh\n\n",
                                   meter.public_key().Hex(), ",", k, ",0,300\n"));
  CliRun reading = Market(absl::StrCat("reading --csv=", csv, " --wait --key=", meter_key));
  ASSERT_EQ(reading.exit_code, 0) << reading.output;
  EXPECT_TRUE(absl::StrContains(reading.output, "reading line 3 TRANSACTION_STATUS_COMMITTED"))
      << reading.output;

  ASSERT_TRUE(WaitFor([&] {
    interval = IntervalJson(k, &ok);
    return ok && interval["status"] == "settled";
  })) << interval.dump();
  CliRun settlement =
      Query(absl::StrCat("settlement ", seller.public_key().Hex(), " ", k, " --json"));
  ASSERT_EQ(settlement.exit_code, 0) << settlement.output;
  const nlohmann::json s = nlohmann::json::parse(absl::StripAsciiWhitespace(settlement.output));
  EXPECT_EQ(s["imbalance_wh"], -100);
  EXPECT_EQ(s["paid_to_dso"], 800);
  EXPECT_EQ(s["missing_reading"], false);
  EXPECT_EQ(s["exported_wh"], 300);
  // The buyer had no reading; a stranger had nothing to settle.
  CliRun missing = Query(absl::StrCat("settlement ", buyer.public_key().Hex(), " ", k));
  EXPECT_EQ(missing.exit_code, 0) << missing.output;
  EXPECT_TRUE(absl::StrContains(missing.output, "missing_reading: true")) << missing.output;
  EXPECT_EQ(Query(absl::StrCat("settlement ", stranger.public_key().Hex(), " ", k)).exit_code, 4);
  EXPECT_EQ(Query("interval 0").exit_code, 1);
  EXPECT_EQ(Query("interval").exit_code, 2);

  CliRun events = Query("events --from_sequence=1 --count=4 --timeout_ms=5000");
  ASSERT_EQ(events.exit_code, 0) << events.output;
  const std::vector<std::string> lines =
      absl::StrSplit(absl::StripAsciiWhitespace(events.output), '\n');
  ASSERT_EQ(lines.size(), 4u) << events.output;
  EXPECT_EQ(nlohmann::json::parse(lines[0])["event"], "registered");
  EXPECT_EQ(nlohmann::json::parse(lines[3])["event"], "tariff_set");
}

}  // namespace
}  // namespace gridledger
