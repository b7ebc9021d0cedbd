// The honest cost lines of the cluster SUMMARY and JSON (issue 12 item 6):
// the verification bound measured in the same run and the ratio of committed
// TPS to it; CPU per committed transaction over the steady window only;
// signature verifications per committed transaction per validator, with why
// they exceed one; and the latency anatomy the validators measured.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_COST_REPORT_H_
#define GRIDLEDGER_TOOLS_LOADGEN_COST_REPORT_H_

#include <string>

#include "tools/loadgen/json_writer.h"
#include "tools/loadgen/loadgen.h"
#include "tools/loadgen/steady_window.h"
#include "tools/loadgen/verification_bound.h"

namespace gridledger::loadgen {

// What the cluster measured about cost; all zero / unmeasured for a bare
// load generator run (no validators of its own).
struct CpuCost {
  // Over the validators' whole lifetime (start-up and drain included).
  double process_cpu_s = 0;
  double signatures_verified = 0;
  double verify_cost_us = 0;  // per signature, one core
  double verify_s() const { return signatures_verified * verify_cost_us / 1e6; }
  VerificationBound bound;
  SteadyCost steady;
};

// Summary lines (each starting with a space, ending with a newline).
std::string CostSummaryText(const LoadgenResult& result, const CpuCost& cpu);
// Keys "cpu", "verification_bound", "tps_to_bound", "steady_window".
void WriteCostJson(JsonWriter& w, const LoadgenResult& result, const CpuCost& cpu);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_COST_REPORT_H_
