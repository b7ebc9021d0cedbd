// Authenticated, encrypted peer transport between the validators of one
// committee (DESIGN.md §7): TLS 1.3 over TCP on standalone Asio
// (net/transport/tls.h), length-prefixed frames (net/transport/frame.h), and
// a validator authentication bound to each TLS session and the chain id
// (net/transport/peer_auth.h), so every frame comes from a committee key.
//
// Unauthenticated inbound connections are bounded per source address and in
// total, with fair eviction (net/transport/preauth_limiter.h), and must finish
// within handshake_timeout_ms; their refusals are logged at a bounded rate.
//
// Connection model (as Narwhal's): each transport dials every committee peer
// whose address is known and SENDS only on that outbound connection; inbound
// connections are accepted from any committee member and RECEIVED from. So
// frames to one peer travel one TCP stream at a time and arrive in order, and
// two transports never race to pick "the" connection between them.
//
// Delivery is at most once. Frames wait in a bounded per-peer queue that
// survives reconnects; frames already handed to a socket that then fails are
// lost and counted (frames_lost_on_disconnect). The layers above (consensus
// catch-up) retransmit what matters.
//
// Send-queue policy: BACKPRESSURE. When a peer's queue holds
// send_queue_max_frames frames, or a frame would take its payload bytes past
// send_queue_max_bytes, Send returns ResourceExhausted and counts
// queue_full_rejections; nothing already queued is dropped, so the caller
// decides what to shed. The byte bound is what bounds memory: a frame count
// alone lets a peer that is down pin 4096 batches of up to 4 MiB each.
//
// Threads: one io thread runs all socket work and calls the callbacks; the
// callbacks must not block for long and must not call Stop(). Send,
// Broadcast, SetPeerAddress and counters() are safe from any thread.
#ifndef GRIDLEDGER_NET_TRANSPORT_TRANSPORT_H_
#define GRIDLEDGER_NET_TRANSPORT_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "core/crypto/schnorr.h"
#include "net/transport/frame.h"

namespace gridledger::net {

inline constexpr size_t kDefaultSendQueueMaxFrames = 4096;
// Per peer; at least max_frame_bytes, so any frame fits an empty queue.
inline constexpr size_t kDefaultSendQueueMaxBytes = size_t{64} << 20;
inline constexpr int64_t kDefaultReconnectMinMs = 50;
inline constexpr int64_t kDefaultReconnectMaxMs = 5000;
// TLS and Auth take a few round trips; a socket idle longer is closed.
inline constexpr int64_t kDefaultHandshakeTimeoutMs = 3000;
// Unauthenticated inbound connections: per source IP and in total.
inline constexpr size_t kDefaultPreauthPerSourceMax = 8;
inline constexpr size_t kDefaultPreauthTotalMax = 64;
inline constexpr size_t kDefaultPreauthLogLinesPerSecondMax = 10;
// Queued frames written to a socket in one gathered write.
inline constexpr size_t kMaxFramesPerWrite = 64;

// An IP literal (no name resolution) and a TCP port; port 0 means "not known
// yet": the peer is not dialled, but may still connect to us.
struct PeerAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
};

struct TransportOptions {
  explicit TransportOptions(const KeyPair& key) : own_key(key) {}

  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 0;  // 0: the OS picks; read it back with listen_port().
  KeyPair own_key;
  // The network's genesis digest; bound into every peer Auth. A peer on
  // another chain id is refused with that reason.
  Digest chain_id;
  // Every committee member, normally including ourselves (never dialled).
  // Inbound handshakes from any other key are refused.
  absl::flat_hash_map<PublicKey, PeerAddress> committee;
  size_t max_frame_bytes = kDefaultMaxFrameBytes;
  size_t send_queue_max_frames = kDefaultSendQueueMaxFrames;
  size_t send_queue_max_bytes = kDefaultSendQueueMaxBytes;
  int64_t reconnect_min_ms = kDefaultReconnectMinMs;
  int64_t reconnect_max_ms = kDefaultReconnectMaxMs;
  int64_t handshake_timeout_ms = kDefaultHandshakeTimeoutMs;
  // 1 <= preauth_per_source_max <= preauth_total_max.
  size_t preauth_per_source_max = kDefaultPreauthPerSourceMax;
  size_t preauth_total_max = kDefaultPreauthTotalMax;
  // Lines about unauthenticated connections (refusals, evictions, timeouts).
  size_t preauth_log_lines_per_second_max = kDefaultPreauthLogLinesPerSecondMax;
};

