// `gridledger cluster --validators=4 --slices=1 --duration=20s --rate=N
//  [--kill=k@Ts] [--restart=Ts] [--json=FILE] [--csv=FILE] [--accounts=N]
//  [--backend=auto] [--drain=10s] [--dir=DIR] [--keep=true]
//  [--byzantine=B] [--byzantine_behaviours=all] [--chaos=SEED] [--chaos_over_f=true]
//  [--chaos_down_max=2s] [--workload=transfer|microgrid] [--prosumers=24] [--seed=1]
//  [--archives=A]`
//
// A local benchmark in the manner of Narwhal's harness: generates a
// deployment in a temporary folder, starts every validator as its own
// `gridledger node` process on loopback, runs the load generator in this
// process, optionally SIGKILLs k validators at T (after the load starts) and
// restarts them later, waits for the survivors to agree, stops every process
// it started (also on Ctrl-C), checks every validator's store against the
// commits the load generator saw, and prints a SUMMARY.
//
// --byzantine=B: the last B validators of each slice run the test-only
// Byzantine behaviours (net/node/byzantine_behaviour.h); the load generator
// sends only to honest validators, and only honest ones are settled and
// store-checked. --chaos=SEED: a seeded campaign of SIGKILL+restart and
// SIGSTOP/SIGCONT faults on honest validators for the whole run, at most
// f - B per slice at once (tools/loadgen/chaos.h); --chaos_over_f=true adds
// one phase with more than that; --chaos_down_max bounds each kill or pause
// (default 1.5 s kills, 2 s pauses). The summary lists every fault injected.
//
// --workload=microgrid: instead of transfers at --rate, the synthetic
// microgrid market (tools/loadgen/microgrid_workload.h) on a genesis with
// compressed market timing; the summary and JSON gain the market as the
// stores hold it, and a PNG of price and volume per interval beside --csv.
// Every run checks money on every store (balances + escrow - debt = supply).
//
// --archives=A: A archive nodes (`gridledger archive`) follow every slice
// beside the validators; the summary and JSON gain `archive` {agrees,
// behind_commits} (tools/cluster_archives.h). --kill=aK@Ts kills archive K
// instead of validators (and --restart restarts it).
//
// --wipe (with --kill and --restart): the killed validators restart with an
// EMPTY data directory, so they come back by state sync (a snapshot verified
// against a final checkpoint, net/node/state_sync.h); the summary says from
// which sequence each restored and how far it committed after.
#include <signal.h>
#include <unistd.h>

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "core/common/status_macros.h"
#include "core/consensus/params.h"
#include "core/crypto/schnorr.h"
#include "core/execution/genesis.h"
#include "net/node/byzantine_switch.h"
#include "net/node/config.h"
#include "net/proto/ledger.grpc.pb.h"
#include "tools/cli.h"
#include "tools/cluster_archives.h"
#include "tools/command.h"
#include "tools/loadgen/args.h"
#include "tools/loadgen/chaos.h"
#include "tools/loadgen/free_ports.h"
#include "tools/loadgen/loadgen.h"
#include "tools/loadgen/market_plot.h"
#include "tools/loadgen/market_report.h"
#include "tools/loadgen/node_counters.h"
#include "tools/cross_slice_drain.h"
#include "tools/loadgen/microgrid_run.h"
#include "tools/loadgen/plot.h"
#include "tools/loadgen/process.h"
#include "tools/loadgen/report.h"
#include "tools/loadgen/steady_window.h"
#include "tools/loadgen/store_check.h"
#include "tools/loadgen/verification_bound.h"
#include "tools/loadgen/workload.h"
#include "tools/workload_options.h"

