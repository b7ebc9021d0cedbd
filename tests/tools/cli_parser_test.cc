// The argument parser every `gridledger` subcommand shares (tools/cli.h,
// CLI11), and gridledger-sim's, through the real binaries: unknown options,
// bad and out-of-range values and missing required options exit 2 naming
// the option; --help prints each command's own options and exits 0.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/tools/cli_runner.h"

namespace gridledger {
namespace {

using cli_test::CliRun;
using cli_test::RunBinary;
using cli_test::RunGridledger;

constexpr int kExitUsage = 2;
constexpr char kSim[] = GL_GRIDLEDGER_SIM_BINARY;

// Expects exit 2 and every one of `needles` in the output of `binary args`.
void ExpectUsageErrorOf(const std::string& binary, const std::string& args,
                        std::initializer_list<const char*> needles) {
  SCOPED_TRACE(absl::StrCat(binary, " ", args));
  CliRun r = RunBinary(binary, args);
  EXPECT_EQ(r.exit_code, kExitUsage) << r.output;
  for (const char* needle : needles) {
    EXPECT_NE(r.output.find(needle), std::string::npos) << "missing '" << needle << "' in\n"
                                                        << r.output;
  }
}

void ExpectUsageError(const std::string& args, std::initializer_list<const char*> needles) {
  ExpectUsageErrorOf(GL_GRIDLEDGER_BINARY, args, needles);
}

TEST(CliParserTest, UnknownOptionExitsTwoNamingIt) {
  ExpectUsageError("query node --node=127.0.0.1:1 --bogus=1", {"--bogus"});
  ExpectUsageError("tx build --kind=transfer --bogus", {"--bogus"});
  ExpectUsageError("genesis --accounts=1 --balance=1 --out=/nonexistent/x --no_such_flag=3",
                   {"--no_such_flag"});
  ExpectUsageErrorOf(kSim, "--seeds=1 --typo", {"--typo"});
  ExpectUsageError("keys new --bogus=x", {"--bogus"});
}

TEST(CliParserTest, AnotherCommandsOptionIsUnknownHere) {
  // With one global flag namespace these were accepted and ignored.
  ExpectUsageError("query node --node=127.0.0.1:1 --kind=transfer", {"--kind"});
  ExpectUsageError("verify-batch /dev/null --pipeline_txs=5", {"--pipeline_txs"});
  ExpectUsageError("market bid --key=k --node=127.0.0.1:1 --role=meter", {"--role"});
}

TEST(CliParserTest, BadValueExitsTwoNamingTheOption) {
  ExpectUsageError("query commits --node=127.0.0.1:1 --count=abc", {"--count", "abc"});
  ExpectUsageError("query commits --node=127.0.0.1:1 --count=-1", {"--count", "-1"});
  ExpectUsageError("query commits --node=127.0.0.1:1 --count=0x10", {"--count"});
  ExpectUsageError("query commits --node=127.0.0.1:1 --count=99999999999", {"--count"});
  ExpectUsageError("tx build --kind=teleport", {"--kind", "teleport"});
  ExpectUsageError("tx decode 00 --chain_id=00 --format=xml", {"--format", "xml"});
  ExpectUsageError("verify-batch /dev/null --backend=tpu", {"--backend", "tpu"});
  ExpectUsageError("query node --node=127.0.0.1:1 --timeout_ms=soon", {"--timeout_ms"});
}

TEST(CliParserTest, OutOfRangeValueExitsTwoWithTheRange) {
  ExpectUsageErrorOf(kSim, "--validators=300", {"--validators", "[4, 256]"});
  ExpectUsageErrorOf(kSim, "--validators=5", {"--validators", "3f+1"});
  ExpectUsageError("pipeline --pipeline_block_txs=0", {"--pipeline_block_txs", "[1, "});
  ExpectUsageError("genesis --accounts=1 --balance=1 --out=/nonexistent/x --validators=0",
                   {"--validators", "[1, 256]"});
  ExpectUsageError("query node --node=127.0.0.1:1 --timeout_ms=0", {"--timeout_ms"});
}

TEST(CliParserTest, MissingRequiredOptionOrArgumentExitsTwoNamingIt) {
  ExpectUsageError("query node", {"--node"});
  ExpectUsageError("query tx --node=127.0.0.1:1", {"ID"});
  ExpectUsageError("node", {"--config"});
  ExpectUsageError("genesis --balance=1 --out=/nonexistent/x", {"--accounts"});
  ExpectUsageError("market clear", {"--book"});
  ExpectUsageError("market cancel --node=127.0.0.1:1", {"--key"});
  ExpectUsageError("submit --node=127.0.0.1:1", {"--tx_file"});
  ExpectUsageError("query", {"subcommand"});
}

TEST(CliParserTest, OptionsThatExcludeEachOtherExitTwo) {
  ExpectUsageError("tx decode 00 --chain_id=00 --genesis=g.toml", {"--chain_id", "--genesis"});
  ExpectUsageError("submit 00 --tx_file=- --node=127.0.0.1:1", {"--tx_file"});
  ExpectUsageError("market clear --book=a --book=b", {"--book"});
}

TEST(CliParserTest, HelpListsTheCommandsOwnOptionsAndExitsZero) {
  CliRun query = RunGridledger("query commits --help");
  EXPECT_EQ(query.exit_code, 0) << query.output;
  for (const char* needle : {"--from_sequence", "--count", "=100", "--node", "--timeout_ms",
                             "=5000", "--json", "exit: 0 ok"}) {
    EXPECT_NE(query.output.find(needle), std::string::npos) << needle << "\n" << query.output;
  }
  EXPECT_EQ(query.output.find("--kind"), std::string::npos) << query.output;
  CliRun sim = RunBinary(kSim, "--help");
  EXPECT_EQ(sim.exit_code, 0) << sim.output;
  EXPECT_NE(sim.output.find("[4, 256]"), std::string::npos) << sim.output;
  EXPECT_NE(sim.output.find("--real_store"), std::string::npos) << sim.output;
  CliRun market = RunGridledger("market --help");
  EXPECT_EQ(market.exit_code, 0) << market.output;
  for (const char* verb : {"clear", "register", "tariff", "bid", "ask", "cancel", "reading"}) {
    EXPECT_NE(market.output.find(verb), std::string::npos) << verb << "\n" << market.output;
  }
}

// The simulator (its adversary, its fault injection) is not in the binary a
// validator runs: it is gridledger-sim, and `gridledger sim` is unknown.
TEST(CliParserTest, TheSimulatorIsItsOwnExecutable) {
  CliRun in_gridledger = RunGridledger("sim --seeds=1");
  EXPECT_EQ(in_gridledger.exit_code, kExitUsage) << in_gridledger.output;
  EXPECT_NE(in_gridledger.output.find("unknown command 'sim'"), std::string::npos)
      << in_gridledger.output;
  CliRun one_seed = RunBinary(kSim, "--seeds=1 --seed=7");
  EXPECT_EQ(one_seed.exit_code, 0) << one_seed.output;
  EXPECT_NE(one_seed.output.find("1/1 seeds passed"), std::string::npos) << one_seed.output;
}

// Integers are base 10: a leading zero is not octal, so --validators=010
// is ten validators (CLI11 alone would read it as eight).
TEST(CliParserTest, LeadingZerosAreDecimal) {
  std::string dir = "/tmp/gridledger-cli-parser-XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  CliRun r = RunGridledger(
      absl::StrCat("genesis --validators=010 --accounts=01 --balance=5 --out=", dir, "/g"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("1 x 10 validators"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("accounts     1 x 5"), std::string::npos) << r.output;
  std::filesystem::remove_all(dir);
}

TEST(CliParserTest, FlagsTakeAnExplicitBoolean) {
  // --json=false is plain text; the node is unreachable either way (exit 6).
  CliRun r = RunGridledger("query node --node=127.0.0.1:1 --timeout_ms=200 --json=false");
  EXPECT_EQ(r.exit_code, 6) << r.output;
  ExpectUsageError("query node --node=127.0.0.1:1 --json=maybe", {"--json"});
}

// cluster and loadgen fail on their options before starting anything.
TEST(CliParserTest, ClusterAndLoadgenOptions) {
  ExpectUsageError("cluster --bogus=1", {"--bogus"});
  ExpectUsageError("cluster --rate=0", {"--rate", "[1, 1000000]"});
  ExpectUsageError("cluster --validators=65", {"--validators", "[1, 64]"});
  ExpectUsageError("cluster --duration=fast", {"--duration", "fast", "duration"});
  ExpectUsageError("cluster --duration=-1s", {"--duration"});
  ExpectUsageError("cluster --rate=1 --rate=2", {"--rate"});
  ExpectUsageError("cluster --kill=0@2s", {"--kill", "COUNT@TIME"});
  ExpectUsageError("cluster --restart=5s", {"--restart needs --kill"});
  ExpectUsageError("cluster --validators=4 --byzantine=2", {"--byzantine", "[0, 1]"});
  ExpectUsageError("cluster --chaos_over_f", {"--chaos_over_f needs --chaos"});
  ExpectUsageError("cluster --workload=batch", {"--workload", "batch"});
  ExpectUsageError("cluster --seed=3", {"--prosumers and --seed need --workload=microgrid"});
  ExpectUsageError("cluster --cross_slice_percent=101", {"--cross_slice_percent", "[0, 100]"});
  ExpectUsageError("cluster --submit=carrier_pigeon", {"--submit", "carrier_pigeon"});
  ExpectUsageError("cluster --archives=1 --kill=a1@2s", {"no such archive"});
  ExpectUsageError("cluster --kill=ax@2s", {"--kill"});
  ExpectUsageError("loadgen --rate=5", {"--dir"});
  ExpectUsageError("loadgen --dir=/nonexistent --attempts=17", {"--attempts", "[1, 16]"});
  ExpectUsageError("loadgen --dir=/nonexistent --validators=4", {"--validators"});
  for (const char* command : {"cluster", "loadgen"}) {
    CliRun help = RunGridledger(absl::StrCat(command, " --help"));
    EXPECT_EQ(help.exit_code, 0) << help.output;
    for (const char* needle : {"--rate", "--duration", "=20s", "--workload", "--json"}) {
      EXPECT_NE(help.output.find(needle), std::string::npos) << needle << "\n" << help.output;
    }
  }
}

}  // namespace
}  // namespace gridledger
