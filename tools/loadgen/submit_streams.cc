#include "tools/loadgen/submit_streams.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace gridledger::loadgen {
namespace {

namespace pb = ::gridledger::v1;

constexpr absl::Duration kWatchdogTick = absl::Milliseconds(100);

}  // namespace

SubmitStreamClient::SubmitStreamClient(pb::Ledger::Stub* stub, absl::Duration deadline)
    : stub_(stub), deadline_(deadline) {
  writer_ = std::thread([this] { WriterLoop(); });
  watchdog_ = std::thread([this] { WatchdogLoop(); });
}

SubmitStreamClient::~SubmitStreamClient() { Close(); }

void SubmitStreamClient::Send(pb::SubmitStreamRequest request, Done done) {
  {
    absl::MutexLock lock(&mu_);
    if (!closing_) {
      request.set_sequence(next_sequence_++);
      outgoing_.push_back(Outgoing{std::move(request), std::move(done), absl::Now()});
      return;
    }
  }
  done(grpc::Status(grpc::StatusCode::CANCELLED, "submit stream closed"), nullptr);
}

void SubmitStreamClient::Close() {
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
  }
  if (writer_.joinable()) writer_.join();
  if (watchdog_.joinable()) watchdog_.join();
}

bool SubmitStreamClient::Expired(absl::Time now) const {
  if (!outgoing_.empty() && now - outgoing_.front().queued > deadline_) return true;
  for (const auto& [sequence, p] : pending_) {
    if (now - p.queued > deadline_) return true;
  }
  return false;
}

void SubmitStreamClient::WatchdogLoop() {
  absl::MutexLock lock(&mu_);
  while (!stopped_) {
    mu_.AwaitWithTimeout(absl::Condition(&stopped_), kWatchdogTick);
    if (stopped_ || expired_ || !Expired(absl::Now())) continue;
    expired_ = true;
    broken_ = true;
    if (current_ != nullptr) current_->TryCancel();  // unblocks its Write and Read
  }
}

void SubmitStreamClient::ReaderLoop(Stream* stream) {
  pb::SubmitStreamResponse response;
  while (stream->rw->Read(&response)) {
    std::optional<Done> done;
    {
      absl::MutexLock lock(&mu_);
      auto it = pending_.find(response.sequence());
      if (it == pending_.end()) continue;  // not a sequence of ours: ignored
      done.emplace(std::move(it->second.done));
      pending_.erase(it);
    }
    (*done)(grpc::Status::OK, &response);
  }
  absl::MutexLock lock(&mu_);
  broken_ = true;
}

void SubmitStreamClient::EndStream(std::unique_ptr<Stream> stream, bool graceful) {
  if (!graceful) stream->context.TryCancel();
  if (stream->reader.joinable()) stream->reader.join();
  grpc::Status status = stream->rw->Finish();
  std::vector<Done> failed;
  {
    absl::MutexLock lock(&mu_);
    current_ = nullptr;
    if (expired_) {
      status = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                            absl::StrCat("no answer within ", absl::FormatDuration(deadline_)));
    } else if (status.ok()) {
      status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream ended without an answer");
    }
    for (auto& [sequence, p] : pending_) failed.push_back(std::move(p.done));
    pending_.clear();
    broken_ = false;
    expired_ = false;
  }
  for (Done& done : failed) done(status, nullptr);
}

void SubmitStreamClient::WriterLoop() {
  std::unique_ptr<Stream> stream;
  for (;;) {
    std::optional<Outgoing> out;
    bool broken, closing;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &SubmitStreamClient::HasWork));
      broken = broken_;
      closing = closing_;
      if (!broken && !outgoing_.empty()) {
        out.emplace(std::move(outgoing_.front()));
        outgoing_.pop_front();
      }
    }
    if (broken) {
      if (stream != nullptr) {
        EndStream(std::move(stream), /*graceful=*/false);
      } else {
        // Expired while no stream was open (messages waiting to be written).
        std::vector<Done> failed;
        {
          absl::MutexLock lock(&mu_);
          for (Outgoing& o : outgoing_) failed.push_back(std::move(o.done));
          outgoing_.clear();
          broken_ = expired_ = false;
        }
        for (Done& done : failed) {
          done(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "not sent within the deadline"),
               nullptr);
        }
      }
      continue;
    }
    if (out.has_value()) {
      if (stream == nullptr) {
        stream = std::make_unique<Stream>();
        stream->rw = stub_->SubmitBatchStream(&stream->context);
        Stream* s = stream.get();
        stream->reader = std::thread([this, s] { ReaderLoop(s); });
        absl::MutexLock lock(&mu_);
        current_ = &stream->context;
        if (expired_) stream->context.TryCancel();
      }
      {
        absl::MutexLock lock(&mu_);
        pending_.emplace(out->request.sequence(), Pending{std::move(out->done), out->queued});
      }
      if (!stream->rw->Write(out->request)) {
        absl::MutexLock lock(&mu_);
        broken_ = true;
      }
      continue;
    }
    if (closing) {
      if (stream != nullptr) {
        stream->rw->WritesDone();
        {
          // The answers still due arrive, or the watchdog breaks the stream.
          absl::MutexLock lock(&mu_);
          auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
            return pending_.empty() || broken_;
          };
          mu_.Await(absl::Condition(&settled));
        }
        EndStream(std::move(stream), /*graceful=*/false);
      }
      absl::MutexLock lock(&mu_);
      stopped_ = true;
      return;
    }
  }
}

}  // namespace gridledger::loadgen
