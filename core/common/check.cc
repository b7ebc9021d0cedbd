#include "core/common/check.h"

#include <cstdio>
#include <cstdlib>

namespace gridledger::internal {

void CheckFailed(const char* file, int line, const char* condition,
                 const char* message) {
  std::fprintf(stderr, "%s:%d: invariant violated: %s %s\n", file, line,
               condition, message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace gridledger::internal
