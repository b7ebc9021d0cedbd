// Runs the real `gridledger` binary: tx build/decode exit codes and reasons,
// keys, and the single-process pipeline's conservation check.
#include <sys/wait.h>

#include <stdlib.h>

#include <array>
#include <filesystem>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/tools/cli_runner.h"

namespace {

using gridledger::cli_test::CliRun;
using gridledger::cli_test::RunGridledger;

std::string FieldOf(const std::string& output, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::ConsumePrefix(&line, name + " ")) return std::string(line);
  }
  return "";
}

class TxCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CliRun sender = RunGridledger("keys new");
    ASSERT_EQ(sender.exit_code, 0) << sender.output;
    secret_ = FieldOf(sender.output, "secret");
    CliRun to = RunGridledger("keys new");
    ASSERT_EQ(to.exit_code, 0) << to.output;
    to_ = FieldOf(to.output, "public");
    ASSERT_EQ(secret_.size(), 64u);
    ASSERT_EQ(to_.size(), 64u);
    CliRun built = RunGridledger(absl::StrCat(
        "tx build --kind=transfer --slice=0 --nonce=0 --chain_id=", kChain, " --sender_secret=",
        secret_, " --to_slice=0 --to=", to_, " --amount=5"));
    ASSERT_EQ(built.exit_code, 0) << built.output;
    hex_ = std::string(absl::StripAsciiWhitespace(built.output));
  }
  // Any 64 hex digits name a network; kOtherChain is a second one.
  static constexpr char kChain[] =
      "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  static constexpr char kOtherChain[] =
      "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
  std::string Decode(const std::string& hex, const char* chain = kChain) {
    return absl::StrCat("tx decode ", hex, " --chain_id=", chain);
  }
  std::string secret_, to_, hex_;
};

TEST_F(TxCliTest, DecodesABuiltTransferAndVerifiesIt) {
  CliRun r = RunGridledger(Decode(hex_));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("kind: TRANSFER"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("transfer.amount: 5"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("signature_valid: yes"), std::string::npos) << r.output;
}

TEST_F(TxCliTest, FlippedSignatureBitDecodesButFailsVerification) {
  std::string bad = hex_;
  bad.back() = bad.back() == '0' ? '1' : '0';
  CliRun r = RunGridledger(Decode(bad));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("signature_valid: NO"), std::string::npos) << r.output;
}

TEST_F(TxCliTest, SecurityAnotherNetworkRefusesTheSignature) {
  CliRun r = RunGridledger(Decode(hex_, kOtherChain));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("signature_valid: NO"), std::string::npos) << r.output;
  CliRun none = RunGridledger("tx decode " + hex_);
  EXPECT_EQ(none.exit_code, 1) << none.output;
  EXPECT_NE(none.output.find("--chain_id=HEX"), std::string::npos) << none.output;
}

TEST_F(TxCliTest, BadInputExitsNonZeroWithTheReason) {
  CliRun version = RunGridledger(Decode("00"));
  EXPECT_EQ(version.exit_code, 1);
  EXPECT_NE(version.output.find("unknown version: 0"), std::string::npos) << version.output;
  CliRun odd = RunGridledger(Decode("0"));
  EXPECT_EQ(odd.exit_code, 1);
  EXPECT_NE(odd.output.find("odd number of hex digits"), std::string::npos) << odd.output;
  CliRun trailing = RunGridledger(Decode(hex_ + "00"));
  EXPECT_EQ(trailing.exit_code, 1);
  EXPECT_NE(trailing.output.find("trailing bytes"), std::string::npos) << trailing.output;
  CliRun truncated = RunGridledger(Decode(hex_.substr(0, hex_.size() - 2)));
  EXPECT_EQ(truncated.exit_code, 1);
  EXPECT_NE(truncated.output.find("truncated"), std::string::npos) << truncated.output;
}

TEST(PipelineCliTest, SmallRunConservesMoneyAndCatchesEveryBadSignature) {
  CliRun r = RunGridledger(
      "pipeline --backend=cpu --pipeline_txs=3000 --pipeline_accounts=50 "
      "--pipeline_block_txs=500 --pipeline_invalid_permille=20");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("money conserved:       yes"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("rejected decode:       0"), std::string::npos) << r.output;
  std::string rejected = FieldOf(r.output, " rejected signature:");
  EXPECT_FALSE(rejected.empty()) << r.output;
}

