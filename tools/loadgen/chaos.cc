#include "tools/loadgen/chaos.h"

#include <signal.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/sim/sim_rng.h"

namespace gridledger::loadgen {
namespace {

// The simulator's SplitMix64: the plan depends only on the seed, everywhere.
class PlanRng {
 public:
  explicit PlanRng(uint64_t seed) : rng_(seed) {}
  int64_t Range(int64_t lo, int64_t hi) {
    return static_cast<int64_t>(rng_.Range(static_cast<uint64_t>(lo), static_cast<uint64_t>(hi)));
  }
  absl::Duration Between(absl::Duration lo, absl::Duration hi) {
    return absl::Milliseconds(Range(absl::ToInt64Milliseconds(lo), absl::ToInt64Milliseconds(hi)));
  }

 private:
  sim::SimRng rng_;
};

struct Window {
  absl::Duration until;  // down, then recovering, until this time
  uint32_t index;
};

std::string Seconds(absl::Duration d) {
  return absl::StrFormat("%.2fs", absl::ToDoubleSeconds(d));
}

}  // namespace

const char* FaultKindName(FaultKind kind) {
  return kind == FaultKind::kKill ? "SIGKILL+restart" : "SIGSTOP/SIGCONT";
}

absl::StatusOr<std::vector<PlannedFault>> PlanChaos(const ChaosOptions& o) {
  if (o.candidates.size() != o.slices || o.slices == 0) {
    return absl::InvalidArgumentError("chaos: candidates must be given for every slice");
  }
  for (const auto& c : o.candidates) {
    if (c.empty()) return absl::InvalidArgumentError("chaos: a slice has no validator to fault");
    if (o.over_f && c.size() < o.max_down + 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "chaos: an over-f phase needs ", o.max_down + 1, " faultable validators per slice"));
    }
  }
  if (o.max_down == 0) return absl::InvalidArgumentError("chaos: max_down must be at least 1");
  if (o.kill_down_min > o.kill_down_max || o.pause_min > o.pause_max || o.gap_min > o.gap_max ||
      o.gap_min <= absl::ZeroDuration() || o.kill_down_min <= absl::ZeroDuration() ||
      o.pause_min <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("chaos: durations must be positive with min <= max");
  }
  const absl::Duration end_limit = o.duration - o.quiet_end;
  // The over-f phase mid-run, kept clear of every other fault.
  const absl::Duration phase_at = std::max(o.warmup, o.duration / 2 - o.over_f_down / 2);
  const absl::Duration reserved_from = phase_at - o.recovery;
  const absl::Duration reserved_until = phase_at + o.over_f_down + o.recovery;
  if (o.over_f && phase_at + o.over_f_down > end_limit) {
    return absl::InvalidArgumentError("chaos: the run is too short for an over-f phase");
  }
  PlanRng rng(o.seed);
  std::vector<PlannedFault> plan;
  std::vector<std::vector<Window>> windows(o.slices);
  absl::Duration t = o.warmup;
  bool add_gap = false;
  while (plan.size() < kMaxChaosFaults) {
    if (add_gap) t += rng.Between(o.gap_min, o.gap_max);
    add_gap = true;
    if (t + std::min(o.kill_down_min, o.pause_min) > end_limit) break;
    const FaultKind kind = rng.Range(0, 1) == 0 ? FaultKind::kKill : FaultKind::kPause;
    const absl::Duration down = kind == FaultKind::kKill
                                    ? rng.Between(o.kill_down_min, o.kill_down_max)
                                    : rng.Between(o.pause_min, o.pause_max);
    if (t + down > end_limit) continue;
    if (o.over_f && t < reserved_until && t + down + o.recovery > reserved_from) {
      t = reserved_until;
      add_gap = false;
      continue;
    }
    const uint32_t slice = static_cast<uint32_t>(rng.Range(0, o.slices - 1));
    std::vector<Window>& w = windows[slice];
    w.erase(std::remove_if(w.begin(), w.end(), [&](const Window& x) { return x.until <= t; }),
            w.end());
    std::vector<uint32_t> free;
    for (uint32_t c : o.candidates[slice]) {
      if (std::none_of(w.begin(), w.end(), [&](const Window& x) { return x.index == c; })) {
        free.push_back(c);
      }
    }
    if (w.size() >= o.max_down || free.empty()) {
      // Wait for the first of them to recover.
      t = std::min_element(w.begin(), w.end(), [](const Window& a, const Window& b) {
            return a.until < b.until;
          })->until;
      add_gap = false;
      continue;
    }
    const uint32_t index = free[rng.Range(0, static_cast<int64_t>(free.size()) - 1)];
    plan.push_back(PlannedFault{t, slice, index, kind, down, false});
    w.push_back(Window{t + down + o.recovery, index});
  }
  if (o.over_f) {
    for (uint32_t s = 0; s < o.slices; ++s) {
      std::vector<uint32_t> pool = o.candidates[s];
      for (uint32_t k = 0; k <= o.max_down; ++k) {
        const size_t pick = static_cast<size_t>(rng.Range(k, static_cast<int64_t>(pool.size()) - 1));
        std::swap(pool[k], pool[pick]);
        const FaultKind kind = rng.Range(0, 1) == 0 ? FaultKind::kKill : FaultKind::kPause;
        plan.push_back(PlannedFault{phase_at, s, pool[k], kind, o.over_f_down, true});
      }
    }
  }
  std::stable_sort(plan.begin(), plan.end(),
                   [](const PlannedFault& a, const PlannedFault& b) { return a.at < b.at; });
  return plan;
}

