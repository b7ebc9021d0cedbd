// gridledger node --config=FILE: runs one validator until SIGINT or SIGTERM.
//
// Contract with parent processes (gridledger cluster, tests):
//   stdout: exactly one line "gridledger node ready slice=S index=I grpc=HOST:PORT"
//           (flushed) once the gRPC API serves; nothing else goes to stdout.
//   stderr: log lines "<UTC time> <level> [slice/index] <message>"
//           (core/common/log.h; level set by the config's log_level): verifier
//           choice and reason, peer transport events, consensus refusals.
//   exit 0: clean shutdown after SIGINT/SIGTERM;
//   exit 1: start-up failed (bad genesis/key/data dir, port in use) or the
//           consensus thread stopped on a storage fault;
//   exit 2: usage error (no --config, unreadable or invalid config file).
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/heap_tuning.h"
#include "core/common/log.h"
#include "net/node/config.h"
#include "net/node/node.h"
#include "tools/cli.h"
#include "tools/command.h"

namespace gridledger::tools {
namespace {

// How often the main thread checks the node's health while waiting for a signal.
constexpr long kHealthCheckPeriodNs = 200'000'000;

int RunNode(int argc, char** argv) {
  CLI::App app("Run one validator until SIGINT or SIGTERM.", "gridledger node");
  app.footer("exit: 0 clean shutdown, 1 start-up failed or storage fault, 2 usage or bad config");
  std::string path;
  AddPath(&app, "--config", &path, "node config file (TOML, net/node/config.h)")->required();
  GL_PARSE_ARGS_OR_RETURN(app, argc, argv);
  auto config = node::LoadNodeConfig(path);
  if (!config.ok()) {
    std::fprintf(stderr, "gridledger node: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  // Block the stop signals in every thread (threads inherit the mask) and
  // take them synchronously here, so shutdown runs on a normal thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // Before any thread allocates: the node's buffers of megabytes are freed
  // and taken again every block (core/common/heap_tuning.h).
  const HeapTuning heap = KeepLargeAllocationsInHeap();
  const Logger logger =
      Logger::ForNode(config->slice, config->validator_index, config->log_level);
  auto node = node::Node::Start(*config);
  if (!node.ok()) {
    logger.Error(absl::StrCat("start failed: ", node.status().ToString()));
    return 1;
  }
  logger.Info(absl::StrCat("slice ", config->slice, " validator ", config->validator_index,
                           ": verifier ", (*node)->verifier_name(), " (",
                           (*node)->verifier_reason(), "); peer port ", (*node)->peer_port(),
                           ", metrics port ", (*node)->metrics_port(), "; ",
                           heap.description));
  std::printf("gridledger node ready slice=%u index=%u grpc=%s\n", config->slice,
              config->validator_index, (*node)->grpc_address().c_str());
  std::fflush(stdout);

  int exit_code = 0;
  for (;;) {
    const timespec period{0, kHealthCheckPeriodNs};
    const int sig = sigtimedwait(&stop_signals, nullptr, &period);
    if (sig == SIGINT || sig == SIGTERM) {
      logger.Info(absl::StrCat("signal ", sig, ", stopping"));
      break;
    }
    if (absl::Status health = (*node)->health(); !health.ok()) {
      logger.Error(absl::StrCat("stopping after fatal error: ", health.ToString()));
      exit_code = 1;
      break;
    }
  }
  (*node)->Stop();
  node->reset();
  logger.Info("stopped");
  return exit_code;
}

}  // namespace

GL_REGISTER_COMMAND(node, "run a validator: gridledger node --config=FILE", RunNode);

}  // namespace gridledger::tools
