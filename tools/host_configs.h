// Per-host deployment files for `gridledger genesis --hosts=FILE`: the hosts
// file (one validator per line, in slice-major order), where each validator
// listens, its node config (net/node/config.h) with the paths it will have on
// its own machine, and a Prometheus file_sd target list.
#ifndef GRIDLEDGER_TOOLS_HOST_CONFIGS_H_
#define GRIDLEDGER_TOOLS_HOST_CONFIGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gridledger::tools {

inline constexpr size_t kMaxHostsFileBytes = 256 * 1024;

// One line of the hosts file: "IP" or "IP:PORT" (the peer port), IPv4 only.
struct HostsEntry {
  std::string ip;
  std::optional<uint16_t> peer_port;
};
// Blank lines and `#` comments are skipped. InvalidArgument "hosts file line
// N: ..." for a malformed line; "hosts file: ..." when the count of entries
// is not `expected`.
absl::StatusOr<std::vector<HostsEntry>> ParseHostsFile(absl::string_view text, size_t expected);

// Where every validator's files live on its machine, and its ports.
struct HostLayout {
  std::string config_dir = "/etc/gridledger";     // genesis.toml, keys, node configs
  std::string data_root = "/var/lib/gridledger";  // node-<slice>-<index>/ stores
  uint64_t peer_base_port = 7100;                 // for entries without a port
  uint64_t grpc_base_port = 7300;
  uint64_t metrics_base_port = 7400;
  std::string backend = "auto";
  // Every client API serves TLS with config_dir/api-<slice>-<index>.crt and
  // .key, and the receipt relay trusts config_dir/ca.crt (the CA that signs
  // them, docs/deploy.md) for the other slices' APIs.
  bool api_tls = false;
};

struct ValidatorPlacement {
  uint32_t slice = 0;
  uint32_t index = 0;
  std::string ip;
  uint16_t peer_port = 0;
  uint16_t grpc_port = 0;  // base + slice * validators + index, as `loadgen` expects
  uint16_t metrics_port = 0;
};
// Validator k = slice * validators + index is entries[k]. InvalidArgument
// when a port leaves [1, 65535], two sockets of one IP collide, a directory
// is not absolute, or the backend is not auto|cpu|gpu.
absl::StatusOr<std::vector<ValidatorPlacement>> PlaceValidators(
    const std::vector<HostsEntry>& entries, uint32_t slices, uint32_t validators,
    const HostLayout& layout);

std::string NodeConfigFileName(const ValidatorPlacement& v);  // "node-<slice>-<index>.toml"
// v's node config. Its [[relay]] targets are the client APIs of every
// validator of the other slices in `all` (as `gridledger cluster` writes
// them); with layout.api_tls it names the TLS files and relay_tls_ca.
std::string NodeConfigText(const ValidatorPlacement& v, const std::vector<ValidatorPlacement>& all,
                           const HostLayout& layout);
// [{"targets": ["IP:PORT"], "labels": {"slice": "S", "validator": "I"}}, ...]
std::string PrometheusTargetsJson(const std::vector<ValidatorPlacement>& placements);

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_HOST_CONFIGS_H_
