// `gridledger genesis --hosts=FILE` as an operator runs it: the genesis puts
// each validator on its line's address, every node config it writes is one
// the node's strict parser accepts with that validator's addresses and the
// operator's directories, and a bad hosts file is refused naming the line,
// before anything is written.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/execution/genesis.h"
#include "gtest/gtest.h"
#include "net/node/config.h"
#include "nlohmann/json.hpp"
#include "tests/tools/cli_runner.h"

namespace gridledger {
namespace {

using gridledger::cli_test::CliRun;
using gridledger::cli_test::RunGridledger;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class GenesisHostsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(testing::TempDir(), "/genesis_hosts_", getpid(), "_",
                        testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteHosts(const std::string& text) {
    const std::string path = dir_ + "/hosts";
    std::ofstream(path) << text;
    return path;
  }

  std::string dir_;
};

TEST_F(GenesisHostsTest, WritesOneParsableConfigPerValidatorOnItsHost) {
  const std::string hosts = WriteHosts(
      "# slice 0\n10.1.0.1\n10.1.0.2:9000  # a chosen peer port\n\n"
      "# slice 1\n10.1.0.3\n10.1.0.1\n");
  const std::string out = dir_ + "/out";
  CliRun run = RunGridledger(absl::StrCat(
      "genesis --validators=2 --slices=2 --accounts=4 --balance=100 --out=", out,
      " --hosts=", hosts, " --config_dir=/srv/gl/etc --data_root=/srv/gl/data"
      " --grpc_base_port=8300 --metrics_base_port=8400 --backend=cpu"));
  ASSERT_EQ(run.exit_code, 0) << run.output;

  auto genesis = ParseGenesis(ReadFile(out + "/genesis.toml"));
  ASSERT_TRUE(genesis.ok()) << genesis.status();
  ASSERT_EQ(genesis->slices.size(), 2u);
  const std::string want_host[2][2] = {{"10.1.0.1", "10.1.0.2"}, {"10.1.0.3", "10.1.0.1"}};
  const uint16_t want_peer_port[2][2] = {{7100, 9000}, {7102, 7103}};
  for (uint32_t s = 0; s < 2; ++s) {
    for (uint32_t i = 0; i < 2; ++i) {
      SCOPED_TRACE(absl::StrCat("validator ", s, "/", i));
      const uint32_t k = s * 2 + i;
      EXPECT_EQ(genesis->slices[s].validators[i].host, want_host[s][i]);
      EXPECT_EQ(genesis->slices[s].validators[i].port, want_peer_port[s][i]);
      auto config = node::LoadNodeConfig(absl::StrCat(out, "/node-", s, "-", i, ".toml"));
      ASSERT_TRUE(config.ok()) << config.status();
      EXPECT_EQ(config->slice, s);
      EXPECT_EQ(config->validator_index, i);
      EXPECT_EQ(config->genesis_path, "/srv/gl/etc/genesis.toml");
      EXPECT_EQ(config->key_file, absl::StrCat("/srv/gl/etc/validator-", s, "-", i, ".key"));
      EXPECT_EQ(config->data_dir, absl::StrCat("/srv/gl/data/node-", s, "-", i));
      EXPECT_EQ(config->grpc_address.ToString(), absl::StrCat(want_host[s][i], ":", 8300 + k));
      EXPECT_EQ(config->metrics_address.ToString(),
                absl::StrCat(want_host[s][i], ":", 8400 + k));
      EXPECT_EQ(config->backend, VerifierBackend::kCpu);
      EXPECT_FALSE(config->peer_address_override.has_value());  // listens at its genesis address
      // Receipts go to every validator of the other slice, in plaintext.
      const uint32_t other = 1 - s;
      ASSERT_EQ(config->relay_targets.size(), 2u);
      for (uint32_t j = 0; j < 2; ++j) {
        EXPECT_EQ(config->relay_targets[j].slice, other);
        EXPECT_EQ(config->relay_targets[j].grpc_address.ToString(),
                  absl::StrCat(want_host[other][j], ":", 8300 + other * 2 + j));
      }
      EXPECT_FALSE(config->grpc_tls_cert.has_value());
      EXPECT_FALSE(config->relay_tls_ca.has_value());
    }
  }
  const auto targets = nlohmann::json::parse(ReadFile(out + "/prometheus-targets.json"));
  ASSERT_EQ(targets.size(), 4u);
  EXPECT_EQ(targets[3]["targets"][0], "10.1.0.1:8403");
  EXPECT_EQ(targets[3]["labels"]["slice"], "1");
  EXPECT_EQ(targets[3]["labels"]["validator"], "1");
}

// --api_tls: each config names its API certificate and key and the CA its
// receipt relay trusts for the other slices' (TLS-only) APIs; the node's
// parser reads every key back, and the config re-serializes to the same.
TEST_F(GenesisHostsTest, ApiTlsWritesTheCertificatesAndTheRelayCa) {
  const std::string hosts = WriteHosts("10.1.0.1\n10.1.0.2\n10.1.0.3\n10.1.0.4\n");
  const std::string out = dir_ + "/out";
  CliRun run = RunGridledger(absl::StrCat(
      "genesis --validators=2 --slices=2 --accounts=2 --balance=1 --out=", out, " --hosts=", hosts,
      " --config_dir=/srv/gl/etc --api_tls"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  for (uint32_t s = 0; s < 2; ++s) {
    for (uint32_t i = 0; i < 2; ++i) {
      SCOPED_TRACE(absl::StrCat("validator ", s, "/", i));
      auto config = node::LoadNodeConfig(absl::StrCat(out, "/node-", s, "-", i, ".toml"));
      ASSERT_TRUE(config.ok()) << config.status();
      EXPECT_EQ(config->grpc_tls_cert, absl::StrCat("/srv/gl/etc/api-", s, "-", i, ".crt"));
      EXPECT_EQ(config->grpc_tls_key, absl::StrCat("/srv/gl/etc/api-", s, "-", i, ".key"));
      EXPECT_EQ(config->relay_tls_ca, "/srv/gl/etc/ca.crt");
      EXPECT_EQ(config->relay_targets.size(), 2u);
      auto again = node::ParseNodeConfig(node::SerializeNodeConfig(*config));
      ASSERT_TRUE(again.ok()) << again.status();
      EXPECT_EQ(*again, *config);
    }
  }
}

TEST_F(GenesisHostsTest, BadHostsFileIsRefusedNamingTheLineAndWritesNothing) {
  struct Case {
    const char* hosts;
    const char* reason;
  };
  const Case cases[] = {
      {"10.1.0.1\n# next\nmachine-b\n", "hosts file line 3: host: host must be an IPv4 literal"},
      {"10.1.0.1\n10.1.0.2:0\n", "hosts file line 2: host: port 0"},
      {"10.1.0.1\n10.1.0.2:70000\n", "hosts file line 2: host: port must be 0..65535"},
      {"10.1.0.1\n", "hosts file: 1 validators listed, --validators x --slices is 2"},
      {"10.1.0.1\n10.1.0.2\n10.1.0.3\n", "hosts file line 3: more than the 2 validators"},
      {"10.1.0.1\n10.1.0.1:7300\n", "10.1.0.1:7300 (validator 1 of slice 0) is already used"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.hosts);
    const std::string out = dir_ + "/out";
    CliRun run = RunGridledger(absl::StrCat("genesis --validators=2 --accounts=1 --balance=1 --out=",
                                            out, " --hosts=", WriteHosts(c.hosts)));
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_NE(run.output.find(c.reason), std::string::npos) << run.output;
    EXPECT_FALSE(std::filesystem::exists(out));
  }
}

TEST_F(GenesisHostsTest, NodeConfigFlagsNeedHosts) {
  CliRun run = RunGridledger(absl::StrCat(
      "genesis --validators=2 --accounts=1 --balance=1 --out=", dir_, "/out --data_root=/x"));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("only --hosts=FILE writes"), std::string::npos) << run.output;
  run = RunGridledger(absl::StrCat(
      "genesis --validators=2 --accounts=1 --balance=1 --out=", dir_, "/out --api_tls"));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("only --hosts=FILE writes"), std::string::npos) << run.output;
  run = RunGridledger(absl::StrCat("genesis --validators=1 --accounts=1 --balance=1 --out=", dir_,
                                   "/out --hosts=", WriteHosts("10.1.0.1\n"),
                                   " --data_root=relative/dir"));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("--data_root must be an absolute path"), std::string::npos)
      << run.output;
}

}  // namespace
}  // namespace gridledger
