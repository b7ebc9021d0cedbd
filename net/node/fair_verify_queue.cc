#include "net/node/fair_verify_queue.h"

#include <algorithm>
#include <vector>

#include "absl/time/clock.h"
#include "core/common/check.h"
#include "core/common/thread_name.h"
#include "core/common/thread_priority.h"

namespace gridledger::node {

FairVerifyQueue::FairVerifyQueue(VerifyFn verify, std::string priority_key,
                                 int nice_increment)
    : verify_(std::move(verify)), priority_key_(std::move(priority_key)) {
  GL_CHECK(IsNiceIncrement(nice_increment));
  thread_ = std::thread([this, nice_increment] {
    NameThisThread("gl-verify-cli");
    // A hint: refused (a seccomp filter), the thread runs at normal priority.
    LowerThisThreadPriority(nice_increment).IgnoreError();
    Loop();
  });
}

FairVerifyQueue::~FairVerifyQueue() { Stop(); }

void FairVerifyQueue::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

uint64_t FairVerifyQueue::rounds() const {
  absl::MutexLock lock(&mu_);
  return rounds_;
}

absl::Duration FairVerifyQueue::QueuedWork(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(key);
  if (it == jobs_.end()) return absl::ZeroDuration();
  size_t txs = 0;
  for (const Job* job : it->second) txs += job->txs.size() - job->taken;
  return absl::Nanoseconds(static_cast<double>(txs) * ns_per_tx_);
}

size_t FairVerifyQueue::queued_keys() const {
  absl::MutexLock lock(&mu_);
  return ring_.size();
}

bool FairVerifyQueue::Verify(const std::string& key, absl::Span<const ByteSpan> txs,
                             std::vector<Digest>* ids, std::vector<uint8_t>* valid) {
  ids->assign(txs.size(), Digest());
  valid->assign(txs.size(), 0);
  if (txs.empty()) return true;
  Job job{txs, ids->data(), valid->data()};
  absl::MutexLock lock(&mu_);
  if (stopping_) return false;
  std::deque<Job*>& queue = jobs_[key];
  if (queue.empty()) ring_.push_back(key);
  queue.push_back(&job);
  mu_.Await(absl::Condition(&job.done));
  return !job.failed;
}

void FairVerifyQueue::VerifyAsync(const std::string& key, absl::Span<const ByteSpan> txs,
                                  std::vector<Digest>* ids, std::vector<uint8_t>* valid,
                                  VerifyDone done) {
  ids->assign(txs.size(), Digest());
  valid->assign(txs.size(), 0);
  if (txs.empty()) {
    std::move(done)(true);
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      auto* job = new Job{txs, ids->data(), valid->data()};
      job->on_done = std::move(done);
      std::deque<Job*>& queue = jobs_[key];
      if (queue.empty()) ring_.push_back(key);
      queue.push_back(job);
      return;
    }
  }
  std::move(done)(false);
}

void FairVerifyQueue::Finish(Job* job, std::vector<Job*>* finished) {
  job->done = true;
  if (job->on_done) finished->push_back(job);
}

namespace {
// Runs the callbacks of finished async jobs (no lock held) and frees them.
template <typename Job>
void RunFinished(std::vector<Job*>& finished) {
  for (Job* job : finished) {
    std::move(job->on_done)(!job->failed);
    delete job;
  }
  finished.clear();
}
}  // namespace

void FairVerifyQueue::Loop() {
  std::vector<Piece> pieces;
  std::vector<ByteSpan> spans;
  std::vector<Digest> ids;
  std::vector<uint8_t> valid;
  std::vector<Job*> finished;
  bool stopped = false;
  for (;;) {
    RunFinished(finished);
    pieces.clear();
    spans.clear();
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](FairVerifyQueue* q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu_) {
            return q->stopping_ || !q->ring_.empty();
          },
          this));
      if (stopping_) {
        for (auto& [key, queue] : jobs_) {
          for (Job* job : queue) {
            job->failed = true;
            Finish(job, &finished);
          }
        }
        jobs_.clear();
        ring_.clear();
        stopped = true;
      } else {
        // One pass over the keys with work, an equal share each.
        const size_t keys = ring_.size();
        const size_t share = std::max(kFairChunkTxs, round_txs_ / keys);
        for (size_t k = 0; k < keys; ++k) {
          std::string key = std::move(ring_.front());
          ring_.pop_front();
          auto it = jobs_.find(key);
          std::deque<Job*>& queue = it->second;
          size_t budget =
              !priority_key_.empty() && key == priority_key_
                  ? std::max(share, round_txs_ / 2)
                  : share;
          while (budget > 0 && !queue.empty()) {
            Job* job = queue.front();
            const size_t count = std::min(budget, job->txs.size() - job->taken);
            pieces.push_back(Piece{job, job->taken, count});
            job->taken += count;
            budget -= count;
            if (job->taken == job->txs.size()) queue.pop_front();  // answered by pieces
          }
          if (queue.empty()) {
            jobs_.erase(it);
          } else {
            ring_.push_back(std::move(key));  // served again next round, after the others
          }
        }
        ++rounds_;
      }
    }
    if (stopped) {
      RunFinished(finished);
      return;
    }
    for (const Piece& p : pieces) {
      spans.insert(spans.end(), p.job->txs.begin() + p.offset,
                   p.job->txs.begin() + p.offset + p.count);
    }
    ids.assign(spans.size(), Digest());
    valid.assign(spans.size(), 0);
    // No lock held: callers keep queueing while the backend works.
    const absl::Time start = absl::Now();
    const bool ok = verify_(spans, absl::MakeSpan(ids), absl::MakeSpan(valid)).ok();
    const double ns_per_tx =
        absl::ToDoubleNanoseconds(absl::Now() - start) / static_cast<double>(spans.size());
    absl::MutexLock lock(&mu_);
    // A moving average, so one slow round (a busy machine) does not swing it.
    ns_per_tx_ = ns_per_tx_ == 0 ? ns_per_tx : 0.8 * ns_per_tx_ + 0.2 * ns_per_tx;
    const double fit = absl::ToDoubleNanoseconds(kFairRoundTarget) / std::max(ns_per_tx_, 1.0);
    round_txs_ = static_cast<size_t>(
        std::clamp(fit, static_cast<double>(kFairChunkTxs), static_cast<double>(kFairRoundTxs)));
    size_t at = 0;
    for (const Piece& p : pieces) {
      std::copy_n(ids.begin() + at, p.count, p.job->ids + p.offset);
      std::copy_n(valid.begin() + at, p.count, p.job->valid + p.offset);
      at += p.count;
      if (!ok) p.job->failed = true;
      p.job->finished += p.count;
      if (p.job->finished == p.job->txs.size()) Finish(p.job, &finished);
    }
  }
}

}  // namespace gridledger::node
