#include "net/node/event_inbox.h"

namespace gridledger::node {

bool EventInbox::Push(DriverEvent event, bool bounded) {
  absl::MutexLock lock(&mu_);
  if (closed_ || (bounded && events_.size() >= kMaxInboxEvents)) {
    ++refused_;
    return false;
  }
  events_.push_back(std::move(event));
  return true;
}

std::vector<DriverEvent> EventInbox::Take(absl::Time deadline, size_t max_events) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return !events_.empty() || closed_;
  };
  mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
  std::vector<DriverEvent> out;
  while (!events_.empty() && out.size() < max_events) {
    out.push_back(std::move(events_.front()));
    events_.pop_front();
  }
  return out;
}

void EventInbox::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

bool EventInbox::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

size_t EventInbox::size() const {
  absl::MutexLock lock(&mu_);
  return events_.size();
}

uint64_t EventInbox::refused() const {
  absl::MutexLock lock(&mu_);
  return refused_;
}

}  // namespace gridledger::node
