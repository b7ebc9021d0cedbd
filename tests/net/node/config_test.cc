#include "net/node/config.h"

#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace gridledger::node {
namespace {

// Lines 1..9; a test appends at line 10.
const char kValid[] =
    "# a validator\n"
    "genesis = \"/tmp/g/genesis.toml\"\n"
    "slice = 0\n"
    "validator_index = 3\n"
    "key_file = \"/tmp/g/validator-0-3.key\"   # secret\n"
    "\n"
    "data_dir = '/tmp/g/node-0-3'\n"
    "grpc_address = \"127.0.0.1:7303\"\n"
    "metrics_address = \"127.0.0.1:0\"\n";

TEST(NodeConfigTest, ParsesEveryKey) {
  auto c = ParseNodeConfig(absl::StrCat(kValid, "backend = \"cpu\"\n",
                                        "peer_address_override = \"10.0.0.1:7100\"\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->genesis_path, "/tmp/g/genesis.toml");
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
  EXPECT_EQ(c->log_level, LogLevel::kInfo);
}

// What every writer (genesis --hosts, cluster, tests) emits reads back equal,
// including paths that need TOML escapes.
TEST(NodeConfigTest, SerializeRoundTrips) {
  NodeConfig c;
  c.genesis_path = "/srv/gl #1/genesis.toml";
  c.slice = 2;
  c.validator_index = 7;
  c.key_file = "/srv/\"quoted\"\\key";
  c.data_dir = "/var/lib/gl/node-2-7";
  c.grpc_address = HostPort{"10.0.0.2", 7307};
  c.metrics_address = HostPort{"10.0.0.2", 0};
  c.backend = VerifierBackend::kGpu;
  c.peer_address_override = HostPort{"0.0.0.0", 7100};
  c.grpc_tls_cert = "/etc/gl/api.crt";
  c.grpc_tls_key = "/etc/gl/api.key";
  c.log_level = LogLevel::kDebug;
  c.byzantine.equivocate = true;
  c.relay_tls_ca = "/etc/gl/ca.pem";
  c.batch_delay_ms = 10;
  c.header_delay_ms = 30;
  c.leader_timeout_ms = 250;
  c.defer_peer_verification = false;
  c.availability_votes = false;
  c.relay_targets.push_back(RelayTarget{1, HostPort{"10.0.1.1", 7301}});
  const std::string text = SerializeNodeConfig(c, "two\nlines");
  EXPECT_EQ(text.substr(0, 14), "# two\n# lines\n") << text;
  auto parsed = ParseNodeConfig(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
  EXPECT_EQ(*parsed, c);
  NodeConfig plain = c;
  plain.peer_address_override.reset();
  plain.grpc_tls_cert.reset();
  plain.grpc_tls_key.reset();
  plain.byzantine = {};
  const std::string plain_text = SerializeNodeConfig(plain);
  EXPECT_EQ(plain_text.find("test_only_byzantine"), std::string::npos) << plain_text;
  EXPECT_EQ(*ParseNodeConfig(plain_text), plain);
}

void ExpectError(const std::string& text, const std::string& message) {
  auto c = ParseNodeConfig(text);
  ASSERT_FALSE(c.ok()) << text;
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(), message);
}

// Found by node_config_fuzz: toml++ 3.3 reaches __builtin_unreachable on
// some non-ASCII code points; such input is refused before it parses.
TEST(NodeConfigTest, NonAsciiInputIsRefusedBeforeTomlParsesIt) {
  auto c = ParseNodeConfig(absl::StrCat(kValid, "\xef\xaf\xbb [\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::StrContains(c.status().message(),
                                "node config line 10: non-ASCII byte 0xef"))
      << c.status();
}

TEST(NodeConfigTest, ClientApiTlsNeedsCertAndKeyTogether) {
  auto c = ParseNodeConfig(absl::StrCat(kValid, "grpc_tls_cert = \"/etc/gl/api.crt\"\n",
                                        "grpc_tls_key = \"/etc/gl/api.key\"\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->grpc_tls_cert, "/etc/gl/api.crt");
  EXPECT_EQ(c->grpc_tls_key, "/etc/gl/api.key");
  EXPECT_FALSE(ParseNodeConfig(kValid)->grpc_tls_cert.has_value());
  ExpectError(absl::StrCat(kValid, "grpc_tls_cert = \"/etc/gl/api.crt\"\n"),
              "node config: grpc_tls_cert and grpc_tls_key go together (give both or neither)");
  ExpectError(absl::StrCat(kValid, "grpc_tls_key = \"/etc/gl/api.key\"\n"),
              "node config: grpc_tls_cert and grpc_tls_key go together (give both or neither)");
}

TEST(NodeConfigTest, ErrorsNameTheKeyAndTheLine) {
  // Unknown key, also inside a table.
  ExpectError(absl::StrCat(kValid, "colour = \"blue\"\n"),
              "node config line 10: unknown key colour");
  ExpectError(absl::StrCat(kValid, "\n[extra]\nx = 1\n"), "node config line 11: unknown key extra");
  // Duplicate key (toml++ refuses it while parsing).
  const std::string kTomlHint =
      " (the config is TOML: strings in double quotes; docs/deploy.md, migration)";
  ExpectError(absl::StrCat(kValid, "slice = 1\n"),
              "node config line 10: Error while parsing key-value pair: cannot redefine existing "
              "integer 'slice'" + kTomlHint);
  // Wrong types.
  ExpectError(absl::StrCat("backend = 3\n", kValid),
              "node config line 1: backend: expected a string, got an integer");
  ExpectError(absl::StrCat(kValid, "test_only_byzantine = \"yes\"\n"),
              "node config line 10: test_only_byzantine: expected true or false");
  std::string text = kValid;
  text.replace(text.find("slice = 0"), 9, "slice = \"0\"");
  ExpectError(text, "node config line 3: slice: expected an integer, got a string");
  // Bad values.
  ExpectError(absl::StrCat("backend = \"fast\"\n", kValid),
              "node config line 1: backend: expected auto|cpu|gpu, got \"fast\"");
  ExpectError(absl::StrCat("backend = \"\"\n", kValid),
              "node config line 1: backend: empty string");
  ExpectError(absl::StrCat(kValid, "log_level = \"loud\"\n"),
              "node config line 10: log_level: expected trace|debug|info|warn|error|off, got "
              "\"loud\"");
  // Not TOML: the old unquoted format.
  ExpectError(absl::StrCat(kValid, "backend = cpu\n"),
              "node config line 10: Error while parsing value: could not determine value type" +
                  kTomlHint);
}

TEST(NodeConfigTest, RejectsOutOfRangeNumbersAndBadAddresses) {
  std::string text = kValid;
  text.replace(text.find("validator_index = 3"), 19, "validator_index = -3");
  ExpectError(text, "node config line 4: validator_index: -3 is out of range [0, 4294967295]");
  text = kValid;
  text.replace(text.find("slice = 0"), 9, "slice = 4294967296");
  ExpectError(text, "node config line 3: slice: 4294967296 is out of range [0, 4294967295]");
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

// Pacing keys are optional and bounded; out of range names the key and line.
TEST(NodeConfigTest, PacingKeysAreOptionalAndBounded) {
  auto plain = ParseNodeConfig(kValid);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->batch_delay_ms.has_value());
  EXPECT_FALSE(plain->header_delay_ms.has_value());
  EXPECT_FALSE(plain->leader_timeout_ms.has_value());
  auto tuned = ParseNodeConfig(std::string(kValid) + "header_delay_ms = 25\n");
  ASSERT_TRUE(tuned.ok()) << tuned.status();
  EXPECT_EQ(tuned->header_delay_ms, 25u);
  auto zero = ParseNodeConfig(std::string(kValid) + "batch_delay_ms = 0\n");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("batch_delay_ms: 0 is out of range [1, 1000]"),
            std::string::npos)
      << zero.status();
  auto short_timeout = ParseNodeConfig(std::string(kValid) + "leader_timeout_ms = 10\n");
  ASSERT_FALSE(short_timeout.ok());
  EXPECT_NE(short_timeout.status().message().find("leader_timeout_ms: 10 is out of range"),
            std::string::npos)
      << short_timeout.status();
  EXPECT_FALSE(plain->defer_peer_verification.has_value());
  auto off = ParseNodeConfig(std::string(kValid) + "defer_peer_verification = false\n");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(off->defer_peer_verification, std::optional<bool>(false));
  auto not_bool = ParseNodeConfig(std::string(kValid) + "defer_peer_verification = 1\n");
  ASSERT_FALSE(not_bool.ok());
  EXPECT_NE(not_bool.status().message().find("defer_peer_verification: expected true or false"),
            std::string::npos)
      << not_bool.status();
  EXPECT_FALSE(plain->availability_votes.has_value());
  auto no_availability = ParseNodeConfig(std::string(kValid) + "availability_votes = false\n");
  ASSERT_TRUE(no_availability.ok()) << no_availability.status();
  EXPECT_EQ(no_availability->availability_votes, std::optional<bool>(false));
  auto not_bool2 = ParseNodeConfig(std::string(kValid) + "availability_votes = \"no\"\n");
  ASSERT_FALSE(not_bool2.ok());
  EXPECT_NE(not_bool2.status().message().find("availability_votes: expected true or false"),
            std::string::npos)
      << not_bool2.status();
}

TEST(NodeConfigTest, MissingRequiredKey) {
  std::string text = kValid;
  text.erase(text.find("data_dir"), std::string("data_dir = '/tmp/g/node-0-3'\n").size());
  ExpectError(text, "node config: missing key data_dir");
}

TEST(NodeConfigTest, OversizeTextIsRefusedBeforeParsing) {
  const std::string text = absl::StrCat(kValid, "#", std::string(kMaxConfigBytes, 'x'), "\n");
  ExpectError(text, absl::StrCat("node config: ", text.size(), " bytes exceeds ", kMaxConfigBytes));
}

TEST(NodeConfigTest, LoadNamesThePath) {
  auto c = LoadNodeConfig("/nonexistent/gridledger-node.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(c.status().message(), "node config /nonexistent/gridledger-node.toml: cannot open");
}

}  // namespace
}  // namespace gridledger::node
