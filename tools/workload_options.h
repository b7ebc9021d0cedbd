// --workload, --prosumers and --seed: the options `gridledger cluster` and
// `gridledger loadgen` both take to choose the load (transfers, or the
// synthetic microgrid market of tools/loadgen/microgrid_workload.h).
#ifndef GRIDLEDGER_TOOLS_WORKLOAD_OPTIONS_H_
#define GRIDLEDGER_TOOLS_WORKLOAD_OPTIONS_H_

#include <string>

#include "absl/status/statusor.h"
#include "tools/cli.h"
#include "tools/loadgen/microgrid_run.h"

namespace gridledger::tools {

struct WorkloadOptions {
  std::string workload = "transfer";
  loadgen::WorkloadFlags flags;
};

void AddWorkloadOptions(CLI::App* app, WorkloadOptions* options);

// After parsing: the flags, or InvalidArgument for --prosumers or --seed
// without --workload=microgrid.
absl::StatusOr<loadgen::WorkloadFlags> WorkloadFromOptions(const CLI::App& app,
                                                           const WorkloadOptions& options);

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_WORKLOAD_OPTIONS_H_
