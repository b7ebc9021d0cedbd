#include "core/common/thread_priority.h"

#include <algorithm>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/common/thread_pool.h"
#include "gtest/gtest.h"

namespace gridledger {
namespace {

TEST(ThreadPriorityTest, RaisesTheCallingThreadsNiceOnly) {
  const int base = ThisThreadNice();
  int inside = -100;
  std::thread t([&] {
    ASSERT_TRUE(LowerThisThreadPriority(4).ok());
    inside = ThisThreadNice();
  });
  t.join();
  EXPECT_EQ(inside, std::min(19, base + 4));
  EXPECT_EQ(ThisThreadNice(), base);  // per thread, not per process
}

TEST(ThreadPriorityTest, NiceIsCappedAt19) {
  int inside = -100;
  std::thread t([&] {
    ASSERT_TRUE(LowerThisThreadPriority(19).ok());
    ASSERT_TRUE(LowerThisThreadPriority(19).ok());
    inside = ThisThreadNice();
  });
  t.join();
  EXPECT_EQ(inside, 19);
}

// The pool's workers run niced; the caller of ParallelFor keeps its priority.
TEST(ThreadPriorityTest, ThreadPoolWorkersRunAtTheirNiceIncrement) {
  const int base = ThisThreadNice();
  ThreadPool pool(2, "gl-test-pool", 7);
  const std::thread::id caller = std::this_thread::get_id();
  absl::Notification worker_ran;
  absl::Mutex mu;
  int worker_nice = -100;
  int caller_nice = -100;
  // Two chunks of one item: the caller blocks in its chunk until the worker
  // has taken the other, so the worker surely runs one.
  pool.ParallelFor(2, 1, [&](size_t, size_t) {
    if (std::this_thread::get_id() == caller) {
      EXPECT_TRUE(worker_ran.WaitForNotificationWithTimeout(absl::Seconds(60)));
      absl::MutexLock lock(&mu);
      caller_nice = ThisThreadNice();
      return;
    }
    {
      absl::MutexLock lock(&mu);
      worker_nice = ThisThreadNice();
    }
    worker_ran.Notify();
  });
  absl::MutexLock lock(&mu);
  EXPECT_EQ(worker_nice, std::min(19, base + 7));
  EXPECT_EQ(caller_nice, base);
}

}  // namespace
}  // namespace gridledger
