// Runs the real `gridledger` binary (GL_GRIDLEDGER_BINARY, set by the test
// target), or another built executable, and returns its exit status and
// output. Shared by the CLI tests.
#ifndef GRIDLEDGER_TESTS_TOOLS_CLI_RUNNER_H_
#define GRIDLEDGER_TESTS_TOOLS_CLI_RUNNER_H_

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"

namespace gridledger::cli_test {

struct CliRun {
  int exit_code = -1;  // -1: the command could not be run or did not exit
  std::string output;  // stdout and stderr together
};

// Runs `binary args` through the shell.
inline CliRun RunBinary(const std::string& binary, const std::string& args) {
  const std::string command = absl::StrCat(binary, " ", args, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return CliRun{-1, "popen failed: " + command};
  std::string output;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) output.append(buf.data(), n);
  const int status = pclose(pipe);
  return CliRun{WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

inline CliRun RunGridledger(const std::string& args) {
  return RunBinary(GL_GRIDLEDGER_BINARY, args);
}

}  // namespace gridledger::cli_test

#endif  // GRIDLEDGER_TESTS_TOOLS_CLI_RUNNER_H_
