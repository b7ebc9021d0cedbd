// `gridledger SUBCOMMAND [flags]`: dispatches to the registered subcommands.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/synchronization/mutex.h"
#include "tools/command.h"

int main(int argc, char** argv) {
  using gridledger::tools::Commands;
  // Debian builds Abseil without NDEBUG, so every absl::Mutex lock runs the
  // deadlock detector (a global cycle graph behind its own lock): 3-4x the
  // cost of a lock. The unit tests keep it on to catch lock-order bugs; the
  // production binary turns it off. GRIDLEDGER_MUTEX_DEADLOCK_CHECK=1 keeps it.
  if (const char* keep = std::getenv("GRIDLEDGER_MUTEX_DEADLOCK_CHECK");
      keep == nullptr || std::strcmp(keep, "1") != 0) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  }
  if (argc < 2 || std::strcmp(argv[1], "help") == 0 || std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr, "usage: gridledger COMMAND [args] [--flags]\n\ncommands:\n");
    for (const auto& [name, cmd] : Commands()) {
      std::fprintf(stderr, "  %-14s %s\n", name.c_str(), cmd.summary);
    }
    return argc < 2 ? 2 : 0;
  }
  auto it = Commands().find(argv[1]);
  if (it == Commands().end()) {
    std::fprintf(stderr, "gridledger: unknown command '%s' (try 'gridledger help')\n", argv[1]);
    return 2;
  }
  // The subcommand sees argv[0] = "gridledger COMMAND".
  std::string program = std::string("gridledger ") + argv[1];
  argv[1] = program.data();
  return it->second.run(argc - 1, argv + 1);
}
