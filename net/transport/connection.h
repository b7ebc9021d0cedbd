// One TLS 1.3 connection to a peer: runs the TLS handshake and the
// channel-bound validator authentication (net/transport/peer_auth.h), then
// reads frames and serialises writes. Internal to the transport; every method
// runs on the transport's io thread.
#ifndef GRIDLEDGER_NET_TRANSPORT_CONNECTION_H_
#define GRIDLEDGER_NET_TRANSPORT_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "core/crypto/schnorr.h"
#include "net/transport/frame.h"
#include "net/transport/peer_auth.h"
#include "net/transport/tls.h"
#include "net/transport/transport.h"

namespace gridledger::net::internal {

enum class CloseKind {
  kShutdown,            // we are stopping
  kReplaced,            // a newer connection from the same peer took over
  kIoError,             // the peer closed or the socket failed
  kTlsFailed,           // TLS handshake failed (or no TLS 1.3 exporter)
  kWrongChain,          // auth: the peer is on another chain id
  kUnknownKey,          // auth: key outside the committee (or our own)
  kWrongPeer,           // auth: outbound peer is not the key we dialled
  kBadSignature,        // auth: signature does not verify on this session
  kMalformedHandshake,  // auth: undecodable Auth
  kHandshakeTimeout,
  kEvicted,             // pre-auth slot given to a newer connection
  kOversizedFrame,
};
bool IsHandshakeRefusal(CloseKind kind);

class Connection;

// What a connection reports to its owner (the transport).
class ConnectionEvents {
 public:
  virtual ~ConnectionEvents() = default;
  // The peer proved it holds conn->peer()'s key on this TLS session.
  virtual void OnAuthenticated(const std::shared_ptr<Connection>& conn) = 0;
  // A frame after the handshake.
  virtual void OnFrame(const Connection& conn, Bytes payload) = 0;
  // Exactly once per connection that was Start()ed, whatever the cause.
  virtual void OnClosed(const std::shared_ptr<Connection>& conn, CloseKind kind,
                        const std::string& reason) = 0;
};

struct ConnectionConfig {
  const KeyPair* own_key = nullptr;
  const absl::flat_hash_set<PublicKey>* committee = nullptr;
  Digest chain_id;
  asio::ssl::context* tls = nullptr;
  size_t max_frame_bytes = 0;
  int64_t handshake_timeout_ms = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Called with an empty error code when every frame of a WriteFrames call is
  // in the TLS stream, or with the error that lost them.
  using WriteDone = std::function<void(const asio::error_code&)>;

  // expected_peer: for outbound links, the key we dialled. id: the owner's
  // handle for this connection.
  Connection(asio::ip::tcp::socket socket, LinkDirection direction,
             std::optional<PublicKey> expected_peer, const ConnectionConfig& config,
             ConnectionEvents* events, uint64_t id);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Arms the handshake deadline and starts the TLS handshake.
  void Start();
  // Idempotent; reports OnClosed on the first call.
  void Close(CloseKind kind, const std::string& reason);

  // Queues frames (each payload <= max_frame_bytes) behind any earlier write.
  // At most one data write may be outstanding (data_write_busy()).
  void WriteFrames(std::vector<std::shared_ptr<const Bytes>> payloads, WriteDone done);

  bool established() const { return state_ == State::kEstablished; }
  bool closed() const { return state_ == State::kClosed; }
  // Stays true after Close(), unlike established().
  bool authenticated() const { return authenticated_; }
  bool data_write_busy() const { return data_write_busy_; }
  LinkDirection direction() const { return direction_; }
  uint64_t id() const { return id_; }
  // Valid once authenticated (for outbound links, also before).
  const PublicKey& peer() const;
  // "ip:port" for logs, and the IP alone (the pre-auth limit's source).
  const std::string& remote() const { return remote_; }
  const std::string& remote_ip() const { return remote_ip_; }

 private:
  enum class State { kTlsHandshake, kAwaitAuth, kEstablished, kClosed };
  struct WriteJob {
    std::vector<std::shared_ptr<const Bytes>> payloads;
    // Headers and small payloads copied together, so that TLS sends few large
    // records instead of one per buffer.
    std::deque<Bytes> staging;
    WriteDone done;  // empty for the Auth frame
  };
  // Bounds the internal write queue: Auth and one data batch.
  static constexpr size_t kMaxQueuedWrites = 2;
  // Payloads at least this large are written from their own buffer.
  static constexpr size_t kCopyPayloadBytesMax = 16 * 1024;

  PeerRole own_role() const {
    return direction_ == LinkDirection::kOutbound ? PeerRole::kClient : PeerRole::kServer;
  }
  void OnTlsHandshake(const asio::error_code& ec);
  void SendAuth(const PublicKey& verifier);
  void ReadHeader();
  void ReadPayload(uint32_t payload_bytes);
  void HandleFrame();
  void HandleAuth();
  void EnqueueWrite(std::shared_ptr<WriteJob> job);
  void WriteNext();
  void FailQueuedWrites(const asio::error_code& error);

  TlsStream stream_;
  asio::steady_timer handshake_timer_;
  const LinkDirection direction_;
  const std::optional<PublicKey> expected_peer_;
  const ConnectionConfig config_;
  ConnectionEvents* const events_;
  const uint64_t id_;
  std::string remote_;
  std::string remote_ip_;

  State state_ = State::kTlsHandshake;
  bool authenticated_ = false;
  ChannelBinding binding_{};
  std::optional<PublicKey> their_key_;

  FrameHeader read_header_{};
  Bytes read_payload_;

  std::deque<std::shared_ptr<WriteJob>> writes_;
  bool writing_ = false;
  bool data_write_busy_ = false;
};

}  // namespace gridledger::net::internal

#endif  // GRIDLEDGER_NET_TRANSPORT_CONNECTION_H_
