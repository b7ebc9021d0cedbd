#include "tools/api_client.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/bytes.h"
#include "core/common/file_read.h"

namespace gridledger::tools {

void AddNodeOptions(CLI::App* app, NodeOptions* options) {
  app->add_option("--node", options->node, "the node's client API, HOST:PORT")
      ->required()
      ->check([](const std::string& v) {
        return v.empty() ? std::string("empty; give HOST:PORT") : std::string();
      });
  app->add_option("--tls_ca", options->tls_ca,
                  "PEM certificate to trust when the node serves its API over TLS");
  AddNumber<int32_t>(app, "--timeout_ms", &options->timeout_ms, "deadline of each call, ms", 1,
                     std::numeric_limits<int32_t>::max());
  app->add_flag("--json", options->json, "one JSON object per answer instead of text");
}

absl::StatusOr<std::unique_ptr<v1::Ledger::Stub>> ConnectToNode(const NodeOptions& options) {
  const std::string& node = options.node;
  if (node.empty()) return absl::InvalidArgumentError("--node=HOST:PORT is required");
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (const std::string& ca = options.tls_ca; !ca.empty()) {
    auto pem = ReadFileBounded(ca, size_t{1} << 20, "--tls_ca");
    if (!pem.ok()) return absl::InvalidArgumentError(pem.status().message());
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = *pem;
    credentials = grpc::SslCredentials(options);
  }
  return v1::Ledger::NewStub(grpc::CreateChannel(node, credentials));
}

std::string HexOfBytesField(const std::string& raw) {
  return HexEncode(ByteSpan(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
}

std::unique_ptr<grpc::ClientContext> RpcContext(int32_t timeout_ms) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  return ctx;
}

int ReportRpcFailure(absl::string_view command, const grpc::Status& status) {
  std::fprintf(stderr, "gridledger %s: %s: %s\n", std::string(command).c_str(),
               status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ? "deadline exceeded"
                                                                          : "rpc failed",
               status.error_message().c_str());
  switch (status.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT: return kExitBadInput;
    case grpc::StatusCode::NOT_FOUND: return kExitNotFound;
    default: return kExitUnreachable;
  }
}

void PrintAnswer(const nlohmann::ordered_json& answer, bool as_json) {
  if (as_json) {
    std::printf("%s\n", answer.dump().c_str());
    return;
  }
  for (const auto& [name, value] : answer.items()) {
    std::printf("%s: %s\n", name.c_str(),
                value.is_string() ? value.get<std::string>().c_str() : value.dump().c_str());
  }
}

}  // namespace gridledger::tools
