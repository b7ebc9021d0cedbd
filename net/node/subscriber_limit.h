// A bound on concurrent commit-stream subscribers: each StreamCommits call
// holds a slot for its lifetime, and a call that finds none free is refused
// (RESOURCE_EXHAUSTED) instead of adding one more thread blocked on the feed.
#ifndef GRIDLEDGER_NET_NODE_SUBSCRIBER_LIMIT_H_
#define GRIDLEDGER_NET_NODE_SUBSCRIBER_LIMIT_H_

#include <atomic>
#include <cstddef>
#include <optional>

#include "core/common/check.h"

namespace gridledger::node {

// Far below kGrpcMaxThreads (grpc_server_options.h): each subscriber holds a
// sync-server thread, and submissions and queries need the rest.
inline constexpr size_t kMaxCommitSubscribers = 16;

class SubscriberLimit {
 public:
  // Releases its slot when destroyed.
  class Slot {
   public:
    explicit Slot(std::atomic<size_t>* active) : active_(active) {}
    Slot(Slot&& other) noexcept : active_(other.active_) { other.active_ = nullptr; }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (active_ != nullptr) active_->fetch_sub(1, std::memory_order_acq_rel);
    }

   private:
    std::atomic<size_t>* active_;
  };

  explicit SubscriberLimit(size_t max = kMaxCommitSubscribers) : max_(max) { GL_CHECK(max_ >= 1); }

  // A slot, or nullopt when `max` are taken.
  std::optional<Slot> TryAcquire() {
    size_t now = active_.load(std::memory_order_acquire);
    while (now < max_) {
      if (active_.compare_exchange_weak(now, now + 1, std::memory_order_acq_rel)) {
        return Slot(&active_);
      }
    }
    return std::nullopt;
  }

  size_t active() const { return active_.load(std::memory_order_acquire); }
  size_t max() const { return max_; }

 private:
  const size_t max_;
  std::atomic<size_t> active_{0};
};

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_SUBSCRIBER_LIMIT_H_
