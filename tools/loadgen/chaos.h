// Seeded fault campaigns for `gridledger cluster --chaos=SEED`: a plan of
// SIGKILL-then-restart and SIGSTOP-then-SIGCONT faults at random times for
// the whole run, never more than `max_down` validators of a slice down at
// once (a validator counts as down from its fault until `recovery` after it
// ends, the time a restarted or resumed validator needs to catch up), plus an
// optional phase with max_down + 1 down together (--chaos_over_f); and the
// runner that applies a plan to the processes the cluster started.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_CHAOS_H_
#define GRIDLEDGER_TOOLS_LOADGEN_CHAOS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "tools/loadgen/process.h"

namespace gridledger::loadgen {

// Faults in one plan, at most (a 10-minute run at one per 200 ms).
inline constexpr size_t kMaxChaosFaults = 3000;

enum class FaultKind { kKill, kPause };
const char* FaultKindName(FaultKind kind);  // "SIGKILL+restart", "SIGSTOP/SIGCONT"

struct ChaosOptions {
  uint64_t seed = 1;
  absl::Duration duration = absl::Seconds(20);  // of the load
  uint32_t slices = 1;
  // candidates[s]: validator indices of slice s that may be faulted (honest ones).
  std::vector<std::vector<uint32_t>> candidates;
  uint32_t max_down = 1;  // per slice, outside the over-f phase
  bool over_f = false;    // one phase with max_down + 1 down per slice, mid-run
  // Faults start after `warmup` and have ended `quiet_end` before the load ends.
  absl::Duration warmup = absl::Seconds(1);
  absl::Duration quiet_end = absl::Seconds(1);
  absl::Duration kill_down_min = absl::Milliseconds(300);
  absl::Duration kill_down_max = absl::Milliseconds(1500);
  absl::Duration pause_min = absl::Milliseconds(300);
  absl::Duration pause_max = absl::Milliseconds(2000);
  absl::Duration gap_min = absl::Milliseconds(200);  // between two fault starts
  absl::Duration gap_max = absl::Milliseconds(1000);
  absl::Duration recovery = absl::Seconds(2);
  absl::Duration over_f_down = absl::Seconds(2);
};

struct PlannedFault {
  absl::Duration at;  // after the load starts
  uint32_t slice = 0;
  uint32_t index = 0;
  FaultKind kind = FaultKind::kKill;
  absl::Duration down;
  bool over_f = false;
  bool operator==(const PlannedFault&) const = default;
};

// The same plan for the same options. InvalidArgument for inconsistent
// options (a slice without candidates, max_down 0, an over-f phase needing
// more candidates than a slice has, min above max).
absl::StatusOr<std::vector<PlannedFault>> PlanChaos(const ChaosOptions& options);

// The most validators of `slice` down at one instant, each counted from its
// fault's start until `recovery` after its end; over-f faults only if asked.
uint32_t MaxConcurrentDown(const std::vector<PlannedFault>& plan, uint32_t slice,
                           absl::Duration recovery, bool include_over_f);

struct InjectedFault {
  PlannedFault planned;
  absl::Duration started;  // after the load started (actual)
  absl::Duration ended;    // restart or SIGCONT sent (actual)
  // Kill: from the restart to the node's ready line; negative when it never came.
  absl::Duration ready_after = absl::Seconds(-1);
  std::string skipped;  // why it was not injected (then nothing was done)
  std::string error;    // a restart that failed
};
// "t=3.21s validator 0/2 SIGKILL+restart down 1.02s (ready 0.45s after restart)"
std::string DescribeFault(const InjectedFault& fault);

struct ChaosTarget {
  uint32_t slice = 0;
  uint32_t index = 0;
  ChildProcess* process = nullptr;
};

struct ChaosRunOptions {
  absl::Time start;  // when the load started
  std::string ready_prefix;
  absl::Duration ready_timeout = absl::Seconds(60);
  uint32_t max_down = 1;  // enforced again at injection time (outside the over-f phase)
  const absl::Notification* finish = nullptr;  // the load ended: end every fault now
  const std::atomic<bool>* stop = nullptr;     // Ctrl-C
  std::function<void(const std::string&)> log;
};

// Applies `plan` to `targets` (signals go only to the pids the targets
// started), then resumes and restarts whatever is still down and waits for
// restarted validators to be ready. A planned fault whose slice already has
// max_down validators down or not yet ready is skipped, and says so. The
// calling thread must outlive the processes it restarts (PR_SET_PDEATHSIG).
std::vector<InjectedFault> RunChaos(const std::vector<PlannedFault>& plan,
                                    const std::vector<ChaosTarget>& targets,
                                    const ChaosRunOptions& options);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_CHAOS_H_
