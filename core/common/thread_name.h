// Names the calling thread, so profiles (perf --sort comm), top -H and the
// per-thread CPU split of docs/benchmarks.md tell the node's threads apart.
#ifndef GRIDLEDGER_CORE_COMMON_THREAD_NAME_H_
#define GRIDLEDGER_CORE_COMMON_THREAD_NAME_H_

#include <pthread.h>

#include <string>

#include "core/common/check.h"

namespace gridledger {

// `name`: at most 15 characters (the kernel's limit for a thread's comm).
inline void NameThisThread(const char* name) {
  GL_CHECK(std::char_traits<char>::length(name) <= 15);
  pthread_setname_np(pthread_self(), name);
}

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_COMMON_THREAD_NAME_H_