namespace gridledger::tools {
namespace {

using namespace ::gridledger::loadgen;
namespace pb = ::gridledger::v1;

constexpr char kClusterFooter[] =
    "--kill=aK@T kills archive K (of --archives) instead of validators, e.g. a0@5s.\n"
    "exit: 0 the run passed its checks (stores agree with what was acknowledged, money\n"
    "      conserved), 1 the cluster could not run, 2 usage, 3 a check failed, 130 interrupted";
constexpr uint64_t kAccountBalance = 1'000'000'000'000;
constexpr char kReadyPrefix[] = "gridledger node ready";
constexpr absl::Duration kReadyTimeout = absl::Seconds(60);
constexpr absl::Duration kStopGrace = absl::Seconds(10);
// After the load: how long the validators get to reach the same commit.
constexpr absl::Duration kSettleTimeout = absl::Seconds(30);
constexpr uint32_t kMaxClusterValidators = 64;

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

int FailCluster(const std::string& message, int code) {
  return CommandFailed("cluster", message, code);
}

struct Validator {
  uint32_t slice = 0;
  uint32_t index = 0;
  std::string grpc_address;
  std::string metrics_address;
  std::string data_dir;
  std::unique_ptr<ChildProcess> process;
  bool byzantine = false;  // --byzantine: misbehaves on purpose; not settled or checked
};

struct Deployed {
  std::string dir;
  std::vector<Validator> validators;  // slice-major
  std::vector<std::vector<std::string>> grpc_by_slice;
};

// Pacing written into every node config (0: the node's default); pacing
// never changes the committed order, so it can be tuned per run.
struct PacingArgs {
  uint64_t batch_delay_ms = 0;
  uint64_t header_delay_ms = 0;
  uint64_t leader_timeout_ms = 0;
  std::optional<bool> defer_peer_verification;  // unset: the node's default
  std::optional<bool> availability_votes;       // unset: the node's default
};

std::optional<uint64_t> UnlessZero(uint64_t v) {
  return v == 0 ? std::nullopt : std::optional<uint64_t>(v);
}

// Writes genesis.toml, the key files and one node config per validator.
// With `market`: that market timing, and the DSO funded on every slice (it
// pays surplus imbalances).
absl::StatusOr<Deployed> WriteDeployment(const std::string& dir, uint32_t slices,
                                         uint32_t validators, uint64_t accounts_per_slice,
                                         const std::string& backend,
                                         const std::optional<MarketTiming>& market,
                                         const PacingArgs& pacing) {
  const size_t n = static_cast<size_t>(slices) * validators;
  auto ports = FreePorts(3 * n);
  if (!ports.ok()) return ports.status();
  Deployed d;
  d.dir = dir;
  d.grpc_by_slice.resize(slices);
  Genesis genesis;
  const KeyPair dso = KeyPair::Generate();
  genesis.dso = dso.public_key();
  if (market.has_value()) genesis.market = *market;
  GL_RETURN_IF_ERROR(WriteTextFile(dir + "/dso.key", dso.secret().Hex() + "\n"));
  for (uint32_t s = 0; s < slices; ++s) {
    GenesisSlice slice{SliceId(s), {}};
    for (uint32_t i = 0; i < validators; ++i) {
      const size_t k = static_cast<size_t>(s) * validators + i;
      const KeyPair key = KeyPair::Generate();
      slice.validators.push_back(GenesisValidator{key.public_key(), "127.0.0.1", (*ports)[3 * k]});
      const std::string key_file = absl::StrCat(dir, "/validator-", s, "-", i, ".key");
      GL_RETURN_IF_ERROR(WriteTextFile(key_file, key.secret().Hex() + "\n"));
      Validator v;
      v.slice = s;
      v.index = i;
      v.grpc_address = absl::StrCat("127.0.0.1:", (*ports)[3 * k + 1]);
      v.metrics_address = absl::StrCat("127.0.0.1:", (*ports)[3 * k + 2]);
      v.data_dir = absl::StrCat(dir, "/node-", s, "-", i);
      const std::string config_path = absl::StrCat(dir, "/node-", s, "-", i, ".toml");
      node::NodeConfig config;
      config.genesis_path = dir + "/genesis.toml";
      config.slice = s;
      config.validator_index = i;
      config.key_file = key_file;
      config.data_dir = v.data_dir;
      config.grpc_address = node::HostPort{"127.0.0.1", (*ports)[3 * k + 1]};
      config.metrics_address = node::HostPort{"127.0.0.1", (*ports)[3 * k + 2]};
      GL_ASSIGN_OR_RETURN(config.backend, ParseVerifierBackend(backend));
      config.batch_delay_ms = UnlessZero(pacing.batch_delay_ms);
      config.header_delay_ms = UnlessZero(pacing.header_delay_ms);
      config.leader_timeout_ms = UnlessZero(pacing.leader_timeout_ms);
      config.defer_peer_verification = pacing.defer_peer_verification;
      config.availability_votes = pacing.availability_votes;
      // Receipts for other slices go to their validators' client API.
      for (uint32_t t = 0; t < slices; ++t) {
        for (uint32_t j = 0; j < validators && t != s; ++j) {
          config.relay_targets.push_back(node::RelayTarget{
              t, node::HostPort{"127.0.0.1", (*ports)[3 * (size_t{t} * validators + j) + 1]}});
        }
      }
      GL_RETURN_IF_ERROR(WriteTextFile(
          config_path, node::SerializeNodeConfig(config, "written by gridledger cluster")));
      v.process = std::make_unique<ChildProcess>(
          "/proc/self/exe",
          std::vector<std::string>{"node", absl::StrCat("--config=", config_path)},
          absl::StrCat(dir, "/node-", s, "-", i, ".log"));
      d.grpc_by_slice[s].push_back(v.grpc_address);
      d.validators.push_back(std::move(v));
    }
    genesis.slices.push_back(std::move(slice));
  }
  std::string accounts_file;
  for (uint64_t j = 0; j < accounts_per_slice * slices; ++j) {
    const KeyPair key = KeyPair::Generate();
    const SliceId slice(static_cast<uint32_t>(j % slices));
    genesis.accounts.push_back(
        GenesisAccount{AccountRef{slice, key.public_key()}, Amount(kAccountBalance)});
    absl::StrAppend(&accounts_file, slice.value(), " ", key.secret().Hex(), "\n");
  }
  for (uint32_t s = 0; s < slices && market.has_value(); ++s) {
    genesis.accounts.push_back(
        GenesisAccount{AccountRef{SliceId(s), dso.public_key()}, Amount(kAccountBalance)});
  }
  GL_RETURN_IF_ERROR(ValidateGenesis(genesis));
  GL_RETURN_IF_ERROR(WriteTextFile(dir + "/accounts.keys", accounts_file));
  GL_RETURN_IF_ERROR(WriteTextFile(dir + "/genesis.toml", SerializeGenesis(genesis)));
  return d;
}

std::unique_ptr<pb::Ledger::Stub> StubFor(const std::string& address) {
  return pb::Ledger::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

absl::StatusOr<pb::NodeInfo> NodeInfo(const std::string& address) {
  pb::NodeInfo info;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::Status status = StubFor(address)->GetNodeInfo(&context, pb::GetNodeInfoRequest(), &info);
  if (!status.ok()) return absl::UnavailableError(status.error_message());
  return info;
}

// Waits until the running validators of each slice report the same last
// committed sequence, so every store holds what any of them acknowledged.
bool Settle(const Deployed& d, uint32_t slices) {
  const absl::Time deadline = absl::Now() + kSettleTimeout;
  while (absl::Now() < deadline && !g_stop.load()) {
    bool settled = true;
    for (uint32_t s = 0; s < slices && settled; ++s) {
      uint64_t low = UINT64_MAX, high = 0;
      for (const Validator& v : d.validators) {
        if (v.slice != s || !v.process->running() || v.byzantine) continue;
        auto info = NodeInfo(v.grpc_address);
        if (!info.ok()) {
          settled = false;
          break;
        }
        low = std::min<uint64_t>(low, info->last_committed_sequence());
        high = std::max<uint64_t>(high, info->last_committed_sequence());
      }
      settled = settled && low == high;
    }
    if (settled) return true;
    absl::SleepFor(absl::Milliseconds(250));
  }
  std::string state;
  for (const Validator& v : d.validators) {
    if (!v.process->running()) continue;
    auto info = NodeInfo(v.grpc_address);
    absl::StrAppend(&state, " ", v.slice, "/", v.index, "=",
                    info.ok() ? absl::StrCat("seq ", info->last_committed_sequence(), " round ",
                                             info->round())
                              : std::string(info.status().message()));
  }
  std::fprintf(stderr, "cluster: last committed sequences:%s\n", state.c_str());
  return false;
}

void StopAll(Deployed& d) {
  for (Validator& v : d.validators) {
    if (v.process->running()) kill(v.process->pid(), SIGTERM);
  }
  for (Validator& v : d.validators) v.process->Stop(kStopGrace);
}

// ---- --byzantine and --chaos (issues 8 and 9)

// Faults the cluster injects beyond --kill: Byzantine validators and a chaos campaign.
struct FaultFlags {
  uint32_t byzantine = 0;  // per slice, the highest indices
  node::ByzantineBehaviours behaviours;
  std::optional<uint64_t> chaos_seed;
  bool chaos_over_f = false;
  // Longest kill or pause; the default keeps a restarted validator within
  // reach of its peers' in-memory catch-up (gc_depth rounds).
  std::optional<absl::Duration> chaos_down_max;
  uint32_t max_down = 0;  // per slice at once under chaos: f - byzantine
};

// The fault options as given (FaultFlags checks them against each other).
struct FaultArgs {
  uint32_t byzantine = 0;
  std::string byzantine_behaviours = "all";
  uint64_t chaos_seed = 0;  // meaningful when --chaos is given
  bool chaos_over_f = false;
  absl::Duration chaos_down_max = absl::Seconds(2);
};

void AddFaultOptions(CLI::App* app, FaultArgs* a) {
  AddNumber(app, "--byzantine", &a->byzantine,
            "the last B validators of each slice misbehave (at most f)");
  app->add_option("--byzantine_behaviours", a->byzantine_behaviours,
                  "what the Byzantine validators do: all, or a comma-separated list "
                  "(net/node/byzantine_behaviour.h)")
      ->capture_default_str()
      ->check([](const std::string& v) {
        auto parsed = node::ParseByzantineBehaviours(v);
        return parsed.ok() ? std::string() : std::string(parsed.status().message());
      });
  AddNumber(app, "--chaos", &a->chaos_seed,
            "a seeded campaign of kills and pauses on honest validators, at most f - B per "
            "slice at once")
      ->default_str("");
  app->add_flag("--chaos_over_f", a->chaos_over_f, "--chaos: add one phase with more than that");
  AddDuration(app, "--chaos_down_max", &a->chaos_down_max,
              "--chaos: the longest kill or pause (default 1.5 s kills, 2 s pauses)")
      ->default_str("");
}

absl::StatusOr<FaultFlags> ParseFaultFlags(const CLI::App& app, const FaultArgs& a,
                                           uint64_t validators, bool has_kill) {
  FaultFlags flags;
  const uint64_t f = (validators - 1) / 3;
  if (a.byzantine > f) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--byzantine: ", a.byzantine, " is outside [0, ", f, "] (at most f = ", f, " of ",
        validators, " validators may be Byzantine)"));
  }
  flags.byzantine = a.byzantine;
  auto behaviours = node::ParseByzantineBehaviours(a.byzantine_behaviours);
  if (!behaviours.ok()) return behaviours.status();
  flags.behaviours = *behaviours;
  if (app.count("--byzantine_behaviours") > 0 && flags.byzantine == 0) {
    return absl::InvalidArgumentError("--byzantine_behaviours needs --byzantine");
  }
  if (app.count("--chaos") > 0) flags.chaos_seed = a.chaos_seed;
  flags.chaos_over_f = a.chaos_over_f;
  if (flags.chaos_over_f && !flags.chaos_seed) {
    return absl::InvalidArgumentError("--chaos_over_f needs --chaos");
  }
  if (app.count("--chaos_down_max") > 0) {
    if (!flags.chaos_seed) return absl::InvalidArgumentError("--chaos_down_max needs --chaos");
    flags.chaos_down_max = a.chaos_down_max;
  }
  if (has_kill && (flags.chaos_seed || flags.byzantine > 0)) {
    return absl::InvalidArgumentError("--kill does not combine with --chaos or --byzantine");
  }
  flags.max_down = static_cast<uint32_t>(f) - flags.byzantine;
  if (flags.chaos_seed && flags.max_down == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--chaos: f = ", f, " of ", validators, " validators, ", flags.byzantine,
        " Byzantine: no validator may fail on top (use more validators)"));
  }
  return flags;
}

