// `gridledger SUBCOMMAND [flags]`: dispatches to the registered subcommands.
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/command.h"

int main(int argc, char** argv) {
  using gridledger::tools::Commands;
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
