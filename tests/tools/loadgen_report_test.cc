// The JSON writer, the report's fields, the CSV series and accounts.keys
// parsing.
#include <string>

#include "gtest/gtest.h"
#include "tools/loadgen/json_writer.h"
#include "tools/loadgen/report.h"
#include "core/tx/codec.h"
#include "tools/loadgen/workload.h"

namespace gridledger::loadgen {
namespace {

TEST(JsonWriter, NestedObjectsArraysAndEscapes) {
  JsonWriter w;
  w.BeginObject();
  w.Key("sent").Uint(12);
  w.Key("delta").Int(-3);
  w.Key("ok").Bool(true);
  w.Key("name").String("a\"b\\c\n\t\x01");
  w.Key("list").BeginArray().Uint(1).Uint(2).BeginObject().EndObject().EndArray();
  w.Key("tps").Double(1234.5678, 1);
  w.Key("nan").Double(0.0 / 0.0);
  w.Key("empty").BeginArray().EndArray();
  w.EndObject();
  EXPECT_EQ(w.Finish(),
            "{\"sent\":12,\"delta\":-3,\"ok\":true,\"name\":\"a\\\"b\\\\c\\n\\t\\u0001\","
            "\"list\":[1,2,{}],\"tps\":1234.6,\"nan\":null,\"empty\":[]}");
}

TEST(JsonWriter, MisuseIsAnAssertion) {
  EXPECT_DEATH({
    JsonWriter w;
    w.BeginObject();
    w.Uint(1);  // a value without a key
  }, "");
  EXPECT_DEATH({
    JsonWriter w;
    w.BeginArray();
    w.Finish();  // unclosed
  }, "");
}

LoadgenResult SampleResult() {
  LoadgenResult r;
  r.planned = 10;
  r.sent = 10;
  r.accepted = 9;
  r.committed = 7;
  r.failed = 1;
  r.rejected = 2;
  r.lost_never_committed = 1;
  r.held_at_end = 4;
  r.pending_at_end = 5;
  r.withheld = 6;
  r.rejected_by_reason = {{"execution:bad_nonce", 1}, {"submit:overloaded", 1}};
  r.latency = SummarizeLatencies({1000, 2000, 3000, 4000, 5000, 6000, 7000});
  r.tps_committed = 3.5;
  ++r.series.At(0).sent;
  r.series.At(1'500'000'000).latencies_us = {2000, 4000};
  r.series.At(1'500'000'000).committed = 2;
  return r;
}

TEST(Report, JsonHasTheAgreedFields) {
  RunConfig config;
  config.validators = 4;
  config.slices = 1;
  config.rate_per_s = 200;
  config.duration = absl::Seconds(6);
  config.verifier_backend = "cpu-pool";
  StoreCheck check;
  check.done = true;
  check.stores = 4;
  check.missing = 2;
  const std::string json = ResultJson(config, SampleResult(), check, CpuCost{});
  for (const char* field :
       {"\"sent\":10,", "\"committed\":7,", "\"rejected\":2,", "\"lost\":3,",
        "\"lost_never_committed\":1,", "\"lost_missing_from_store\":2,", "\"held_at_end\":4,", "\"pending_at_end\":5,", "\"withheld\":6,",
        "\"tps_committed\":3.5,", "\"p50\":4.0,", "\"p90\":7.0,", "\"p99\":7.0,",
        "\"max\":7.0,", "\"submit:overloaded\":1", "\"verifier_backend\":\"cpu-pool\""}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " in " << json;
  }
  EXPECT_EQ(TotalLost(SampleResult(), check), 3u);
}

TEST(Report, CsvHasOneRowPerSecond) {
  EXPECT_EQ(SeriesCsv(SampleResult().series),
            "second,sent,committed,rejected,latency_p50_ms,latency_p99_ms\n"
            "0,1,0,0,0.000,0.000\n"
            "1,0,2,0,2.000,4.000\n");
}

TEST(Report, SummaryNamesTheResults) {
  RunConfig config;
  config.validators = 4;
  config.slices = 2;
  const std::string text = SummaryText(config, SampleResult(), StoreCheck{}, CpuCost{});
  EXPECT_NE(text.find(" SUMMARY:"), std::string::npos);
  EXPECT_NE(text.find(" Slices: 2\n"), std::string::npos);
  EXPECT_NE(text.find("p50 4.0 ms, p90 7.0 ms, p99 7.0 ms, max 7.0 ms"), std::string::npos);
  EXPECT_NE(text.find(" Lost: 1 tx (1 never committed, 0 missing from a store)"),
            std::string::npos);
  // Held transactions are neither committed nor lost: reported apart.
  EXPECT_NE(text.find(" Held for a nonce gap at the end (not final): 4 tx\n"),
            std::string::npos);
  // So are transactions still queued at a validator when the drain ended.
  EXPECT_NE(text.find("not yet committed when the drain ended): 5 tx\n"), std::string::npos);
  // Never sent, so neither rejected nor lost: an earlier nonce was refused.
  EXPECT_NE(text.find(" Withheld: 6 tx not sent (an earlier nonce of the account was refused "
                      "as overloaded through all its retries)\n"),
            std::string::npos);
}

// The load generator's own CPU over its steady window (issue 12 item 5):
// per transaction sent and as a share of a core, in the summary and JSON.
TEST(Report, LoadGeneratorReportsItsOwnCpuPerTransaction) {
  LoadgenResult r = SampleResult();
  const std::string unmeasured = SummaryText(RunConfig{}, r, StoreCheck{}, CpuCost{});
  EXPECT_NE(unmeasured.find(" Load generator CPU: not measured"), std::string::npos);
  r.own_cpu_measured = true;
  r.own_cpu_s = 0.5;
  r.own_cpu_window_s = 10;
  r.own_cpu_sent = 20'000;
  r.submit_path = "stream";
  EXPECT_DOUBLE_EQ(r.own_cpu_us_per_tx(), 25.0);
  EXPECT_DOUBLE_EQ(r.own_cpu_cores(), 0.05);
  const std::string text = SummaryText(RunConfig{}, r, StoreCheck{}, CpuCost{});
  EXPECT_NE(text.find(" Load generator CPU (this process, steady window 10.0 s, stream "
                      "submission): 25.0 us per tx sent, 0.05 of a core\n"),
            std::string::npos)
      << text;
  const std::string json = ResultJson(RunConfig{}, r, StoreCheck{}, CpuCost{});
  for (const char* field : {"\"loadgen_cpu\":{\"measured\":true,\"submit_path\":\"stream\",",
                            "\"us_per_tx\":25.0,", "\"cores\":0.05", "\"sent\":20000,"}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " in " << json;
  }
}

TEST(Workload, AccountKeysMustBeGenesisAccountsOfTheirSlice) {
  const KeyPair a = KeyPair::FromSeed(1);
  const KeyPair b = KeyPair::FromSeed(2);
  Genesis genesis;
  genesis.dso = KeyPair::FromSeed(3).public_key();
  genesis.slices.push_back(GenesisSlice{SliceId(0), {}});
  genesis.slices.push_back(GenesisSlice{SliceId(1), {}});
  genesis.accounts.push_back(GenesisAccount{AccountRef{SliceId(0), a.public_key()}, Amount(5)});
  genesis.accounts.push_back(GenesisAccount{AccountRef{SliceId(1), b.public_key()}, Amount(5)});
  auto parsed = ParseAccountKeys(
      "0 " + a.secret().Hex() + "\n1 " + b.secret().Hex() + "\n", genesis);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0][0].public_key(), a.public_key());
  EXPECT_EQ((*parsed)[1][0].public_key(), b.public_key());

  auto wrong_slice = ParseAccountKeys("1 " + a.secret().Hex() + "\n", genesis);
  EXPECT_EQ(wrong_slice.status().message(),
            "accounts.keys line 1: not a genesis account of slice 1");
  auto no_slice = ParseAccountKeys("7 " + a.secret().Hex() + "\n", genesis);
  EXPECT_EQ(no_slice.status().message(), "accounts.keys line 1: slice 7 not in genesis");
  auto malformed = ParseAccountKeys("0\n", genesis);
  EXPECT_EQ(malformed.status().message(),
            "accounts.keys line 1: expected '<slice> <secret hex>'");
}

TEST(Workload, TransfersRotateSendersWithConsecutiveNonces) {
  Deployment d;
  std::vector<KeyPair> keys = {KeyPair::FromSeed(10), KeyPair::FromSeed(11), KeyPair::FromSeed(12)};
  d.genesis.slices.push_back(GenesisSlice{SliceId(0), {}});
  d.accounts_by_slice.push_back(keys);
  auto plan = PlanTransfers(d, 7, {{5, 0, 0}});
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->size(), 7u);
  const std::vector<uint32_t> senders = {0, 1, 2, 0, 1, 2, 0};
  const std::vector<uint64_t> nonces = {5, 0, 0, 6, 1, 1, 7};
  for (size_t i = 0; i < 7; ++i) {
    const PlannedTx& p = (*plan)[i];
    EXPECT_EQ(p.account, senders[i]);
    auto tx = Decode(p.raw);
    ASSERT_TRUE(tx.ok()) << tx.status();
    EXPECT_EQ(tx->nonce.value(), nonces[i]) << i;
    EXPECT_EQ(tx->sender, keys[senders[i]].public_key());
    const auto& body = std::get<TransferBody>(tx->body);
    EXPECT_EQ(body.to.key, keys[(senders[i] + 1) % 3].public_key());
    EXPECT_EQ(body.amount.value(), 1u);
    EXPECT_TRUE(VerifyTransactionSignature(*tx, GenesisDigest(d.genesis)));
    EXPECT_EQ(p.id, ComputeTxId(p.raw));
  }
  Deployment lonely;
  lonely.genesis.slices.push_back(GenesisSlice{SliceId(0), {}});
  lonely.accounts_by_slice.push_back({KeyPair::FromSeed(1)});
  EXPECT_EQ(PlanTransfers(lonely, 1, {{0}}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace gridledger::loadgen
