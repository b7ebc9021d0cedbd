#include "tools/decimal.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace gridledger::tools {

bool ParseCanonicalU64(absl::string_view s, uint64_t max, uint64_t* out) {
  uint64_t v = 0;
  if (!absl::SimpleAtoi(s, &v) || absl::StrCat(v) != s || v > max) return false;
  *out = v;
  return true;
}

}  // namespace gridledger::tools
