// `gridledger genesis --validators=4 --slices=1 --accounts=N --balance=MICROUNITS
//  --out=DIR [--base_port=PORT] [--host=HOST] [--market_interval_ms=900000]
//  [--gate_closure_ms=300000] [--reading_window_ms=3600000]`
// `gridledger genesis ... --out=DIR --hosts=FILE [--config_dir=/etc/gridledger]
//  [--data_root=/var/lib/gridledger] [--grpc_base_port=7300]
//  [--metrics_base_port=7400] [--backend=auto] [--api_tls]`
//
// Writes into DIR (never overwriting a file):
//   validator-<slice>-<i>.key  each validator's secret key (hex line, mode 0600)
//   dso.key                    the DSO's secret key (mode 0600)
//   accounts.keys              one funded account per line: "<slice> <secret hex>"
//                              (mode 0600; account j lives in slice j % slices)
//   genesis.toml               the genesis (TOML; format: core/execution/genesis.h)
// Validator i of slice s listens on HOST:(base_port + s * validators + i).
// With --hosts (several machines; tools/host_configs.h) validator
// k = s * validators + i listens on line k of FILE ("IP" or "IP:PORT"), and
// DIR also gets, for copying to each machine (docs/deploy.md):
//   node-<slice>-<i>.toml      its node config (TOML), with paths under --config_dir
//                              and --data_root, gRPC on IP:(grpc_base_port + k),
//                              metrics on IP:(metrics_base_port + k), [[relay]]
//                              targets (the other slices' client APIs) and, with
//                              --api_tls, the TLS files and relay_tls_ca
//   prometheus-targets.json    every metrics address, for Prometheus file_sd
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/crypto/schnorr.h"
#include "core/execution/genesis.h"
#include "core/common/file_read.h"
#include "tools/cli.h"
#include "tools/command.h"
#include "tools/file_util.h"
#include "tools/host_configs.h"

