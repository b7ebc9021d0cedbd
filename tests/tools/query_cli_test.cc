// `gridledger submit` and `gridledger query` against a running 4-validator
// cluster (in process, loopback, ports bound by the nodes): answers, --json,
// and the exit codes scripts branch on.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/common/bytes.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/net/node/test_cluster.h"
#include "tests/tools/cli_runner.h"

namespace gridledger {
namespace {

using cli_test::CliRun;
using cli_test::RunGridledger;
using node::cluster_test::MakeTransfer;
using node::cluster_test::TestCluster;
using node::cluster_test::WaitFor;

TEST(QueryCliTest, SubmitThenQueryTransactionAccountNodeAndCommits) {
  TestCluster cluster;
  const absl::Status started = cluster.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  const std::string node = absl::StrCat(" --node=", cluster.node(0).grpc_address());
  const PublicKey to = cluster.account(1).public_key();
  const Bytes tx = MakeTransfer(cluster.chain_id(), cluster.account(0), 0, to, 7);
  const std::string id = ComputeTxId(tx).Hex();

  CliRun submit = RunGridledger(absl::StrCat("submit ", HexEncode(tx), node));
  ASSERT_EQ(submit.exit_code, 0) << submit.output;
  EXPECT_TRUE(absl::StrContains(submit.output, id + " SUBMIT_CODE_ACCEPTED")) << submit.output;
  // The same again is refused (duplicate): exit 3 with the reason.
  CliRun again = RunGridledger(absl::StrCat("submit ", HexEncode(tx), node));
  EXPECT_EQ(again.exit_code, 3) << again.output;
  EXPECT_TRUE(absl::StrContains(again.output, "SUBMIT_CODE_DUPLICATE")) << again.output;

  // Pending (5) until committed (0), bounded by WaitFor's deadline.
  CliRun query;
  ASSERT_TRUE(WaitFor([&] {
    query = RunGridledger(absl::StrCat("query tx ", id, node, " --json"));
    return query.exit_code == 0;
  })) << query.output;
  const nlohmann::json j = nlohmann::json::parse(absl::StripAsciiWhitespace(query.output));
  EXPECT_EQ(j["tx_id"], id);
  EXPECT_EQ(j["status"], "TRANSACTION_STATUS_COMMITTED");
  EXPECT_EQ(j["result"]["success"], true);

  CliRun account = RunGridledger(absl::StrCat("query account ", to.Hex(), " --slice=0", node));
  EXPECT_EQ(account.exit_code, 0) << account.output;
  EXPECT_TRUE(absl::StrContains(account.output, "exists: true")) << account.output;
  EXPECT_TRUE(absl::StrContains(account.output,
                                absl::StrCat("balance: ", node::cluster_test::kInitialBalance + 7)))
      << account.output;

  CliRun info = RunGridledger(absl::StrCat("query node", node, " --json"));
  ASSERT_EQ(info.exit_code, 0) << info.output;
  const nlohmann::json n = nlohmann::json::parse(absl::StripAsciiWhitespace(info.output));
  EXPECT_EQ(n["committee_size"], 4);
  EXPECT_EQ(n["validator_index"], 0);
  EXPECT_EQ(n["state_root"].get<std::string>().size(), 64u) << info.output;

  CliRun commits = RunGridledger(absl::StrCat("query commits --count=50 --timeout_ms=2000", node));
  EXPECT_EQ(commits.exit_code, 0) << commits.output;
  EXPECT_TRUE(absl::StrContains(commits.output, id + " SUCCESS")) << commits.output;

  // Exit codes for scripts: unknown id 4, bad input 1, unreachable node 6.
  const std::string unknown(64, 'a');
  EXPECT_EQ(RunGridledger(absl::StrCat("query tx ", unknown, node)).exit_code, 4);
  EXPECT_EQ(RunGridledger(absl::StrCat("query tx zz", node)).exit_code, 1);
  EXPECT_EQ(RunGridledger(absl::StrCat("submit zz", node)).exit_code, 1);
  EXPECT_EQ(RunGridledger("query node --node=127.0.0.1:1 --timeout_ms=500").exit_code, 6);
  EXPECT_EQ(RunGridledger("query node").exit_code, 2);  // no --node: usage
}

}  // namespace
}  // namespace gridledger
