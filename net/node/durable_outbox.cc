#include "net/node/durable_outbox.h"

#include <chrono>
#include <utility>

#include "absl/time/time.h"
#include "core/common/check.h"
#include "core/common/thread_name.h"

namespace gridledger::node {

DurableOutbox::DurableOutbox(storage::ConsensusStore* store, SendFn send, CommitFn commit,
                             FailFn fail, absl::Duration lazy_records_delay)
    : store_(store),
      send_(std::move(send)),
      commit_(std::move(commit)),
      fail_(std::move(fail)),
      lazy_records_delay_(lazy_records_delay) {}

DurableOutbox::~DurableOutbox() { Stop(); }

void DurableOutbox::Start() {
  GL_CHECK(!writer_.joinable());
  // Named for profiles (perf --sort comm) and top -H.
  writer_ = std::thread([this] {
    NameThisThread("gl-outbox-write");
    WriterLoop();
  });
  executor_ = std::thread([this] {
    NameThisThread("gl-execute");
    ExecLoop();
  });
}

void DurableOutbox::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!open_.records.empty() || !open_.outputs.empty()) SealLocked();
    stopping_ = true;
  }
  if (writer_.joinable()) writer_.join();
  if (executor_.joinable()) executor_.join();
}

void DurableOutbox::Persist(consensus::PersistRecord record) {
  open_.records.push_back(std::move(record));
}

void DurableOutbox::Send(consensus::SendAction send) {
  open_.outputs.emplace_back(SendOut{std::move(send)});
}

void DurableOutbox::Answer(std::shared_ptr<SubmitTicket> ticket,
                           std::vector<absl::Status> results) {
  open_.outputs.emplace_back(AnswerOut{std::move(ticket), std::move(results)});
}

void DurableOutbox::Commit(consensus::CommittedSubDag sub, int64_t produced_ns) {
  open_.outputs.emplace_back(CommitOut{std::move(sub), produced_ns});
}

void DurableOutbox::Seal() {
  if (open_.records.empty() && open_.outputs.empty()) return;
  absl::MutexLock lock(&mu_);
  auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || failed_ ||
           (groups_.size() < kMaxOutboxGroups && commits_.size() < kMaxOutboxCommits);
  };
  mu_.Await(absl::Condition(&room));
  SealLocked();
}

void DurableOutbox::SealLocked() {
  // A commit, too, is an output: its records are written at once.
  if (!open_.outputs.empty()) ++groups_with_outputs_;
  queued_records_ += open_.records.size();
  open_.sequence = ++groups_sealed_;
  open_.sealed_at = std::chrono::steady_clock::now();
  // Commits go to the execution thread now: it prepares each one while the
  // records before it are written. A send counts the commits before it.
  std::vector<Output> rest;
  rest.reserve(open_.outputs.size());
  for (Output& out : open_.outputs) {
    if (auto* commit = std::get_if<CommitOut>(&out)) {
      if (failed_) continue;  // dropped, as the writer drops what follows a failure
      commit->group = open_.sequence;
      commits_.push_back(std::move(*commit));
      ++commits_handed_;
      continue;
    }
    if (auto* send = std::get_if<SendOut>(&out)) send->commits_before = commits_handed_;
    rest.push_back(std::move(out));
  }
  open_.outputs = std::move(rest);
  groups_.push_back(std::move(open_));
  open_ = Group{};
}

bool DurableOutbox::IdleLocked() const {
  return groups_.empty() && commits_.empty() && !writing_ && !executing_;
}

bool DurableOutbox::WriteNowLocked() const {
  return stopping_ || failed_ || drains_ > 0 || groups_with_outputs_ > 0 ||
         queued_records_ >= kLazyRecordsMax || groups_.size() >= kMaxOutboxGroups / 2;
}

bool DurableOutbox::Drain() {
  Seal();
  absl::MutexLock lock(&mu_);
  ++drains_;  // records alone are written at once
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return failed_ || stopping_ || IdleLocked();
  };
  mu_.Await(absl::Condition(&idle));
  --drains_;
  return !failed_ && IdleLocked();
}

OutboxStats DurableOutbox::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

size_t DurableOutbox::queued_groups() const {
  absl::MutexLock lock(&mu_);
  return groups_.size();
}

