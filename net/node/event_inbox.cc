#include "net/node/event_inbox.h"

#include <algorithm>

namespace gridledger::node {

bool EventInbox::Push(DriverEvent event, bool bounded) {
  absl::MutexLock lock(&mu_);
  if (closed_ || (bounded && events_.size() >= kMaxInboxEvents)) {
    ++refused_;
    return false;
  }
  if (const auto* peer = std::get_if<PeerEvent>(&event)) {
    size_t& queued = queued_per_peer_[peer->from.value()];
    if (queued >= kMaxInboxEventsPerPeer) {
      ++refused_;
      ++refused_peer_share_;
      return false;
    }
    ++queued;
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
  out.reserve(std::min(events_.size(), max_events));  // one allocation per step
  while (!events_.empty() && out.size() < max_events) {
    if (const auto* peer = std::get_if<PeerEvent>(&events_.front())) {
      auto it = queued_per_peer_.find(peer->from.value());
      if (--it->second == 0) queued_per_peer_.erase(it);
    }
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

uint64_t EventInbox::refused_peer_share() const {
  absl::MutexLock lock(&mu_);
  return refused_peer_share_;
}

uint64_t EventInbox::refused() const {
  absl::MutexLock lock(&mu_);
  return refused_;
}

}  // namespace gridledger::node
