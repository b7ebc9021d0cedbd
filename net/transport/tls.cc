#include "net/transport/tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace gridledger::net {
namespace {

// The certificate only has to parse; a year is plenty for a per-process key.
constexpr long kCertificateValiditySeconds = 365L * 24 * 3600;

absl::Status OpenSslError(absl::string_view what) {
  const unsigned long code = ERR_get_error();
  char text[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, text, sizeof(text));
  ERR_clear_error();
  return absl::InternalError(absl::StrCat("tls: ", what, ": ", text));
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};

absl::Status InstallEphemeralCertificate(SSL_CTX* ctx) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return OpenSslError("Ed25519 key generation");
  std::unique_ptr<X509, X509Free> cert(X509_new());
  if (!cert) return OpenSslError("X509_new");
  uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof(serial)) != 1) {
    return OpenSslError("certificate serial");
  }
  serial >>= 1;  // a positive INTEGER
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_set_version(cert.get(), 2) != 1 ||
      ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kCertificateValiditySeconds) ==
          nullptr ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("gridledger-peer"),
                                 -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1 ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    return OpenSslError("certificate fields");
  }
  // Ed25519 signs the whole message: no separate digest.
  if (X509_sign(cert.get(), key.get(), nullptr) <= 0) return OpenSslError("X509_sign");
  if (SSL_CTX_use_certificate(ctx, cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return OpenSslError("installing the certificate");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<asio::ssl::context>> MakePeerTlsContext() {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls);
  SSL_CTX* ctx = context->native_handle();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    return OpenSslError("restricting to TLS 1.3");
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  // Identity is checked by the peer Auth over the exporter, not by X.509.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  if (absl::Status status = InstallEphemeralCertificate(ctx); !status.ok()) return status;
  return context;
}

absl::StatusOr<ChannelBinding> ExportChannelBinding(SSL* ssl) {
  if (ssl == nullptr || !SSL_is_init_finished(ssl) || SSL_version(ssl) != TLS1_3_VERSION) {
    return absl::FailedPreconditionError("tls: no completed TLS 1.3 session to bind");
  }
  ChannelBinding binding{};
  if (SSL_export_keying_material(ssl, binding.data(), binding.size(),
                                 kPeerAuthExporterLabel.data(),
                                 kPeerAuthExporterLabel.size(), nullptr, 0,
                                 /*use_context=*/0) != 1) {
    return OpenSslError("exporting keying material");
  }
  return binding;
}

}  // namespace gridledger::net
