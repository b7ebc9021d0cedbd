// Helpers for the loopback network tests: bounded waiting, a recording
// transport wrapper, a raw TCP client and a hand-driven TLS peer whose every
// operation has a deadline.
#ifndef GRIDLEDGER_TESTS_NET_NET_TEST_UTIL_H_
#define GRIDLEDGER_TESTS_NET_NET_TEST_UTIL_H_

#ifndef ASIO_STANDALONE
#define ASIO_STANDALONE
#endif
#include <asio.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/common/bytes.h"
#include "core/common/types.h"
#include "gtest/gtest.h"
#include "net/transport/frame.h"
#include "net/transport/peer_auth.h"
#include "net/transport/tls.h"
#include "net/transport/transport.h"

namespace gridledger::net::testing {

inline constexpr absl::Duration kWaitLimit = absl::Seconds(15);
inline constexpr absl::Duration kPollInterval = absl::Milliseconds(2);

// Polls `done` until it holds or `limit` passes (at most limit/kPollInterval
// polls). Returns whether it held.
inline bool WaitFor(const std::function<bool()>& done, absl::Duration limit = kWaitLimit) {
  const absl::Time deadline = absl::Now() + limit;
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(kPollInterval);
  }
  return true;
}

// A transport plus everything it delivered, in arrival order.
class RecordingNode {
 public:
  struct Received {
    PublicKey from;
    Bytes payload;
  };

  RecordingNode(const KeyPair& key, TransportOptions options) : key_(key) {
    transport_ = std::make_unique<Transport>(
        std::move(options),
        [this](const PublicKey& from, Bytes payload) {
          absl::MutexLock lock(&mu_);
          received_.push_back(Received{from, std::move(payload)});
        },
        [this](const PeerEvent& event) {
          absl::MutexLock lock(&mu_);
          events_.push_back(event);
        },
        [this](absl::string_view line) {
          absl::MutexLock lock(&mu_);
          log_.emplace_back(line);
        });
  }

  Transport& transport() { return *transport_; }
  const PublicKey& key() const { return key_.public_key(); }
  void Destroy() { transport_.reset(); }

  std::vector<Bytes> From(const PublicKey& from) const {
    absl::MutexLock lock(&mu_);
    std::vector<Bytes> out;
    for (const auto& r : received_) {
      if (r.from == from) out.push_back(r.payload);
    }
    return out;
  }
  size_t received_count() const {
    absl::MutexLock lock(&mu_);
    return received_.size();
  }
  bool OutboundUp(const PublicKey& peer) const { return LinkUp(peer, LinkDirection::kOutbound); }
  bool LinkUp(const PublicKey& peer, LinkDirection direction) const {
    absl::MutexLock lock(&mu_);
    bool up = false;
    for (const auto& e : events_) {
      if (e.peer == peer && e.direction == direction) up = e.up;
    }
    return up;
  }
  size_t LinkDownEvents(const PublicKey& peer, LinkDirection direction) const {
    absl::MutexLock lock(&mu_);
    size_t count = 0;
    for (const auto& e : events_) {
      if (e.peer == peer && e.direction == direction && !e.up) ++count;
    }
    return count;
  }
  size_t log_lines() const {
    absl::MutexLock lock(&mu_);
    return log_.size();
  }
  size_t LogCount(absl::string_view needle) const {
    absl::MutexLock lock(&mu_);
    size_t count = 0;
    for (const auto& line : log_) {
      if (absl::string_view(line).find(needle) != absl::string_view::npos) ++count;
    }
    return count;
  }
  bool LogContains(absl::string_view needle) const {
    absl::MutexLock lock(&mu_);
    for (const auto& line : log_) {
      if (absl::string_view(line).find(needle) != absl::string_view::npos) return true;
    }
    return false;
  }

 private:
  KeyPair key_;
  mutable absl::Mutex mu_;
  std::vector<Received> received_ ABSL_GUARDED_BY(mu_);
  std::vector<PeerEvent> events_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> log_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Transport> transport_;
};

// Payload: sender tag byte, then a big-endian sequence number.
inline Bytes Numbered(uint8_t tag, uint32_t seq) {
  Bytes out;
  ByteWriter writer(&out);
  writer.U8(tag);
  writer.U32(seq);
  return out;
}

inline std::vector<Bytes> NumberedRange(uint8_t tag, uint32_t begin, uint32_t end) {
  std::vector<Bytes> out;
  for (uint32_t i = begin; i < end; ++i) out.push_back(Numbered(tag, i));
  return out;
}

// Short backoff; chain_id as given (zero unless a test is about it).
inline TransportOptions FastOptions(const KeyPair& key, const std::vector<KeyPair>& committee,
                                    const Digest& chain_id = Digest{}) {
  TransportOptions options(key);
  options.chain_id = chain_id;
  for (const auto& member : committee) options.committee[member.public_key()] = PeerAddress{};
  options.reconnect_min_ms = 10;
  options.reconnect_max_ms = 200;
  options.handshake_timeout_ms = 5000;
  return options;
}

