#include "net/node/grpc_server_options.h"

#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>

#include "absl/strings/str_cat.h"
#include "core/common/file_read.h"
#include "core/common/status_macros.h"

namespace gridledger::node {

void ApplyGrpcLimits(grpc::ServerBuilder& builder) {
  grpc::ResourceQuota quota("gridledger-client-api");
  quota.SetMaxThreads(kGrpcMaxThreads);
  quota.Resize(kGrpcMemoryBytes);
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(static_cast<int>(kGrpcMaxReceiveMessageBytes));
  builder.SetMaxSendMessageSize(static_cast<int>(kGrpcMaxSendMessageBytes));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kGrpcMaxConcurrentStreams);
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ClientApiCredentials(
    const NodeConfig& config) {
  if (!config.grpc_tls_cert.has_value()) return grpc::InsecureServerCredentials();
  GL_ASSIGN_OR_RETURN(std::string cert,
                      ReadFileBounded(*config.grpc_tls_cert, kMaxTlsPemBytes, "grpc_tls_cert"));
  GL_ASSIGN_OR_RETURN(std::string key,
                      ReadFileBounded(*config.grpc_tls_key, kMaxTlsPemBytes, "grpc_tls_key"));
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({std::move(key), std::move(cert)});
  return grpc::SslServerCredentials(options);
}

}  // namespace gridledger::node
