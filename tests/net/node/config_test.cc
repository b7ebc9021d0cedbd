#include "net/node/config.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace gridledger::node {
namespace {

const char kValid[] =
    "# a validator\n"
    "genesis = /tmp/g/genesis.txt\n"
    "slice = 0\n"
    "validator_index = 3\n"
    "key_file = /tmp/g/validator-0-3.key   # secret\n"
    "\n"
    "data_dir = /tmp/g/node-0-3\n"
    "grpc_address = 127.0.0.1:7303\n"
    "metrics_address = 127.0.0.1:0\n";

TEST(NodeConfigTest, ParsesEveryKey) {
  auto c = ParseNodeConfig(absl::StrCat(kValid, "backend = cpu\n",
                                        "peer_address_override = 10.0.0.1:7100\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->genesis_path, "/tmp/g/genesis.txt");
  EXPECT_EQ(c->slice, 0u);
  EXPECT_EQ(c->validator_index, 3u);
  EXPECT_EQ(c->key_file, "/tmp/g/validator-0-3.key");
  EXPECT_EQ(c->data_dir, "/tmp/g/node-0-3");
  EXPECT_EQ(c->grpc_address.ToString(), "127.0.0.1:7303");
  EXPECT_EQ(c->metrics_address.port, 0);
  EXPECT_EQ(c->backend, VerifierBackend::kCpu);
  ASSERT_TRUE(c->peer_address_override.has_value());
  EXPECT_EQ(c->peer_address_override->ToString(), "10.0.0.1:7100");
}

TEST(NodeConfigTest, DefaultsBackendAutoAndNoOverride) {
  auto c = ParseNodeConfig(kValid);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->backend, VerifierBackend::kAuto);
  EXPECT_FALSE(c->peer_address_override.has_value());
}

void ExpectError(const std::string& text, const std::string& message) {
  auto c = ParseNodeConfig(text);
  ASSERT_FALSE(c.ok()) << text;
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(), message);
}

TEST(NodeConfigTest, ClientApiTlsNeedsCertAndKeyTogether) {
  auto c = ParseNodeConfig(absl::StrCat(kValid, "grpc_tls_cert = /etc/gl/api.crt\n",
                                        "grpc_tls_key = /etc/gl/api.key\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->grpc_tls_cert, "/etc/gl/api.crt");
  EXPECT_EQ(c->grpc_tls_key, "/etc/gl/api.key");
  EXPECT_FALSE(ParseNodeConfig(kValid)->grpc_tls_cert.has_value());
  ExpectError(absl::StrCat(kValid, "grpc_tls_cert = /etc/gl/api.crt\n"),
              "node config: grpc_tls_cert and grpc_tls_key go together (give both or neither)");
  ExpectError(absl::StrCat(kValid, "grpc_tls_key = /etc/gl/api.key\n"),
              "node config: grpc_tls_cert and grpc_tls_key go together (give both or neither)");
}

TEST(NodeConfigTest, ErrorsNameTheLine) {
  ExpectError(absl::StrCat(kValid, "colour = blue\n"), "node config line 10: unknown key colour");
  ExpectError(absl::StrCat(kValid, "slice = 1\n"), "node config line 10: duplicate key slice");
  ExpectError(absl::StrCat("slice 0\n", kValid), "node config line 1: expected key = value");
  ExpectError(absl::StrCat("backend =\n", kValid), "node config line 1: backend: empty value");
  ExpectError(absl::StrCat("backend = fast\n", kValid),
              "node config line 1: backend: expected auto|cpu|gpu, got \"fast\"");
  ExpectError(absl::StrCat("= x\n", kValid), "node config line 1: empty key");
}

TEST(NodeConfigTest, RejectsBadNumbersAndAddresses) {
  std::string text = kValid;
  text.replace(text.find("slice = 0"), 9, "slice = 01");
  ExpectError(text, "node config line 3: slice: expected a decimal u32, got \"01\"");
  text = kValid;
  text.replace(text.find("validator_index = 3"), 19, "validator_index = -3");
  ExpectError(text, "node config line 4: validator_index: expected a decimal u32, got \"-3\"");
  text = kValid;
  text.replace(text.find("127.0.0.1:7303"), 14, "localhost:7303");
  ExpectError(text,
              "node config line 8: grpc_address: host must be an IPv4 literal, got \"localhost\"");
  text = kValid;
  text.replace(text.find("127.0.0.1:7303"), 14, "127.0.0.1:70000");
  ExpectError(text, "node config line 8: grpc_address: port must be 0..65535, got \"70000\"");
  text = kValid;
  text.replace(text.find("127.0.0.1:0"), 11, "127.0.0.1");
  ExpectError(text,
              "node config line 9: metrics_address: expected IPv4:port, got \"127.0.0.1\"");
}

TEST(NodeConfigTest, MissingRequiredKey) {
  std::string text = kValid;
  text.erase(text.find("data_dir"), std::string("data_dir = /tmp/g/node-0-3\n").size());
  ExpectError(text, "node config: missing key data_dir");
}

TEST(NodeConfigTest, LoadNamesThePath) {
  auto c = LoadNodeConfig("/nonexistent/gridledger-node.conf");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(c.status().message(), "node config /nonexistent/gridledger-node.conf: cannot open");
}

}  // namespace
}  // namespace gridledger::node
