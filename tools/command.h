// Subcommand registry. Each tools/cmd_*.cc registers itself:
//   GL_REGISTER_COMMAND(keys, "create and show validator/account keys", RunKeys);
// run(argc, argv) gets argv[0] = "gridledger keys" and the rest; it parses
// them with its own CLI11 app (tools/cli.h). Returns the exit code.
#ifndef GRIDLEDGER_TOOLS_COMMAND_H_
#define GRIDLEDGER_TOOLS_COMMAND_H_

#include <map>
#include <string>

namespace gridledger::tools {

struct Command {
  const char* summary;
  int (*run)(int argc, char** argv);
};

std::map<std::string, Command>& Commands();

struct CommandRegistrar {
  CommandRegistrar(const char* name, const char* summary, int (*run)(int, char**)) {
    Commands()[name] = Command{summary, run};
  }
};

}  // namespace gridledger::tools

#define GL_REGISTER_COMMAND(name, summary, fn) \
  static ::gridledger::tools::CommandRegistrar gl_command_##name(#name, summary, fn)

#endif  // GRIDLEDGER_TOOLS_COMMAND_H_
