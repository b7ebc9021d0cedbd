// One TCP connection to a peer: reads frames, runs the handshake state
// machine (net/transport/handshake.h), and serialises writes. Internal to the
// transport; every method runs on the transport's io thread.
#ifndef GRIDLEDGER_NET_TRANSPORT_CONNECTION_H_
#define GRIDLEDGER_NET_TRANSPORT_CONNECTION_H_

#ifndef ASIO_STANDALONE
#define ASIO_STANDALONE
#endif
#include <asio.hpp>

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "core/crypto/schnorr.h"
#include "net/transport/frame.h"
#include "net/transport/handshake.h"
#include "net/transport/transport.h"

namespace gridledger::net::internal {

enum class CloseKind {
  kShutdown,            // we are stopping
  kReplaced,            // a newer connection from the same peer took over
  kIoError,             // the peer closed or the socket failed
  kUnknownKey,          // handshake: key outside the committee (or our own)
  kWrongPeer,           // handshake: outbound peer is not the key we dialled
  kBadSignature,        // handshake: Auth does not verify
  kMalformedHandshake,  // handshake: undecodable Hello/Auth
  kHandshakeTimeout,
  kOversizedFrame,
};
bool IsHandshakeRefusal(CloseKind kind);

class Connection;

// What a connection reports to its owner (the transport).
class ConnectionEvents {
 public:
  virtual ~ConnectionEvents() = default;
  // The peer proved it holds conn->peer()'s key.
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
  size_t max_frame_bytes = 0;
  int64_t handshake_timeout_ms = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Called with an empty error code when every frame of a WriteFrames call is
  // in the socket, or with the error that lost them.
  using WriteDone = std::function<void(const asio::error_code&)>;

  // expected_peer: for outbound links, the key we dialled.
  Connection(asio::ip::tcp::socket socket, LinkDirection direction,
             std::optional<PublicKey> expected_peer, const ConnectionConfig& config,
             ConnectionEvents* events);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends our Hello, arms the handshake timer and starts reading.
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
  // Valid once established (for outbound links, also before).
  const PublicKey& peer() const;
  const std::string& remote() const { return remote_; }

 private:
  enum class State { kAwaitHello, kAwaitAuth, kEstablished, kClosed };
  struct WriteJob {
    std::vector<FrameHeader> headers;
    std::vector<std::shared_ptr<const Bytes>> payloads;
    WriteDone done;  // empty for handshake frames
  };
  // Bounds the internal write queue: Hello, Auth and one data batch.
  static constexpr size_t kMaxQueuedWrites = 3;

  void ReadHeader();
  void ReadPayload(uint32_t payload_bytes);
  void HandleFrame();
  void HandleHello();
  void HandleAuth();
  void EnqueueWrite(std::shared_ptr<WriteJob> job);
  void WriteNext();
  void FailQueuedWrites(const asio::error_code& error);

  asio::ip::tcp::socket socket_;
  asio::steady_timer handshake_timer_;
  const LinkDirection direction_;
  const std::optional<PublicKey> expected_peer_;
  const ConnectionConfig config_;
  ConnectionEvents* const events_;
  std::string remote_;

  State state_ = State::kAwaitHello;
  bool authenticated_ = false;
  Hello own_hello_;
  std::optional<Hello> their_hello_;

  FrameHeader read_header_{};
  Bytes read_payload_;

  std::deque<std::shared_ptr<WriteJob>> writes_;
  bool writing_ = false;
  bool data_write_busy_ = false;
};

}  // namespace gridledger::net::internal

#endif  // GRIDLEDGER_NET_TRANSPORT_CONNECTION_H_
