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
#include "absl/strings/string_view.h"
#include "net/proto/ledger.grpc.pb.h"
#include "nlohmann/json.hpp"

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
// A channel to another node's client API, with --tls_ca as for --node.
absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelTo(const std::string& address);

// Raw bytes of a proto `bytes` field (ids, keys) as lowercase hex.
std::string HexOfBytesField(const std::string& raw);

// A context whose deadline is --timeout_ms from now.
std::unique_ptr<grpc::ClientContext> RpcContext();

// Prints a failed call as "gridledger COMMAND: rpc failed: ..." and returns
// its exit status: kExitBadInput for INVALID_ARGUMENT, kExitNotFound for
// NOT_FOUND, else kExitUnreachable.
int ReportRpcFailure(absl::string_view command, const grpc::Status& status);

// Prints up to `count` messages of a server stream that waits at its tail
// (commits, market events) with `print`, then ends it. Reaching the deadline
// after printing what exists is the normal end of a query over a quiet
// ledger. Returns the exit status (ReportRpcFailure for a failed stream).
template <typename Message, typename Print>
int PrintStream(absl::string_view command, grpc::ClientContext& ctx,
                grpc::ClientReader<Message>& reader, uint32_t count, Print print) {
  Message m;
  uint32_t printed = 0;
  while (printed < count && reader.Read(&m)) {
    print(m);
    ++printed;
  }
  if (printed == count) {
    ctx.TryCancel();
    return kExitOk;
  }
  grpc::Status s = reader.Finish();
  if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) return kExitOk;
  if (!s.ok()) return ReportRpcFailure(command, s);
  return kExitOk;
}

// One answer: with --json one object on one line, else "name: value" lines
// (ordered_json keeps the fields in the order written).
void PrintAnswer(const nlohmann::ordered_json& answer);

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_API_CLIENT_H_