// Starts every node, then tells each one where the others listen.
inline void StartAndConnect(const std::vector<RecordingNode*>& nodes) {
  for (RecordingNode* node : nodes) ASSERT_TRUE(node->transport().Start().ok());
  for (RecordingNode* a : nodes) {
    for (RecordingNode* b : nodes) {
      if (a == b) continue;
      ASSERT_TRUE(a->transport()
                      .SetPeerAddress(b->key(), PeerAddress{"127.0.0.1",
                                                            b->transport().listen_port()})
                      .ok());
    }
  }
}

// Runs `io` until *result is set or `limit` passes; then cancels the socket's
// operations and reports DeadlineExceeded.
inline absl::Status RunUntilDone(asio::io_context& io, asio::ip::tcp::socket& socket,
                                 asio::error_code* result, absl::Duration limit,
                                 absl::string_view what) {
  io.restart();
  io.run_for(std::chrono::microseconds(absl::ToInt64Microseconds(limit)));
  if (*result == asio::error::would_block) {
    asio::error_code ignored;
    socket.cancel(ignored);
    io.restart();
    io.run_for(std::chrono::seconds(1));  // drain the cancelled handler
    return absl::DeadlineExceededError(absl::StrCat(what, " timed out"));
  }
  if (*result) return absl::UnavailableError(absl::StrCat(what, ": ", result->message()));
  return absl::OkStatus();
}

// Frame I/O with deadlines over a plain socket or a TLS stream.
template <typename Stream>
class FramedIo {
 public:
  absl::Status Write(ByteSpan bytes, absl::Duration limit = kWaitLimit) {
    asio::error_code result = asio::error::would_block;
    asio::async_write(stream(), asio::buffer(bytes.data(), bytes.size()),
                      [&](const asio::error_code& ec, size_t) { result = ec; });
    return RunUntilDone(io_, lowest(), &result, limit, "write");
  }

  absl::StatusOr<Bytes> ReadExact(size_t size, absl::Duration limit = kWaitLimit) {
    Bytes out(size);
    asio::error_code result = asio::error::would_block;
    asio::async_read(stream(), asio::buffer(out),
                     [&](const asio::error_code& ec, size_t) { result = ec; });
    absl::Status status = RunUntilDone(io_, lowest(), &result, limit, "read");
    if (!status.ok()) return status;
    return out;
  }

  // Everything the peer sends until it closes (at most max_bytes).
  absl::StatusOr<std::string> ReadToEnd(size_t max_bytes, absl::Duration limit = kWaitLimit) {
    std::string out;
    asio::error_code result = asio::error::would_block;
    asio::async_read(stream(), asio::dynamic_buffer(out, max_bytes),
                     [&](const asio::error_code& ec, size_t) { result = ec; });
    absl::Status status = RunUntilDone(io_, lowest(), &result, limit, "read to end");
    if (!status.ok() && out.size() < max_bytes && result == asio::error::eof) {
      return out;
    }
    if (!status.ok()) return status;
    return absl::OutOfRangeError(absl::StrCat("response exceeds ", max_bytes, " bytes"));
  }

  // Reads until the peer closes the connection or `limit` passes.
  // OK once EOF/reset is seen; DeadlineExceeded while it stays open.
  absl::Status WaitForClose(absl::Duration limit = kWaitLimit) {
    const absl::Time deadline = absl::Now() + limit;
    while (absl::Now() < deadline) {
      auto byte = ReadExact(1, deadline - absl::Now());
      if (absl::IsDeadlineExceeded(byte.status())) return byte.status();
      if (!byte.ok()) return absl::OkStatus();  // closed by the peer
    }
    return absl::DeadlineExceededError("connection still open");
  }

  absl::Status WriteFrame(ByteSpan payload) {
    Bytes frame;
    const FrameHeader header = EncodeFrameHeader(static_cast<uint32_t>(payload.size()));
    frame.insert(frame.end(), header.begin(), header.end());
    frame.insert(frame.end(), payload.begin(), payload.end());
    return Write(frame);
  }

  absl::StatusOr<Bytes> ReadFrame(size_t max_bytes, absl::Duration limit = kWaitLimit) {
    auto header = ReadExact(kFrameHeaderBytes, limit);
    if (!header.ok()) return header.status();
    FrameHeader h;
    std::copy(header->begin(), header->end(), h.begin());
    const uint32_t size = DecodeFrameHeader(h);
    if (size > max_bytes) return absl::OutOfRangeError(absl::StrCat("frame of ", size));
    return ReadExact(size, limit);
  }

 protected:
  virtual ~FramedIo() = default;
  virtual Stream& stream() = 0;
  virtual asio::ip::tcp::socket& lowest() = 0;
  asio::io_context io_;
};

// A plain TCP client on its own io_context.
class RawClient : public FramedIo<asio::ip::tcp::socket> {
 public:
  RawClient() : socket_(io_) {}

