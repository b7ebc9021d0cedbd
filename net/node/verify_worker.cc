#include "net/node/verify_worker.h"

#include "core/common/check.h"

namespace gridledger::node {

void VerifyWorker::Start() {
  GL_CHECK(!thread_.joinable());
  thread_ = std::thread([this] { Loop(); });
}

void VerifyWorker::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void VerifyWorker::Enqueue(const Digest& digest,
                           std::shared_ptr<const consensus::Batch> batch) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_ && jobs_.size() < kMaxVerifyJobs) {
      jobs_.push_back(Job{digest, std::move(batch)});
      return;
    }
  }
  inbox_->Push(VerifiedEvent{digest, false}, /*bounded=*/false);
}

size_t VerifyWorker::queued() const {
  absl::MutexLock lock(&mu_);
  return jobs_.size();
}

void VerifyWorker::Loop() {
  for (;;) {
    Job job;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return stopping_ || !jobs_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    const bool ok = checker_->VerifyPeerBatch(*job.batch);
    inbox_->Push(VerifiedEvent{job.digest, ok}, /*bounded=*/false);
  }
}

}  // namespace gridledger::node
