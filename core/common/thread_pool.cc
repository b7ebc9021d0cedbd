#include "core/common/thread_pool.h"

#include <algorithm>

#include "core/common/check.h"
#include "core/common/thread_name.h"
#include "core/common/thread_priority.h"

namespace gridledger {

ThreadPool::ThreadPool(int threads, const char* name, int nice_increment) {
  GL_CHECK(IsNiceIncrement(nice_increment));
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < threads - 1; ++i) {
    workers_.emplace_back([this, name, nice_increment] {
      NameThisThread(name);
      // A hint: refused (a seccomp filter), the worker runs at normal priority.
      LowerThisThreadPriority(nice_increment).IgnoreError();
      WorkerLoop();
    });
  }
}

ThreadPool::~ThreadPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (auto& t : workers_) t.join();
}

bool ThreadPool::TakeChunk(size_t* begin, size_t* end) {
  if (job_ == nullptr || job_next_ >= job_n_) return false;
  *begin = job_next_;
  *end = std::min(job_n_, job_next_ + job_chunk_);
  job_next_ = *end;
  return true;
}

void ThreadPool::WorkerLoop() {
  for (;;) {
    size_t begin = 0, end = 0;
    const std::function<void(size_t, size_t)>* job = nullptr;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || (job_ != nullptr && job_next_ < job_n_);
      };
      mu_.Await(absl::Condition(&has_work));
      if (stopping_) return;
      GL_CHECK(TakeChunk(&begin, &end));
      job = job_;
    }
    (*job)(begin, end);
    absl::MutexLock lock(&mu_);
    --job_pending_;
  }
}

void ThreadPool::ParallelFor(size_t n, size_t min_chunk,
                             const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  min_chunk = std::max<size_t>(1, min_chunk);
  // Up to 4 chunks per thread balances uneven chunk costs.
  size_t chunk = std::max(min_chunk, (n + 4 * size() - 1) / (4 * size()));
  if (workers_.empty() || n <= min_chunk) {
    fn(0, n);
    return;
  }
  absl::MutexLock caller_lock(&caller_mu_);
  {
    absl::MutexLock lock(&mu_);
    job_ = &fn;
    job_n_ = n;
    job_chunk_ = chunk;
    job_next_ = 0;
    job_pending_ = (n + chunk - 1) / chunk;
  }
  for (;;) {
    size_t begin = 0, end = 0;
    {
      absl::MutexLock lock(&mu_);
      if (!TakeChunk(&begin, &end)) break;
    }
    fn(begin, end);
    absl::MutexLock lock(&mu_);
    --job_pending_;
  }
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return job_pending_ == 0; };
  mu_.Await(absl::Condition(&done));
  job_ = nullptr;
}

}  // namespace gridledger
