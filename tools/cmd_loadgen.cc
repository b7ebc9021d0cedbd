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
#include "tools/command.h"
#include "tools/loadgen/args.h"
#include "tools/loadgen/loadgen.h"
#include "tools/loadgen/microgrid_run.h"
#include "tools/loadgen/plot.h"
#include "tools/loadgen/report.h"
#include "tools/loadgen/workload.h"

namespace gridledger::tools {
namespace {

constexpr char kUsage[] =
    "usage: gridledger loadgen --dir=DIR --rate=N --duration=20s [--grpc_base_port=7300]\n"
    "                          [--drain=10s] [--attempts=3] [--json=FILE] [--csv=FILE]\n"
    "                          [--workload=transfer|microgrid] [--prosumers=24] [--seed=1]\n";

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

int Fail(const std::string& message, int code) {
  std::fprintf(stderr, "gridledger loadgen: %s\n", message.c_str());
  if (code == 2) std::fputs(kUsage, stderr);
  return code;
}

int RunLoadgen(int argc, char** argv) {
  using namespace loadgen;
  auto args = NamedArgs::Parse(
      argc, argv, {"dir", "rate", "duration", "grpc_base_port", "drain", "attempts", "json", "csv",
                   kWorkloadFlags[0], kWorkloadFlags[1], kWorkloadFlags[2]});
  if (!args.ok()) return Fail(std::string(args.status().message()), 2);
  auto workload = ParseWorkloadFlags(*args);
  if (!workload.ok()) return Fail(std::string(workload.status().message()), 2);
  if (!args->Has("dir")) return Fail("--dir=DIR is required", 2);
  LoadgenOptions options;
  auto rate = args->Uint("rate", 1000, 1, 1'000'000);
  auto duration = args->Duration("duration", absl::Seconds(20));
  auto drain = args->Duration("drain", absl::Seconds(10));
  auto attempts = args->Uint("attempts", 3, 1, 16);
  auto base_port = args->Uint("grpc_base_port", 7300, 1, 65535);
  for (const absl::Status& s : {rate.status(), duration.status(), drain.status(),
                                attempts.status(), base_port.status()}) {
    if (!s.ok()) return Fail(std::string(s.message()), 2);
  }
  auto deployment = LoadDeployment(args->String("dir", ""));
  if (!deployment.ok()) return Fail(std::string(deployment.status().message()), 1);
  const auto& slices = deployment->genesis.slices;
  const uint64_t per_slice = slices[0].validators.size();
  for (const auto& slice : slices) {
    std::vector<std::string> addresses;
    for (size_t i = 0; i < slice.validators.size(); ++i) {
      const uint64_t port = *base_port + slice.id.value() * per_slice + i;
      if (port > 65535) return Fail("--grpc_base_port: gRPC ports exceed 65535", 2);
      addresses.push_back(absl::StrCat(slice.validators[i].host, ":", port));
    }
    options.grpc_by_slice.push_back(std::move(addresses));
  }
  options.rate_per_s = *rate;
  options.duration = *duration;
  options.drain = *drain;
  options.max_attempts = static_cast<uint32_t>(*attempts);
  options.query_nonces = true;
  options.stop = &g_stop;
  absl::StatusOr<PreparedMicrogrid> microgrid = absl::UnknownError("not planned");
  if (workload->microgrid) {
    auto nonces = QueryMicrogridNonces(*deployment, options.grpc_by_slice, workload->prosumers);
    if (!nonces.ok()) return Fail(std::string(nonces.status().message()), 1);
    microgrid =
        PrepareMicrogrid(args->String("dir", ""), *deployment, *workload, *duration, *nonces);
    if (!microgrid.ok()) return Fail(std::string(microgrid.status().message()), 1);
    UseMicrogrid(*microgrid, &options);
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto result = RunLoad(*deployment, options);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (!result.ok()) return Fail(std::string(result.status().message()), 1);

  RunConfig config;
  config.validators = static_cast<uint32_t>(per_slice);
  config.slices = static_cast<uint32_t>(slices.size());
  config.rate_per_s = *rate;
  config.duration = *duration;
  if (workload->microgrid) {
    config.workload = DescribeMicrogrid(*workload, deployment->genesis.market);
    config.rate_per_s = static_cast<uint64_t>(microgrid->plan.txs.size() /
                                              std::max(1.0, absl::ToDoubleSeconds(*duration)));
  }
  const StoreCheck no_check;  // the stores belong to running nodes
  const CpuCost no_cpu;
  std::fputs(SummaryText(config, *result, no_check, no_cpu).c_str(), stdout);
  if (workload->microgrid) {
    std::fputs(CommittedByKindText(CommittedByKind(microgrid->plan, *result)).c_str(), stdout);
  }
  if (args->Has("json")) {
    absl::Status s = WriteTextFile(args->String("json", ""),
                                   ResultJson(config, *result, no_check, no_cpu));
    if (!s.ok()) return Fail(std::string(s.message()), 1);
  }
  if (args->Has("csv")) {
    absl::Status s = WriteTextFile(args->String("csv", ""), SeriesCsv(result->series));
    if (!s.ok()) return Fail(std::string(s.message()), 1);
    PlotBesideCsv(args->String("csv", ""), config);
  }
  return 0;
}

}  // namespace
}  // namespace gridledger::tools

GL_REGISTER_COMMAND(loadgen, "open-loop fixed-rate transfer load against running validators",
                    gridledger::tools::RunLoadgen);
