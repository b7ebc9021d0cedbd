// `gridledger-sim --seeds=N --seed=S [--validators=n] [--fault-free]
// [--real_store] [--outbox_crashes] [--early_send_crashes]`: runs the
// deterministic consensus simulator (tests/sim/) over N seeds starting at S;
// --real_store persists through the node's LMDB consensus store
// (tests/sim/real_store.h); --outbox_crashes adds the node's outbox (commits
// executed after their records are durable) and crashes drawn to land between
// the two (DrawOutboxCrashes); --early_send_crashes draws crashes right after
// a send that does not wait for records, before its call's records are
// durable (DrawEarlySendCrashes).
// On a failure it prints the seed and its drawn parameters; `--seeds=1
// --seed=THAT` replays it exactly. Exit code 0 only when every seed passes.
//
// Its own executable, not a `gridledger` subcommand: the simulator is test
// machinery (tests/sim/, its adversary and fault injection) and stays out of
// the binary a validator runs.
#include <cinttypes>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/sim/sim_config.h"
#include "tests/sim/simulator.h"
#include "tools/cli.h"

namespace gridledger::tools {
namespace {

int RunSim(int argc, char** argv) {
  CLI::App app("Run the deterministic consensus simulator over N seeds starting at S; a failing "
               "seed prints its parameters and the line that replays it.",
               "gridledger-sim");
  app.footer("exit: 0 every seed passed, 1 a seed failed, 2 usage");
  uint64_t seeds = 1, seed = 1, validators = 4;
  bool fault_free = false, verbose = false, real_store = false;
  AddNumber(&app, "--seeds", &seeds, "how many seeds to run");
  AddNumber(&app, "--seed", &seed, "the first seed");
  AddNumber<uint64_t>(&app, "--validators", &validators, "n = 3f+1 validators", 4, 256)
      ->check(CLI::Validator(
          [](std::string& v) {
            return (std::stoull(v) - 1) % 3 == 0 ? std::string() : v + " is not 3f+1";
          },
          "3f+1"));
  app.add_flag("--fault-free", fault_free, "draw fault-free runs (no injected faults)");
  app.add_flag("--real_store,--real-store", real_store,
               "each validator persists through the node's LMDB consensus store");
  bool outbox_crashes = false;
  app.add_flag("--outbox_crashes", outbox_crashes,
               "real store, commits executed after their records are durable as in the "
               "node's outbox, and crashes drawn between the two");
  bool early_send_crashes = false;
  app.add_flag("--early_send_crashes", early_send_crashes,
               "real store, with crashes drawn after a send that does not wait for records "
               "(an ack, an own batch push, an own certificate) and before its call's records "
               "are durable");
  uint64_t lazy_records_ms = sim::SimConfig{}.lazy_records_ms;
  app.add_option("--lazy_records_ms", lazy_records_ms,
                 "real store: records with no waiting send or commit after them are written "
                 "this long after the first of them, as the node's outbox does (0: at the end "
                 "of each call)");
  app.add_flag("--verbose", verbose, "one line per seed, not only for failures");
  bool node_pacing = false;
  app.add_flag("--node_pacing", node_pacing,
               "draw batch/header delays around the node's defaults (5-15 / 20-30 ms) "
               "instead of the wide 10-60 / 40-100 ms");
  GL_PARSE_ARGS_OR_RETURN(app, argc, argv);
  const bool faults = !fault_free;
  uint64_t failed = 0;
  double latency_sum = 0;
  for (uint64_t s = seed; s < seed + seeds; ++s) {
    sim::SimConfig config =
        sim::DrawConfig(s, static_cast<uint32_t>(validators), faults,
                        node_pacing ? sim::SimPacing::kNode : sim::SimPacing::kWide);
    config.real_store = real_store;
    config.lazy_records_ms = lazy_records_ms;
    if (outbox_crashes) sim::DrawOutboxCrashes(&config);
    if (early_send_crashes) sim::DrawEarlySendCrashes(&config);
    const sim::SimResult r = sim::RunSimulation(config);
    latency_sum += r.mean_commit_latency_rounds;
    if (verbose || !r.ok) {
      std::printf(
          "seed %" PRIu64 ": %s commits=%" PRIu64 " txs=%" PRIu64 " round=%" PRIu64
          " end_ms=%" PRIu64 " latency_rounds=%.2f tx_latency_ms=%.0f rejected=%" PRIu64
          " twin_certs=%" PRIu64 " sig_verifications=%" PRIu64 " restored_certs=%" PRIu64
          " queued_commit_crashes=%" PRIu64 " commits_rederived=%" PRIu64
          " early_send_crashes=%" PRIu64 " early_send_records_lost=%" PRIu64
          " early_send_own_batches_lost=%" PRIu64 " early_send_own_certificates_lost=%" PRIu64
          " lazy_records_lost=%" PRIu64 "\n",
          s, r.ok ? "ok" : "FAILED", r.commits, r.transactions, r.highest_round, r.end_ms,
          r.mean_commit_latency_rounds, r.mean_tx_latency_ms, r.rejected_messages,
          r.second_certificates, r.signature_verifications, r.restored_certificates,
          r.queued_commit_crashes, r.commits_rederived, r.early_send_crashes,
          r.early_send_records_lost, r.early_send_own_batches_lost,
          r.early_send_own_certificates_lost, r.lazy_records_lost);
    }
    if (!r.ok) {
      ++failed;
      std::printf("  failure: %s\n  params: %s\n  replay: gridledger-sim --seeds=1 --seed=%" PRIu64
                  " --validators=%" PRIu64 "%s%s%s%s%s%s\n",
                  r.failure.c_str(), config.Describe().c_str(), s, validators,
                  faults ? "" : " --fault-free", real_store ? " --real_store" : "",
                  outbox_crashes ? " --outbox_crashes" : "",
                  early_send_crashes ? " --early_send_crashes" : "",
                  node_pacing ? " --node_pacing" : "",
                  lazy_records_ms != sim::SimConfig{}.lazy_records_ms
                      ? absl::StrCat(" --lazy_records_ms=", lazy_records_ms).c_str()
                      : "");
    }
  }
  std::printf("%" PRIu64 "/%" PRIu64 " seeds passed (n=%" PRIu64
              ", %s%s), mean commit latency %.2f rounds\n",
              seeds - failed, seeds, validators, faults ? "faults" : "fault-free",
              outbox_crashes ? ", outbox crashes" : real_store ? ", real store" : "",
              seeds > 0 ? latency_sum / static_cast<double>(seeds) : 0.0);
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace gridledger::tools

int main(int argc, char** argv) { return gridledger::tools::RunSim(argc, argv); }