enum class LinkDirection { kInbound, kOutbound };

// An authenticated link to `peer` came up or went down.
struct PeerEvent {
  PublicKey peer;
  LinkDirection direction = LinkDirection::kOutbound;
  bool up = false;
};

// Monotonic counters since construction (a consistent-enough snapshot).
struct TransportCounters {
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  uint64_t payload_bytes_in = 0;
  uint64_t payload_bytes_out = 0;
  uint64_t dials = 0;
  uint64_t handshakes_ok = 0;
  uint64_t handshakes_refused = 0;  // every refusal, all reasons below included
  uint64_t refused_tls = 0;  // TLS handshake failed
  uint64_t refused_wrong_chain = 0;
  uint64_t refused_unknown_key = 0;
  uint64_t refused_bad_signature = 0;
  uint64_t handshake_timeouts = 0;
  // Pending inbound connections closed to admit a newer one (not a refusal).
  uint64_t preauth_evictions = 0;
  uint64_t log_lines_suppressed = 0;
  uint64_t oversized_frames = 0;
  uint64_t queue_full_rejections = 0;
  uint64_t frames_lost_on_disconnect = 0;
  // Gauges: what every peer's send queue holds now (a peer that is away
  // shows here long before its queue refuses sends).
  uint64_t queued_frames = 0;
  uint64_t queued_bytes = 0;
};

class Transport {
 public:
  using MessageCallback = std::function<void(const PublicKey& from, Bytes payload)>;
  using PeerCallback = std::function<void(const PeerEvent& event)>;
  // Human-readable reasons for refusals, closed connections and dial errors.
  using LogCallback = std::function<void(absl::string_view line)>;

  // Misuse (bad options: zero bounds, min > max backoff, frame bound above
  // u32) is an assertion. log may be empty: then lines go to the process
  // logger (core/common/log.h).
  Transport(TransportOptions options, MessageCallback on_message,
            PeerCallback on_peer_state = nullptr, LogCallback log = nullptr);
  ~Transport();  // Stop()s.
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Makes the TLS context, binds, starts the io thread, accepts and dials.
  // Once per object. Unavailable when the listen address cannot be bound;
  // Internal when OpenSSL cannot make the ephemeral certificate.
  absl::Status Start();
  // Closes every socket and joins the io thread. Idempotent.
  void Stop();

  // The bound port (after Start).
  uint16_t listen_port() const;
  const PublicKey& own_key() const;

  // Sets or changes where a committee peer listens, and (re)dials it.
  // InvalidArgument for a key outside the committee, our own key, or a host
  // that is not an IP literal.
  absl::Status SetPeerAddress(const PublicKey& peer, const PeerAddress& address);

  // Queues payload for `to`. InvalidArgument: unknown key, own key, payload
  // over max_frame_bytes. ResourceExhausted: the peer's queue is full.
  // FailedPrecondition: stopped.
  absl::Status Send(const PublicKey& to, Bytes payload);
  // Send to every committee peer but ourselves, sharing one copy. Queues to
  // every peer that has room; ResourceExhausted names how many were full.
  absl::Status Broadcast(Bytes payload);

  TransportCounters counters() const;
  // Frames waiting in `peer`'s queue (not yet handed to a socket), and their
  // payload bytes.
  size_t queued_frames(const PublicKey& peer) const;
  size_t queued_bytes(const PublicKey& peer) const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridledger::net

#endif  // GRIDLEDGER_NET_TRANSPORT_TRANSPORT_H_
