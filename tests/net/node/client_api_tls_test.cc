// The client API over TLS (issue 8 item 4): with grpc_tls_cert/grpc_tls_key
// in its config a node serves gRPC over TLS only. A client trusting that
// certificate is answered; a plaintext client and one trusting another
// certificate are not.
#include <grpcpp/grpcpp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "net/node/node.h"
#include "net/proto/ledger.grpc.pb.h"
#include "tests/net/node/test_cluster.h"

namespace gridledger::node {
namespace {

using cluster_test::TestCluster;
namespace v1 = gridledger::v1;

struct Pem {
  std::string cert;
  std::string key;
};

std::string BioString(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

// A self-signed P-256 certificate for IP 127.0.0.1, valid for a day.
Pem MakeCertificate() {
  Pem pem;
  EVP_PKEY* key = EVP_EC_gen("P-256");
  EXPECT_NE(key, nullptr);
  if (key == nullptr) return pem;
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("gridledger-test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
  EXPECT_NE(san, nullptr);
  if (san != nullptr) {
    X509_add_ext(x, san, -1);
    X509_EXTENSION_free(san);
  }
  EXPECT_GT(X509_sign(x, key, EVP_sha256()), 0);
  BIO* cert_bio = BIO_new(BIO_s_mem());
  BIO* key_bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_X509(cert_bio, x), 1);
  EXPECT_EQ(PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr), 1);
  pem.cert = BioString(cert_bio);
  pem.key = BioString(key_bio);
  BIO_free(cert_bio);
  BIO_free(key_bio);
  X509_free(x);
  EVP_PKEY_free(key);
  return pem;
}

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

}  // namespace
}  // namespace gridledger::node
