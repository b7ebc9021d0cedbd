#include "net/transport/connection.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"

namespace gridledger::net::internal {

bool IsHandshakeRefusal(CloseKind kind) {
  switch (kind) {
    case CloseKind::kTlsFailed:
    case CloseKind::kWrongChain:
    case CloseKind::kUnknownKey:
    case CloseKind::kWrongPeer:
    case CloseKind::kBadSignature:
    case CloseKind::kMalformedHandshake:
    case CloseKind::kHandshakeTimeout:
      return true;
    default:
      return false;
  }
}

Connection::Connection(asio::ip::tcp::socket socket, LinkDirection direction,
                       std::optional<PublicKey> expected_peer,
                       const ConnectionConfig& config, ConnectionEvents* events, uint64_t id)
    : stream_(std::move(socket), *config.tls),
      handshake_timer_(stream_.get_executor()),
      direction_(direction),
      expected_peer_(expected_peer),
      config_(config),
      events_(events),
      id_(id) {
  GL_CHECK(config_.own_key != nullptr && config_.committee != nullptr &&
           config_.tls != nullptr);
  GL_CHECK(direction_ == LinkDirection::kInbound || expected_peer_.has_value());
  asio::error_code ec;
  const auto endpoint = stream_.lowest_layer().remote_endpoint(ec);
  remote_ip_ = ec ? std::string("unknown") : endpoint.address().to_string();
  remote_ = ec ? remote_ip_ : absl::StrCat(remote_ip_, ":", endpoint.port());
}

const PublicKey& Connection::peer() const {
  if (their_key_.has_value()) return *their_key_;
  GL_CHECK_MSG(expected_peer_.has_value(), "peer() before the handshake");
  return *expected_peer_;
}

void Connection::Start() {
  asio::error_code ignored;
  stream_.lowest_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
  handshake_timer_.expires_after(std::chrono::milliseconds(config_.handshake_timeout_ms));
  handshake_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (ec || self->closed() || self->established()) return;
    self->Close(CloseKind::kHandshakeTimeout,
                absl::StrCat("handshake with ", self->remote_, " timed out"));
  });
  stream_.async_handshake(direction_ == LinkDirection::kOutbound
                              ? asio::ssl::stream_base::client
                              : asio::ssl::stream_base::server,
                          [self = shared_from_this()](const asio::error_code& ec) {
                            self->OnTlsHandshake(ec);
                          });
}

void Connection::OnTlsHandshake(const asio::error_code& ec) {
  if (closed()) return;
  if (ec) {
    Close(CloseKind::kTlsFailed,
          absl::StrCat("refused ", remote_, ": TLS handshake failed: ", ec.message()));
    return;
  }
  absl::StatusOr<ChannelBinding> binding = ExportChannelBinding(stream_.native_handle());
  if (!binding.ok()) {
    Close(CloseKind::kTlsFailed,
          absl::StrCat("refused ", remote_, ": ", binding.status().message()));
    return;
  }
  binding_ = *binding;
  state_ = State::kAwaitAuth;
  // The client proves itself first; the server answers only a verified client.
  if (direction_ == LinkDirection::kOutbound) SendAuth(*expected_peer_);
  ReadHeader();
}

void Connection::SendAuth(const PublicKey& verifier) {
  auto auth = std::make_shared<WriteJob>();
  auth->payloads.push_back(std::make_shared<const Bytes>(EncodePeerAuth(
      SignPeerAuth(*config_.own_key, binding_, config_.chain_id, verifier, own_role()))));
  EnqueueWrite(std::move(auth));
}

void Connection::Close(CloseKind kind, const std::string& reason) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  // No TLS close_notify: the peer learns from the TCP close, and a stuck
  // peer cannot hold us in a TLS shutdown.
  asio::error_code ignored;
  stream_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
  handshake_timer_.cancel();
  // A write in flight completes with operation_aborted and fails the rest.
  if (!writing_) FailQueuedWrites(asio::error::operation_aborted);
  events_->OnClosed(shared_from_this(), kind, reason);
}

void Connection::ReadHeader() {
  asio::async_read(stream_, asio::buffer(read_header_),
                   [self = shared_from_this()](const asio::error_code& ec, size_t) {
                     if (self->closed()) return;
                     if (ec) {
                       self->Close(CloseKind::kIoError,
                                   absl::StrCat("connection with ", self->remote_,
                                                " ended: ", ec.message()));
                       return;
                     }
                     self->ReadPayload(DecodeFrameHeader(self->read_header_));
                   });
}

void Connection::ReadPayload(uint32_t payload_bytes) {
  // Before authentication only an Auth-sized frame is accepted, so an
  // unauthenticated peer cannot make us buffer more than that.
  const size_t limit = established() ? config_.max_frame_bytes : kPeerAuthBytes;
  if (absl::Status status = CheckFrameLength(payload_bytes, limit); !status.ok()) {
    Close(CloseKind::kOversizedFrame,
          absl::StrCat("closing connection with ", remote_,
                       established() ? "" : " (before handshake)", ": ",
                       status.message()));
    return;
  }
  read_payload_.assign(payload_bytes, 0);
  if (payload_bytes == 0) {
    HandleFrame();
    return;
  }
  asio::async_read(stream_, asio::buffer(read_payload_),
                   [self = shared_from_this()](const asio::error_code& ec, size_t) {
                     if (self->closed()) return;
                     if (ec) {
                       self->Close(CloseKind::kIoError,
                                   absl::StrCat("connection with ", self->remote_,
                                                " ended mid-frame: ", ec.message()));
                       return;
                     }
                     self->HandleFrame();
                   });
}

