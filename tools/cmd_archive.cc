// gridledger archive --config=FILE: runs an archive node (net/archive/) until
// SIGINT or SIGTERM. It follows every slice of the genesis from the
// validators named in the config, verifies and executes their commits, and
// serves the read side of the client API across slices.
//
// Contract with parent processes (gridledger cluster, tests), as `node`'s:
//   stdout: exactly one line "gridledger archive ready slices=S grpc=HOST:PORT"
//           (flushed) once the gRPC API serves; nothing else goes to stdout.
//   stderr: log lines tagged [slice/65535].
//   exit 0: clean shutdown; 1: start-up failed; 2: usage error.
#include <signal.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/log.h"
#include "net/archive/archive_config.h"
#include "net/archive/archive_node.h"
#include "tools/cli.h"
#include "tools/command.h"

namespace gridledger::tools {
namespace {

int RunArchive(int argc, char** argv) {
  CLI::App app("Run an archive node: follow every slice, verify and execute its commits, "
               "serve reads across slices.",
               "gridledger archive");
  app.footer("exit: 0 clean shutdown, 1 start-up failed, 2 usage or bad config");
  std::string path;
  AddPath(&app, "--config", &path, "archive config file (TOML, net/archive/archive_config.h)")
      ->required();
  GL_PARSE_ARGS_OR_RETURN(app, argc, argv);
  auto config = archive::LoadArchiveConfig(path);
  if (!config.ok()) {
    std::fprintf(stderr, "gridledger archive: %s\n",
                 std::string(config.status().message()).c_str());
    return 2;
  }
  // The stop signals are taken synchronously here (threads inherit the mask).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const Logger logger;
  auto node = archive::ArchiveNode::Start(*config);
  if (!node.ok()) {
    logger.Error(absl::StrCat("archive start failed: ", node.status().ToString()));
    return 1;
  }
  std::printf("gridledger archive ready slices=%zu grpc=%s\n", (*node)->slices(),
              (*node)->grpc_address().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  logger.Info(absl::StrCat("archive: signal ", sig, ", stopping"));
  (*node)->Stop();
  node->reset();
  return 0;
}

}  // namespace

GL_REGISTER_COMMAND(archive,
                    "run an archive node (follows every slice, serves reads): "
                    "gridledger archive --config=FILE",
                    RunArchive);

}  // namespace gridledger::tools
