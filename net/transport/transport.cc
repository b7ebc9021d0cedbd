#include "net/transport/transport.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "core/common/check.h"
#include "core/common/log.h"
#include "core/common/thread_name.h"
#include "net/transport/connection.h"
#include "net/transport/log_rate_limiter.h"
#include "net/transport/preauth_limiter.h"
#include "net/transport/tls.h"

namespace gridledger::net {

using internal::CloseKind;
using internal::Connection;
using internal::ConnectionConfig;

namespace {

// Pause after a failed accept (e.g. EMFILE) before accepting again.
constexpr int64_t kAcceptRetryMs = 20;

absl::StatusOr<asio::ip::address> ParseIp(const std::string& host, absl::string_view field) {
  asio::error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", host, "' is not an IP address literal"));
  }
  return address;
}

}  // namespace

class Transport::Impl : public internal::ConnectionEvents {
 public:
  Impl(TransportOptions options, MessageCallback on_message, PeerCallback on_peer_state,
       LogCallback log);
  ~Impl() override { Stop(); }

  absl::Status Start();
  void Stop();
  absl::Status SetPeerAddress(const PublicKey& peer, const PeerAddress& address);
  absl::Status Send(const PublicKey& to, std::shared_ptr<const Bytes> payload);
  absl::Status Broadcast(Bytes payload);
  TransportCounters counters() const;
  size_t queued_frames(const PublicKey& peer) const;
  size_t queued_bytes(const PublicKey& peer) const;
  uint16_t listen_port() const { return listen_port_.load(); }
  const PublicKey& own_key() const { return options_.own_key.public_key(); }

  // ConnectionEvents (io thread).
  void OnAuthenticated(const std::shared_ptr<Connection>& conn) override;
  void OnFrame(const Connection& conn, Bytes payload) override;
  void OnClosed(const std::shared_ptr<Connection>& conn, CloseKind kind,
                const std::string& reason) override;

 private:
  struct Peer {
    explicit Peer(asio::io_context& io) : redial_timer(io) {}
    // Guarded by mu_.
    PeerAddress address;
    std::deque<std::shared_ptr<const Bytes>> queue;
    size_t queued_bytes = 0;  // the queue's payload bytes
    // io thread only.
    std::shared_ptr<Connection> outbound;  // sending link (maybe mid-handshake)
    std::shared_ptr<Connection> inbound;   // latest authenticated receiving link
    std::unique_ptr<asio::ip::tcp::socket> dialing;
    asio::steady_timer redial_timer;
    int64_t backoff_ms = 0;
  };
  struct Counters {
    std::atomic<uint64_t> frames_in{0}, frames_out{0}, payload_bytes_in{0},
        payload_bytes_out{0}, dials{0}, handshakes_ok{0}, handshakes_refused{0},
        refused_tls{0}, refused_wrong_chain{0}, refused_unknown_key{0},
        refused_bad_signature{0}, handshake_timeouts{0}, preauth_evictions{0},
        log_lines_suppressed{0}, oversized_frames{0}, queue_full_rejections{0},
        frames_lost_on_disconnect{0};
  };

  void Log(absl::string_view line) const;
  // io thread only: lines about unauthenticated connections, rate-bounded.
  void LogPreauth(absl::string_view line);
  Peer* FindPeer(const PublicKey& key) const;
  void PeerEventOut(const PublicKey& key, LinkDirection direction, bool up);

  // io thread only.
  void Accept();
  void Admit(asio::ip::tcp::socket socket);
  void Dial(const PublicKey& key);
  void ScheduleRedial(const PublicKey& key);
  void Flush(const PublicKey& key);
  void ShutdownOnIo();

  const TransportOptions options_;
  const MessageCallback on_message_;
  const PeerCallback on_peer_state_;
  const LogCallback log_;
  absl::flat_hash_set<PublicKey> committee_keys_;
  ConnectionConfig connection_config_;

  // Made in Start(); read by connections on the io thread only.
  std::unique_ptr<asio::ssl::context> tls_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_timer_;
  std::thread thread_;
  std::atomic<uint16_t> listen_port_{0};

  // Fixed key set after construction; values are pointer-stable.
  absl::flat_hash_map<PublicKey, std::unique_ptr<Peer>> peers_;
  mutable absl::Mutex mu_;
  bool start_called_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;  // the io thread runs
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;