void DurableOutbox::FailOnce(const absl::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    if (failed_) return;
    failed_ = true;
    commits_.clear();
  }
  fail_(status);
}

bool DurableOutbox::Failed() const {
  absl::MutexLock lock(&mu_);
  return failed_;
}

bool DurableOutbox::AwaitCommitsExecuted(uint64_t count) {
  absl::MutexLock lock(&mu_);
  auto done = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return failed_ || commits_executed_ >= count;
  };
  mu_.Await(absl::Condition(&done));
  return !failed_;
}

absl::Status DurableOutbox::AwaitGroupWritten(uint64_t group) {
  absl::MutexLock lock(&mu_);
  auto done = [this, group]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return failed_ || groups_written_ >= group;
  };
  mu_.Await(absl::Condition(&done));
  if (failed_) return absl::AbortedError("a consensus write before this commit failed");
  return absl::OkStatus();
}

void DurableOutbox::WriterLoop() {
  for (;;) {
    std::deque<Group> taken;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !groups_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (groups_.empty()) return;  // stopping, everything written
      // Records alone wait for an output to share its write.
      if (!WriteNowLocked()) {
        auto now_needed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return WriteNowLocked(); };
        // From a steady clock: a wall-clock step must not stretch the wait.
        const auto waited = std::chrono::steady_clock::now() - groups_.front().sealed_at;
        if (!mu_.AwaitWithTimeout(absl::Condition(&now_needed),
                                  lazy_records_delay_ - absl::FromChrono(waited))) {
          ++stats_.lazy_writes;
        }
      }
      taken.swap(groups_);
      groups_with_outputs_ = 0;
      queued_records_ = 0;
      writing_ = true;
    }
    // Group commit: every record queued meanwhile in one synced write.
    std::vector<consensus::PersistRecord> records;
    for (Group& g : taken) {
      for (auto& r : g.records) records.push_back(std::move(r));
    }
    const bool write = !Failed() && !records.empty();
    absl::Status written = write ? store_->Persist(records) : absl::OkStatus();
    if (!written.ok()) FailOnce(written);
    {
      absl::MutexLock lock(&mu_);
      if (write && written.ok()) {
        ++stats_.writes;
        stats_.records += records.size();
      }
      stats_.groups += taken.size();
      // Before the sends below: a send may wait for a commit that waits for this.
      if (!failed_) groups_written_ = taken.back().sequence;
    }
    for (Group& g : taken) {
      for (Output& out : g.outputs) {
        if (auto* answer = std::get_if<AnswerOut>(&out)) {
          // After a failure the transactions will not be ordered here: the
          // client retries at another validator instead of waiting on a
          // node that only an operator's restart moves again.
          if (Failed()) {
            for (absl::Status& r : answer->results) {
              if (r.ok()) r = absl::UnavailableError("consensus stopped");
            }
          }
          answer->ticket->Complete(std::move(answer->results));
        } else if (auto* send = std::get_if<SendOut>(&out)) {
          // persistence.h: a CommitAction is durable before any send that
          // follows it, like a record. Commits handed in before this send
          // execute (and record their commit) first; a failed one stops
          // every send after it.
          if (AwaitCommitsExecuted(send->commits_before)) send_(send->send);
        }
      }
    }
    absl::MutexLock lock(&mu_);
    writing_ = false;
  }
}

void DurableOutbox::ExecLoop() {
  for (;;) {
    CommitOut job;
    {
      absl::MutexLock lock(&mu_);
      // Stopping ends the loop only once the writer is done handing commits.
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !commits_.empty() || (stopping_ && groups_.empty() && !writing_);
      };
      mu_.Await(absl::Condition(&ready));
      if (commits_.empty()) return;
      job = std::move(commits_.front());
      commits_.pop_front();
      executing_ = true;
    }
    const RecordsDurableFn records_durable = [this, group = job.group] {
      return AwaitGroupWritten(group);
    };
    absl::Status s = commit_(job.sub, job.produced_ns, records_durable);
    if (!s.ok()) FailOnce(s);
    absl::MutexLock lock(&mu_);
    executing_ = false;
    ++commits_executed_;
  }
}

}  // namespace gridledger::node
