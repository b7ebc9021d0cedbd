// A gRPC channel to one node's client API for the operator commands (query,
// submit): plaintext by default, TLS when --tls_ca names the PEM certificate
// the node serves (grpc_tls_cert in its config).
#ifndef GRIDLEDGER_TOOLS_API_CLIENT_H_
#define GRIDLEDGER_TOOLS_API_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "net/proto/ledger.grpc.pb.h"

ABSL_DECLARE_FLAG(std::string, node);
ABSL_DECLARE_FLAG(std::string, tls_ca);
ABSL_DECLARE_FLAG(int32_t, timeout_ms);
ABSL_DECLARE_FLAG(bool, json);

namespace gridledger::tools {

// Exit statuses shared by `query` and `submit`, so scripts can branch on them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRejected = 3;     // submit: a transaction was refused; query tx: FAILED
inline constexpr int kExitNotFound = 4;     // query tx: unknown id; query account: no account
inline constexpr int kExitPending = 5;      // query tx: admitted, not final yet
inline constexpr int kExitUnreachable = 6;  // the node did not answer

// A stub for --node (InvalidArgument when it is missing or --tls_ca unreadable).
absl::StatusOr<std::unique_ptr<gridledger::v1::Ledger::Stub>> ConnectToNode();

// Raw bytes of a proto `bytes` field (ids, keys) as lowercase hex.
std::string HexOfBytesField(const std::string& raw);

// A context whose deadline is --timeout_ms from now.
std::unique_ptr<grpc::ClientContext> RpcContext();

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_API_CLIENT_H_