  // io thread only.
  bool shutting_down_ = false;
  uint64_t next_connection_id_ = 1;
  // Inbound connections before authentication, by Connection::id().
  absl::flat_hash_map<uint64_t, std::shared_ptr<Connection>> pending_;
  internal::PreauthLimiter preauth_;
  internal::LogRateLimiter preauth_log_;

  Counters counters_;
};

Transport::Impl::Impl(TransportOptions options, MessageCallback on_message,
                      PeerCallback on_peer_state, LogCallback log)
    : options_(std::move(options)),
      on_message_(std::move(on_message)),
      on_peer_state_(std::move(on_peer_state)),
      log_(std::move(log)),
      acceptor_(io_),
      accept_retry_timer_(io_),
      preauth_(options_.preauth_per_source_max, options_.preauth_total_max),
      preauth_log_(options_.preauth_log_lines_per_second_max) {
  GL_CHECK(on_message_ != nullptr);
  GL_CHECK(options_.max_frame_bytes > 0 &&
           options_.max_frame_bytes <= kMaxConfigurableFrameBytes);
  GL_CHECK(options_.send_queue_max_frames > 0);
  GL_CHECK(options_.send_queue_max_bytes >= options_.max_frame_bytes);
  GL_CHECK(options_.reconnect_min_ms > 0 &&
           options_.reconnect_min_ms <= options_.reconnect_max_ms);
  GL_CHECK(options_.handshake_timeout_ms > 0);
  GL_CHECK(options_.preauth_per_source_max >= 1 &&
           options_.preauth_per_source_max <= options_.preauth_total_max);
  GL_CHECK(options_.preauth_log_lines_per_second_max >= 1);
  for (const auto& [key, address] : options_.committee) {
    committee_keys_.insert(key);
    if (key == own_key()) continue;
    auto peer = std::make_unique<Peer>(io_);
    peer->address = address;
    peer->backoff_ms = options_.reconnect_min_ms;
    peers_.emplace(key, std::move(peer));
  }
  connection_config_.own_key = &options_.own_key;
  connection_config_.committee = &committee_keys_;
  connection_config_.chain_id = options_.chain_id;
  connection_config_.max_frame_bytes = options_.max_frame_bytes;
  connection_config_.handshake_timeout_ms = options_.handshake_timeout_ms;
}

void Transport::Impl::Log(absl::string_view line) const {
  if (log_) {
    log_(line);
  } else {
    Logger().Info(absl::StrCat("transport ", options_.own_key.public_key().ShortHex(), ": ", line));
  }
}

void Transport::Impl::LogPreauth(absl::string_view line) {
  const internal::LogRateLimiter::Decision decision = preauth_log_.Offer(absl::Now());
  if (!decision.emit) {
    counters_.log_lines_suppressed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (decision.suppressed > 0) {
    Log(absl::StrCat("suppressed ", decision.suppressed,
                     " lines about unauthenticated connections (over ",
                     options_.preauth_log_lines_per_second_max, " per second)"));
  }
  Log(line);
}

Transport::Impl::Peer* Transport::Impl::FindPeer(const PublicKey& key) const {
  auto it = peers_.find(key);
  return it == peers_.end() ? nullptr : it->second.get();
}

void Transport::Impl::PeerEventOut(const PublicKey& key, LinkDirection direction,
                                   bool up) {
  if (on_peer_state_) on_peer_state_(PeerEvent{key, direction, up});
}

absl::Status Transport::Impl::Start() {
  {
    absl::MutexLock lock(&mu_);
    GL_CHECK_MSG(!start_called_, "Transport::Start called twice");
    start_called_ = true;
    if (stopped_) return absl::FailedPreconditionError("transport is stopped");
  }
  for (const auto& [key, address] : options_.committee) {
    if (address.port == 0) continue;
    auto ip = ParseIp(address.host, "committee address");
    if (!ip.ok()) return ip.status();
  }
  auto ip = ParseIp(options_.listen_address, "listen_address");
  if (!ip.ok()) return ip.status();
  auto tls = MakePeerTlsContext();
  if (!tls.ok()) return tls.status();
  tls_ = std::move(*tls);
  connection_config_.tls = tls_.get();
  const asio::ip::tcp::endpoint endpoint(*ip, options_.listen_port);
  asio::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  // SO_REUSEADDR: a restarted node rebinds its port despite TIME_WAIT sockets.
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.listen_address,
                                               ":", options_.listen_port, ": ",
                                               ec.message()));
  }
  listen_port_.store(acceptor_.local_endpoint().port());
  work_.emplace(asio::make_work_guard(io_));
  asio::post(io_, [this] {
    Accept();
    for (const auto& [key, peer] : peers_) Dial(key);
  });
  {
    // From here Send and SetPeerAddress post to io_; run() picks that up.
    absl::MutexLock lock(&mu_);
    started_ = true;
  }
  thread_ = std::thread([this] {
    NameThisThread("gl-transport");
    io_.run();
  });
  return absl::OkStatus();
}