uint32_t MaxConcurrentDown(const std::vector<PlannedFault>& plan, uint32_t slice,
                           absl::Duration recovery, bool include_over_f) {
  std::vector<std::pair<absl::Duration, int>> events;  // -1 sorts before +1 at one time
  for (const PlannedFault& f : plan) {
    if (f.slice != slice || (f.over_f && !include_over_f)) continue;
    events.push_back({f.at, +1});
    events.push_back({f.at + f.down + recovery, -1});
  }
  std::sort(events.begin(), events.end());
  int down = 0, most = 0;
  for (const auto& e : events) most = std::max(most, down += e.second);
  return static_cast<uint32_t>(most);
}

std::string DescribeFault(const InjectedFault& f) {
  const PlannedFault& p = f.planned;
  std::string out = absl::StrCat("t=", Seconds(f.skipped.empty() ? f.started : p.at),
                                 " validator ", p.slice, "/", p.index, " ",
                                 FaultKindName(p.kind), p.over_f ? " [over f]" : "");
  if (!f.skipped.empty()) return absl::StrCat(out, " skipped: ", f.skipped);
  absl::StrAppend(&out, " down ", Seconds(f.ended - f.started));
  if (p.kind == FaultKind::kKill) {
    absl::StrAppend(&out, f.ready_after >= absl::ZeroDuration()
                              ? absl::StrCat(", ready ", Seconds(f.ready_after), " after restart")
                              : ", never ready");
  }
  if (!f.error.empty()) absl::StrAppend(&out, " (", f.error, ")");
  return out;
}

