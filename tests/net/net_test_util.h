// Helpers for the loopback network tests: bounded waiting, a recording
// transport wrapper, and a raw asio client whose every operation has a deadline.
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
#include "net/transport/frame.h"
#include "net/transport/handshake.h"
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

// A plain TCP client on its own io_context; each call runs the io_context for
// at most `limit`, cancelling the operation when the deadline passes.
class RawClient {
 public:
  RawClient() : socket_(io_) {}

  absl::Status Connect(uint16_t port, absl::Duration limit = kWaitLimit) {
    asio::error_code result = asio::error::would_block;
    socket_.async_connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
        [&](const asio::error_code& ec) { result = ec; });
    return RunUntilDone(&result, limit, "connect");
  }

  absl::Status Write(ByteSpan bytes, absl::Duration limit = kWaitLimit) {
    asio::error_code result = asio::error::would_block;
    asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                      [&](const asio::error_code& ec, size_t) { result = ec; });
    return RunUntilDone(&result, limit, "write");
  }

  absl::StatusOr<Bytes> ReadExact(size_t size, absl::Duration limit = kWaitLimit) {
    Bytes out(size);
    asio::error_code result = asio::error::would_block;
    asio::async_read(socket_, asio::buffer(out),
                     [&](const asio::error_code& ec, size_t) { result = ec; });
    absl::Status status = RunUntilDone(&result, limit, "read");
    if (!status.ok()) return status;
    return out;
  }

  // Everything the peer sends until it closes (at most max_bytes).
  absl::StatusOr<std::string> ReadToEnd(size_t max_bytes, absl::Duration limit = kWaitLimit) {
    std::string out;
    asio::error_code result = asio::error::would_block;
    asio::async_read(socket_, asio::dynamic_buffer(out, max_bytes),
                     [&](const asio::error_code& ec, size_t) { result = ec; });
    absl::Status status = RunUntilDone(&result, limit, "read to end");
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

  absl::StatusOr<Bytes> ReadFrame(size_t max_bytes) {
    auto header = ReadExact(kFrameHeaderBytes);
    if (!header.ok()) return header.status();
    FrameHeader h;
    std::copy(header->begin(), header->end(), h.begin());
    const uint32_t size = DecodeFrameHeader(h);
    if (size > max_bytes) return absl::OutOfRangeError(absl::StrCat("frame of ", size));
    return ReadExact(size);
  }

  // Runs the client side of the handshake as `claimed` while signing with
  // `signer` (equal for an honest client). Returns the server's Hello.
  absl::StatusOr<Hello> Handshake(const PublicKey& claimed, const KeyPair& signer) {
    Hello own{RandomHandshakeNonce(), claimed};
    if (auto s = WriteFrame(EncodeHello(own)); !s.ok()) return s;
    auto theirs_bytes = ReadFrame(kHelloBytes);
    if (!theirs_bytes.ok()) return theirs_bytes.status();
    auto theirs = DecodeHello(*theirs_bytes);
    if (!theirs.ok()) return theirs.status();
    // Signs the same digest an honest `claimed` would, but with `signer`'s key.
    const Signature sig = signer.Sign(
        HandshakeDigest(theirs->nonce, own.nonce, claimed, theirs->key));
    if (auto s = WriteFrame(EncodeAuth(sig)); !s.ok()) return s;
    return *theirs;
  }

 private:
  absl::Status RunUntilDone(asio::error_code* result, absl::Duration limit,
                            absl::string_view what) {
    io_.restart();
    io_.run_for(std::chrono::microseconds(absl::ToInt64Microseconds(limit)));
    if (*result == asio::error::would_block) {
      asio::error_code ignored;
      socket_.cancel(ignored);
      io_.restart();
      io_.run_for(std::chrono::seconds(1));  // drain the cancelled handler
      return absl::DeadlineExceededError(absl::StrCat(what, " timed out"));
    }
    if (*result) return absl::UnavailableError(absl::StrCat(what, ": ", result->message()));
    return absl::OkStatus();
  }

  asio::io_context io_;
  asio::ip::tcp::socket socket_;
};

}  // namespace gridledger::net::testing

#endif  // GRIDLEDGER_TESTS_NET_NET_TEST_UTIL_H_