// The last `byzantine` validators of each slice get the test-only switch in
// their config; validator 0 (the first commit stream) stays honest.
absl::Status MarkByzantine(Deployed& d, const FaultFlags& flags) {
  for (Validator& v : d.validators) {
    const size_t per_slice = d.grpc_by_slice[v.slice].size();
    if (v.index + flags.byzantine < per_slice) continue;
    v.byzantine = true;
    const std::string path = absl::StrCat(d.dir, "/node-", v.slice, "-", v.index, ".toml");
    std::ofstream out(path, std::ios::app);
    out << "# TEST ONLY: gridledger cluster --byzantine\n"
        << "test_only_byzantine = true\n"
        << "byzantine = \"" << flags.behaviours.ToString() << "\"\n";
    out.close();
    if (!out) return absl::UnavailableError(absl::StrCat(path, ": cannot append"));
  }
  return absl::OkStatus();
}

// What the load generator talks to: honest validators only, since a
// Byzantine one may drop what its clients send.
std::vector<std::vector<std::string>> HonestAddresses(const Deployed& d) {
  std::vector<std::vector<std::string>> out(d.grpc_by_slice.size());
  for (const Validator& v : d.validators) {
    if (!v.byzantine) out[v.slice].push_back(v.grpc_address);
  }
  return out;
}

