// The archive node's configuration file (`gridledger archive --config=FILE`),
// TOML, strict like the node config (net/node/config.h):
//
//   genesis = "/abs/path/genesis.toml"     required: the slices and committees it follows
//   data_dir = "/abs/path/archive-0"       required: one LMDB store per slice (slice-N/)
//   grpc_address = "127.0.0.1:7500"        required (port 0: the OS picks)
//   log_level = "info"                     optional
//   grpc_tls_cert = "/etc/gl/api.crt"      optional, with grpc_tls_key: serve over TLS
//   grpc_tls_key = "/etc/gl/api.key"
//   source_tls_ca = "/etc/gl/ca.pem"       optional: the validators' APIs serve TLS
//                                          with certificates this CA signed
//   [[source]]                             one per validator it may read from:
//   slice = 0                              the validator's slice
//   grpc = "127.0.0.1:7300"                its client API (gridledger.v1.ArchiveFeed)
//
// Every slice of the genesis needs at least one source; sources are tried in
// order and a source that serves what does not verify is replaced by the next.
#ifndef GRIDLEDGER_NET_ARCHIVE_ARCHIVE_CONFIG_H_
#define GRIDLEDGER_NET_ARCHIVE_ARCHIVE_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/common/log.h"
#include "net/node/config.h"

namespace gridledger::archive {

inline constexpr size_t kMaxArchiveSources = 1024;

struct ArchiveSource {
  uint32_t slice = 0;
  node::HostPort grpc;
  bool operator==(const ArchiveSource&) const = default;
};

struct ArchiveConfig {
  std::string genesis_path;
  std::string data_dir;
  node::HostPort grpc_address;
  LogLevel log_level = LogLevel::kInfo;
  std::optional<std::string> grpc_tls_cert;  // both or neither (the parser enforces it)
  std::optional<std::string> grpc_tls_key;
  std::optional<std::string> source_tls_ca;
  std::vector<ArchiveSource> sources;
  bool operator==(const ArchiveConfig&) const = default;
};

// InvalidArgument "archive config line N: <key>: ..." for anything off.
absl::StatusOr<ArchiveConfig> ParseArchiveConfig(absl::string_view text);
std::string SerializeArchiveConfig(const ArchiveConfig& config);
absl::StatusOr<ArchiveConfig> LoadArchiveConfig(const std::string& path);

}  // namespace gridledger::archive

#endif  // GRIDLEDGER_NET_ARCHIVE_ARCHIVE_CONFIG_H_
