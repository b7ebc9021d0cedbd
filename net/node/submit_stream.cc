#include "net/node/submit_stream.h"

#include <utility>

namespace gridledger::node {

namespace v1 = gridledger::v1;

SubmitStreamReactor::SubmitStreamReactor(ClientLanes* lanes, std::string lane,
                                         const StreamAdmit* admit, SubscriberLimit::Slot slot)
    : lanes_(lanes), lane_(std::move(lane)), admit_(admit), slot_(std::move(slot)) {
  Actions first;
  {
    absl::MutexLock lock(&mu_);
    first = Decide();
  }
  Run(first);
}

void SubmitStreamReactor::OnReadDone(bool ok) {
  if (ok) {
    std::unique_ptr<Message> message;
    bool admit;
    {
      absl::MutexLock lock(&mu_);
      message = std::move(reading_);
      // After a failed write or a cancel the stream is broken: what arrives
      // is dropped.
      admit = !write_failed_ && !cancelled_;
      if (admit) ++admitting_;
    }
    if (admit) {
      // The place in the lane is taken on arrival, before admission waits.
      ClientLanes::Turn turn = lanes_->Arrive(lane_);
      message->response.set_sequence(message->request.sequence());
      Message* m = message.get();
      // read_pending_ stays set until Decide below, so the reactor cannot
      // finish while this call still runs, however soon `done` runs.
      (*admit_)(std::move(turn), lane_, m->request, &m->response,
                [this, message = std::move(message)]() mutable {
                  OnAdmitted(std::move(message));
                });
    }
  }
  Actions next;
  {
    absl::MutexLock lock(&mu_);
    read_pending_ = false;
    if (!ok || write_failed_ || cancelled_) reads_done_ = true;
    next = Decide();
  }
  Run(next);
}

void SubmitStreamReactor::OnAdmitted(std::unique_ptr<Message> message) {
  Actions next;
  {
    absl::MutexLock lock(&mu_);
    --admitting_;
    if (!write_failed_ && !cancelled_) answers_.push_back(std::move(message));
    next = Decide();
  }
  Run(next);
}

void SubmitStreamReactor::OnWriteDone(bool ok) {
  Actions next;
  {
    absl::MutexLock lock(&mu_);
    writing_.reset();
    if (!ok) {
      write_failed_ = true;
      answers_.clear();
    }
    next = Decide();
  }
  Run(next);
}

void SubmitStreamReactor::OnCancel() {
  // No read is started after this (one pending fails by itself), answers
  // are dropped, and the reactor finishes once its admissions complete.
  Actions next;
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    answers_.clear();
    next = Decide();
  }
  Run(next);
}

SubmitStreamReactor::Actions SubmitStreamReactor::Decide() {
  Actions a;
  if (finished_) return a;
  if (writing_ == nullptr && !answers_.empty()) {
    writing_ = std::move(answers_.front());
    answers_.pop_front();
    a.write = &writing_->response;
  }
  const size_t inflight = admitting_ + answers_.size() + (writing_ != nullptr ? 1 : 0);
  const bool broken = write_failed_ || cancelled_;  // nothing more is read
  if (!read_pending_ && !reads_done_ && !broken && inflight < kSubmitStreamInflight) {
    reading_ = std::make_unique<Message>();
    read_pending_ = true;
    a.read = &reading_->request;
  }
  if (!read_pending_ && (reads_done_ || broken) && admitting_ == 0 && writing_ == nullptr &&
      answers_.empty()) {
    finished_ = true;
    a.finish = broken ? grpc::Status::CANCELLED : grpc::Status::OK;
  }
  return a;
}

void SubmitStreamReactor::Run(const Actions& actions) {
  // A pending write or read keeps the reactor alive through both calls;
  // Finish is decided only when neither is pending, and comes last.
  if (actions.write != nullptr) StartWrite(actions.write);
  if (actions.read != nullptr) StartRead(actions.read);
  if (actions.finish.has_value()) Finish(*actions.finish);
}

}  // namespace gridledger::node
