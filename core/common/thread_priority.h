// Lowers the calling thread's scheduling priority (Linux nice values are per
// thread). Work that can wait, such as verifying clients' new transactions,
// yields the cores to consensus work when the machine is saturated, and still
// gets all of them when it is not.
#ifndef GRIDLEDGER_CORE_COMMON_THREAD_PRIORITY_H_
#define GRIDLEDGER_CORE_COMMON_THREAD_PRIORITY_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gridledger {

// The highest nice value (the lowest priority), and so the largest increment
// from nice 0.
inline constexpr int kNiceMax = 19;

// A nice increment our callers may ask for: 0..kNiceMax.
constexpr bool IsNiceIncrement(int increment) { return increment >= 0 && increment <= kNiceMax; }

// The calling thread's nice value. An error only where the kernel refuses
// the call (a seccomp filter).
absl::StatusOr<int> ThisThreadNice();

// Raises the calling thread's nice value by `increment` (IsNiceIncrement; 0
// does nothing), capped at kNiceMax. Threads a thread creates inherit its value.
// Raising nice needs no privilege; an error means the kernel refused (a
// seccomp filter), and the thread keeps its priority: callers treat it as a
// hint, since nothing but scheduling order depends on it.
absl::Status LowerThisThreadPriority(int increment);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_COMMON_THREAD_PRIORITY_H_
