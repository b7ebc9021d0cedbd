#include "core/common/thread_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/common/check.h"

namespace gridledger {
namespace {
// setpriority(PRIO_PROCESS, tid) addresses one thread on Linux.
id_t ThisThreadId() { return static_cast<id_t>(syscall(SYS_gettid)); }
}  // namespace

int ThisThreadNice() {
  // -1 is a valid nice value: errno tells an error apart.
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, ThisThreadId());
  GL_CHECK(errno == 0);  // the calling thread always exists
  return nice;
}

absl::Status LowerThisThreadPriority(int increment) {
  GL_CHECK(increment >= 0 && increment <= 19);
  if (increment == 0) return absl::OkStatus();
  const int target = std::min(19, ThisThreadNice() + increment);
  if (setpriority(PRIO_PROCESS, ThisThreadId(), target) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("setpriority(nice ", target, "): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace gridledger