void Transport::Impl::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    if (!started_) return;
  }
  GL_CHECK_MSG(std::this_thread::get_id() != thread_.get_id(),
               "Transport::Stop called from a transport callback");
  asio::post(io_, [this] { ShutdownOnIo(); });
  work_.reset();
  // Every socket and timer is closed, and nothing re-arms while shutting down,
  // so run() returns once the aborted handlers have drained.
  thread_.join();
}

void Transport::Impl::ShutdownOnIo() {
  shutting_down_ = true;
  asio::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_timer_.cancel();
  for (auto& [key, peer] : peers_) {
    peer->redial_timer.cancel();
    if (peer->dialing) peer->dialing->close(ignored);
    if (peer->outbound) peer->outbound->Close(CloseKind::kShutdown, "shutdown");
    if (peer->inbound) peer->inbound->Close(CloseKind::kShutdown, "shutdown");
  }
  std::vector<std::shared_ptr<Connection>> pending;
  for (const auto& [id, conn] : pending_) pending.push_back(conn);
  for (const auto& conn : pending) conn->Close(CloseKind::kShutdown, "shutdown");
}

void Transport::Impl::Accept() {
  if (shutting_down_) return;
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (shutting_down_) return;
    if (ec) {
      // E.g. out of file descriptors: retrying at once would spin.
      LogPreauth(absl::StrCat("accept failed: ", ec.message(), "; retrying in ",
                              kAcceptRetryMs, " ms"));
      accept_retry_timer_.expires_after(std::chrono::milliseconds(kAcceptRetryMs));
      accept_retry_timer_.async_wait([this](const asio::error_code& timer_ec) {
        if (!timer_ec) Accept();
      });
      return;
    }
    Admit(std::move(socket));
    Accept();
  });
}

void Transport::Impl::Admit(asio::ip::tcp::socket socket) {
  const uint64_t id = next_connection_id_++;
  auto conn = std::make_shared<Connection>(std::move(socket), LinkDirection::kInbound,
                                           std::nullopt, connection_config_, this, id);
  for (const uint64_t victim_id : preauth_.Admit(conn->remote_ip(), id)) {
    auto victim = pending_.find(victim_id);
    GL_CHECK(victim != pending_.end());
    // Copy: Close() erases the map entry.
    std::shared_ptr<Connection> evicted = victim->second;
    evicted->Close(CloseKind::kEvicted,
                   absl::StrCat("evicted unauthenticated connection from ",
                                evicted->remote(), " for a newer one from ",
                                conn->remote(), " (limits ",
                                options_.preauth_per_source_max, " per source, ",
                                options_.preauth_total_max, " in total)"));
    counters_.preauth_evictions.fetch_add(1, std::memory_order_relaxed);
  }
  pending_.emplace(id, conn);
  conn->Start();
}

