#include "core/common/thread_priority.h"

#include <optional>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/common/thread_pool.h"
#include "gtest/gtest.h"

namespace gridledger {
namespace {

// The calling thread's nice, or -100 (no nice value) when the kernel refuses.
int NiceOf() {
  absl::StatusOr<int> nice = ThisThreadNice();
  return nice.ok() ? *nice : -100;
}

// Skips a test whose increment the cap at 19 would hide (the test process
// already runs niced), or where the kernel refuses nice calls.
#define SKIP_UNLESS_ROOM_FOR(increment)                                                   \
  do {                                                                                  \
    const absl::StatusOr<int> base_nice = ThisThreadNice();                             \
    if (!base_nice.ok()) GTEST_SKIP() << "getpriority refused: " << base_nice.status(); \
    if (*base_nice + (increment) > 19) GTEST_SKIP() << "already at nice " << *base_nice; \
  } while (false)

TEST(ThreadPriorityTest, RaisesTheCallingThreadsNiceOnly) {
  SKIP_UNLESS_ROOM_FOR(4);
  const int base = NiceOf();
  absl::Status lowered;
  int inside = -100;
  std::thread t([&] {
    lowered = LowerThisThreadPriority(4);
    inside = NiceOf();
  });
  t.join();
  ASSERT_TRUE(lowered.ok()) << lowered;
  EXPECT_EQ(inside, base + 4);
  EXPECT_EQ(NiceOf(), base);  // per thread, not per process
}

TEST(ThreadPriorityTest, NiceIsCappedAt19) {
  SKIP_UNLESS_ROOM_FOR(0);
  absl::Status first;
  absl::Status second;
  int inside = -100;
  std::thread t([&] {
    first = LowerThisThreadPriority(19);
    second = LowerThisThreadPriority(19);
    inside = NiceOf();
  });
  t.join();
  ASSERT_TRUE(first.ok()) << first;
  ASSERT_TRUE(second.ok()) << second;
  EXPECT_EQ(inside, 19);
}

// The pool's workers run niced; the caller of ParallelFor keeps its priority.
TEST(ThreadPriorityTest, ThreadPoolWorkersRunAtTheirNiceIncrement) {
  SKIP_UNLESS_ROOM_FOR(7);
  const int base = NiceOf();
  ThreadPool pool(2, "gl-test-pool", 7);
  const std::thread::id caller = std::this_thread::get_id();
  absl::Notification worker_ran;
  absl::Mutex mu;
  std::vector<int> worker_nices;
  std::optional<int> caller_nice;
  // Two chunks of one item: a caller that takes one blocks in it until a
  // worker has taken the other, so a worker surely runs one. The workers
  // may also take both before the caller gets one: each notes its nice and
  // the first notifies.
  pool.ParallelFor(2, 1, [&](size_t, size_t) {
    if (std::this_thread::get_id() == caller) {
      EXPECT_TRUE(worker_ran.WaitForNotificationWithTimeout(absl::Seconds(60)));
      absl::MutexLock lock(&mu);
      caller_nice = NiceOf();
      return;
    }
    absl::MutexLock lock(&mu);
    worker_nices.push_back(NiceOf());
    if (!worker_ran.HasBeenNotified()) worker_ran.Notify();
  });
  absl::MutexLock lock(&mu);
  ASSERT_FALSE(worker_nices.empty());
  for (int nice : worker_nices) EXPECT_EQ(nice, base + 7);
  if (caller_nice.has_value()) EXPECT_EQ(*caller_nice, base);
  EXPECT_EQ(NiceOf(), base);
}

}  // namespace
}  // namespace gridledger