TEST(CliTest, UnknownCommandExitsTwo) {
  CliRun r = RunGridledger("no-such-command");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown command 'no-such-command'"), std::string::npos) << r.output;
}

TEST(GenesisCliTest, MarketTimingFlagsReachTheGenesisFile) {
  std::string dir = "/tmp/gridledger-cli-genesis-XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string common = absl::StrCat("genesis --validators=1 --accounts=1 --balance=5");
  CliRun bad = RunGridledger(absl::StrCat(common, " --out=", dir, "/bad --market_interval_ms=0"));
  EXPECT_NE(bad.exit_code, 0) << bad.output;
  EXPECT_NE(bad.output.find("market.interval_ms: 0 is out of range [1, "), std::string::npos)
      << bad.output;
  CliRun ok = RunGridledger(absl::StrCat(common, " --out=", dir,
                                         "/ok --market_interval_ms=2000 --gate_closure_ms=500"
                                         " --reading_window_ms=2000"));
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  FILE* f = fopen((dir + "/ok/genesis.toml").c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string text(4096, '\0');
  text.resize(fread(text.data(), 1, text.size(), f));
  fclose(f);
  EXPECT_NE(text.find("\n[market]\ninterval_ms = 2000\ngate_closure_ms = 500\n"
                      "reading_window_ms = 2000\n"),
            std::string::npos)
      << text;
  std::filesystem::remove_all(dir);
}

class MarketCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/gridledger-cli-market-XXXXXX";
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  CliRun Clear(const std::string& book) {
    const std::string path = dir_ + "/book-" + std::to_string(files_++) + ".csv";
    FILE* f = fopen(path.c_str(), "w");
    EXPECT_NE(f, nullptr);
    fwrite(book.data(), 1, book.size(), f);
    fclose(f);
    return RunGridledger("market clear --book=" + path);
  }
  std::string dir_;
  int files_ = 0;
};

TEST_F(MarketCliTest, ClearPrintsThePriceVolumeAndTradesInWalkOrder) {
  CliRun r = Clear(
      "# seq,account,side,energy_wh,price_per_kwh\n"
      "1,alice,bid,100,300000\n2,bob,bid,50,200000\n\n3,carol,ask,80,100000\n"
      "4,dave,ask,100,250000\n");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output,
            "{\"clearing_price_per_kwh\":275000,\"cleared_wh\":100,\"trades\":["
            "{\"bid_seq\":1,\"ask_seq\":3,\"energy_wh\":80},"
            "{\"bid_seq\":1,\"ask_seq\":4,\"energy_wh\":20}]}\n");
  CliRun none = Clear("1,a,bid,10,5\n2,b,ask,10,6\n");
  ASSERT_EQ(none.exit_code, 0) << none.output;
  EXPECT_EQ(none.output, "{\"clearing_price_per_kwh\":null,\"cleared_wh\":0,\"trades\":[]}\n");
}

TEST_F(MarketCliTest, BadLinesAndAnAccountOnBothSidesExitNonZeroWithTheReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"1,a,bid,10,5\n1,b,ask,10,5\n", "book line 2: seq 1 repeated"},
      {"1,a,sell,10,5\n", "book line 1: side 'sell' is not bid or ask"},
      {"1,a,bid,0,5\n", "book line 1: energy_wh '0'"},
      {"1,a,bid,10,1000000001\n", "book line 1: price_per_kwh '1000000001'"},
      {"1,a,bid,10\n", "book line 1: expected 5 fields"},
      {"1,a,bid,10,5\n2,a,ask,10,5\n", "book line 2: account 'a' is on both sides"},
  };
  for (const auto& [book, reason] : cases) {
    CliRun r = Clear(book);
    EXPECT_EQ(r.exit_code, 1) << book << r.output;
    EXPECT_NE(r.output.find(reason), std::string::npos) << book << r.output;
  }
}

}  // namespace