std::vector<InjectedFault> RunChaos(const std::vector<PlannedFault>& plan,
                                    const std::vector<ChaosTarget>& targets,
                                    const ChaosRunOptions& options) {
  enum class State { kPending, kDown, kRestarting, kDone };
  absl::flat_hash_map<std::pair<uint32_t, uint32_t>, ChildProcess*> process_of;
  for (const ChaosTarget& t : targets) process_of[{t.slice, t.index}] = t.process;
  std::vector<State> state(plan.size(), State::kPending);
  std::vector<InjectedFault> records;
  std::vector<size_t> record_of(plan.size(), 0);
  auto now = [&] { return absl::Now() - options.start; };
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  auto busy = [&](uint32_t slice, uint32_t index, bool any_index) {
    uint32_t n = 0;
    for (size_t j = 0; j < plan.size(); ++j) {
      if ((state[j] == State::kDown || state[j] == State::kRestarting) &&
          plan[j].slice == slice && (any_index || plan[j].index == index)) {
        ++n;
      }
    }
    return n;
  };
  auto begin = [&](size_t i) {
    const PlannedFault& p = plan[i];
    record_of[i] = records.size();
    records.emplace_back();
    InjectedFault& r = records.back();
    r.planned = p;
    r.started = r.ended = now();
    auto it = process_of.find({p.slice, p.index});
    if (it == process_of.end() || !it->second->running()) {
      r.skipped = "not a running target";
    } else if (busy(p.slice, p.index, false) > 0) {
      r.skipped = "still down or restarting";
    } else if (!p.over_f && busy(p.slice, 0, true) >= options.max_down) {
      r.skipped = absl::StrCat(options.max_down, " of its slice still down or restarting");
    }
    if (!r.skipped.empty()) {
      state[i] = State::kDone;
      log(DescribeFault(r));
      return;
    }
    ChildProcess* process = it->second;
    if (p.kind == FaultKind::kKill) {
      process->Kill();
    } else {
      ::kill(process->pid(), SIGSTOP);
    }
    r.started = now();
    state[i] = State::kDown;
    log(absl::StrCat("t=", Seconds(r.started), " ",
                     p.kind == FaultKind::kKill ? "SIGKILL" : "SIGSTOP", " validator ", p.slice,
                     "/", p.index, p.over_f ? " [over f]" : "", " for ", Seconds(p.down)));
  };
  auto end = [&](size_t i) {
    const PlannedFault& p = plan[i];
    InjectedFault& r = records[record_of[i]];
    ChildProcess* process = process_of.at({p.slice, p.index});
    if (p.kind == FaultKind::kKill) {
      const absl::Status s = process->Start();
      state[i] = s.ok() ? State::kRestarting : State::kDone;
      if (!s.ok()) r.error = std::string(s.message());
    } else {
      ::kill(process->pid(), SIGCONT);
      state[i] = State::kDone;
    }
    r.ended = now();
    log(absl::StrCat("t=", Seconds(r.ended), " ",
                     p.kind == FaultKind::kKill ? "restart" : "SIGCONT", " validator ", p.slice,
                     "/", p.index));
  };
  auto poll_ready = [&](size_t i) {
    const PlannedFault& p = plan[i];
    InjectedFault& r = records[record_of[i]];
    auto line = process_of.at({p.slice, p.index})
                    ->WaitForLine(options.ready_prefix, absl::ZeroDuration(), options.stop);
    if (line.ok()) {
      r.ready_after = now() - r.ended;
      state[i] = State::kDone;
      log(absl::StrCat("t=", Seconds(now()), " validator ", p.slice, "/", p.index, " ready"));
    } else if (line.status().code() != absl::StatusCode::kDeadlineExceeded) {
      r.error = std::string(line.status().message());
      state[i] = State::kDone;
    } else if (now() - r.ended > options.ready_timeout) {
      r.error = absl::StrCat("not ready within ", absl::FormatDuration(options.ready_timeout));
      state[i] = State::kDone;
    }
  };
  for (;;) {
    const bool finishing = (options.finish != nullptr && options.finish->HasBeenNotified()) ||
                           (options.stop != nullptr && options.stop->load());
    bool open = false;
    for (size_t i = 0; i < plan.size(); ++i) {
      if (state[i] == State::kPending && !finishing && now() >= plan[i].at) begin(i);
      if (state[i] == State::kDown &&
          (finishing || now() >= records[record_of[i]].started + plan[i].down)) {
        end(i);
      }
      if (state[i] == State::kRestarting) poll_ready(i);
      open |= state[i] == State::kDown || state[i] == State::kRestarting ||
              (state[i] == State::kPending && !finishing);
    }
    if (!open) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return records;
}

}  // namespace gridledger::loadgen
