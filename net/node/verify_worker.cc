#include "net/node/verify_worker.h"

#include <algorithm>

#include "core/common/check.h"
#include "core/common/thread_name.h"

namespace gridledger::node {

VerifyWorkerOptions VerifyWorkerOptions::ForBackend(absl::string_view backend_name) {
  VerifyWorkerOptions options;
  options.coalesce_txs_max = size_t{1} << 16;
  if (backend_name == "cuda") {
    options.coalesce_txs_target = 4096;
    options.coalesce_wait_max = absl::Milliseconds(2);
  }
  return options;
}

VerifyWorker::VerifyWorker(TxChecker* checker, EventInbox* inbox, net::NodeMetrics* metrics)
    : VerifyWorker(checker, inbox, VerifyWorkerOptions::ForBackend(checker->backend_name()),
                   metrics) {}

VerifyWorker::VerifyWorker(TxChecker* checker, EventInbox* inbox, VerifyWorkerOptions options,
                           net::NodeMetrics* metrics)
    : checker_(checker), inbox_(inbox), options_(options), metrics_(metrics) {}

void VerifyWorker::Start() {
  GL_CHECK(!thread_.joinable());
  thread_ = std::thread([this] {
    NameThisThread("gl-verify-peer");
    Loop();
  });
}

void VerifyWorker::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void VerifyWorker::Enqueue(const Digest& digest,
                           std::shared_ptr<const consensus::Batch> batch, bool deferrable) {
  {
    absl::MutexLock lock(&mu_);
    if (!deferrable) {
      auto waiting = std::find_if(deferred_.begin(), deferred_.end(),
                                  [&](const Job& j) { return j.digest == digest; });
      if (waiting != deferred_.end()) {
        deferred_.erase(waiting);
        ++deferral_counts_.promoted;
        Note(net::NodeMetrics::Deferral::kPromoted);
      }
    }
    if (!stopping_ && jobs_.size() + deferred_.size() < kMaxVerifyJobs) {
      if (deferrable) {
        ++deferral_counts_.deferred;
        Note(net::NodeMetrics::Deferral::kDeferred);
        deferred_.push_back(Job{digest, std::move(batch), absl::Now() + options_.deferral_max});
      } else {
        jobs_.push_back(Job{digest, std::move(batch), absl::InfinitePast()});
      }
      return;
    }
  }
  inbox_->Push(VerifiedEvent{digest, false}, /*bounded=*/false);
}

void VerifyWorker::Cancel(const Digest& digest) {
  absl::MutexLock lock(&mu_);
  auto matches = [&](const Job& j) { return j.digest == digest; };
  if (auto it = std::find_if(deferred_.begin(), deferred_.end(), matches);
      it != deferred_.end()) {
    deferred_.erase(it);
    ++deferral_counts_.cancelled;
    Note(net::NodeMetrics::Deferral::kCancelled);
    return;
  }
  if (auto it = std::find_if(jobs_.begin(), jobs_.end(), matches); it != jobs_.end()) {
    jobs_.erase(it);
  }
}

size_t VerifyWorker::queued() const {
  absl::MutexLock lock(&mu_);
  return jobs_.size() + deferred_.size();
}

VerifyWorker::DeferralCounts VerifyWorker::deferral_counts() const {
  absl::MutexLock lock(&mu_);
  return deferral_counts_;
}

uint64_t VerifyWorker::coalesced_calls() const {
  absl::MutexLock lock(&mu_);
  return coalesced_calls_;
}

uint64_t VerifyWorker::coalesced_batches() const {
  absl::MutexLock lock(&mu_);
  return coalesced_batches_;
}

bool VerifyWorker::TakeLocked(std::vector<Job>* group, size_t* txs) {
  while (!jobs_.empty()) {
    const size_t next = jobs_.front().batch->transactions.size();
    if (!group->empty() && (options_.coalesce_txs_max == 0 ||
                            *txs + next > options_.coalesce_txs_max)) {
      return false;
    }
    *txs += next;
    group->push_back(std::move(jobs_.front()));
    jobs_.pop_front();
  }
  return true;
}

void VerifyWorker::ReleaseDueLocked(absl::Time now) {
  while (!deferred_.empty() && deferred_.front().due <= now) {
    ++deferral_counts_.expired;
    Note(net::NodeMetrics::Deferral::kExpired);
    jobs_.push_back(std::move(deferred_.front()));
    deferred_.pop_front();
  }
}

bool VerifyWorker::AwaitJobsLocked() {
  for (;;) {
    if (stopping_) return false;
    ReleaseDueLocked(absl::Now());
    if (!jobs_.empty()) return true;
    // Sleeps until a job, a stop, or the first deferred deadline; a first
    // deferred job arriving meanwhile wakes it to take up that deadline.
    const bool had_deferred = !deferred_.empty();
    auto ready = [this, had_deferred]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return stopping_ || !jobs_.empty() || (!had_deferred && !deferred_.empty());
    };
    if (had_deferred) {
      mu_.AwaitWithDeadline(absl::Condition(&ready), deferred_.front().due);
    } else {
      mu_.Await(absl::Condition(&ready));
    }
  }
}

void VerifyWorker::Loop() {
  for (;;) {
    std::vector<Job> group;
    {
      absl::MutexLock lock(&mu_);
      if (!AwaitJobsLocked()) return;
      auto ready = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return stopping_ || !jobs_.empty();
      };
      size_t txs = 0;
      bool room = TakeLocked(&group, &txs);
      // The bounded wait: only while the group has room and is under target.
      const absl::Time deadline = absl::Now() + options_.coalesce_wait_max;
      while (room && txs < options_.coalesce_txs_target && !stopping_) {
        if (!mu_.AwaitWithDeadline(absl::Condition(&ready), deadline)) break;
        if (stopping_) break;
        room = TakeLocked(&group, &txs);
      }
      if (stopping_) return;
      if (group.size() > 1) {
        ++coalesced_calls_;
        coalesced_batches_ += group.size();
      }
    }
    const std::vector<bool> ok = VerifyGroup(group);
    for (size_t i = 0; i < group.size(); ++i) {
      inbox_->Push(VerifiedEvent{group[i].digest, ok[i]}, /*bounded=*/false);
    }
  }
}

std::vector<bool> VerifyWorker::VerifyGroup(const std::vector<Job>& group) {
  if (metrics_ != nullptr) metrics_->ObservePeerBatchesPerVerification(group.size());
  if (group.size() == 1) return {checker_->VerifyPeerBatch(*group[0].batch)};
  // One call for the union: it passes exactly when every batch would.
  std::vector<const consensus::Batch*> all;
  all.reserve(group.size());
  for (const Job& job : group) all.push_back(job.batch.get());
  if (checker_->VerifyPeerBatches(all)) return std::vector<bool>(group.size(), true);
  std::vector<bool> ok(group.size());
  for (size_t i = 0; i < group.size(); ++i) ok[i] = checker_->VerifyPeerBatch(*group[i].batch);
  return ok;
}

}  // namespace gridledger::node
