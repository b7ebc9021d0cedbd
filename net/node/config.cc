#include "net/node/config.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/common/file_read.h"
#include "core/common/status_macros.h"
#include "core/common/toml_fields.h"

namespace gridledger::node {
namespace {

constexpr absl::string_view kWhat = "node config";
constexpr absl::string_view kKeys[] = {
    "genesis",   "slice",         "validator_index",       "key_file",      "data_dir",
    "grpc_address", "metrics_address", "backend",          "peer_address_override",
    "grpc_tls_cert", "grpc_tls_key", "log_level",           "byzantine",
    "test_only_byzantine", "relay", "relay_tls_ca", "batch_delay_ms", "header_delay_ms",
    "leader_timeout_ms", "defer_peer_verification", "availability_votes"};
constexpr absl::string_view kRelayKeys[] = {"slice", "grpc_address"};
// Other slices' validators this node relays receipts to (receipt_relay.h).
constexpr size_t kMaxRelayTargets = 4096;

// Canonical decimal: digits only, no sign, no leading zeros.
bool ParseCanonicalU32(absl::string_view text, uint32_t* out) {
  if (text.empty() || text.size() > 10) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  if (text.size() > 1 && text[0] == '0') return false;
  uint64_t v = 0;
  if (!absl::SimpleAtoi(text, &v) || v > UINT32_MAX) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool IsIpv4Literal(absl::string_view host) {
  std::vector<absl::string_view> parts = absl::StrSplit(host, '.');
  if (parts.size() != 4) return false;
  for (absl::string_view p : parts) {
    uint32_t v = 0;
    if (!ParseCanonicalU32(p, &v) || v > 255) return false;
  }
  return true;
}

// ParseHostPort's message (it names the key), at the key's line.
absl::StatusOr<HostPort> Address(const TomlFields& fields, absl::string_view key,
                                 absl::string_view text) {
  auto hp = ParseHostPort(text, key);
  if (!hp.ok()) return fields.LocatedAt(key, hp.status().message());
  return *hp;
}

absl::StatusOr<HostPort> RequiredAddress(const TomlFields& fields, absl::string_view key) {
  GL_ASSIGN_OR_RETURN(const std::string text, fields.String(key));
  return Address(fields, key, text);
}

}  // namespace

std::string HostPort::ToString() const { return absl::StrCat(host, ":", port); }

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, absl::string_view field) {
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": expected IPv4:port, got \"", text, "\""));
  }
  HostPort out;
  const absl::string_view host = text.substr(0, colon);
  if (!IsIpv4Literal(host)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": host must be an IPv4 literal, got \"", host, "\""));
  }
  uint32_t port = 0;
  if (!ParseCanonicalU32(text.substr(colon + 1), &port) || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": port must be 0..65535, got \"", text.substr(colon + 1), "\""));
  }
  out.host = std::string(host);
  out.port = static_cast<uint16_t>(port);
  return out;
}

