#include "net/node/config.h"

#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/common/file_read.h"
#include "core/common/status_macros.h"

namespace gridledger::node {
namespace {

constexpr absl::string_view kRequiredKeys[] = {
    "genesis", "slice", "validator_index", "key_file",
    "data_dir", "grpc_address", "metrics_address"};

absl::Status LineError(size_t line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("node config line ", line, ": ", what));
}

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
  NodeConfig config;
  absl::flat_hash_set<std::string> seen;
  bool test_only_byzantine = false;
  size_t line_no = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (raw.size() > kMaxConfigLineBytes) return LineError(line_no, "line too long");
    absl::string_view line = raw;
    if (const size_t hash = line.find('#'); hash != absl::string_view::npos) {
      line = line.substr(0, hash);
    }
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) return LineError(line_no, "expected key = value");
    const absl::string_view key = absl::StripAsciiWhitespace(line.substr(0, eq));
    const absl::string_view value = absl::StripAsciiWhitespace(line.substr(eq + 1));
    if (key.empty()) return LineError(line_no, "empty key");
    if (value.empty()) return LineError(line_no, absl::StrCat(key, ": empty value"));
    if (!seen.insert(std::string(key)).second) {
      return LineError(line_no, absl::StrCat("duplicate key ", key));
    }
    auto field_error = [&](const absl::Status& s) {
      return LineError(line_no, s.message());
    };
    if (key == "genesis") {
      config.genesis_path = std::string(value);
    } else if (key == "slice") {
      if (!ParseCanonicalU32(value, &config.slice)) {
        return LineError(line_no, absl::StrCat("slice: expected a decimal u32, got \"", value, "\""));
      }
    } else if (key == "validator_index") {
      if (!ParseCanonicalU32(value, &config.validator_index)) {
        return LineError(line_no, absl::StrCat(
            "validator_index: expected a decimal u32, got \"", value, "\""));
      }
    } else if (key == "key_file") {
      config.key_file = std::string(value);
    } else if (key == "data_dir") {
      config.data_dir = std::string(value);
    } else if (key == "grpc_address") {
      auto hp = ParseHostPort(value, "grpc_address");
      if (!hp.ok()) return field_error(hp.status());
      config.grpc_address = *hp;
    } else if (key == "metrics_address") {
      auto hp = ParseHostPort(value, "metrics_address");
      if (!hp.ok()) return field_error(hp.status());
      config.metrics_address = *hp;
    } else if (key == "backend") {
      auto b = ParseVerifierBackend(value);
      if (!b.ok()) {
        return LineError(line_no, absl::StrCat("backend: expected auto|cpu|gpu, got \"", value, "\""));
      }
      config.backend = *b;
    } else if (key == "peer_address_override") {
      auto hp = ParseHostPort(value, "peer_address_override");
      if (!hp.ok()) return field_error(hp.status());
      config.peer_address_override = *hp;
    } else if (key == "grpc_tls_cert") {
      config.grpc_tls_cert = std::string(value);
    } else if (key == "grpc_tls_key") {
      config.grpc_tls_key = std::string(value);
    } else if (key == "byzantine") {
      auto b = ParseByzantineBehaviours(value);
      if (!b.ok()) return field_error(b.status());
      config.byzantine = *b;
    } else if (key == "test_only_byzantine") {
      if (value != "yes" && value != "no") {
        return LineError(line_no, absl::StrCat("test_only_byzantine: expected yes or no, got \"",
                                               value, "\""));
      }
      test_only_byzantine = value == "yes";
    } else {
      return LineError(line_no, absl::StrCat("unknown key ", key));
    }
  }
  for (absl::string_view key : kRequiredKeys) {
    if (!seen.contains(key)) {
      return absl::InvalidArgumentError(absl::StrCat("node config: missing key ", key));
    }
  }
  if (config.grpc_tls_cert.has_value() != config.grpc_tls_key.has_value()) {
    return absl::InvalidArgumentError(
        "node config: grpc_tls_cert and grpc_tls_key go together (give both or neither)");
  }
  // A misbehaving validator must never come from a stray line in a real config.
  if (config.byzantine.any() && !test_only_byzantine) {
    return absl::InvalidArgumentError(
        "node config: byzantine is a test-only switch; refused unless test_only_byzantine = yes");
  }
  return config;
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
