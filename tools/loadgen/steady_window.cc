#include "tools/loadgen/steady_window.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>

#include "core/common/check.h"
#include "tools/loadgen/histogram_quantile.h"
#include "tools/loadgen/node_counters.h"

namespace gridledger::loadgen {
namespace {

// Verifications of kSignatureKinds[kind] in `c`.
double Verifications(const gridledger::v1::NodeCounters& c, size_t kind) {
  switch (kind) {
    case 0: return static_cast<double>(c.tx_admission_verifications());
    case 1: return static_cast<double>(c.tx_peer_batch_verifications());
    default: return static_cast<double>(c.consensus_verifications());
  }
}

// Adds `b` into `sum` bucket by bucket (same bounds), or starts it.
bool Accumulate(const HistogramBuckets& b, HistogramBuckets* sum) {
  if (sum->upper.empty()) {
    *sum = b;
    return true;
  }
  if (sum->upper != b.upper) return false;
  for (size_t i = 0; i < b.cumulative.size(); ++i) sum->cumulative[i] += b.cumulative[i];
  return true;
}

}  // namespace

size_t ThreadGroupOf(std::string_view name) {
  auto in = [name](std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  size_t group = kThreadGroups.size() - 1;  // other
  if (in({"gl-verify-cli", "gl-verify-pool", "gl-verify-peer", "gl-verify-ppool"})) {
    group = 0;
  } else if (name == "gl-execute") {
    group = 1;
  } else if (name == "gl-consensus") {
    group = 2;
  } else if (in({"gl-outbox-write", "gl-cons-merge"})) {
    group = 3;
  } else if (name == "gl-admit-write") {
    group = 4;
  } else if (name == "gl-transport") {
    group = 5;
  } else if (name.starts_with("grpc") ||
             in({"nexting_thread", "default-executo", "event_engine", "timer_manager",
                 "resolver-execut"})) {
    group = 6;
  }
  return group;
}

absl::Duration SteadyWindowEnd(absl::Duration duration) {
  return absl::Seconds(std::floor(absl::ToDoubleSeconds(duration)));
}

double ProcessCpuSeconds() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

SteadyCost ComputeSteadyCost(const WindowProbe& begin, const WindowProbe& end,
                             const TimeSeries& series, absl::Duration window_begin,
                             absl::Duration window_end) {
  SteadyCost cost;
  cost.begin_s = absl::ToDoubleSeconds(window_begin);
  cost.end_s = absl::ToDoubleSeconds(window_end);
  const auto& buckets = series.buckets();
  for (size_t s = static_cast<size_t>(cost.begin_s);
       s < static_cast<size_t>(cost.end_s) && s < buckets.size(); ++s) {
    cost.committed += buckets[s].committed;
    cost.sent += buckets[s].sent;
  }
  if (begin.validators.size() != end.validators.size() || begin.validators.empty()) {
    cost.not_measured = "validators probed differ";
    return cost;
  }
  cost.validators = static_cast<uint32_t>(begin.validators.size());
  cost.harness_cpu_s = end.harness_cpu_s - begin.harness_cpu_s;
  cost.verifications_measured = true;
  std::vector<HistogramBuckets> stage_before(kLatencyStages.size()),
      stage_after(kLatencyStages.size());
  std::vector<bool> stage_ok(kLatencyStages.size(), true);
  for (size_t v = 0; v < begin.validators.size(); ++v) {
    const ValidatorProbe& a = begin.validators[v];
    const ValidatorProbe& b = end.validators[v];
    if (a.pid < 0 || a.pid != b.pid) {
      cost.not_measured = "a validator stopped or restarted in the window";
      return cost;
    }
    cost.validator_cpu_s += b.cpu_s - a.cpu_s;
    // By thread: a thread alive at both ends counts its difference, one
    // started meanwhile all of its CPU; what is left of the process's
    // (threads that ended) is "other".
    double threads_s = 0;
    for (const auto& [tid, thread] : b.threads) {
      auto before = a.threads.find(tid);
      const double d = thread.cpu_s - (before == a.threads.end() ? 0 : before->second.cpu_s);
      cost.thread_group_cpu_s[ThreadGroupOf(thread.name)] += d;
      threads_s += d;
    }
    cost.thread_group_cpu_s.back() += std::max(0.0, (b.cpu_s - a.cpu_s) - threads_s);
    if (!b.threads.empty()) cost.threads_measured = true;
    double tx_verifications = 0;
    if (!a.counters.has_value() || !b.counters.has_value()) {
      cost.verifications_measured = false;
      std::fill(stage_ok.begin(), stage_ok.end(), false);
      cost.tx_verifications_by_validator.push_back(0);
      continue;
    }
    for (size_t k = 0; k < kSignatureKinds.size(); ++k) {
      const double d = Verifications(*b.counters, k) - Verifications(*a.counters, k);
      cost.verifications[k] += d;
      if (kSignatureKinds[k] != std::string_view("consensus")) tx_verifications += d;
    }
    cost.tx_verifications_by_validator.push_back(tx_verifications);
    cost.synced_writes +=
        static_cast<double>(b.counters->synced_writes()) - static_cast<double>(a.counters->synced_writes());
    cost.ridden_writes +=
        static_cast<double>(b.counters->ridden_writes()) - static_cast<double>(a.counters->ridden_writes());
    for (size_t s = 0; s < kLatencyStages.size(); ++s) {
      auto x = StageBuckets(*a.counters, kLatencyStages[s]);
      auto y = StageBuckets(*b.counters, kLatencyStages[s]);
      stage_ok[s] = stage_ok[s] && x.ok() && y.ok() && Accumulate(*x, &stage_before[s]) &&
                    Accumulate(*y, &stage_after[s]);
    }
  }
  for (size_t s = 0; s < kLatencyStages.size(); ++s) {
    if (!stage_ok[s]) continue;
    const auto p50 = QuantileBetween(stage_before[s], stage_after[s], 0.5);
    const auto p99 = QuantileBetween(stage_before[s], stage_after[s], 0.99);
    if (!p50.has_value() || !p99.has_value()) continue;
    StageLatency stage;
    stage.stage = kLatencyStages[s];
    stage.count = static_cast<uint64_t>(stage_after[s].cumulative.back() -
                                        stage_before[s].cumulative.back());
    stage.p50_ms = *p50 * 1e3;
    stage.p99_ms = *p99 * 1e3;
    cost.stages.push_back(std::move(stage));
  }
  cost.measured = true;
  return cost;
}

SteadyWindowSampler::SteadyWindowSampler(Probe probe, absl::Duration begin, absl::Duration end)
    : probe_(std::move(probe)), begin_(begin), end_(end) {
  GL_CHECK(begin_ < end_);
}

SteadyWindowSampler::~SteadyWindowSampler() { Finish(); }

void SteadyWindowSampler::Start(absl::Time load_start) {
  GL_CHECK(!thread_.joinable());
  thread_ = std::thread([this, load_start] {
    for (absl::Duration at : {begin_, end_}) {
      if (finish_.WaitForNotificationWithDeadline(load_start + at)) return;
      WindowProbe probe = probe_();
      absl::MutexLock lock(&mu_);
      probes_.push_back(std::move(probe));
    }
  });
}

std::optional<std::pair<WindowProbe, WindowProbe>> SteadyWindowSampler::Finish() {
  if (!finish_.HasBeenNotified()) finish_.Notify();
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  if (probes_.size() != 2) return std::nullopt;
  return std::make_pair(probes_[0], probes_[1]);
}

}  // namespace gridledger::loadgen