void Connection::HandleFrame() {
  switch (state_) {
    case State::kAwaitAuth:
      HandleAuth();
      break;
    case State::kEstablished:
      events_->OnFrame(*this, std::move(read_payload_));
      read_payload_.clear();
      break;
    case State::kTlsHandshake:
    case State::kClosed:
      return;
  }
  if (!closed()) ReadHeader();
}

void Connection::HandleAuth() {
  absl::StatusOr<PeerAuth> auth = DecodePeerAuth(read_payload_);
  if (!auth.ok()) {
    Close(CloseKind::kMalformedHandshake,
          absl::StrCat("refused ", remote_, ": ", auth.status().message()));
    return;
  }
  if (auth->chain_id != config_.chain_id) {
    Close(CloseKind::kWrongChain,
          absl::StrCat("refused ", remote_, ": peer is on chain id ", auth->chain_id.Hex(),
                       ", ours is ", config_.chain_id.Hex()));
    return;
  }
  const PublicKey& own = config_.own_key->public_key();
  if (auth->key == own || !config_.committee->contains(auth->key)) {
    Close(CloseKind::kUnknownKey,
          absl::StrCat("refused ", remote_, ": key ", auth->key.Hex(),
                       auth->key == own ? " is our own key" : " is not in the committee"));
    return;
  }
  if (expected_peer_.has_value() && auth->key != *expected_peer_) {
    Close(CloseKind::kWrongPeer,
          absl::StrCat("refused ", remote_, ": dialled ", expected_peer_->ShortHex(),
                       " but it authenticates as ", auth->key.ShortHex()));
    return;
  }
  const PeerRole their_role =
      own_role() == PeerRole::kClient ? PeerRole::kServer : PeerRole::kClient;
  if (!VerifyPeerAuth(*auth, binding_, config_.chain_id, own, their_role)) {
    Close(CloseKind::kBadSignature,
          absl::StrCat("refused ", remote_, ": auth signature for key ",
                       auth->key.ShortHex(), " does not verify on this TLS session"));
    return;
  }
  their_key_ = auth->key;
  if (direction_ == LinkDirection::kInbound) SendAuth(auth->key);
  state_ = State::kEstablished;
  authenticated_ = true;
  handshake_timer_.cancel();
  events_->OnAuthenticated(shared_from_this());
}

void Connection::WriteFrames(std::vector<std::shared_ptr<const Bytes>> payloads,
                             WriteDone done) {
  GL_CHECK(!data_write_busy_);
  GL_CHECK(!payloads.empty() && payloads.size() <= kMaxFramesPerWrite);
  data_write_busy_ = true;
  auto job = std::make_shared<WriteJob>();
  job->payloads = std::move(payloads);
  job->done = [self = shared_from_this(), done = std::move(done)](
                  const asio::error_code& ec) {
    self->data_write_busy_ = false;
    done(ec);
  };
  if (closed()) {
    // Report asynchronously, as a socket failure would be.
    asio::post(stream_.get_executor(), [job] { job->done(asio::error::not_connected); });
    return;
  }
  EnqueueWrite(std::move(job));
}

void Connection::EnqueueWrite(std::shared_ptr<WriteJob> job) {
  for (const auto& payload : job->payloads) {
    GL_CHECK(payload->size() <= config_.max_frame_bytes ||
             payload->size() <= kPeerAuthBytes);
  }
  writes_.push_back(std::move(job));
  GL_CHECK(writes_.size() <= kMaxQueuedWrites);
  WriteNext();
}

void Connection::WriteNext() {
  if (writing_ || writes_.empty() || closed()) return;
  writing_ = true;
  WriteJob& job = *writes_.front();
  // Every header and small payload goes into a staging buffer; a large
  // payload ends the current one and is written from its own memory.
  std::vector<asio::const_buffer> buffers;
  job.staging.emplace_back();
  for (const auto& payload : job.payloads) {
    const FrameHeader header = EncodeFrameHeader(static_cast<uint32_t>(payload->size()));
    job.staging.back().insert(job.staging.back().end(), header.begin(), header.end());
    if (payload->size() < kCopyPayloadBytesMax) {
      job.staging.back().insert(job.staging.back().end(), payload->begin(), payload->end());
      continue;
    }
    buffers.push_back(asio::buffer(job.staging.back()));
    buffers.push_back(asio::buffer(*payload));
    job.staging.emplace_back();
  }
  if (!job.staging.back().empty()) buffers.push_back(asio::buffer(job.staging.back()));
  asio::async_write(stream_, buffers,
                    [self = shared_from_this()](const asio::error_code& ec, size_t) {
                      self->writing_ = false;
                      std::shared_ptr<WriteJob> job = std::move(self->writes_.front());
                      self->writes_.pop_front();
                      // Close before reporting, so the owner cannot queue more
                      // frames onto a socket that just failed.
                      if (ec && !self->closed()) {
                        self->Close(CloseKind::kIoError,
                                    absl::StrCat("write to ", self->remote_,
                                                 " failed: ", ec.message()));
                      }
                      if (job->done) job->done(ec);
                      if (self->closed()) {
                        self->FailQueuedWrites(asio::error::operation_aborted);
                        return;
                      }
                      self->WriteNext();
                    });
}

void Connection::FailQueuedWrites(const asio::error_code& error) {
  std::deque<std::shared_ptr<WriteJob>> failed;
  failed.swap(writes_);
  for (const auto& job : failed) {
    if (job->done) job->done(error);
  }
}

}  // namespace gridledger::net::internal
