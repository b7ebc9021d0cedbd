#include "net/node/submit_stream.h"

#include <deque>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace gridledger::node {
namespace {

namespace v1 = gridledger::v1;
using Stream = grpc::ServerReaderWriter<v1::SubmitStreamResponse, v1::SubmitStreamRequest>;

struct Item {
  ClientLanes::Turn turn;
  v1::SubmitStreamRequest request;
};

// One stream's messages between the reader and the workers.
class Session {
 public:
  Session(Stream* stream, const StreamAdmit& admit) : stream_(stream), admit_(admit) {}

  // Reader: false once the stream's answers can no longer be written.
  bool Push(Item item) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &Session::HasRoom));
    if (write_failed_) return false;
    queue_.push_back(std::move(item));
    return true;
  }
  void DoneReading() {
    absl::MutexLock lock(&mu_);
    reading_done_ = true;
  }
  bool write_failed() const {
    absl::MutexLock lock(&mu_);
    return write_failed_;
  }

  // Worker: admits messages in arrival order until reading is done and the
  // queue is empty. Every queued message is admitted (its lane turn must be
  // taken in order) even when its answer can no longer be written.
  void Work() {
    for (;;) {
      std::optional<Item> item;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &Session::HasWorkOrDone));
        if (queue_.empty()) return;
        item.emplace(std::move(queue_.front()));
        queue_.pop_front();
        ++busy_;
      }
      v1::SubmitStreamResponse response;
      response.set_sequence(item->request.sequence());
      admit_(std::move(item->turn), item->request, &response);
      bool written;
      {
        absl::MutexLock lock(&write_mu_);  // one Write at a time (gRPC's rule)
        written = stream_->Write(response);
      }
      absl::MutexLock lock(&mu_);
      if (!written) write_failed_ = true;
      --busy_;
    }
  }

 private:
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return write_failed_ || queue_.size() + busy_ < kSubmitStreamInflight;
  }
  bool HasWorkOrDone() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() || reading_done_;
  }

  Stream* stream_;
  const StreamAdmit& admit_;
  mutable absl::Mutex mu_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  size_t busy_ ABSL_GUARDED_BY(mu_) = 0;
  bool reading_done_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex write_mu_;
};

}  // namespace

grpc::Status ServeSubmitStream(grpc::ServerContext* context, Stream* stream, ClientLanes* lanes,
                               const std::string& lane, const StreamAdmit& admit) {
  Session session(stream, admit);
  std::vector<std::thread> workers;
  workers.reserve(kSubmitStreamInflight);
  for (size_t i = 0; i < kSubmitStreamInflight; ++i) {
    workers.emplace_back([&session] { session.Work(); });
  }
  v1::SubmitStreamRequest request;
  while (stream->Read(&request)) {
    // The place in the lane is taken on arrival, before admission waits.
    Item item{lanes->Arrive(lane), std::move(request)};
    request = v1::SubmitStreamRequest();
    if (!session.Push(std::move(item))) break;
  }
  session.DoneReading();
  for (std::thread& t : workers) t.join();
  if (session.write_failed() || context->IsCancelled()) return grpc::Status::CANCELLED;
  return grpc::Status::OK;
}

}  // namespace gridledger::node
