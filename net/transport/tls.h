// TLS 1.3 for peer links. Each transport makes one context with an
// ephemeral self-signed Ed25519 certificate; nobody verifies it. TLS gives
// confidentiality, integrity and a per-session exporter value; the validator
// identity is proved over that value afterwards (net/transport/peer_auth.h).
#ifndef GRIDLEDGER_NET_TRANSPORT_TLS_H_
#define GRIDLEDGER_NET_TRANSPORT_TLS_H_

#ifndef ASIO_STANDALONE
#define ASIO_STANDALONE
#endif
#include <asio.hpp>
#include <asio/ssl.hpp>

#include <memory>

#include "absl/status/statusor.h"
#include "net/transport/peer_auth.h"

namespace gridledger::net {

using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;

// A context usable for both the client and the server end: TLS 1.3 only, a
// fresh Ed25519 key and self-signed certificate, no peer verification, no
// session tickets or resumption (every link is a full handshake, so every
// session has its own exporter). Internal when OpenSSL fails.
absl::StatusOr<std::unique_ptr<asio::ssl::context>> MakePeerTlsContext();

// The session's exporter value under kPeerAuthExporterLabel. FailedPrecondition
// unless a TLS 1.3 handshake has completed on `ssl`.
absl::StatusOr<ChannelBinding> ExportChannelBinding(SSL* ssl);

}  // namespace gridledger::net

#endif  // GRIDLEDGER_NET_TRANSPORT_TLS_H_