absl::StatusOr<std::vector<PlannedFault>> PlanClusterChaos(const Deployed& d,
                                                           const FaultFlags& flags,
                                                           uint32_t slices,
                                                           absl::Duration duration) {
  ChaosOptions options;
  options.seed = *flags.chaos_seed;
  options.duration = duration;
  options.slices = slices;
  options.candidates.resize(slices);
  for (const Validator& v : d.validators) {
    if (!v.byzantine) options.candidates[v.slice].push_back(v.index);
  }
  options.max_down = flags.max_down;
  options.over_f = flags.chaos_over_f;
  if (flags.chaos_down_max) {
    options.kill_down_max = options.pause_max = *flags.chaos_down_max;
    options.kill_down_min = std::min(options.kill_down_min, *flags.chaos_down_max);
    options.pause_min = std::min(options.pause_min, *flags.chaos_down_max);
  }
  return PlanChaos(options);
}

// The chaos thread: injects `plan` once the load starts, until it ends
// (`load_done`), then lists what it did in `log` and signals `chaos_done`.
// It stays until `cluster_done`: the validators it restarts die with it.
std::thread StartChaos(Deployed& d, std::vector<PlannedFault> plan, uint32_t max_down,
                       absl::Notification& load_started, absl::Notification& load_done,
                       absl::Notification& chaos_done, absl::Notification& cluster_done,
                       std::vector<InjectedFault>& log) {
  std::vector<ChaosTarget> targets;
  for (Validator& v : d.validators) {
    if (!v.byzantine) targets.push_back(ChaosTarget{v.slice, v.index, v.process.get()});
  }
  return std::thread([&, plan = std::move(plan), targets = std::move(targets), max_down] {
    load_started.WaitForNotification();
    ChaosRunOptions options;
    options.start = absl::Now();
    options.ready_prefix = kReadyPrefix;
    options.ready_timeout = kReadyTimeout;
    options.max_down = max_down;
    options.finish = &load_done;
    options.stop = &g_stop;
    options.log = [](const std::string& line) {
      std::printf("cluster: chaos %s\n", line.c_str());
      std::fflush(stdout);
    };
    log = RunChaos(plan, targets, options);
    chaos_done.Notify();
    cluster_done.WaitForNotification();
  });
}

// "chaos seed 7: 12 faults injected (...)" and one line per fault.
void DescribeChaos(const FaultFlags& flags, uint32_t validators,
                   const std::vector<InjectedFault>& log, RunConfig* config) {
  uint64_t kills = 0, pauses = 0, skipped = 0;
  for (const InjectedFault& f : log) {
    if (!f.skipped.empty()) {
      ++skipped;
    } else {
      ++(f.planned.kind == FaultKind::kKill ? kills : pauses);
    }
    config->fault_log.push_back(DescribeFault(f));
  }
  std::string text = absl::StrCat(
      "chaos seed ", *flags.chaos_seed, ": ", kills + pauses, " faults injected (", kills, " ",
      FaultKindName(FaultKind::kKill), ", ", pauses, " ", FaultKindName(FaultKind::kPause),
      "), ", skipped, " skipped; at most ", flags.max_down, " of ", validators,
      " validators per slice down at once", flags.chaos_over_f ? ", plus one phase over that" : "");
  config->faults = config->faults.empty() ? text : absl::StrCat(config->faults, "; ", text);
}

bool ChaosFailed(const std::vector<InjectedFault>& log) {
  for (const InjectedFault& f : log) {
    if (!f.error.empty()) {
      std::fprintf(stderr, "cluster: chaos fault failed: %s\n", DescribeFault(f).c_str());
      return true;
    }
  }
  return false;
}

// Every option of `gridledger cluster` as given.
struct ClusterArgs {
  uint64_t validators = 4;
  uint64_t slices = 1;
  uint64_t rate = 500;
  absl::Duration duration = absl::Seconds(20);
  absl::Duration drain = absl::Seconds(10);
  uint64_t accounts = 0;  // default: from --rate, --slices and the workload
  std::string backend = "auto";
  std::string dir;
  bool keep = false;
  std::string kill;
  absl::Duration restart;
  std::string json;
  std::string csv;
  FaultArgs faults;
  WorkloadOptions workload;
  std::string submit = "stream";  // how the load reaches the validators (loadgen.h SubmitPath)
  uint32_t archives = 0;
  uint32_t cross_slice_percent = 0;
  bool wipe = false;  // with --kill and --restart: restart with an empty data dir
  PacingArgs pacing;
};