void Transport::Impl::Dial(const PublicKey& key) {
  if (shutting_down_) return;
  Peer* peer = FindPeer(key);
  GL_CHECK(peer != nullptr);
  if (peer->outbound || peer->dialing) return;
  PeerAddress address;
  {
    absl::MutexLock lock(&mu_);
    address = peer->address;
  }
  if (address.port == 0) return;
  auto ip = ParseIp(address.host, "peer address");
  GL_CHECK(ip.ok());  // validated in Start and SetPeerAddress
  counters_.dials.fetch_add(1, std::memory_order_relaxed);
  peer->dialing = std::make_unique<asio::ip::tcp::socket>(io_);
  peer->dialing->async_connect(
      asio::ip::tcp::endpoint(*ip, address.port),
      [this, key, peer, address](const asio::error_code& ec) {
        if (shutting_down_) return;
        asio::ip::tcp::socket socket = std::move(*peer->dialing);
        peer->dialing.reset();
        if (ec) {
          Log(absl::StrCat("dial ", key.ShortHex(), " at ", address.host, ":", address.port,
                           " failed: ", ec.message()));
          ScheduleRedial(key);
          return;
        }
        peer->outbound =
            std::make_shared<Connection>(std::move(socket), LinkDirection::kOutbound, key,
                                         connection_config_, this, next_connection_id_++);
        peer->outbound->Start();
      });
}

void Transport::Impl::ScheduleRedial(const PublicKey& key) {
  if (shutting_down_) return;
  Peer* peer = FindPeer(key);
  const int64_t delay_ms = peer->backoff_ms;
  peer->backoff_ms = std::min(peer->backoff_ms * 2, options_.reconnect_max_ms);
  peer->redial_timer.expires_after(std::chrono::milliseconds(delay_ms));
  peer->redial_timer.async_wait([this, key](const asio::error_code& ec) {
    if (ec) return;  // cancelled: stopping, or an address change dialled already
    Dial(key);
  });
}

absl::Status Transport::Impl::SetPeerAddress(const PublicKey& key,
                                             const PeerAddress& address) {
  if (key == own_key()) {
    return absl::InvalidArgumentError("peer: cannot set an address for our own key");
  }
  Peer* peer = FindPeer(key);
  if (peer == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("peer: key ", key.ShortHex(), " is not in the committee"));
  }
  auto ip = ParseIp(address.host, "peer address");
  if (!ip.ok()) return ip.status();
  {
    absl::MutexLock lock(&mu_);
    peer->address = address;
    if (!started_ || stopped_) return absl::OkStatus();  // Start dials it
  }
  asio::post(io_, [this, key, peer] {
    if (shutting_down_ || peer->outbound || peer->dialing) return;
    peer->redial_timer.cancel();
    peer->backoff_ms = options_.reconnect_min_ms;
    Dial(key);
  });
  return absl::OkStatus();
}

absl::Status Transport::Impl::Send(const PublicKey& to,
                                   std::shared_ptr<const Bytes> payload) {
  if (payload->size() > options_.max_frame_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "payload: ", payload->size(), " bytes exceeds max_frame_bytes ",
        options_.max_frame_bytes));
  }
  Peer* peer = FindPeer(to);
  if (peer == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "to: key ", to.ShortHex(),
        to == own_key() ? " is our own key" : " is not in the committee"));
  }
  bool kick = false;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return absl::FailedPreconditionError("transport is stopped");
    if (peer->queue.size() >= options_.send_queue_max_frames) {
      counters_.queue_full_rejections.fetch_add(1, std::memory_order_relaxed);
      return absl::ResourceExhaustedError(absl::StrCat(
          "send queue to ", to.ShortHex(), " holds send_queue_max_frames ",
          options_.send_queue_max_frames, " frames"));
    }
    if (payload->size() > options_.send_queue_max_bytes - peer->queued_bytes) {
      counters_.queue_full_rejections.fetch_add(1, std::memory_order_relaxed);
      return absl::ResourceExhaustedError(absl::StrCat(
          "send queue to ", to.ShortHex(), " holds ", peer->queued_bytes,
          " bytes; a frame of ", payload->size(), " would pass send_queue_max_bytes ",
          options_.send_queue_max_bytes));
    }
    // A non-empty queue already has a flush coming (after the current write
    // or on the next handshake); only the first frame needs to kick one.
    kick = peer->queue.empty() && started_;
    peer->queued_bytes += payload->size();
    peer->queue.push_back(std::move(payload));
  }
  if (kick) asio::post(io_, [this, to] { Flush(to); });
  return absl::OkStatus();
}

absl::Status Transport::Impl::Broadcast(Bytes payload) {
  auto shared = std::make_shared<const Bytes>(std::move(payload));
  size_t full = 0;
  for (const auto& [key, peer] : peers_) {
    absl::Status status = Send(key, shared);
    if (absl::IsResourceExhausted(status)) {
      ++full;
    } else if (!status.ok()) {
      return status;
    }
  }
  if (full > 0) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "broadcast: send queues of ", full, " of ", peers_.size(), " peers are full"));
  }
  return absl::OkStatus();
}

