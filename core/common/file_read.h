// Reading a whole small file (genesis, keys, configs) with a size bound. The
// cost follows the file, not the bound: a 512 MiB bound on a 2 KB key file
// reads 2 KB (an earlier reader zero-filled the whole bound first).
#ifndef GRIDLEDGER_CORE_COMMON_FILE_READ_H_
#define GRIDLEDGER_CORE_COMMON_FILE_READ_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gridledger {

// The file's bytes. NotFound "<what> <path>: cannot open"; InvalidArgument
// "<what> <path>: larger than N bytes" as soon as more than max_bytes arrive.
absl::StatusOr<std::string> ReadFileBounded(const std::string& path, size_t max_bytes,
                                            absl::string_view what);

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_COMMON_FILE_READ_H_
