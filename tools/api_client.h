// A gRPC channel to one node's client API for the operator commands (query,
// submit): plaintext by default, TLS when --tls_ca names the PEM certificate
// the node serves (grpc_tls_cert in its config).
#ifndef GRIDLEDGER_TOOLS_API_CLIENT_H_
#define GRIDLEDGER_TOOLS_API_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/proto/ledger.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tools/cli.h"
#include "tools/exit_codes.h"

namespace gridledger::tools {

// The options of every command that talks to a node's client API.
struct NodeOptions {
  std::string node;     // HOST:PORT
  std::string tls_ca;   // PEM to trust; empty: plaintext
  int32_t timeout_ms = 5000;
  bool json = false;    // one JSON object per answer instead of text
};

// Declares --node (required), --tls_ca, --timeout_ms and --json on `app`.
void AddNodeOptions(CLI::App* app, NodeOptions* options);

// A stub for --node (InvalidArgument when --tls_ca is unreadable).
absl::StatusOr<std::unique_ptr<gridledger::v1::Ledger::Stub>> ConnectToNode(
    const NodeOptions& options);

// Raw bytes of a proto `bytes` field (ids, keys) as lowercase hex.
std::string HexOfBytesField(const std::string& raw);

// A context whose deadline is `timeout_ms` from now.
std::unique_ptr<grpc::ClientContext> RpcContext(int32_t timeout_ms);

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

// One answer: with `as_json` one object on one line, else "name: value" lines
// (ordered_json keeps the fields in the order written).
void PrintAnswer(const nlohmann::ordered_json& answer, bool as_json);

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_API_CLIENT_H_
