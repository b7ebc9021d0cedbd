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

SubmitStreamClient::SubmitStreamClient(pb::Ledger::Stub* stub, absl::Duration deadline,
                                       size_t max_txs, size_t max_bytes)
    : stub_(stub), deadline_(deadline), max_txs_(max_txs), max_bytes_(max_bytes) {
  writer_ = std::thread([this] { WriterLoop(); });
  watchdog_ = std::thread([this] { WatchdogLoop(); });
}

SubmitStreamClient::~SubmitStreamClient() { Close(); }

void SubmitStreamClient::Send(pb::SubmitStreamRequest request, Done done) {
  {
    absl::MutexLock lock(&mu_);
    if (!closing_) {
      const size_t bytes = request.ByteSizeLong();
      outgoing_.push_back(Outgoing{std::move(request), std::move(done), absl::Now(), bytes});
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

std::pair<pb::SubmitStreamRequest, SubmitStreamClient::Pending> SubmitStreamClient::Merge() {
  std::pair<pb::SubmitStreamRequest, Pending> merged;
  auto& [request, pending] = merged;
  size_t bytes = 0;
  pending.queued = outgoing_.front().queued;
  while (!outgoing_.empty()) {
    Outgoing& o = outgoing_.front();
    const size_t n = static_cast<size_t>(o.request.transactions_size());
    if (!pending.parts.empty() &&
        (request.transactions_size() + n > max_txs_ || bytes + o.bytes > max_bytes_)) {
      break;
    }
    for (std::string& tx : *o.request.mutable_transactions()) {
      request.add_transactions(std::move(tx));
    }
    bytes += o.bytes;
    pending.parts.push_back(Part{std::move(o.done), static_cast<int>(n)});
    outgoing_.pop_front();
  }
  request.set_sequence(next_sequence_++);
  return merged;
}

void SubmitStreamClient::Answer(Pending pending, pb::SubmitStreamResponse& response) {
  int total = 0;
  for (const Part& part : pending.parts) total += part.count;
  if (pending.parts.size() == 1 || response.results_size() != total) {
    // Alone, or a reply of the wrong size (each part sees the mismatch).
    for (Part& part : pending.parts) {
      if (pending.parts.size() == 1) {
        part.done(grpc::Status::OK, &response);
      } else {
        pb::SubmitStreamResponse mismatch;
        mismatch.set_sequence(response.sequence());
        part.done(grpc::Status::OK, &mismatch);
      }
    }
    return;
  }
  int at = 0;
  for (Part& part : pending.parts) {
    pb::SubmitStreamResponse own;
    own.set_sequence(response.sequence());
    for (int k = 0; k < part.count; ++k) {
      *own.add_results() = std::move(*response.mutable_results(at + k));
    }
    at += part.count;
    part.done(grpc::Status::OK, &own);
  }
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
    std::optional<Pending> answered;
    {
      absl::MutexLock lock(&mu_);
      auto it = pending_.find(response.sequence());
      if (it == pending_.end()) continue;  // not a sequence of ours: ignored
      answered.emplace(std::move(it->second));
      pending_.erase(it);
    }
    Answer(*std::move(answered), response);
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
    for (auto& [sequence, p] : pending_) {
      for (Part& part : p.parts) failed.push_back(std::move(part.done));
    }
    pending_.clear();
    broken_ = false;
    expired_ = false;
  }
  for (Done& done : failed) done(status, nullptr);
}

void SubmitStreamClient::WriterLoop() {
  std::unique_ptr<Stream> stream;
  for (;;) {
    std::optional<std::pair<pb::SubmitStreamRequest, Pending>> out;
    bool broken, closing;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &SubmitStreamClient::HasWork));
      broken = broken_;
      closing = closing_;
      if (!broken && !outgoing_.empty() && pending_.size() < kStreamWindow) out.emplace(Merge());
    }
    if (broken) {
      if (stream != nullptr) {
        // The call is over however it broke: the validator ended it (the
        // reader returned), a Write failed (a sync Write fails only on a
        // closed call, so Read returns too), or the watchdog cancelled it
        // on expiry. So it is finished, not cancelled: a cancel before
        // Finish would replace the validator's status (UNAVAILABLE,
        // RESOURCE_EXHAUSTED: RunLoad retries those at the next validator)
        // with CANCELLED, and which thread sees the end first is a race.
        EndStream(std::move(stream), /*graceful=*/true);
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
      auto& [request, pending] = *out;
      {
        absl::MutexLock lock(&mu_);
        pending_.emplace(request.sequence(), std::move(pending));
      }
      if (!stream->rw->Write(request)) {
        absl::MutexLock lock(&mu_);
        broken_ = true;
      }
      continue;
    }
    if (closing) {  // and nothing left to write
      if (stream != nullptr) {
        stream->rw->WritesDone();
        bool over;
        {
          // The answers still due arrive, or the stream breaks (the
          // validator ends it, or the watchdog cancels it).
          absl::MutexLock lock(&mu_);
          auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
            return pending_.empty() || broken_;
          };
          mu_.Await(absl::Condition(&settled));
          over = broken_;
        }
        // A broken call is over: finished, so what is still pending gets the
        // validator's status. One with every answer in is cancelled rather
        // than waited on.
        EndStream(std::move(stream), /*graceful=*/over);
      }
      absl::MutexLock lock(&mu_);
      stopped_ = true;
      return;
    }
  }
}

}  // namespace gridledger::loadgen
