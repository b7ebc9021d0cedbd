// Bounds how many lines a noisy log source (refused or evicted
// unauthenticated connections) writes: at most lines_per_second_max per
// one-second window; the count of lines dropped in earlier windows is
// reported with the next line let through, so a flood costs a bounded number
// of lines per second and is still visible.
#ifndef GRIDLEDGER_NET_TRANSPORT_LOG_RATE_LIMITER_H_
#define GRIDLEDGER_NET_TRANSPORT_LOG_RATE_LIMITER_H_

#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"

namespace gridledger::net::internal {

class LogRateLimiter {
 public:
  struct Decision {
    bool emit = false;        // write this line
    uint64_t suppressed = 0;  // if > 0, first write "suppressed N lines"
  };

  explicit LogRateLimiter(size_t lines_per_second_max);

  // Called for every candidate line, with a non-decreasing `now`.
  Decision Offer(absl::Time now);

 private:
  const size_t lines_per_second_max_;
  absl::Time window_start_ = absl::InfinitePast();
  size_t lines_in_window_ = 0;
  uint64_t suppressed_unreported_ = 0;
};

}  // namespace gridledger::net::internal

#endif  // GRIDLEDGER_NET_TRANSPORT_LOG_RATE_LIMITER_H_
