// Strict decimal numbers for the CLI's CSV inputs and positional arguments.
#ifndef GRIDLEDGER_TOOLS_DECIMAL_H_
#define GRIDLEDGER_TOOLS_DECIMAL_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace gridledger::tools {

// A canonical decimal u64 in [0, max]: digits only, no sign, no leading zero
// (it must print back as itself). False otherwise, `out` untouched.
bool ParseCanonicalU64(absl::string_view s, uint64_t max, uint64_t* out);

}  // namespace gridledger::tools

#endif  // GRIDLEDGER_TOOLS_DECIMAL_H_
