// `gridledger loadgen --dir=DIR --rate=N --duration=20s [--grpc_base_port=7300]
//  [--drain=10s] [--attempts=3] [--json=FILE] [--csv=FILE]
//  [--workload=transfer|microgrid] [--prosumers=24] [--seed=1]`
//
// --workload=microgrid: the microgrid market (tools/loadgen/microgrid_workload.h)
// instead of transfers at --rate, signed with DIR/dso.key and the first
// 2 x prosumers accounts of each slice, on the genesis's market timing (a
// run must hold at least one interval: use a genesis with short intervals).
// Run again on the same ledger, the DSO's registrations fail as role_conflict
// (they are in force already); the market goes on.
//
// With --csv, a PNG of the series is drawn beside it (tools/loadgen/plot.h).
//
// Open-loop load against a running deployment: DIR holds genesis.toml and
// accounts.keys (as `gridledger genesis` writes them); validator i of slice s
// serves gRPC on the genesis host of that validator at
// grpc_base_port + s * validators + i. Senders' nonces are read from the
// validators first, so the command can run again against the same ledger.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "tools/cli.h"
#include "tools/command.h"
#include "tools/loadgen/loadgen.h"
#include "tools/loadgen/microgrid_run.h"
#include "tools/loadgen/plot.h"
#include "tools/loadgen/report.h"
#include "tools/loadgen/workload.h"
#include "tools/workload_options.h"

namespace gridledger::tools {
namespace {

constexpr char kLoadgenFooter[] =
    "DIR holds genesis.toml and accounts.keys (as `gridledger genesis` writes them); validator\n"
    "i of slice s serves gRPC on its genesis host at grpc_base_port + s * validators + i.\n"
    "exit: 0 ok, 1 the run failed (deployment, nodes, files), 2 usage";

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

int FailLoadgen(const std::string& message, int code) {
  return CommandFailed("loadgen", message, code);
}

struct LoadgenArgs {
  std::string dir;
  uint64_t rate = 1000;
  absl::Duration duration = absl::Seconds(20);
  absl::Duration drain = absl::Seconds(10);
  uint32_t attempts = 3;
  uint64_t grpc_base_port = 7300;
  std::string json;
  std::string csv;
  WorkloadOptions workload;
};

void AddLoadgenOptions(CLI::App* app, LoadgenArgs* a) {
  app->add_option("--dir", a->dir, "the deployment: genesis.toml and accounts.keys")->required();
  AddNumber<uint64_t>(app, "--rate", &a->rate, "transfers per second, open loop", 1, 1'000'000);
  AddDuration(app, "--duration", &a->duration, "how long to send");
  AddDuration(app, "--drain", &a->drain, "after sending: how long to wait for commits");
  AddNumber<uint32_t>(app, "--attempts", &a->attempts, "tries per transaction", 1, 16);
  AddNumber<uint64_t>(app, "--grpc_base_port", &a->grpc_base_port,
                      "the first validator's gRPC port", 1, 65535);
  app->add_option("--json", a->json, "write the result as JSON to FILE");
  app->add_option("--csv", a->csv, "write the per-second series to FILE (and a PNG beside it)");
  AddWorkloadOptions(app, &a->workload);
}

int RunLoadgen(int argc, char** argv) {
  using namespace loadgen;
  CLI::App app("Open-loop fixed-rate load against running validators over gRPC.",
               "gridledger loadgen");
  app.footer(kLoadgenFooter);
  LoadgenArgs args;
  AddLoadgenOptions(&app, &args);
  GL_PARSE_ARGS_OR_RETURN(app, argc, argv);
  auto workload = WorkloadFromOptions(app, args.workload);
  if (!workload.ok()) return FailLoadgen(std::string(workload.status().message()), kExitUsage);
  LoadgenOptions options;
  auto deployment = LoadDeployment(args.dir);
  if (!deployment.ok()) return FailLoadgen(std::string(deployment.status().message()), 1);
  const auto& slices = deployment->genesis.slices;
  const uint64_t per_slice = slices[0].validators.size();
  for (const auto& slice : slices) {
    std::vector<std::string> addresses;
    for (size_t i = 0; i < slice.validators.size(); ++i) {
      const uint64_t port = args.grpc_base_port + slice.id.value() * per_slice + i;
      if (port > 65535) return FailLoadgen("--grpc_base_port: gRPC ports exceed 65535", 2);
      addresses.push_back(absl::StrCat(slice.validators[i].host, ":", port));
    }
    options.grpc_by_slice.push_back(std::move(addresses));
  }
  options.rate_per_s = args.rate;
  options.duration = args.duration;
  options.drain = args.drain;
  options.max_attempts = args.attempts;
  options.query_nonces = true;
  options.stop = &g_stop;
  absl::StatusOr<PreparedMicrogrid> microgrid = absl::UnknownError("not planned");
  if (workload->microgrid) {
    auto nonces = QueryMicrogridNonces(*deployment, options.grpc_by_slice, workload->prosumers);
    if (!nonces.ok()) return FailLoadgen(std::string(nonces.status().message()), 1);
    microgrid =
        PrepareMicrogrid(args.dir, *deployment, *workload, args.duration, *nonces);
    if (!microgrid.ok()) return FailLoadgen(std::string(microgrid.status().message()), 1);
    UseMicrogrid(*microgrid, &options);
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto result = RunLoad(*deployment, options);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (!result.ok()) return FailLoadgen(std::string(result.status().message()), 1);

  RunConfig config;
  config.validators = static_cast<uint32_t>(per_slice);
  config.slices = static_cast<uint32_t>(slices.size());
  config.rate_per_s = args.rate;
  config.duration = args.duration;
  if (workload->microgrid) {
    config.workload = DescribeMicrogrid(*workload, deployment->genesis.market);
    config.rate_per_s = static_cast<uint64_t>(microgrid->plan.txs.size() /
                                              std::max(1.0, absl::ToDoubleSeconds(args.duration)));
  }
  const StoreCheck no_check;  // the stores belong to running nodes
  const CpuCost no_cpu;
  std::fputs(SummaryText(config, *result, no_check, no_cpu).c_str(), stdout);
  if (workload->microgrid) {
    std::fputs(CommittedByKindText(CommittedByKind(microgrid->plan, *result)).c_str(), stdout);
  }
  if (!args.json.empty()) {
    absl::Status s = WriteTextFile(args.json,
                                   ResultJson(config, *result, no_check, no_cpu));
    if (!s.ok()) return FailLoadgen(std::string(s.message()), 1);
  }
  if (!args.csv.empty()) {
    absl::Status s = WriteTextFile(args.csv, SeriesCsv(result->series));
    if (!s.ok()) return FailLoadgen(std::string(s.message()), 1);
    PlotBesideCsv(args.csv, config);
  }
  return 0;
}

}  // namespace
}  // namespace gridledger::tools

GL_REGISTER_COMMAND(loadgen, "open-loop fixed-rate transfer load against running validators",
                    gridledger::tools::RunLoadgen);
