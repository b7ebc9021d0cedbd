#include "core/common/thread_priority.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"

namespace gridledger {

// With PRIO_PROCESS and who 0, Linux addresses the calling thread only (NPTL
// keeps nice per thread; man 2 setpriority, NOTES).
absl::StatusOr<int> ThisThreadNice() {
  // -1 is a valid nice value: errno tells an error apart.
  errno = 0;
  const int value = getpriority(PRIO_PROCESS, 0);
  if (errno != 0) return absl::ErrnoToStatus(errno, "getpriority");
  return value;
}

absl::Status LowerThisThreadPriority(int increment) {
  GL_CHECK(IsNiceIncrement(increment));  // our own misuse
  if (increment == 0) return absl::OkStatus();
  absl::StatusOr<int> current = ThisThreadNice();
  if (!current.ok()) return current.status();
  const int target = std::min(kNiceMax, *current + increment);
  if (setpriority(PRIO_PROCESS, 0, target) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("setpriority(nice ", target, ")"));
  }
  return absl::OkStatus();
}

}  // namespace gridledger
