// `gridledger sim --seeds=N --seed=S [--validators=n] [--fault-free]
// [--real_store]`: runs the deterministic consensus simulator (tests/sim/) over
// N seeds starting at S; --real_store persists through the node's LMDB
// consensus store (tests/sim/real_store.h).
// On a failure it prints the seed and its drawn parameters; `--seeds=1
// --seed=THAT` replays it exactly. Exit code 0 only when every seed passes.
//
// Flags are parsed here rather than with Abseil flags so their short names
// (--seed, --validators) cannot collide with other subcommands' flags.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "tests/sim/sim_config.h"
#include "tests/sim/simulator.h"
#include "tools/command.h"

namespace gridledger::tools {
namespace {

constexpr const char* kUsage =
    "usage: gridledger sim [--seeds=N] [--seed=S] [--validators=n] [--fault-free] [--real_store]"
    " [--verbose]\n"
    "  runs N simulator seeds starting at S (defaults 1 and 1), n = 3f+1 validators (4);\n"
    "  --real_store: each validator persists through the node's LMDB consensus store\n";

bool ParseU64(const std::string& arg, const char* name, uint64_t* out) {
  const std::string prefix = std::string("--") + name + "=";
  if (!absl::StartsWith(arg, prefix)) return false;
  if (!absl::SimpleAtoi(arg.substr(prefix.size()), out)) {
    std::fprintf(stderr, "gridledger sim: --%s needs a number, got '%s'\n", name,
                 arg.c_str());
    std::exit(2);
  }
  return true;
}

int RunSim(int argc, char** argv) {
  uint64_t seeds = 1, seed = 1, validators = 4;
  bool faults = true, verbose = false, real_store = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (ParseU64(arg, "seeds", &seeds) || ParseU64(arg, "seed", &seed) ||
        ParseU64(arg, "validators", &validators)) {
      continue;
    }
    if (arg == "--fault-free") {
      faults = false;
    } else if (arg == "--real_store" || arg == "--real-store") {
      real_store = true;
    } else if (arg == "--verbose") {
      verbose = true;
    } else {
      std::fprintf(stderr, "gridledger sim: unknown argument '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (validators < 4 || validators > 256 || (validators - 1) % 3 != 0) {
    std::fprintf(stderr, "gridledger sim: --validators must be 3f+1 in [4, 256]\n");
    return 2;
  }
  uint64_t failed = 0;
  double latency_sum = 0;
  for (uint64_t s = seed; s < seed + seeds; ++s) {
    sim::SimConfig config = sim::DrawConfig(s, static_cast<uint32_t>(validators), faults);
    config.real_store = real_store;
    const sim::SimResult r = sim::RunSimulation(config);
    latency_sum += r.mean_commit_latency_rounds;
    if (verbose || !r.ok) {
      std::printf(
          "seed %" PRIu64 ": %s commits=%" PRIu64 " txs=%" PRIu64 " round=%" PRIu64
          " end_ms=%" PRIu64 " latency_rounds=%.2f tx_latency_ms=%.0f rejected=%" PRIu64
          " twin_certs=%" PRIu64 " sig_verifications=%" PRIu64 " restored_certs=%" PRIu64 "\n",
          s, r.ok ? "ok" : "FAILED", r.commits, r.transactions, r.highest_round, r.end_ms,
          r.mean_commit_latency_rounds, r.mean_tx_latency_ms, r.rejected_messages,
          r.second_certificates, r.signature_verifications, r.restored_certificates);
    }
    if (!r.ok) {
      ++failed;
      std::printf("  failure: %s\n  params: %s\n  replay: gridledger sim --seeds=1 --seed=%" PRIu64
                  " --validators=%" PRIu64 "%s%s\n",
                  r.failure.c_str(), config.Describe().c_str(), s, validators,
                  faults ? "" : " --fault-free", real_store ? " --real_store" : "");
    }
  }
  std::printf("%" PRIu64 "/%" PRIu64 " seeds passed (n=%" PRIu64
              ", %s%s), mean commit latency %.2f rounds\n",
              seeds - failed, seeds, validators, faults ? "faults" : "fault-free",
              real_store ? ", real store" : "",
              seeds > 0 ? latency_sum / static_cast<double>(seeds) : 0.0);
  return failed == 0 ? 0 : 1;
}

}  // namespace

GL_REGISTER_COMMAND(sim, "deterministic consensus simulator over many seeds", RunSim);

}  // namespace gridledger::tools