namespace gridledger::tools {
namespace {

constexpr char kGenesisFooter[] =
    "Writes DIR/genesis.toml, DIR/dso.key, DIR/validator-<slice>-<i>.key and DIR/accounts.keys\n"
    "(never overwriting). Validator i of slice s listens on\n"
    "HOST:(base_port + s * validators + i); with --hosts, on line s * validators + i of FILE,\n"
    "and DIR also gets node-<slice>-<i>.toml and prometheus-targets.json (docs/deploy.md).\n"
    "exit: 0 ok, 1 bad input (hosts file, existing files), 2 usage";
constexpr uint64_t kDefaultBasePort = 7100;

int FailGenesis(const std::string& message) {
  return CommandFailed("genesis", message, kExitBadInput);
}

struct Args {
  uint64_t validators = 4;
  uint64_t slices = 1;
  uint64_t accounts = 0;
  uint64_t balance = 0;
  uint64_t base_port = kDefaultBasePort;
  std::string host = "127.0.0.1";
  std::string out;
  std::string hosts_file;  // empty: every validator on `host`
  HostLayout layout;
  MarketTiming market;  // genesis bounds check it (ValidateGenesis)
};

// Declares the options on `app`; the checks that involve several of them
// run after parsing (CheckArgs).
void AddGenesisOptions(CLI::App* app, Args* args) {
  AddNumber<uint64_t>(app, "--validators", &args->validators, "validators per slice", 1,
                      kMaxValidatorsPerSlice);
  AddNumber<uint64_t>(app, "--slices", &args->slices, "slices", 1, kMaxGenesisSlices);
  AddNumber<uint64_t>(app, "--accounts", &args->accounts,
                      "funded accounts (account j lives in slice j % slices)", 0,
                      kMaxGenesisAccounts)
      ->required();
  AddNumber<uint64_t>(app, "--balance", &args->balance, "each account's balance, micro-units", 0,
                      kMaxGenesisBalance)
      ->required();
  AddPath(app, "--out", &args->out, "the directory to write into")->required();
  AddNumber<uint64_t>(app, "--base_port", &args->base_port, "the first validator's peer port",
                      1, 65535);
  app->add_option("--host", args->host, "every validator's address (one machine)")
      ->capture_default_str();
  app->add_option("--hosts", args->hosts_file,
                  "several machines: one IP or IP:PORT per validator, slice-major");
  AddNumber(app, "--market_interval_ms", &args->market.interval_ms, "market interval length");
  AddNumber(app, "--gate_closure_ms", &args->market.gate_closure_ms,
            "orders close this long before the interval starts");
  AddNumber(app, "--reading_window_ms", &args->market.reading_window_ms,
            "meter readings are accepted this long after the interval ends");
  app->add_option("--config_dir", args->layout.config_dir,
                  "--hosts: where each machine keeps genesis, keys and node configs")
      ->capture_default_str();
  app->add_option("--data_root", args->layout.data_root,
                  "--hosts: where each machine's stores live")
      ->capture_default_str();
  AddNumber<uint64_t>(app, "--grpc_base_port", &args->layout.grpc_base_port,
                      "--hosts: validator k serves its client API on grpc_base_port + k", 1, 65535);
  AddNumber<uint64_t>(app, "--metrics_base_port", &args->layout.metrics_base_port,
                      "--hosts: validator k serves /metrics on metrics_base_port + k", 1, 65535);
  AddChoice(app, "--backend", &args->layout.backend, "--hosts: each node's signature verifier",
            {"auto", "cpu", "gpu"});
  app->add_flag("--api_tls", args->layout.api_tls,
                "--hosts: each node serves its client API over TLS with "
                "config_dir/api-<slice>-<i>.crt and .key, and its receipt relay trusts "
                "config_dir/ca.crt (docs/deploy.md)");
}

// The rules across options; the message names them.
std::string CheckArgs(const CLI::App& app, const Args* args) {
  const bool has_hosts = app.count("--hosts") > 0;
  const bool layout_flags = app.count("--config_dir") + app.count("--data_root") +
                                app.count("--grpc_base_port") + app.count("--metrics_base_port") +
                                app.count("--backend") + app.count("--api_tls") > 0;
  if (app.count("--host") > 0 && has_hosts)
    return "--host and --hosts exclude each other (--hosts names every validator's address)";
  if (layout_flags && !has_hosts)
    return "--config_dir, --data_root, --grpc_base_port, --metrics_base_port, --backend and "
           "--api_tls shape the node configs, which only --hosts=FILE writes";
  if (args->accounts > 0 && args->balance > UINT64_MAX / args->accounts)
    return "--accounts times --balance overflows 64 bits";
  if (args->base_port + args->slices * args->validators - 1 > 65535)
    return "--base_port: validator ports must fit in [1, 65535]";
  return "";
}

int RunGenesis(int argc, char** argv) {
  CLI::App app("Generate validator, DSO and account keys plus genesis.toml.",
               "gridledger genesis");
  app.footer(kGenesisFooter);
  Args args;
  AddGenesisOptions(&app, &args);
  GL_PARSE_ARGS_OR_RETURN(app, argc, argv);
  std::string error = CheckArgs(app, &args);
  if (!error.empty()) {
    std::fprintf(stderr, "gridledger genesis: %s\nRun with --help for more information.\n",
                 error.c_str());
    return kExitUsage;
  }
  args.layout.peer_base_port = args.base_port;
  // Every validator's address and ports: one host, or a line of --hosts each.
  std::vector<ValidatorPlacement> placements;
  if (!args.hosts_file.empty()) {
    auto text = ReadFileBounded(args.hosts_file, kMaxHostsFileBytes, "hosts file");
    if (!text.ok()) return FailGenesis(std::string(text.status().message()));
    auto entries = ParseHostsFile(*text, args.slices * args.validators);
    if (!entries.ok()) {
      return FailGenesis(absl::StrCat(args.hosts_file, ": ", entries.status().message()));
    }
    auto placed = PlaceValidators(*entries, static_cast<uint32_t>(args.slices),
                                  static_cast<uint32_t>(args.validators), args.layout);
    if (!placed.ok()) return FailGenesis(std::string(placed.status().message()));
    placements = std::move(*placed);
  }
  Genesis genesis;
  const KeyPair dso = KeyPair::Generate();
  genesis.dso = dso.public_key();
  genesis.market = args.market;
  std::vector<std::pair<std::string, std::string>> key_files;  // path, content
  key_files.emplace_back(args.out + "/dso.key", dso.secret().Hex() + "\n");
  for (uint64_t s = 0; s < args.slices; ++s) {
    GenesisSlice slice{SliceId(static_cast<uint32_t>(s)), {}};
    for (uint64_t i = 0; i < args.validators; ++i) {
      const KeyPair key = KeyPair::Generate();
      const uint64_t k = s * args.validators + i;
      const uint64_t port = placements.empty() ? args.base_port + k : placements[k].peer_port;
      slice.validators.push_back(GenesisValidator{
          key.public_key(), placements.empty() ? args.host : placements[k].ip,
          static_cast<uint16_t>(port)});
      key_files.emplace_back(absl::StrCat(args.out, "/validator-", s, "-", i, ".key"),
                             key.secret().Hex() + "\n");
    }
    genesis.slices.push_back(std::move(slice));
  }
  std::string accounts_file;
  for (uint64_t j = 0; j < args.accounts; ++j) {
    const KeyPair key = KeyPair::Generate();
    const SliceId slice(static_cast<uint32_t>(j % args.slices));
    genesis.accounts.push_back(
        GenesisAccount{AccountRef{slice, key.public_key()}, Amount(args.balance)});
    absl::StrAppend(&accounts_file, slice.value(), " ", key.secret().Hex(), "\n");
  }
  key_files.emplace_back(args.out + "/accounts.keys", accounts_file);
  std::vector<std::pair<std::string, std::string>> public_files;  // path, content
  for (const ValidatorPlacement& v : placements) {
    public_files.emplace_back(args.out + "/" + NodeConfigFileName(v), NodeConfigText(v, placements, args.layout));
  }
  if (!placements.empty()) {
    public_files.emplace_back(args.out + "/prometheus-targets.json",
                              PrometheusTargetsJson(placements));
  }
  // Catches a bad --host (the format allows letters, digits, '.', '-').
  if (absl::Status valid = ValidateGenesis(genesis); !valid.ok()) {
    return FailGenesis(std::string(valid.message()));
  }
  std::error_code ec;
  std::filesystem::create_directories(args.out, ec);
  if (ec) return FailGenesis(args.out + ": " + ec.message());
  const std::string genesis_path = args.out + "/genesis.toml";
  if (std::filesystem::exists(genesis_path)) {
    return FailGenesis(genesis_path + " already exists: refusing to overwrite");
  }

  for (const auto& [path, content] : key_files) {
    if (!WriteNewFile(path, content, 0600, &error)) return FailGenesis(error);
  }
  for (const auto& [path, content] : public_files) {
    if (!WriteNewFile(path, content, 0644, &error)) return FailGenesis(error);
  }
  if (!WriteNewFile(genesis_path, SerializeGenesis(genesis), 0644, &error)) {
    return FailGenesis(error);
  }

  std::printf("genesis written to %s\n", genesis_path.c_str());
  std::printf("  chain id     %s (the genesis digest; every signature is bound to it)\n",
              GenesisDigest(genesis).Hex().c_str());
  std::printf("  dso          %s (secret: %s/dso.key)\n", genesis.dso.Hex().c_str(),
              args.out.c_str());
  if (placements.empty()) {
    std::printf("  slices       %llu x %llu validators (ports %llu..%llu on %s)\n",
                static_cast<unsigned long long>(args.slices),
                static_cast<unsigned long long>(args.validators),
                static_cast<unsigned long long>(args.base_port),
                static_cast<unsigned long long>(args.base_port + args.slices * args.validators - 1),
                args.host.c_str());
  } else {
    std::printf("  slices       %llu x %llu validators on the hosts of %s\n",
                static_cast<unsigned long long>(args.slices),
                static_cast<unsigned long long>(args.validators), args.hosts_file.c_str());
    for (const ValidatorPlacement& v : placements) {
      std::printf("    %u/%u  peer %s:%u  grpc %s:%u  metrics %s:%u  -> %s/%s\n", v.slice, v.index,
                  v.ip.c_str(), v.peer_port, v.ip.c_str(), v.grpc_port, v.ip.c_str(),
                  v.metrics_port, args.out.c_str(), NodeConfigFileName(v).c_str());
    }
    std::printf("  node configs expect genesis.toml and validator-<slice>-<index>.key in %s and\n"
                "  stores under %s on each host (docs/deploy.md); Prometheus targets: "
                "%s/prometheus-targets.json\n",
                args.layout.config_dir.c_str(), args.layout.data_root.c_str(), args.out.c_str());
  }
  std::printf("  accounts     %llu x %llu micro-units (secrets: %s/accounts.keys)\n",
              static_cast<unsigned long long>(args.accounts),
              static_cast<unsigned long long>(args.balance), args.out.c_str());
  std::printf("  market       intervals of %llu ms, gate closure %llu ms, reading window %llu ms\n",
              static_cast<unsigned long long>(genesis.market.interval_ms),
              static_cast<unsigned long long>(genesis.market.gate_closure_ms),
              static_cast<unsigned long long>(genesis.market.reading_window_ms));
  std::printf("  validator secrets: %s/validator-<slice>-<index>.key\n", args.out.c_str());
  return 0;
}

}  // namespace
}  // namespace gridledger::tools

GL_REGISTER_COMMAND(genesis, "generate validator, DSO and account keys plus genesis.toml",
                    gridledger::tools::RunGenesis);