void Transport::Impl::Flush(const PublicKey& key) {
  if (shutting_down_) return;
  Peer* peer = FindPeer(key);
  std::shared_ptr<Connection> conn = peer->outbound;
  if (!conn || !conn->established() || conn->data_write_busy()) return;
  std::vector<std::shared_ptr<const Bytes>> batch;
  {
    absl::MutexLock lock(&mu_);
    const size_t count = std::min(peer->queue.size(), kMaxFramesPerWrite);
    batch.assign(peer->queue.begin(), peer->queue.begin() + count);
    peer->queue.erase(peer->queue.begin(), peer->queue.begin() + count);
    for (const auto& payload : batch) peer->queued_bytes -= payload->size();
  }
  if (batch.empty()) return;
  uint64_t bytes = 0;
  for (const auto& payload : batch) bytes += payload->size();
  const uint64_t frames = batch.size();
  conn->WriteFrames(std::move(batch), [this, key, frames, bytes](const asio::error_code& ec) {
    if (ec) {
      counters_.frames_lost_on_disconnect.fetch_add(frames, std::memory_order_relaxed);
      return;  // the connection is closed; its replacement flushes on handshake
    }
    counters_.frames_out.fetch_add(frames, std::memory_order_relaxed);
    counters_.payload_bytes_out.fetch_add(bytes, std::memory_order_relaxed);
    Flush(key);
  });
}

void Transport::Impl::OnAuthenticated(const std::shared_ptr<Connection>& conn) {
  counters_.handshakes_ok.fetch_add(1, std::memory_order_relaxed);
  Peer* peer = FindPeer(conn->peer());
  GL_CHECK(peer != nullptr);  // the handshake admits committee keys only
  if (conn->direction() == LinkDirection::kOutbound) {
    GL_CHECK(peer->outbound == conn);
    peer->backoff_ms = options_.reconnect_min_ms;
    PeerEventOut(conn->peer(), LinkDirection::kOutbound, true);
    Flush(conn->peer());
    return;
  }
  pending_.erase(conn->id());
  preauth_.Remove(conn->id());
  std::shared_ptr<Connection> previous = std::move(peer->inbound);
  peer->inbound = conn;
  if (previous) {
    previous->Close(CloseKind::kReplaced,
                    absl::StrCat("newer connection from ", conn->peer().ShortHex()));
  } else {
    PeerEventOut(conn->peer(), LinkDirection::kInbound, true);
  }
}

void Transport::Impl::OnFrame(const Connection& conn, Bytes payload) {
  counters_.frames_in.fetch_add(1, std::memory_order_relaxed);
  counters_.payload_bytes_in.fetch_add(payload.size(), std::memory_order_relaxed);
  on_message_(conn.peer(), std::move(payload));
}

void Transport::Impl::OnClosed(const std::shared_ptr<Connection>& conn, CloseKind kind,
                               const std::string& reason) {
  // Log before counting: whoever sees a counter move can already read why.
  const bool unauthenticated_inbound =
      conn->direction() == LinkDirection::kInbound && !conn->authenticated();
  if (kind == CloseKind::kShutdown) {
    // nothing to report
  } else if (unauthenticated_inbound) {
    LogPreauth(reason);  // anyone can cause these: bounded
  } else {
    Log(reason);
  }
  if (internal::IsHandshakeRefusal(kind)) {
    counters_.handshakes_refused.fetch_add(1, std::memory_order_relaxed);
  }
  switch (kind) {
    case CloseKind::kTlsFailed:
      counters_.refused_tls.fetch_add(1, std::memory_order_relaxed);
      break;
    case CloseKind::kWrongChain:
      counters_.refused_wrong_chain.fetch_add(1, std::memory_order_relaxed);
      break;
    case CloseKind::kUnknownKey:
      counters_.refused_unknown_key.fetch_add(1, std::memory_order_relaxed);
      break;
    case CloseKind::kBadSignature:
      counters_.refused_bad_signature.fetch_add(1, std::memory_order_relaxed);
      break;
    case CloseKind::kHandshakeTimeout:
      counters_.handshake_timeouts.fetch_add(1, std::memory_order_relaxed);
      break;
    case CloseKind::kOversizedFrame:
      counters_.oversized_frames.fetch_add(1, std::memory_order_relaxed);
      break;
    default:
      break;
  }

  if (conn->direction() == LinkDirection::kInbound) {
    if (pending_.erase(conn->id()) > 0) {  // never authenticated
      preauth_.Remove(conn->id());
      return;
    }
    Peer* peer = FindPeer(conn->peer());
    if (peer != nullptr && peer->inbound == conn) {
      peer->inbound.reset();
      PeerEventOut(conn->peer(), LinkDirection::kInbound, false);
    }
    return;
  }
  Peer* peer = FindPeer(conn->peer());
  GL_CHECK(peer != nullptr && peer->outbound == conn);
  peer->outbound.reset();
  if (conn->authenticated()) {
    PeerEventOut(conn->peer(), LinkDirection::kOutbound, false);
  }
  ScheduleRedial(conn->peer());
}