void AddClusterOptions(CLI::App* app, ClusterArgs* a) {
  AddNumber<uint64_t>(app, "--validators", &a->validators, "validators per slice", 1,
                      kMaxClusterValidators);
  AddNumber<uint64_t>(app, "--slices", &a->slices, "slices", 1, 16);
  AddNumber<uint64_t>(app, "--rate", &a->rate, "transfers per second, open loop", 1,
                      1'000'000);
  AddDuration(app, "--duration", &a->duration, "how long to send");
  AddDuration(app, "--drain", &a->drain, "after sending: how long to wait for commits");
  AddNumber<uint64_t>(app, "--accounts", &a->accounts,
                      "funded accounts per slice (default: about 2 s between one account's "
                      "transfers, in [100, 20000]; microgrid: 2 per prosumer)",
                      2, kMaxGenesisAccounts)
      ->default_str("");
  AddChoice(app, "--backend", &a->backend, "every validator's signature verifier",
            {"auto", "cpu", "gpu"});
  app->add_option("--dir", a->dir,
                  "the deployment folder, new or empty (default: a temporary one, removed "
                  "at the end unless --keep)");
  app->add_flag("--keep", a->keep, "keep the temporary deployment, logs and stores");
  app->add_option("--kill", a->kill,
                  "k@T: SIGKILL k validators T after the load starts (aK@T: archive K)")
      ->check([](const std::string& v) {
        const absl::Status s = absl::StartsWith(v, "a") ? ParseArchiveKill(v).status()
                                                        : ParseKillSpec(v).status();
        return s.ok() ? std::string() : std::string(s.message());
      });
  AddDuration(app, "--restart", &a->restart, "--kill: restart them T after the load starts")
      ->default_str("");
  app->add_option("--json", a->json, "write the result as JSON to FILE");
  app->add_option("--csv", a->csv, "write the per-second series to FILE (and a PNG beside it)");
  AddFaultOptions(app, &a->faults);
  AddWorkloadOptions(app, &a->workload);
  AddChoice(app, "--submit", &a->submit,
            "stream (many transactions per message) or batch (one SubmitBatch call each)",
            {"stream", "batch"});
  AddNumber<uint32_t>(app, "--archives", &a->archives,
                      "archive nodes following every slice beside the validators", 0,
                      kMaxClusterArchives);
  AddNumber<uint32_t>(app, "--cross_slice_percent", &a->cross_slice_percent,
                      "percent of the transfers that pay an account of another slice", 0, 100);
  app->add_flag("--wipe", a->wipe,
                "with --kill and --restart: restart the killed validators with an empty data "
                "dir (they come back by state sync)");
  AddNumber<uint64_t>(app, "--batch_delay_ms", &a->pacing.batch_delay_ms,
                      "seal a batch this long after its first transaction (default: the "
                      "node's, core/consensus/params.h)",
                      1, node::kMaxBatchDelayMs)
      ->default_str("");
  AddNumber<uint64_t>(app, "--header_delay_ms", &a->pacing.header_delay_ms,
                      "propose a header at the latest this long after the previous one "
                      "(default: the node's)",
                      1, node::kMaxHeaderDelayMs)
      ->default_str("");
  AddNumber<uint64_t>(app, "--leader_timeout_ms", &a->pacing.leader_timeout_ms,
                      "how long to wait for an anchor before moving on (default: the node's)",
                      node::kMinLeaderTimeoutMs, node::kMaxLeaderTimeoutMs)
      ->default_str("");
  app->add_option("--defer_peer_verification", a->pacing.defer_peer_verification,
                  "true|false: spare peers defer verifying a batch that a certificate "
                  "usually proves first (default: the node's, on; core/consensus/params.h)");
  app->add_option("--availability_votes", a->pacing.availability_votes,
                  "true|false: with the deferral, 2f peers store an author's batches and vote "
                  "for availability only; f verify (default: the node's, on; params.h)");
}

