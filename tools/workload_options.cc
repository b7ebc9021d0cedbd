#include "tools/workload_options.h"

namespace gridledger::tools {

void AddWorkloadOptions(CLI::App* app, WorkloadOptions* options) {
  AddChoice(app, "--workload", &options->workload,
            "transfer (signed transfers at --rate) or microgrid (the synthetic market)",
            {"transfer", "microgrid"});
  AddNumber<uint32_t>(app, "--prosumers", &options->flags.prosumers,
                      "microgrid: prosumers per slice", 1, loadgen::kMaxProsumersPerSlice);
  AddNumber(app, "--seed", &options->flags.seed, "microgrid: the workload's seed");
}

absl::StatusOr<loadgen::WorkloadFlags> WorkloadFromOptions(const CLI::App& app,
                                                           const WorkloadOptions& options) {
  loadgen::WorkloadFlags flags = options.flags;
  flags.microgrid = options.workload == "microgrid";
  if (!flags.microgrid && (app.count("--prosumers") > 0 || app.count("--seed") > 0)) {
    return absl::InvalidArgumentError("--prosumers and --seed need --workload=microgrid");
  }
  return flags;
}

}  // namespace gridledger::tools
