#include "net/transport/connection.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"

namespace gridledger::net::internal {

bool IsHandshakeRefusal(CloseKind kind) {
  switch (kind) {
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
                       const ConnectionConfig& config, ConnectionEvents* events)
    : socket_(std::move(socket)),
      handshake_timer_(socket_.get_executor()),
      direction_(direction),
      expected_peer_(expected_peer),
      config_(config),
      events_(events) {
  GL_CHECK(config_.own_key != nullptr && config_.committee != nullptr);
  GL_CHECK(direction_ == LinkDirection::kInbound || expected_peer_.has_value());
  asio::error_code ec;
  const auto endpoint = socket_.remote_endpoint(ec);
  remote_ = ec ? std::string("unknown")
               : absl::StrCat(endpoint.address().to_string(), ":", endpoint.port());
  own_hello_.nonce = RandomHandshakeNonce();
  own_hello_.key = config_.own_key->public_key();
}

const PublicKey& Connection::peer() const {
  if (their_hello_.has_value()) return their_hello_->key;
  GL_CHECK_MSG(expected_peer_.has_value(), "peer() before the handshake");
  return *expected_peer_;
}

void Connection::Start() {
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  handshake_timer_.expires_after(std::chrono::milliseconds(config_.handshake_timeout_ms));
  handshake_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (ec || self->closed() || self->established()) return;
    self->Close(CloseKind::kHandshakeTimeout,
                absl::StrCat("handshake with ", self->remote_, " timed out"));
  });
  auto hello = std::make_shared<WriteJob>();
  hello->payloads.push_back(std::make_shared<const Bytes>(EncodeHello(own_hello_)));
  EnqueueWrite(std::move(hello));
  ReadHeader();
}

void Connection::Close(CloseKind kind, const std::string& reason) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  handshake_timer_.cancel();
  // A write in flight completes with operation_aborted and fails the rest.
  if (!writing_) FailQueuedWrites(asio::error::operation_aborted);
  events_->OnClosed(shared_from_this(), kind, reason);
}

void Connection::ReadHeader() {
  asio::async_read(socket_, asio::buffer(read_header_),
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
  // Before authentication only handshake-sized frames are accepted, so an
  // unauthenticated socket cannot make us buffer more than a Hello.
  const size_t limit = established() ? config_.max_frame_bytes : kMaxHandshakeFrameBytes;
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
  asio::async_read(socket_, asio::buffer(read_payload_),
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
    case State::kAwaitHello:
      HandleHello();
      break;
    case State::kAwaitAuth:
      HandleAuth();
      break;
    case State::kEstablished:
      events_->OnFrame(*this, std::move(read_payload_));
      read_payload_.clear();
      break;
    case State::kClosed:
      return;
  }
  if (!closed()) ReadHeader();
}

void Connection::HandleHello() {
  absl::StatusOr<Hello> hello = DecodeHello(read_payload_);
  if (!hello.ok()) {
    Close(CloseKind::kMalformedHandshake,
          absl::StrCat("refused ", remote_, ": ", hello.status().message()));
    return;
  }
  if (hello->key == own_hello_.key || !config_.committee->contains(hello->key)) {
    Close(CloseKind::kUnknownKey,
          absl::StrCat("refused ", remote_, ": key ", hello->key.Hex(),
                       hello->key == own_hello_.key ? " is our own key"
                                                    : " is not in the committee"));
    return;
  }
  if (expected_peer_.has_value() && hello->key != *expected_peer_) {
    Close(CloseKind::kWrongPeer,
          absl::StrCat("refused ", remote_, ": dialled ", expected_peer_->ShortHex(),
                       " but it claims ", hello->key.ShortHex()));
    return;
  }
  their_hello_ = *hello;
  state_ = State::kAwaitAuth;
  auto auth = std::make_shared<WriteJob>();
  auth->payloads.push_back(std::make_shared<const Bytes>(
      EncodeAuth(SignHandshake(*config_.own_key, own_hello_, *their_hello_))));
  EnqueueWrite(std::move(auth));
}

void Connection::HandleAuth() {
  absl::StatusOr<Signature> signature = DecodeAuth(read_payload_);
  if (!signature.ok()) {
    Close(CloseKind::kMalformedHandshake,
          absl::StrCat("refused ", remote_, ": ", signature.status().message()));
    return;
  }
  if (!VerifyHandshake(own_hello_, *their_hello_, *signature)) {
    Close(CloseKind::kBadSignature,
          absl::StrCat("refused ", remote_, ": handshake signature for key ",
                       their_hello_->key.ShortHex(), " does not verify"));
    return;
  }
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
    asio::post(socket_.get_executor(), [job] { job->done(asio::error::not_connected); });
    return;
  }
  EnqueueWrite(std::move(job));
}

void Connection::EnqueueWrite(std::shared_ptr<WriteJob> job) {
  for (const auto& payload : job->payloads) {
    GL_CHECK(payload->size() <= config_.max_frame_bytes ||
             payload->size() <= kMaxHandshakeFrameBytes);
    job->headers.push_back(EncodeFrameHeader(static_cast<uint32_t>(payload->size())));
  }
  writes_.push_back(std::move(job));
  GL_CHECK(writes_.size() <= kMaxQueuedWrites);
  WriteNext();
}

void Connection::WriteNext() {
  if (writing_ || writes_.empty() || closed()) return;
  writing_ = true;
  const WriteJob& job = *writes_.front();
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(2 * job.payloads.size());
  for (size_t i = 0; i < job.payloads.size(); ++i) {
    buffers.push_back(asio::buffer(job.headers[i]));
    if (!job.payloads[i]->empty()) buffers.push_back(asio::buffer(*job.payloads[i]));
  }
  asio::async_write(socket_, buffers,
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
