// Small file helpers shared by the subcommands that write deployment files.
#ifndef GRIDLEDGER_TOOLS_FILE_UTIL_H_
#define GRIDLEDGER_TOOLS_FILE_UTIL_H_

#include <sys/types.h>

#include <string>

namespace gridledger::tools {

// Creates `path` with `mode` (never overwrites an existing file), writes
// `content` and fsyncs it. On failure returns false with "<path>: <errno text>".
bool WriteNewFile(const std::string& path, const std::string& content, mode_t mode,
                  std::string* error);

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_FILE_UTIL_H_
