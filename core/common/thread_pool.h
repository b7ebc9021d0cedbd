// A fixed pool of worker threads for data-parallel loops (signature batches).
// Bounded by construction: ParallelFor blocks the caller until every chunk is
// done, so at most one job is in flight per caller.
#ifndef GRIDLEDGER_CORE_COMMON_THREAD_POOL_H_
#define GRIDLEDGER_CORE_COMMON_THREAD_POOL_H_

#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace gridledger {

class ThreadPool {
 public:
  // threads = 0 means std::thread::hardware_concurrency(). The workers are
  // named `name` (core/common/thread_name.h, at most 15 characters) and run
  // `nice_increment` (0..19) above the nice of the thread that constructs
  // the pool (core/common/thread_priority.h); the caller of ParallelFor keeps
  // its own.
  explicit ThreadPool(int threads, const char* name = "gl-pool", int nice_increment = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end) over [0, n) split into contiguous chunks of at least
  // min_chunk items; the calling thread works too. Returns when all are done.
  void ParallelFor(size_t n, size_t min_chunk,
                   const std::function<void(size_t, size_t)>& fn);

 private:
  void WorkerLoop();
  bool TakeChunk(size_t* begin, size_t* end) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::vector<std::thread> workers_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The current job; one at a time (ParallelFor serialises callers).
  const std::function<void(size_t, size_t)>* job_ ABSL_GUARDED_BY(mu_) = nullptr;
  size_t job_n_ ABSL_GUARDED_BY(mu_) = 0;
  size_t job_chunk_ ABSL_GUARDED_BY(mu_) = 0;
  size_t job_next_ ABSL_GUARDED_BY(mu_) = 0;
  size_t job_pending_ ABSL_GUARDED_BY(mu_) = 0;  // chunks not yet finished
  absl::Mutex caller_mu_;  // serialises ParallelFor callers
};

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_COMMON_THREAD_POOL_H_
