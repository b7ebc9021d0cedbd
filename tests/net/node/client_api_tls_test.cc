// The client API over TLS (issue 8 item 4): with grpc_tls_cert/grpc_tls_key
// in its config a node serves gRPC over TLS only. A client trusting that
// certificate is answered; a plaintext client and one trusting another
// certificate are not.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "net/node/node.h"
#include "net/proto/ledger.grpc.pb.h"
#include "tests/net/node/test_certificate.h"
#include "tests/net/node/test_cluster.h"

namespace gridledger::node {
namespace {

using cluster_test::MakeCertificate;
using cluster_test::Pem;
using cluster_test::TestCluster;
namespace v1 = gridledger::v1;

grpc::Status Ask(const std::string& address, std::shared_ptr<grpc::ChannelCredentials> creds,
                 v1::NodeInfo* info) {
  auto stub = v1::Ledger::NewStub(grpc::CreateChannel(address, creds));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return stub->GetNodeInfo(&ctx, v1::GetNodeInfoRequest(), info);
}

TEST(ClientApiTlsSecurityTest, TlsOnlyWhenTheConfigNamesACertificate) {
  TestCluster cluster;  // genesis, keys and data dirs; one node started here
  const Pem pem = MakeCertificate();
  ASSERT_FALSE(pem.cert.empty());
  NodeConfig config = cluster.ConfigFor(0);
  config.grpc_tls_cert = config.data_dir + ".crt";
  config.grpc_tls_key = config.data_dir + ".key";
  std::ofstream(*config.grpc_tls_cert) << pem.cert;
  std::ofstream(*config.grpc_tls_key) << pem.key;
  auto node = Node::Start(config, cluster.options());
  ASSERT_TRUE(node.ok()) << node.status();
  const std::string address = (*node)->grpc_address();

  grpc::SslCredentialsOptions trusting;
  trusting.pem_root_certs = pem.cert;
  v1::NodeInfo info;
  grpc::Status s = Ask(address, grpc::SslCredentials(trusting), &info);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(info.committee_size(), 4u);

  EXPECT_FALSE(Ask(address, grpc::InsecureChannelCredentials(), &info).ok());
  grpc::SslCredentialsOptions other;
  other.pem_root_certs = MakeCertificate().cert;  // a certificate the node does not hold
  EXPECT_FALSE(Ask(address, grpc::SslCredentials(other), &info).ok());
  (*node)->Stop();
}

TEST(ClientApiTlsSecurityTest, AMissingCertificateFileStopsTheStartWithItsName) {
  TestCluster cluster;
  NodeConfig config = cluster.ConfigFor(0);
  config.grpc_tls_cert = config.data_dir + ".absent.crt";
  config.grpc_tls_key = config.data_dir + ".absent.key";
  auto node = Node::Start(config, cluster.options());
  ASSERT_FALSE(node.ok());
  EXPECT_NE(node.status().message().find("grpc_tls_cert"), absl::string_view::npos)
      << node.status();
}

TEST(ClientApiTlsSecurityTest, AMissingRelayCaFileStopsTheStartWithItsName) {
  TestCluster cluster;
  NodeConfig config = cluster.ConfigFor(0);
  config.relay_tls_ca = config.data_dir + ".absent.pem";
  auto node = Node::Start(config, cluster.options());
  ASSERT_FALSE(node.ok());
  EXPECT_NE(node.status().message().find("relay_tls_ca"), absl::string_view::npos)
      << node.status();
}

}  // namespace
}  // namespace gridledger::node
