#include "net/transport/log_rate_limiter.h"

#include "core/common/check.h"

namespace gridledger::net::internal {

LogRateLimiter::LogRateLimiter(size_t lines_per_second_max)
    : lines_per_second_max_(lines_per_second_max) {
  GL_CHECK(lines_per_second_max_ >= 1);
}

LogRateLimiter::Decision LogRateLimiter::Offer(absl::Time now) {
  if (now - window_start_ >= absl::Seconds(1)) {
    window_start_ = now;
    lines_in_window_ = 0;
  }
  Decision decision;
  if (lines_in_window_ >= lines_per_second_max_) {
    ++suppressed_unreported_;
    return decision;
  }
  ++lines_in_window_;
  decision.emit = true;
  decision.suppressed = suppressed_unreported_;
  suppressed_unreported_ = 0;
  return decision;
}

}  // namespace gridledger::net::internal