  // source_ip: bind the local end to this address first (e.g. 127.0.0.2).
  absl::Status Connect(uint16_t port, absl::Duration limit = kWaitLimit,
                       const std::string& source_ip = "") {
    if (!source_ip.empty()) {
      asio::error_code ec;
      socket_.open(asio::ip::tcp::v4(), ec);
      if (!ec) socket_.bind(asio::ip::tcp::endpoint(asio::ip::make_address(source_ip), 0), ec);
      if (ec) return absl::UnavailableError(absl::StrCat("bind ", source_ip, ": ", ec.message()));
    }
    asio::error_code result = asio::error::would_block;
    socket_.async_connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
        [&](const asio::error_code& ec) { result = ec; });
    return RunUntilDone(io_, socket_, &result, limit, "connect");
  }

 private:
  asio::ip::tcp::socket& stream() override { return socket_; }
  asio::ip::tcp::socket& lowest() override { return socket_; }
  asio::ip::tcp::socket socket_;
};

// One end of a TLS 1.3 session driven by hand, with the transport's own
// context (ephemeral certificate, TLS 1.3 only): a test can play client or
// server, read and forge Auth messages, and act as a relay.
class TlsPeer : public FramedIo<TlsStream> {
 public:
  TlsPeer() : acceptor_(io_) {
    auto context = MakePeerTlsContext();
    if (context.ok()) tls_ = std::move(*context);
  }

  // TCP connect, then the client side of the TLS handshake.
  absl::Status Connect(uint16_t port, absl::Duration limit = kWaitLimit) {
    if (!tls_) return absl::InternalError("no TLS context");
    stream_.emplace(asio::ip::tcp::socket(io_), *tls_);
    asio::error_code result = asio::error::would_block;
    lowest().async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                           [&](const asio::error_code& ec) { result = ec; });
    if (auto s = RunUntilDone(io_, lowest(), &result, limit, "connect"); !s.ok()) return s;
    return Handshake(asio::ssl::stream_base::client, limit);
  }

  // Listens on 127.0.0.1 (an OS-chosen port, returned).
  absl::StatusOr<uint16_t> Listen() {
    asio::error_code ec;
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return absl::UnavailableError(ec.message());
    return acceptor_.local_endpoint().port();
  }

  // Accepts one connection, then the server side of the TLS handshake.
  absl::Status AcceptOne(absl::Duration limit = kWaitLimit) {
    if (!tls_) return absl::InternalError("no TLS context");
    stream_.emplace(asio::ip::tcp::socket(io_), *tls_);
    asio::error_code result = asio::error::would_block;
    acceptor_.async_accept(lowest(), [&](const asio::error_code& ec) { result = ec; });
    io_.restart();
    io_.run_for(std::chrono::microseconds(absl::ToInt64Microseconds(limit)));
    if (result == asio::error::would_block) {
      asio::error_code ignored;
      acceptor_.cancel(ignored);
      io_.restart();
      io_.run_for(std::chrono::seconds(1));
      return absl::DeadlineExceededError("accept timed out");
    }
    if (result) return absl::UnavailableError(absl::StrCat("accept: ", result.message()));
    return Handshake(asio::ssl::stream_base::server, limit);
  }

  // The session's exporter value (after Connect or AcceptOne).
  const ChannelBinding& binding() const { return binding_; }

  absl::StatusOr<PeerAuth> ReadAuth(absl::Duration limit = kWaitLimit) {
    auto frame = ReadFrame(kPeerAuthBytes, limit);
    if (!frame.ok()) return frame.status();
    return DecodePeerAuth(*frame);
  }
  absl::Status SendAuth(const PeerAuth& auth) { return WriteFrame(EncodePeerAuth(auth)); }

 private:
  absl::Status Handshake(asio::ssl::stream_base::handshake_type type, absl::Duration limit) {
    asio::error_code result = asio::error::would_block;
    stream_->async_handshake(type, [&](const asio::error_code& ec) { result = ec; });
    if (auto s = RunUntilDone(io_, lowest(), &result, limit, "TLS handshake"); !s.ok()) {
      return s;
    }
    auto binding = ExportChannelBinding(stream_->native_handle());
    if (!binding.ok()) return binding.status();
    binding_ = *binding;
    return absl::OkStatus();
  }
  TlsStream& stream() override { return *stream_; }
  asio::ip::tcp::socket& lowest() override { return stream_->next_layer(); }

  std::unique_ptr<asio::ssl::context> tls_;
  asio::ip::tcp::acceptor acceptor_;
  std::optional<TlsStream> stream_;
  ChannelBinding binding_{};
};

// The client side of the peer Auth on a connected `peer`: claims `claimed`,
// signs with `signer` (equal for an honest client) for `server`, then reads
// the server's answer. Returns that Auth, or the error that ended the session.
inline absl::StatusOr<PeerAuth> ClientAuth(TlsPeer& peer, const PublicKey& claimed,
                                           const KeyPair& signer, const PublicKey& server,
                                           const Digest& chain_id) {
  PeerAuth auth;
  auth.chain_id = chain_id;
  auth.key = claimed;
  auth.signature = signer.Sign(
      PeerAuthDigest(peer.binding(), chain_id, claimed, server, PeerRole::kClient));
  if (auto s = peer.SendAuth(auth); !s.ok()) return s;
  return peer.ReadAuth();
}

}  // namespace gridledger::net::testing

#endif  // GRIDLEDGER_TESTS_NET_NET_TEST_UTIL_H_
