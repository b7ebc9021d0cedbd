#include "tools/host_configs.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "net/node/config.h"
#include "nlohmann/json.hpp"

namespace gridledger::tools {
namespace {

constexpr size_t kMaxHostsLineBytes = 256;

absl::Status LineError(size_t line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("hosts file line ", line, ": ", what));
}

// A node runs from its unit's working directory: a relative path there would
// name something else than the operator meant.
absl::Status CheckDir(absl::string_view dir, absl::string_view flag) {
  if (dir.empty() || dir[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be an absolute path"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<HostsEntry>> ParseHostsFile(absl::string_view text, size_t expected) {
  if (text.size() > kMaxHostsFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("hosts file: ", text.size(), " bytes exceeds ", kMaxHostsFileBytes));
  }
  std::vector<HostsEntry> entries;
  size_t line_no = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (raw.size() > kMaxHostsLineBytes) return LineError(line_no, "line too long");
    absl::string_view line = raw.substr(0, raw.find('#'));
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    if (entries.size() == expected) {
      return LineError(line_no, absl::StrCat("more than the ", expected,
                                             " validators of --validators x --slices"));
    }
    const bool has_port = line.find(':') != absl::string_view::npos;
    // A bare IP is checked with a placeholder port; its port comes later.
    auto hp = node::ParseHostPort(has_port ? std::string(line) : absl::StrCat(line, ":1"),
                                  "host");
    if (!hp.ok()) return LineError(line_no, hp.status().message());
    if (has_port && hp->port == 0) return LineError(line_no, "host: port 0 cannot be a peer port");
    entries.push_back(
        HostsEntry{hp->host, has_port ? std::optional<uint16_t>(hp->port) : std::nullopt});
  }
  if (entries.size() != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("hosts file: ", entries.size(), " validators listed, --validators x "
                     "--slices is ", expected));
  }
  return entries;
}

absl::StatusOr<std::vector<ValidatorPlacement>> PlaceValidators(
    const std::vector<HostsEntry>& entries, uint32_t slices, uint32_t validators,
    const HostLayout& layout) {
  if (absl::Status s = CheckDir(layout.config_dir, "config_dir"); !s.ok()) return s;
  if (absl::Status s = CheckDir(layout.data_root, "data_root"); !s.ok()) return s;
  if (layout.backend != "auto" && layout.backend != "cpu" && layout.backend != "gpu") {
    return absl::InvalidArgumentError(
        absl::StrCat("--backend: expected auto|cpu|gpu, got \"", layout.backend, "\""));
  }
  const uint64_t n = static_cast<uint64_t>(slices) * validators;
  if (entries.size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("hosts file: ", entries.size(), " validators listed, expected ", n));
  }
  const std::pair<const char*, uint64_t> bases[] = {{"grpc_base_port", layout.grpc_base_port},
                                                    {"metrics_base_port", layout.metrics_base_port},
                                                    {"base_port", layout.peer_base_port}};
  for (const auto& [flag, base] : bases) {
    if (base == 0 || base + n - 1 > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": ports ", base, "..", base + n - 1, " must fit in [1, 65535]"));
    }
  }
  std::vector<ValidatorPlacement> out;
  absl::flat_hash_set<std::string> sockets;  // "ip:port" taken on some machine
  for (uint64_t k = 0; k < n; ++k) {
    ValidatorPlacement v;
    v.slice = static_cast<uint32_t>(k / validators);
    v.index = static_cast<uint32_t>(k % validators);
    v.ip = entries[k].ip;
    v.peer_port = entries[k].peer_port.value_or(static_cast<uint16_t>(layout.peer_base_port + k));
    v.grpc_port = static_cast<uint16_t>(layout.grpc_base_port + k);
    v.metrics_port = static_cast<uint16_t>(layout.metrics_base_port + k);
    for (uint16_t port : {v.peer_port, v.grpc_port, v.metrics_port}) {
      const std::string socket = absl::StrCat(v.ip, ":", port);
      if (!sockets.insert(socket).second) {
        return absl::InvalidArgumentError(absl::StrCat(
            "hosts file: ", socket, " (validator ", v.index, " of slice ", v.slice,
            ") is already used by another validator's peer, gRPC or metrics port"));
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::string NodeConfigFileName(const ValidatorPlacement& v) {
  return absl::StrCat("node-", v.slice, "-", v.index, ".toml");
}

std::string NodeConfigText(const ValidatorPlacement& v, const std::vector<ValidatorPlacement>& all,
                           const HostLayout& layout) {
  const std::string& dir = layout.config_dir;
  node::NodeConfig c;
  c.genesis_path = dir + "/genesis.toml";
  c.slice = v.slice;
  c.validator_index = v.index;
  c.key_file = absl::StrCat(dir, "/validator-", v.slice, "-", v.index, ".key");
  c.data_dir = absl::StrCat(layout.data_root, "/node-", v.slice, "-", v.index);
  c.grpc_address = node::HostPort{v.ip, v.grpc_port};
  c.metrics_address = node::HostPort{v.ip, v.metrics_port};
  c.backend = ParseVerifierBackend(layout.backend).value_or(VerifierBackend::kAuto);
  if (layout.api_tls) {
    c.grpc_tls_cert = absl::StrCat(dir, "/api-", v.slice, "-", v.index, ".crt");
    c.grpc_tls_key = absl::StrCat(dir, "/api-", v.slice, "-", v.index, ".key");
    c.relay_tls_ca = dir + "/ca.crt";  // the other slices' APIs serve TLS too
  }
  for (const ValidatorPlacement& to : all) {
    if (to.slice != v.slice) {
      c.relay_targets.push_back(node::RelayTarget{to.slice, node::HostPort{to.ip, to.grpc_port}});
    }
  }
  return node::SerializeNodeConfig(
      c, absl::StrCat("Validator ", v.index, " of slice ", v.slice, " on ", v.ip,
                      " (written by gridledger genesis --hosts).\n",
                      "It listens for peers at ", v.ip, ":", v.peer_port,
                      " (from genesis.toml).\n",
                      layout.api_tls
                          ? "Client TLS: install the files named below (docs/deploy.md)."
                          : "Client TLS: add grpc_tls_cert, grpc_tls_key and relay_tls_ca, "
                            "or write them with genesis --api_tls (docs/deploy.md)."));
}

std::string PrometheusTargetsJson(const std::vector<ValidatorPlacement>& placements) {
  nlohmann::ordered_json targets = nlohmann::ordered_json::array();
  for (const ValidatorPlacement& v : placements) {
    targets.push_back({{"targets", {absl::StrCat(v.ip, ":", v.metrics_port)}},
                       {"labels", {{"slice", absl::StrCat(v.slice)},
                                   {"validator", absl::StrCat(v.index)}}}});
  }
  return targets.dump(2) + "\n";
}

}  // namespace gridledger::tools