absl::StatusOr<NodeConfig> ParseNodeConfig(absl::string_view text) {
  if (text.size() > kMaxConfigBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("node config: ", text.size(), " bytes exceeds ", kMaxConfigBytes));
  }
  absl::StatusOr<toml::table> parsed = ParseTomlDocument(text, kWhat);
  if (!parsed.ok()) {
    // Most likely a config from before TOML (unquoted strings).
    return absl::InvalidArgumentError(absl::StrCat(
        parsed.status().message(), " (the config is TOML: strings in double quotes; "
                                   "docs/deploy.md, migration)"));
  }
  const toml::table& root = *parsed;
  GL_ASSIGN_OR_RETURN(const TomlFields fields, TomlFields::Of(root, kWhat, "", kKeys));
  NodeConfig config;
  GL_ASSIGN_OR_RETURN(config.genesis_path, fields.String("genesis"));
  GL_ASSIGN_OR_RETURN(const uint64_t slice, fields.Uint("slice", 0, UINT32_MAX));
  config.slice = static_cast<uint32_t>(slice);
  GL_ASSIGN_OR_RETURN(const uint64_t index, fields.Uint("validator_index", 0, UINT32_MAX));
  config.validator_index = static_cast<uint32_t>(index);
  GL_ASSIGN_OR_RETURN(config.key_file, fields.String("key_file"));
  GL_ASSIGN_OR_RETURN(config.data_dir, fields.String("data_dir"));
  GL_ASSIGN_OR_RETURN(config.grpc_address, RequiredAddress(fields, "grpc_address"));
  GL_ASSIGN_OR_RETURN(config.metrics_address, RequiredAddress(fields, "metrics_address"));
  GL_ASSIGN_OR_RETURN(const std::optional<std::string> backend, fields.OptionalString("backend"));
  if (backend.has_value()) {
    auto b = ParseVerifierBackend(*backend);
    if (!b.ok()) {
      return fields.ErrorAt("backend",
                            absl::StrCat("expected auto|cpu|gpu, got \"", *backend, "\""));
    }
    config.backend = *b;
  }
  GL_ASSIGN_OR_RETURN(const std::optional<std::string> peer,
                      fields.OptionalString("peer_address_override"));
  if (peer.has_value()) {
    GL_ASSIGN_OR_RETURN(config.peer_address_override,
                        Address(fields, "peer_address_override", *peer));
  }
  GL_ASSIGN_OR_RETURN(config.grpc_tls_cert, fields.OptionalString("grpc_tls_cert"));
  GL_ASSIGN_OR_RETURN(config.grpc_tls_key, fields.OptionalString("grpc_tls_key"));
  if (config.grpc_tls_cert.has_value() != config.grpc_tls_key.has_value()) {
    return absl::InvalidArgumentError(
        "node config: grpc_tls_cert and grpc_tls_key go together (give both or neither)");
  }
  GL_ASSIGN_OR_RETURN(const std::optional<std::string> log_level,
                      fields.OptionalString("log_level"));
  if (log_level.has_value()) {
    auto level = ParseLogLevel(*log_level);
    if (!level.ok()) return fields.ErrorAt("log_level", level.status().message());
    config.log_level = *level;
  }
  GL_ASSIGN_OR_RETURN(const std::optional<std::string> byzantine,
                      fields.OptionalString("byzantine"));
  if (byzantine.has_value()) {
    auto b = ParseByzantineBehaviours(*byzantine);
    if (!b.ok()) return fields.LocatedAt("byzantine", b.status().message());
    config.byzantine = *b;
  }
  bool test_only_byzantine = false;
  if (const toml::node* node = root.get("test_only_byzantine"); node != nullptr) {
    if (!node->is_boolean()) {
      return fields.ErrorAt("test_only_byzantine", "expected true or false");
    }
    test_only_byzantine = node->as_boolean()->get();
  }
  // A misbehaving validator must never come from a stray line in a real config.
  if (config.byzantine.any() && !test_only_byzantine) {
    return absl::InvalidArgumentError(
        "node config: byzantine is a test-only switch; refused unless test_only_byzantine = true");
  }
  GL_ASSIGN_OR_RETURN(config.relay_tls_ca, fields.OptionalString("relay_tls_ca"));
  GL_ASSIGN_OR_RETURN(config.batch_delay_ms,
                      fields.OptionalUint("batch_delay_ms", 1, kMaxBatchDelayMs));
  GL_ASSIGN_OR_RETURN(config.header_delay_ms,
                      fields.OptionalUint("header_delay_ms", 1, kMaxHeaderDelayMs));
  GL_ASSIGN_OR_RETURN(config.leader_timeout_ms,
                      fields.OptionalUint("leader_timeout_ms", kMinLeaderTimeoutMs,
                                          kMaxLeaderTimeoutMs));
  if (const toml::node* node = root.get("defer_peer_verification"); node != nullptr) {
    if (!node->is_boolean()) {
      return fields.ErrorAt("defer_peer_verification", "expected true or false");
    }
    config.defer_peer_verification = node->as_boolean()->get();
  }
  if (const toml::node* node = root.get("availability_votes"); node != nullptr) {
    if (!node->is_boolean()) return fields.ErrorAt("availability_votes", "expected true or false");
    config.availability_votes = node->as_boolean()->get();
  }
  GL_ASSIGN_OR_RETURN(const std::vector<const toml::table*> relays,
                      fields.TableArray("relay", kMaxRelayTargets));
  for (size_t i = 0; i < relays.size(); ++i) {
    GL_ASSIGN_OR_RETURN(const TomlFields relay,
                        TomlFields::Of(*relays[i], kWhat, absl::StrCat("relay[", i, "]"),
                                       kRelayKeys));
    RelayTarget target;
    GL_ASSIGN_OR_RETURN(const uint64_t relay_slice, relay.Uint("slice", 0, UINT32_MAX));
    target.slice = static_cast<uint32_t>(relay_slice);
    GL_ASSIGN_OR_RETURN(target.grpc_address, RequiredAddress(relay, "grpc_address"));
    config.relay_targets.push_back(std::move(target));
  }
  return config;
}

