// A self-signed TLS certificate for loopback tests of the client API over
// TLS (client_api_tls_test.cc, tests/net/archive/archive_test.cc).
#ifndef GRIDLEDGER_TESTS_NET_NODE_TEST_CERTIFICATE_H_
#define GRIDLEDGER_TESTS_NET_NODE_TEST_CERTIFICATE_H_

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>

#include "gtest/gtest.h"

namespace gridledger::node::cluster_test {

struct Pem {
  std::string cert;
  std::string key;
};

inline std::string BioString(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

// A self-signed P-256 certificate for IP 127.0.0.1, valid for a day.
inline Pem MakeCertificate() {
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

}  // namespace gridledger::node::cluster_test

#endif  // GRIDLEDGER_TESTS_NET_NODE_TEST_CERTIFICATE_H_
