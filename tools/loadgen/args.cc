#include "tools/loadgen/args.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace gridledger::loadgen {

absl::StatusOr<absl::Duration> ParsePositiveDuration(absl::string_view text,
                                                     absl::string_view field) {
  absl::Duration d;
  if (!absl::ParseDuration(std::string(text), &d) || d <= absl::ZeroDuration() ||
      d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", text, "' is not a positive duration (e.g. 20s, 500ms)"));
  }
  return d;
}

absl::StatusOr<KillSpec> ParseKillSpec(absl::string_view text) {
  const size_t at = text.find('@');
  KillSpec spec;
  if (at == absl::string_view::npos || at == 0 ||
      !absl::SimpleAtoi(text.substr(0, at), &spec.count) || spec.count == 0 ||
      text[0] == '+' || text[0] == '-') {
    return absl::InvalidArgumentError(
        absl::StrCat("--kill: '", text, "' is not COUNT@TIME (e.g. 1@5s, COUNT >= 1)"));
  }
  auto time = ParsePositiveDuration(text.substr(at + 1), "--kill");
  if (!time.ok()) return time.status();
  spec.at = *time;
  return spec;
}

}  // namespace gridledger::loadgen