int RunCluster(int argc, char** argv) {
  CLI::App app("Run n validators x S slices on loopback under load, check every store and "
               "print a summary.",
               "gridledger cluster");
  app.footer(kClusterFooter);
  ClusterArgs args;
  AddClusterOptions(&app, &args);
  GL_PARSE_ARGS_OR_RETURN(app, argc, argv);
  auto workload = WorkloadFromOptions(app, args.workload);
  if (!workload.ok()) return FailCluster(std::string(workload.status().message()), kExitUsage);
  // Enough senders that one account's transfers are ~2 s apart; the
  // microgrid needs a prosumer and a meter account per prosumer.
  if (app.count("--accounts") == 0) {
    args.accounts = workload->microgrid ? 2 * uint64_t{workload->prosumers}
                                     : std::clamp<uint64_t>(2 * args.rate / args.slices, 100, 20'000);
  }
  if (args.accounts > kMaxGenesisAccounts / args.slices) {
    return FailCluster(absl::StrCat("--accounts: ", args.accounts, " is outside [2, ",
                             kMaxGenesisAccounts / args.slices, "] for ", args.slices, " slices"),
                kExitUsage);
  }
  std::optional<KillSpec> kill_spec;
  std::optional<absl::Duration> restart_at;
  // --kill=aK@Ts: archive K is the victim (kill_spec->count stays 0).
  std::optional<uint32_t> kill_archive;
  if (absl::StartsWith(args.kill, "a")) {
    auto k = ParseArchiveKill(args.kill);
    if (!k.ok()) return FailCluster(std::string(k.status().message()), kExitUsage);
    if (k->index >= args.archives) {
      return FailCluster("--kill: no such archive (see --archives)", kExitUsage);
    }
    kill_archive = k->index;
    kill_spec = KillSpec{0, k->at};
  } else if (!args.kill.empty()) {
    auto k = ParseKillSpec(args.kill);
    if (!k.ok()) return FailCluster(std::string(k.status().message()), kExitUsage);
    if (k->count * 3 >= args.validators) {
      // More than f = (n-1)/3 faulty stops a slice; allowed, but say so.
      std::fprintf(stderr, "gridledger cluster: warning: killing %llu of %llu validators "
                   "exceeds f; slices may stall\n", static_cast<unsigned long long>(k->count),
                   static_cast<unsigned long long>(args.validators));
    }
    if (k->count > args.validators * args.slices) {
      return FailCluster("--kill: more validators than exist", kExitUsage);
    }
    kill_spec = *k;
  }
  if (app.count("--restart") > 0) {
    if (!kill_spec) return FailCluster("--restart needs --kill", kExitUsage);
    if (args.restart <= kill_spec->at) {
      return FailCluster("--restart must come after the --kill time", kExitUsage);
    }
    restart_at = args.restart;
  }
  if (args.wipe && !restart_at) return FailCluster("--wipe needs --kill and --restart", kExitUsage);
  const bool wipe = args.wipe;
  auto fault_flags = ParseFaultFlags(app, args.faults, args.validators, kill_spec.has_value());
  if (!fault_flags.ok()) {
    return FailCluster(std::string(fault_flags.status().message()), kExitUsage);
  }

  // The deployment folder: given, or a fresh temporary one.
  std::string dir = args.dir;
  const bool temporary = dir.empty();
  if (temporary) {
    std::string pattern = (std::filesystem::temp_directory_path() / "gridledger-cluster-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) return FailCluster("mkdtemp failed", 1);
    dir = pattern;
  } else {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_empty(dir)) {
      return FailCluster("--dir must be a new or empty folder", 2);
    }
    dir = std::filesystem::absolute(dir).string();
  }

  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);

  int exit_code = 0;
  {
    const std::optional<MarketTiming> market_timing =
        workload->microgrid ? std::optional<MarketTiming>(CompressedMarketTiming()) : std::nullopt;
    auto deployed = WriteDeployment(dir, static_cast<uint32_t>(args.slices),
                                    static_cast<uint32_t>(args.validators), args.accounts, args.backend,
                                    market_timing, args.pacing);
    if (!deployed.ok()) {
      exit_code = FailCluster(std::string(deployed.status().message()), 1);
    } else {
      exit_code = [&]() -> int {
        Deployed& d = *deployed;
        if (absl::Status s = MarkByzantine(d, *fault_flags); !s.ok()) {
          return FailCluster(std::string(s.message()), 1);
        }
        std::vector<PlannedFault> chaos_plan;
        if (fault_flags->chaos_seed) {
          auto plan = PlanClusterChaos(d, *fault_flags, static_cast<uint32_t>(args.slices), args.duration);
          if (!plan.ok()) return FailCluster(std::string(plan.status().message()), 2);
          chaos_plan = std::move(*plan);
          std::printf("cluster: chaos seed %llu: %zu faults planned\n",
                      static_cast<unsigned long long>(*fault_flags->chaos_seed),
                      chaos_plan.size());
        }
        std::printf("cluster: %llu slice(s) x %llu validators in %s\n",
                    static_cast<unsigned long long>(args.slices),
                    static_cast<unsigned long long>(args.validators), dir.c_str());
        for (Validator& v : d.validators) {
          if (absl::Status s = v.process->Start(); !s.ok()) {
            StopAll(d);
            return FailCluster(std::string(s.message()), 1);
          }
        }
        for (Validator& v : d.validators) {
          auto line = v.process->WaitForLine(kReadyPrefix, kReadyTimeout, &g_stop);
          if (!line.ok()) {
            StopAll(d);
            return FailCluster(absl::StrCat("validator ", v.slice, "/", v.index, ": ",
                                     line.status().message()),
                        1);
          }
        }
        std::printf("cluster: all %zu validators ready\n", d.validators.size());
        std::fflush(stdout);
        // --archives: started once the validators serve; each prints its port.
        auto archives_written = WriteArchives(dir, args.archives,
                                              d.grpc_by_slice);
        if (!archives_written.ok()) {
          StopAll(d);
          return FailCluster(std::string(archives_written.status().message()), 1);
        }
        std::vector<ClusterArchive>& archives = *archives_written;
        for (ClusterArchive& a : archives) {
          if (absl::Status s = StartArchive(a, &g_stop); !s.ok()) {
            StopAll(d);
            return FailCluster(std::string(s.message()), 1);
          }
        }
        if (!archives.empty()) {
          std::printf("cluster: %zu archive(s) ready\n", archives.size());
          std::fflush(stdout);
        }
        // The verification bound, calibrated in this process right before
        // and right after the load (issue 12 item 6).
        CpuCost cpu;
        cpu.bound.cores = UsableCores();
        cpu.bound.validators = static_cast<uint32_t>(args.validators);
        cpu.bound.verify_us_before = MeasureVerifyCostUs(kVerifyCalibrationCount);
        RunConfig config;
        config.validators = static_cast<uint32_t>(args.validators);
        config.slices = static_cast<uint32_t>(args.slices);
        config.rate_per_s = args.rate;
        config.duration = args.duration;
        if (workload->microgrid) config.workload = DescribeMicrogrid(*workload, *market_timing);
        {
          const consensus::Parameters defaults;
          auto pick = [](uint64_t given, uint64_t fallback) { return given != 0 ? given : fallback; };
          config.pacing = absl::StrCat(
              "batch delay ", pick(args.pacing.batch_delay_ms, defaults.max_batch_delay_ms),
              " ms, header delay ", pick(args.pacing.header_delay_ms, defaults.max_header_delay_ms),
              " ms, leader timeout ",
              pick(args.pacing.leader_timeout_ms, defaults.leader_timeout_ms),
              " ms, peer-batch deferral ",
              args.pacing.defer_peer_verification.value_or(defaults.defer_peer_verification)
                  ? "on"
                  : "off",
              ", availability votes ",
              args.pacing.availability_votes.value_or(defaults.availability_votes) ? "on"
                                                                                   : "off");
        }
        if (auto info = NodeInfo(d.validators[0].grpc_address); info.ok()) {
          config.verifier_backend = info->verifier_backend();
        }
        if (kill_spec) {
          config.faults = absl::StrCat("kill ", kill_archive ? absl::StrCat("archive a", *kill_archive)
                                                             : absl::StrCat(kill_spec->count),
                                       "@", absl::FormatDuration(kill_spec->at));
          if (restart_at) absl::StrAppend(&config.faults, ", restart ",
                                          absl::FormatDuration(*restart_at));
          if (wipe) absl::StrAppend(&config.faults, " with an empty data dir (state sync)");
        }
        if (fault_flags->byzantine > 0) {
          config.faults = absl::StrCat("byzantine: last ", fault_flags->byzantine,
                                       " validator(s) of each slice (",
                                       fault_flags->behaviours.ToString(),
                                       "), load sent to honest validators only");
        }

        // Victims: the highest-index validators, spread over the slices, so
        // validator 0 of each slice (the first commit stream) survives.
        std::vector<Validator*> victims;
        for (uint32_t i = args.validators; i-- > 0 && kill_spec && victims.size() < kill_spec->count;) {
          for (uint32_t s = 0; s < args.slices && victims.size() < kill_spec->count; ++s) {
            victims.push_back(&d.validators[s * args.validators + i]);
          }
        }
        // faults_done ends fault injection; cluster_done lets the fault
        // thread exit. It must outlive the processes it restarts: their
        // PR_SET_PDEATHSIG fires when the thread that forked them exits.
        absl::Notification load_started, faults_done, cluster_done;
        std::atomic<bool> fault_failed{false};
        // Victims killed and not (yet) restarted: their stores are not compared.
        absl::Mutex down_mu;
        std::set<const Validator*> down;
        // --wipe: the load generator learns of each victim's kill, since a
        // victim killed while nothing was in flight to it breaks no
        // connection it sees, yet loses what it acknowledged.
        const std::vector<std::vector<std::string>> honest = HonestAddresses(d);
        ValidatorEpochs epochs(ValidatorEpochs::ShapeOf(honest));
        auto inject_faults = [&] {
          load_started.WaitForNotification();
          const absl::Time start = absl::Now();
          auto sleep_until = [&](absl::Time t) {
            while (absl::Now() < t && !g_stop.load() && !faults_done.HasBeenNotified()) {
              absl::SleepFor(absl::Milliseconds(20));
            }
            return !g_stop.load() && !faults_done.HasBeenNotified();
          };
          if (!sleep_until(start + kill_spec->at)) return;
          if (kill_archive) {
            archives[*kill_archive].process->Kill();
            std::printf("cluster: t=%s SIGKILL archive a%u\n",
                        absl::FormatDuration(absl::Now() - start).c_str(), *kill_archive);
          }
          for (Validator* v : victims) {
            v->process->Kill();
            {
              absl::MutexLock lock(&down_mu);
              down.insert(v);
            }
            if (wipe) epochs.MarkRestarted(v->slice, v->index);  // no --byzantine with --kill
            std::printf("cluster: t=%s SIGKILL validator %u/%u\n",
                        absl::FormatDuration(absl::Now() - start).c_str(), v->slice, v->index);
          }
          std::fflush(stdout);
          if (!restart_at || !sleep_until(start + *restart_at)) return;
          if (kill_archive) {
            if (!StartArchive(archives[*kill_archive], &g_stop).ok()) fault_failed.store(true);
            std::printf("cluster: t=%s restart archive a%u\n",
                        absl::FormatDuration(absl::Now() - start).c_str(), *kill_archive);
          }
          for (Validator* v : victims) {
            if (wipe) {  // an empty disk: it must come back by state sync
              std::error_code ec;
              std::filesystem::remove_all(v->data_dir, ec);
              std::filesystem::create_directories(v->data_dir, ec);
              if (ec) fault_failed.store(true);
            }
            if (!v->process->Start().ok()) {
              fault_failed.store(true);
            } else {
              absl::MutexLock lock(&down_mu);
              down.erase(v);
            }
            std::printf("cluster: t=%s restart validator %u/%u%s\n",
                        absl::FormatDuration(absl::Now() - start).c_str(), v->slice, v->index,
                        wipe ? " with an empty data dir" : "");
          }
          std::fflush(stdout);
          for (Validator* v : victims) {
            if (!v->process->WaitForLine(kReadyPrefix, kReadyTimeout, &g_stop).ok()) {
              fault_failed.store(true);
            }
          }
        };
        std::thread faults([&] {
          if (!kill_spec) return;
          inject_faults();
          cluster_done.WaitForNotification();
        });
        absl::Notification chaos_done;
        std::vector<InjectedFault> chaos_log;
        std::thread chaos;
        if (fault_flags->chaos_seed) {
          chaos = StartChaos(d, std::move(chaos_plan), fault_flags->max_down, load_started,
                             faults_done, chaos_done, cluster_done, chaos_log);
        } else {
          chaos_done.Notify();
        }

        auto deployment = LoadDeployment(dir);
        LoadgenOptions options;
        options.rate_per_s = args.rate;
        options.duration = args.duration;
        options.drain = args.drain;
        options.submit_path = args.submit == "batch" ? SubmitPath::kBatch : SubmitPath::kStream;
        options.grpc_by_slice = honest;
        options.epochs = &epochs;
        options.cross_slice_percent = args.cross_slice_percent;
        options.stop = &g_stop;
        // Steady-window probes; not with faults, which restart validators
        // (their pids change under the probe).
        const bool faults_injected = kill_spec.has_value() || fault_flags->chaos_seed.has_value();
        const absl::Duration window_end = SteadyWindowEnd(args.duration);
        SteadyWindowSampler sampler(
            [&d] {
              WindowProbe probe;
              for (const Validator& v : d.validators) {
                ValidatorProbe vp;
                vp.pid = v.process->running() ? v.process->pid() : -1;
                vp.cpu_s = v.process->CpuSeconds();
                vp.threads = v.process->ThreadCpuSeconds();
                probe.validators.push_back(vp);
              }
              for (size_t i = 0; i < d.validators.size(); ++i) {
                auto counters = FetchCounters(d.validators[i].grpc_address);
                if (counters.ok()) probe.validators[i].counters = *std::move(counters);
              }
              probe.harness_cpu_s = ProcessCpuSeconds();
              return probe;
            },
            kSteadyWindowBegin, std::max(window_end, kSteadyWindowBegin + absl::Seconds(1)));
        options.on_start = [&] {
          load_started.Notify();
          if (!faults_injected && window_end > kSteadyWindowBegin) sampler.Start(absl::Now());
        };
        // --workload=microgrid: the prepared market schedule replaces --rate.
        absl::StatusOr<PreparedMicrogrid> microgrid = absl::UnknownError("not planned");
        if (deployment.ok() && workload->microgrid) {
          microgrid = PrepareMicrogrid(dir, *deployment, *workload, args.duration,
                                       FreshNonces(*deployment));
          if (microgrid.ok()) {
            UseMicrogrid(*microgrid, &options);
            config.rate_per_s = static_cast<uint64_t>(
                microgrid->plan.txs.size() / std::max(1.0, absl::ToDoubleSeconds(args.duration)));
          }
        }
        absl::StatusOr<LoadgenResult> result = absl::UnknownError("not run");
        if (!deployment.ok()) {
          result = deployment.status();
        } else if (workload->microgrid && !microgrid.ok()) {
          result = microgrid.status();
        } else {
          result = RunLoad(*deployment, options);
        }
        const auto window_probes = sampler.Finish();
        cpu.bound.verify_us_after = MeasureVerifyCostUs(kVerifyCalibrationCount);
        if (result.ok() && workload->microgrid && !WaitForSettlement(microgrid->plan, &g_stop)) {
          std::fprintf(stderr, "cluster: stopped before the last market interval settled\n");
        }
        if (!load_started.HasBeenNotified()) load_started.Notify();
        faults_done.Notify();
        double archive_cpu_s = 0;  // read as the archives stop
        auto finish = [&] {
          chaos_done.WaitForNotification();  // no restart races the stop
          // Archives first: the validators' later (idle) commits then show
          // as behind_commits rather than as a moving target.
          for (ClusterArchive& a : archives) {
            archive_cpu_s += a.process->CpuSeconds();
            a.process->Stop(kStopGrace);
          }
          StopAll(d);
          cluster_done.Notify();
          faults.join();
          if (chaos.joinable()) chaos.join();
        };
        if (!result.ok()) {
          finish();
          return FailCluster(std::string(result.status().message()), 1);
        }
        if (fault_failed.load()) std::fprintf(stderr, "cluster: a restarted validator failed to start\n");
        chaos_done.WaitForNotification();  // every validator resumed or restarted
        const bool chaos_failed = ChaosFailed(chaos_log);
        if (fault_flags->chaos_seed) {
          DescribeChaos(*fault_flags, static_cast<uint32_t>(args.validators), chaos_log, &config);
        }

        // Cross-slice receipts still relayed after the load: wait for them.
        if (args.cross_slice_percent > 0 &&
            !WaitReceiptsCredited(HonestAddresses(d), kSettleTimeout)) {
          std::fprintf(stderr, "cluster: receipts still in flight after %s\n",
                       absl::FormatDuration(kSettleTimeout).c_str());
        }
        const bool settled = Settle(d, config.slices);
        if (!settled) std::fprintf(stderr, "cluster: validators did not reach the same commit within %s\n",
                                   absl::FormatDuration(kSettleTimeout).c_str());
        absl::Duration archive_drain;
        if (!archives.empty() && !DrainArchives(archives, HonestAddresses(d), kArchiveDrainTimeout,
                                                &g_stop, &archive_drain)) {
          std::fprintf(stderr, "cluster: archives did not reach the validators within %s\n",
                       absl::FormatDuration(kArchiveDrainTimeout).c_str());
        }
        cpu.verify_cost_us = cpu.bound.verify_us();
        if (window_probes.has_value() && result->series.buckets().size() > 0) {
          cpu.steady = ComputeSteadyCost(window_probes->first, window_probes->second,
                                         result->series, kSteadyWindowBegin, window_end);
        } else {
          cpu.steady.not_measured = faults_injected ? "faults restart validators in the window"
                                    : window_end <= kSteadyWindowBegin
                                        ? "the load is shorter than 2 s"
                                        : "the load ended before the window did";
        }
        for (const Validator& v : d.validators) {
          cpu.process_cpu_s += v.process->CpuSeconds();
          if (v.process->running()) {
            auto counters = FetchCounters(v.grpc_address);
            if (counters.ok()) cpu.signatures_verified += counters->signatures_verified();
          }
        }
        finish();

        StoreCheck check;
        MarketReport market;
        ArchiveReport archive_report;
        archive_report.archives = static_cast<uint32_t>(archives.size());
        if (!g_stop.load()) {
          std::vector<std::vector<std::string>> store_dirs(config.slices);
          for (const Validator& v : d.validators) {
            if (v.byzantine) continue;
            // A validator killed and not restarted cannot have caught up: its
            // store is not compared (its acknowledged transactions are durable
            // on its disk and commit when it restarts).
            bool is_down = false;
            {
              absl::MutexLock lock(&down_mu);
              is_down = down.contains(&v);
            }
            if (is_down) {
              std::printf("cluster: validator %u/%u is down at the end; its store is not compared\n",
                          v.slice, v.index);
              continue;
            }
            store_dirs[v.slice].push_back(v.data_dir);
          }
          auto read = ReadMarketFromStores(store_dirs, deployment->genesis);
          if (read.ok()) {
            market = *std::move(read);
          } else {
            std::fprintf(stderr, "cluster: market and money check failed: %s\n",
                         std::string(read.status().message()).c_str());
          }
          if (!archives.empty()) {
            auto checked_archives = CheckArchives(archives, store_dirs);
            if (checked_archives.ok()) {
              archive_report = *std::move(checked_archives);
              archive_report.drain = archive_drain;
              archive_report.cpu_s = archive_cpu_s;
              archive_report.committed_txs = result->committed;
            } else {
              std::fprintf(stderr, "cluster: archive check failed: %s\n",
                           std::string(checked_archives.status().message()).c_str());
            }
          }
          auto checked = CheckStores(store_dirs, result->acked_commits);
          if (checked.ok()) {
            check = *checked;
          } else {
            std::fprintf(stderr, "cluster: store check failed: %s\n",
                         std::string(checked.status().message()).c_str());
          }
        }
        std::fputs(SummaryText(config, *result, check, cpu).c_str(), stdout);
        std::fputs(MarketSummaryText(market, workload->microgrid).c_str(), stdout);
        std::fputs(ArchiveSummaryText(archive_report).c_str(), stdout);
        std::fflush(stdout);
        if (!args.json.empty()) {
          absl::Status s = WriteTextFile(
              args.json,
              WithArchiveJson(ResultJson(config, *result, check, cpu, &market), archive_report));
          if (!s.ok()) return FailCluster(std::string(s.message()), 1);
        }
        if (!args.csv.empty()) {
          absl::Status s = WriteTextFile(args.csv, SeriesCsv(result->series));
          if (!s.ok()) return FailCluster(std::string(s.message()), 1);
          PlotBesideCsv(args.csv, config);
          if (workload->microgrid) {
            PlotMarketBesideCsv(MarketCsvPathFor(args.csv), MarketCsv(market),
                                config);
          }
        }
        if (g_stop.load()) return 130;
        return check.done && settled && !chaos_failed && check.missing == 0 &&
                       check.result_mismatches == 0 && check.state_mismatches == 0 &&
                       market.done && market.money_conserved && market.disagreements == 0 &&
                       (archives.empty() || (archive_report.done && archive_report.agrees))
                   ? 0
                   : 3;
      }();
    }
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (temporary && !args.keep) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  } else {
    std::printf("cluster: deployment, logs and stores kept in %s\n", dir.c_str());
  }
  return exit_code;
}

}  // namespace
}  // namespace gridledger::tools

GL_REGISTER_COMMAND(cluster, "run n validators x S slices on loopback under load; print a summary",
                    gridledger::tools::RunCluster);
