#include "net/archive/archive_node.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "core/common/file_read.h"
#include "core/common/status_macros.h"
#include "core/execution/genesis.h"
#include "net/node/grpc_server_options.h"

namespace gridledger::archive {

absl::StatusOr<std::unique_ptr<ArchiveNode>> ArchiveNode::Start(const ArchiveConfig& config) {
  GL_ASSIGN_OR_RETURN(const Genesis loaded, ReadGenesisFile(config.genesis_path));
  const Genesis* genesis = &loaded;
  std::vector<std::vector<node::HostPort>> sources(genesis->slices.size());
  for (const ArchiveSource& s : config.sources) {
    if (s.slice >= sources.size()) {
      return absl::InvalidArgumentError(absl::StrCat("source ", s.grpc.ToString(), ": slice ",
                                                     s.slice, " not in genesis (",
                                                     sources.size(), " slices)"));
    }
    sources[s.slice].push_back(s.grpc);
  }
  // TLS both ways when configured: to the validators' APIs, and our own.
  std::shared_ptr<grpc::ChannelCredentials> source_credentials = grpc::InsecureChannelCredentials();
  if (config.source_tls_ca.has_value()) {
    GL_ASSIGN_OR_RETURN(std::string pem, ReadFileBounded(*config.source_tls_ca,
                                                         node::kMaxTlsPemBytes, "source_tls_ca"));
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = std::move(pem);
    source_credentials = grpc::SslCredentials(options);
  }
  node::NodeConfig tls;  // only its TLS fields are read
  tls.grpc_tls_cert = config.grpc_tls_cert;
  tls.grpc_tls_key = config.grpc_tls_key;
  GL_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> api_credentials,
                      node::ClientApiCredentials(tls));
  auto node = std::unique_ptr<ArchiveNode>(new ArchiveNode());
  node->config_ = config;
  std::vector<SliceFollower*> followers;
  for (uint32_t slice = 0; slice < sources.size(); ++slice) {
    // Every line tagged [slice/65535]: the archive, not a validator.
    const Logger logger = Logger::ForNode(slice, kArchiveLogIndex, config.log_level);
    GL_ASSIGN_OR_RETURN(
        std::unique_ptr<SliceFollower> f,
        SliceFollower::Open(*genesis, SliceId(slice),
                            absl::StrCat(config.data_dir, "/slice-", slice),
                            std::move(sources[slice]), logger, source_credentials));
    followers.push_back(f.get());
    node->followers_.push_back(std::move(f));
  }
  node->service_ = std::make_unique<ArchiveService>(followers);
  grpc::ServerBuilder builder;
  node::ApplyGrpcLimits(builder);
  builder.AddListeningPort(config.grpc_address.ToString(), api_credentials, &node->grpc_port_);
  builder.RegisterService(node->service_.get());
  node->server_ = builder.BuildAndStart();
  if (node->server_ == nullptr || node->grpc_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("grpc_address ", config.grpc_address.ToString(), ": cannot listen"));
  }
  for (auto& f : node->followers_) f->Start();
  return node;
}

ArchiveNode::~ArchiveNode() { Stop(); }

void ArchiveNode::Stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& f : followers_) f->Stop();  // closes the feeds: streams return
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_->Wait();
  }
}

std::string ArchiveNode::grpc_address() const {
  return absl::StrCat(config_.grpc_address.host, ":", grpc_port_);
}

}  // namespace gridledger::archive