std::string SerializeNodeConfig(const NodeConfig& config, absl::string_view comment) {
  std::string out;
  if (!comment.empty()) {
    for (absl::string_view line : absl::StrSplit(comment, '\n')) {
      absl::StrAppend(&out, "# ", line, "\n");
    }
  }
  auto string_key = [&out](absl::string_view key, absl::string_view value) {
    absl::StrAppend(&out, key, " = ", TomlString(value), "\n");
  };
  string_key("genesis", config.genesis_path);
  absl::StrAppend(&out, "slice = ", config.slice, "\n");
  absl::StrAppend(&out, "validator_index = ", config.validator_index, "\n");
  string_key("key_file", config.key_file);
  string_key("data_dir", config.data_dir);
  string_key("grpc_address", config.grpc_address.ToString());
  string_key("metrics_address", config.metrics_address.ToString());
  string_key("backend", VerifierBackendName(config.backend));
  if (config.peer_address_override.has_value()) {
    string_key("peer_address_override", config.peer_address_override->ToString());
  }
  if (config.grpc_tls_cert.has_value()) string_key("grpc_tls_cert", *config.grpc_tls_cert);
  if (config.grpc_tls_key.has_value()) string_key("grpc_tls_key", *config.grpc_tls_key);
  string_key("log_level", LogLevelName(config.log_level));
  if (config.byzantine.any()) {
    string_key("byzantine", config.byzantine.ToString());
    absl::StrAppend(&out, "test_only_byzantine = true\n");
  }
  if (config.relay_tls_ca.has_value()) string_key("relay_tls_ca", *config.relay_tls_ca);
  auto uint_key = [&out](absl::string_view key, const std::optional<uint64_t>& value) {
    if (value.has_value()) absl::StrAppend(&out, key, " = ", *value, "\n");
  };
  uint_key("batch_delay_ms", config.batch_delay_ms);
  uint_key("header_delay_ms", config.header_delay_ms);
  uint_key("leader_timeout_ms", config.leader_timeout_ms);
  if (config.defer_peer_verification.has_value()) {
    absl::StrAppend(&out, "defer_peer_verification = ",
                    *config.defer_peer_verification ? "true" : "false", "\n");
  }
  if (config.availability_votes.has_value()) {
    absl::StrAppend(&out, "availability_votes = ",
                    *config.availability_votes ? "true" : "false", "\n");
  }
  for (const RelayTarget& t : config.relay_targets) {
    absl::StrAppend(&out, "\n[[relay]]\nslice = ", t.slice, "\n");
    string_key("grpc_address", t.grpc_address.ToString());
  }
  return out;
}

absl::StatusOr<NodeConfig> LoadNodeConfig(const std::string& path) {
  auto text = ReadFileBounded(path, kMaxConfigBytes, "node config");
  if (!text.ok()) return text.status();
  auto config = ParseNodeConfig(*text);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

}  // namespace gridledger::node
