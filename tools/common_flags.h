// Flags shared by several subcommands. Abseil flags are global to the binary,
// so a flag used by more than one command is defined once, here.
#ifndef GRIDLEDGER_TOOLS_COMMON_FLAGS_H_
#define GRIDLEDGER_TOOLS_COMMON_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"

// Signature verification backend: auto | cpu | gpu.
ABSL_DECLARE_FLAG(std::string, backend);

#endif  // GRIDLEDGER_TOOLS_COMMON_FLAGS_H_
