// The node's configuration file (`gridledger node --config=FILE`), TOML:
//
//   genesis = "/abs/path/genesis.toml"          required
//   slice = 0                                   required
//   validator_index = 0                         required
//   key_file = "/abs/path/validator-0-0.key"    required (one hex secret line)
//   data_dir = "/abs/path/node-0-0"             required (LMDB store + consensus state)
//   grpc_address = "127.0.0.1:7300"             required (port 0: the OS picks)
//   metrics_address = "127.0.0.1:7400"          required (port 0: the OS picks)
//   backend = "auto"                            optional: auto|cpu|gpu (default auto)
//   peer_address_override = "127.0.0.1:7100"    optional: listen here, not at the genesis address
//   grpc_tls_cert = "/etc/gridledger/api.crt"   optional, with grpc_tls_key: serve the client
//   grpc_tls_key = "/etc/gridledger/api.key"    API over TLS only (PEM certificate and key)
//   log_level = "info"                          optional: trace|debug|info|warn|error|off
//   byzantine = "all"                           TEST ONLY: misbehave on purpose, refused
//   test_only_byzantine = true                  unless this is true (byzantine_switch.h)
//   batch_delay_ms = 20                         optional pacing (core/consensus/params.h):
//   header_delay_ms = 50                        max_batch_delay_ms, max_header_delay_ms and
//   leader_timeout_ms = 300                     leader_timeout_ms; local to this validator
//   defer_peer_verification = false             optional (params.h, default true)
//   availability_votes = false                  optional (params.h, default true)
//
//   [[relay]]                                   optional, any number: a validator of
//   slice = 1                                   another slice whose client API takes
//   grpc_address = "127.0.0.1:7301"             this slice's receipts (receipt_relay.h)
//   relay_tls_ca = "/etc/gridledger/ca.pem"     optional (before any [[relay]]): the other
//                                               slices' APIs serve TLS; trust this PEM
//
// Parsing is strict (core/common/toml_fields.h): a TOML syntax error, a
// repeated key, an unknown key, a value of the wrong type, an empty string, a
// number out of range or a malformed address is InvalidArgument
// "node config line N: <key>: ..."; a missing required key is "node config:
// missing key <key>". (Before issue 14 the file was `key = value` lines
// without quotes; docs/deploy.md says how to migrate.)
#ifndef GRIDLEDGER_NET_NODE_CONFIG_H_
#define GRIDLEDGER_NET_NODE_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/common/log.h"
#include "gpu/backend_select.h"
#include "net/node/byzantine_switch.h"

namespace gridledger::node {

inline constexpr size_t kMaxConfigBytes = 64 * 1024;

// "host:port" where host is an IPv4 literal or "localhost"-free name chars.
struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string ToString() const;
  bool operator==(const HostPort&) const = default;
};
// "a.b.c.d:port" (port 0..65535). InvalidArgument naming `field` otherwise.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, absl::string_view field);

struct RelayTarget {
  uint32_t slice = 0;
  HostPort grpc_address;
  bool operator==(const RelayTarget&) const = default;
};

struct NodeConfig {
  std::string genesis_path;
  uint32_t slice = 0;
  uint32_t validator_index = 0;
  std::string key_file;
  std::string data_dir;
  HostPort grpc_address;
  HostPort metrics_address;
  VerifierBackend backend = VerifierBackend::kAuto;
  std::optional<HostPort> peer_address_override;
  // Both set or both unset (the parser enforces it).
  std::optional<std::string> grpc_tls_cert;
  std::optional<std::string> grpc_tls_key;
  // Lines below this level are not written (core/common/log.h).
  LogLevel log_level = LogLevel::kInfo;
  // TEST ONLY (cluster --byzantine): none unless test_only_byzantine = true.
  ByzantineBehaviours byzantine;
  // Where this validator relays its slice's receipts (receipt_relay.h).
  std::vector<RelayTarget> relay_targets;
  // When set, the relay dials them over TLS trusting this PEM (else plaintext).
  std::optional<std::string> relay_tls_ca;
  // Pacing overrides (unset: the compiled defaults). They only shape this
  // validator's timing, never the committed order, so validators of one
  // committee may differ (params.h).
  std::optional<uint64_t> batch_delay_ms;
  std::optional<uint64_t> header_delay_ms;
  std::optional<uint64_t> leader_timeout_ms;
  // consensus::Parameters::defer_peer_verification (unset: the default, on).
  std::optional<bool> defer_peer_verification;
  // consensus::Parameters::availability_votes (unset: the default, on).
  std::optional<bool> availability_votes;
  bool operator==(const NodeConfig&) const = default;
};

absl::StatusOr<NodeConfig> ParseNodeConfig(absl::string_view text);
// Bounds of the pacing keys (ms): a batch delay above a second, or a header
// delay above five, would only mean a typo; a leader timeout below 50 ms
// would time out healthy leaders on a loaded machine.
inline constexpr uint64_t kMaxBatchDelayMs = 1'000;
inline constexpr uint64_t kMaxHeaderDelayMs = 5'000;
inline constexpr uint64_t kMinLeaderTimeoutMs = 50;
inline constexpr uint64_t kMaxLeaderTimeoutMs = 60'000;
// The TOML text of `config` (every key it sets, in the order above), for the
// tools and tests that write configs; ParseNodeConfig reads it back equal.
// Lines of `comment` come first, each as a "# " line.
std::string SerializeNodeConfig(const NodeConfig& config, absl::string_view comment = "");
// Reads and parses `path`; NotFound / InvalidArgument name the path.
absl::StatusOr<NodeConfig> LoadNodeConfig(const std::string& path);

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_CONFIG_H_