TransportCounters Transport::Impl::counters() const {
  TransportCounters out;
  out.frames_in = counters_.frames_in.load();
  out.frames_out = counters_.frames_out.load();
  out.payload_bytes_in = counters_.payload_bytes_in.load();
  out.payload_bytes_out = counters_.payload_bytes_out.load();
  out.dials = counters_.dials.load();
  out.handshakes_ok = counters_.handshakes_ok.load();
  out.handshakes_refused = counters_.handshakes_refused.load();
  out.refused_tls = counters_.refused_tls.load();
  out.refused_wrong_chain = counters_.refused_wrong_chain.load();
  out.refused_unknown_key = counters_.refused_unknown_key.load();
  out.refused_bad_signature = counters_.refused_bad_signature.load();
  out.handshake_timeouts = counters_.handshake_timeouts.load();
  out.preauth_evictions = counters_.preauth_evictions.load();
  out.log_lines_suppressed = counters_.log_lines_suppressed.load();
  out.oversized_frames = counters_.oversized_frames.load();
  out.queue_full_rejections = counters_.queue_full_rejections.load();
  out.frames_lost_on_disconnect = counters_.frames_lost_on_disconnect.load();
  absl::MutexLock lock(&mu_);
  for (const auto& [key, peer] : peers_) {
    out.queued_frames += peer->queue.size();
    out.queued_bytes += peer->queued_bytes;
  }
  return out;
}

size_t Transport::Impl::queued_frames(const PublicKey& key) const {
  Peer* peer = FindPeer(key);
  if (peer == nullptr) return 0;
  absl::MutexLock lock(&mu_);
  return peer->queue.size();
}

size_t Transport::Impl::queued_bytes(const PublicKey& key) const {
  Peer* peer = FindPeer(key);
  if (peer == nullptr) return 0;
  absl::MutexLock lock(&mu_);
  return peer->queued_bytes;
}

Transport::Transport(TransportOptions options, MessageCallback on_message,
                     PeerCallback on_peer_state, LogCallback log)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(on_message),
                                   std::move(on_peer_state), std::move(log))) {}
Transport::~Transport() { impl_->Stop(); }
absl::Status Transport::Start() { return impl_->Start(); }
void Transport::Stop() { impl_->Stop(); }
uint16_t Transport::listen_port() const { return impl_->listen_port(); }
const PublicKey& Transport::own_key() const { return impl_->own_key(); }
absl::Status Transport::SetPeerAddress(const PublicKey& peer, const PeerAddress& address) {
  return impl_->SetPeerAddress(peer, address);
}
absl::Status Transport::Send(const PublicKey& to, Bytes payload) {
  return impl_->Send(to, std::make_shared<const Bytes>(std::move(payload)));
}
absl::Status Transport::Broadcast(Bytes payload) { return impl_->Broadcast(std::move(payload)); }
TransportCounters Transport::counters() const { return impl_->counters(); }
size_t Transport::queued_frames(const PublicKey& peer) const {
  return impl_->queued_frames(peer);
}
size_t Transport::queued_bytes(const PublicKey& peer) const {
  return impl_->queued_bytes(peer);
}

}  // namespace gridledger::net
