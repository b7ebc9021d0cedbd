// Cost over the steady window of a cluster run (issue 12 item 6): the seconds
// [1 s, floor(duration)) after the load's start, the same seconds the
// steady committed TPS is the mean of, so validator start-up (e.g. LMDB
// set-up) and the drain after the last send are not charged to the
// transactions. A sampler thread probes every validator (CPU seconds from
// /proc/<pid>/stat and its counters over gRPC, GetCounters) and this process
// at both ends; the differences are the window's.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_STEADY_WINDOW_H_
#define GRIDLEDGER_TOOLS_LOADGEN_STEADY_WINDOW_H_

#include <sys/types.h>

#include <array>
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "absl/container/flat_hash_map.h"
#include "net/proto/ledger.pb.h"
#include "tools/loadgen/process.h"
#include "tools/loadgen/stats.h"

namespace gridledger::loadgen {

inline constexpr absl::Duration kSteadyWindowBegin = absl::Seconds(1);
// The window's end for a load of `duration`: its last whole second.
absl::Duration SteadyWindowEnd(absl::Duration duration);

// One validator at one end of the window.
struct ValidatorProbe {
  pid_t pid = -1;        // -1: not running
  double cpu_s = 0;      // user + system since it started
  // Its counters (GetCounters); absent when the call failed.
  std::optional<gridledger::v1::NodeCounters> counters;
  absl::flat_hash_map<pid_t, ThreadCpu> threads = {};  // its live threads by id
};
struct WindowProbe {
  std::vector<ValidatorProbe> validators;
  double harness_cpu_s = 0;  // this process (the load generator), user + system
};
// User + system CPU seconds of this process.
double ProcessCpuSeconds();

// Signature kinds as the node labels them (net/metrics/node_metrics.h).
inline constexpr std::array<const char*, 3> kSignatureKinds = {"tx_admission", "tx_peer_batch",
                                                               "consensus"};
// Latency anatomy stages as the node labels them, in order.
inline constexpr std::array<const char*, 6> kLatencyStages = {
    "admit", "batch", "header", "certificate", "commit", "execute"};

// The node's threads in groups (core/common/thread_name.h names them), in
// the order the summary lists them; threads of other names (gRPC's, the
// main thread) and threads that ended within the window count as "other".
inline constexpr std::array<const char*, 8> kThreadGroups = {
    "verification", "execution", "consensus", "consensus writes",
    "admission writes", "transport", "gRPC", "other"};
// The kThreadGroups index of a thread named `name`.
size_t ThreadGroupOf(std::string_view name);

struct StageLatency {
  std::string stage;
  uint64_t count = 0;  // observations in the window, all validators
  double p50_ms = 0;
  double p99_ms = 0;
};

struct SteadyCost {
  bool measured = false;
  std::string not_measured;  // why, when not measured
  double begin_s = 0;        // since the load's start
  double end_s = 0;
  uint64_t committed = 0;    // committed in the window (by commit time)
  uint64_t sent = 0;         // sent in the window
  uint32_t validators = 0;
  double validator_cpu_s = 0;  // all validators
  double harness_cpu_s = 0;
  std::array<double, 3> verifications{};  // by kSignatureKinds, all validators
  bool verifications_measured = false;
  std::vector<double> tx_verifications_by_validator;  // admission + peer batch, per probe order
  std::vector<StageLatency> stages;  // kLatencyStages with observations
  double synced_writes = 0;          // all validators' synced LMDB writes in the window
  double ridden_writes = 0;          // writes carried by another's synced write (same)
  // Validator CPU seconds in the window by kThreadGroups, all validators;
  // their sum is validator_cpu_s.
  std::array<double, kThreadGroups.size()> thread_group_cpu_s{};
  bool threads_measured = false;
  double window_s() const { return end_s - begin_s; }
};

// The window's cost from its two probes and the run's per-second series.
// Not measured when a validator changed (restarted, stopped) in between.
SteadyCost ComputeSteadyCost(const WindowProbe& begin, const WindowProbe& end,
                             const TimeSeries& series, absl::Duration window_begin,
                             absl::Duration window_end);

// Probes at load start + begin and + end on its own thread.
class SteadyWindowSampler {
 public:
  using Probe = std::function<WindowProbe()>;
  SteadyWindowSampler(Probe probe, absl::Duration begin, absl::Duration end);
  ~SteadyWindowSampler();  // Finish()
  SteadyWindowSampler(const SteadyWindowSampler&) = delete;
  SteadyWindowSampler& operator=(const SteadyWindowSampler&) = delete;

  // Once, when the load starts.
  void Start(absl::Time load_start);
  // Stops waiting and joins. Both probes, when both were taken.
  std::optional<std::pair<WindowProbe, WindowProbe>> Finish();

 private:
  Probe probe_;
  absl::Duration begin_, end_;
  absl::Notification finish_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<WindowProbe> probes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_STEADY_WINDOW_H_
