// `gridledger query` against an archive node (issue 14 item 1: the archive
// answers the same commands), beside an in-process 4-validator cluster.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/common/bytes.h"
#include "gtest/gtest.h"
#include "net/archive/archive_node.h"
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

TEST(ArchiveCliTest, QueryTxAccountNodeAndCommitsAgainstAnArchive) {
  TestCluster cluster;
  const absl::Status started = cluster.StartAll();
  ASSERT_TRUE(started.ok()) << started;
  const PublicKey to = cluster.account(1).public_key();
  const Bytes tx = MakeTransfer(cluster.chain_id(), cluster.account(0), 0, to, 7);
  const std::string id = ComputeTxId(tx).Hex();
  ASSERT_TRUE(cluster.Submit(0, {tx}).results(0).accepted());

  archive::ArchiveConfig config;
  config.genesis_path = cluster.genesis_path();
  config.data_dir = cluster.dir() + "/archive";
  config.grpc_address = node::HostPort{"127.0.0.1", 0};
  for (uint32_t i = 0; i < node::cluster_test::kValidators; ++i) {
    auto hp = node::ParseHostPort(cluster.node(i).grpc_address(), "source");
    ASSERT_TRUE(hp.ok());
    config.sources.push_back(archive::ArchiveSource{0, *hp});
  }
  auto archive = archive::ArchiveNode::Start(config);
  ASSERT_TRUE(archive.ok()) << archive.status();
  const std::string node = absl::StrCat(" --node=", (*archive)->grpc_address());

  // Unknown (4) until the archive has followed the commit, then committed.
  CliRun query;
  ASSERT_TRUE(WaitFor([&] {
    query = RunGridledger(absl::StrCat("query tx ", id, node, " --json"));
    return query.exit_code == 0;
  }, absl::Seconds(60))) << query.output;
  const nlohmann::json j = nlohmann::json::parse(absl::StripAsciiWhitespace(query.output));
  EXPECT_EQ(j["status"], "TRANSACTION_STATUS_COMMITTED");

  CliRun account = RunGridledger(absl::StrCat("query account ", to.Hex(), " --slice=0", node));
  EXPECT_EQ(account.exit_code, 0) << account.output;
  EXPECT_TRUE(absl::StrContains(account.output,
                                absl::StrCat("balance: ", node::cluster_test::kInitialBalance + 7)))
      << account.output;

  CliRun info = RunGridledger(absl::StrCat("query node", node, " --json"));
  ASSERT_EQ(info.exit_code, 0) << info.output;
  const nlohmann::json n = nlohmann::json::parse(absl::StripAsciiWhitespace(info.output));
  EXPECT_EQ(n["archive"], true);
  ASSERT_EQ(n["archive_slices"].size(), 1u) << info.output;
  EXPECT_EQ(n["archive_slices"][0]["state_root"].get<std::string>().size(), 64u);

  CliRun commits = RunGridledger(absl::StrCat("query commits --count=50 --timeout_ms=2000", node));
  EXPECT_EQ(commits.exit_code, 0) << commits.output;
  EXPECT_TRUE(absl::StrContains(commits.output, id + " SUCCESS")) << commits.output;

  // Market queries name the slice; one the archive does not follow is refused.
  CliRun tariff = RunGridledger(absl::StrCat("query market tariff --slice=0", node));
  EXPECT_EQ(tariff.exit_code, 0) << tariff.output;
  EXPECT_TRUE(absl::StrContains(tariff.output, "slice: 0")) << tariff.output;
  CliRun other = RunGridledger(absl::StrCat("query market tariff --slice=5", node));
  EXPECT_NE(other.exit_code, 0) << other.output;
  EXPECT_TRUE(absl::StrContains(other.output, "not followed here")) << other.output;

  // The archive orders nothing: submit is refused (UNIMPLEMENTED).
  CliRun submit = RunGridledger(absl::StrCat("submit ", HexEncode(tx), node));
  EXPECT_NE(submit.exit_code, 0) << submit.output;
}

}  // namespace
}  // namespace gridledger
