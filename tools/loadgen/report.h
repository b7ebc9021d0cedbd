// The benchmark's outputs: a SUMMARY block in the manner of Narwhal's
// benchmark harness, the JSON result and the per-second CSV time series.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_REPORT_H_
#define GRIDLEDGER_TOOLS_LOADGEN_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tools/loadgen/cost_report.h"
#include "tools/loadgen/loadgen.h"
#include "tools/loadgen/stats.h"

namespace gridledger::loadgen {

struct RunConfig {
  uint32_t validators = 0;  // per slice
  uint32_t slices = 0;
  uint64_t rate_per_s = 0;
  absl::Duration duration;
  std::string verifier_backend;  // as the nodes report it
  std::string pacing;            // "batch 20 ms, header 50 ms, leader timeout 300 ms"
  std::string faults;            // e.g. "kill 1@2s, restart 4s"; empty for none
  // One line per fault injected (--chaos), in order; listed in the summary.
  std::vector<std::string> fault_log;
  // "transfer", or "microgrid (24 prosumers per slice, seed 1)".
  std::string workload = "transfer";
};

// After the run, each validator's store checked against the commits the
// load generator saw acknowledged.
struct StoreCheck {
  bool done = false;
  uint64_t stores = 0;
  uint64_t missing = 0;          // acknowledged commits absent from some store of their slice
  uint64_t result_mismatches = 0;  // stores disagreeing on a transaction's result or position
  // Slices whose stores differ at a common commit (anchor, summary or state
  // root), or where a store's state root is not the hash of its contents.
  uint64_t state_mismatches = 0;
  // Stores a state sync restored (cluster --wipe): from which sequence, and
  // the last commit they hold (beyond it: committed after the restore).
  struct StateSynced {
    uint32_t slice = 0;
    uint32_t store = 0;  // the store's position among its slice's checked stores
    uint64_t from_sequence = 0;
    uint64_t last_sequence = 0;
  };
  std::vector<StateSynced> state_synced;
  // Commits without a final checkpoint in a store, from its restart point
  // (1, or where a state sync restored it) up to kCheckpointHoleMarginCommits
  // below its last commit (those may still have been collecting votes).
  uint64_t checkpoint_holes = 0;
};
inline constexpr uint64_t kCheckpointHoleMarginCommits = 64;

// CpuCost (the validators' CPU, the verification bound, the steady
// window): cost_report.h.
// Times `count` BIP-340 verifications on this thread; CPU microseconds each.
double MeasureVerifyCostUs(int count);

uint64_t TotalLost(const LoadgenResult& result, const StoreCheck& check);

std::string SummaryText(const RunConfig& config, const LoadgenResult& result,
                        const StoreCheck& check, const CpuCost& cpu);
struct MarketReport;  // market_report.h
// With `market` (read from the stores after a cluster run): also the
// top-level "money_conserved" and the "market" object.
std::string ResultJson(const RunConfig& config, const LoadgenResult& result,
                       const StoreCheck& check, const CpuCost& cpu,
                       const MarketReport* market = nullptr);
// "second,sent,committed,rejected,latency_p50_ms,latency_p99_ms\n" then one
// row per second since the start.
std::string SeriesCsv(const TimeSeries& series);

absl::Status WriteTextFile(const std::string& path, const std::string& content);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_REPORT_H_
