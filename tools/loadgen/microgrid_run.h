// Glue between the microgrid workload and the cluster/loadgen commands: what
// --workload, --prosumers and --seed chose (tools/workload_options.h),
// planning against a deployment folder, and waiting for the last planned
// interval to settle.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_MICROGRID_RUN_H_
#define GRIDLEDGER_TOOLS_LOADGEN_MICROGRID_RUN_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/loadgen/loadgen.h"
#include "tools/loadgen/microgrid_workload.h"

namespace gridledger::loadgen {

struct WorkloadFlags {
  bool microgrid = false;  // --workload=microgrid (default transfer)
  uint32_t prosumers = kDefaultProsumersPerSlice;
  uint64_t seed = 1;
};

// "microgrid (24 prosumers per slice, seed 1; intervals 2000 ms, gate
// closure 500 ms, reading window 2000 ms)".
std::string DescribeMicrogrid(const WorkloadFlags& flags, const MarketTiming& timing);

// How long after now the planned schedule starts: time to plan and to open
// the commit streams.
inline constexpr absl::Duration kMicrogridStartDelay = absl::Milliseconds(500);

struct PreparedMicrogrid {
  MicrogridPlan plan;
  absl::Time start;
};
// Loads DIR/dso.key, plans the run from kMicrogridStartDelay after now and
// prints one line describing it. `nonces` as PlanMicrogrid; the DSO's setup
// is planned only when it has not signed anything yet.
absl::StatusOr<PreparedMicrogrid> PrepareMicrogrid(const std::string& dir,
                                                   const Deployment& deployment,
                                                   const WorkloadFlags& flags,
                                                   absl::Duration duration,
                                                   const MicrogridNonces& nonces);
// Points `options` at the prepared plan (which must outlive the run).
void UseMicrogrid(const PreparedMicrogrid& prepared, LoadgenOptions* options);

// Waits (bounded by kMaxSettleWait, ended by `stop`) until the validators'
// clocks have passed the plan's last settlement, plus a margin for the
// commit that settles it. False when stopped or over the bound.
inline constexpr absl::Duration kMaxSettleWait = absl::Seconds(60);
bool WaitForSettlement(const MicrogridPlan& plan, const std::atomic<bool>* stop);

// The next nonces of the accounts the workload signs with (the first 2P of
// each slice and the DSO), asked of validator 0 of each slice, so the
// workload can run again on the same ledger.
absl::StatusOr<MicrogridNonces> QueryMicrogridNonces(
    const Deployment& deployment, const std::vector<std::vector<std::string>>& grpc_by_slice,
    uint32_t prosumers);

// The loadgen summary's market lines: committed results by kind. The
// clearing figures live in the validators' stores (`cluster` reads them).
std::string CommittedByKindText(const std::map<std::string, uint64_t>& committed);

// Committed results of the plan's transactions by kind ("order": 100, ...),
// successes only; from the load generator's commit stream.
std::map<std::string, uint64_t> CommittedByKind(const MicrogridPlan& plan,
                                                const LoadgenResult& result);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_MICROGRID_RUN_H_
