#include "tools/loadgen/args.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace gridledger::loadgen {

absl::StatusOr<NamedArgs> NamedArgs::Parse(int argc, char** argv,
                                           const std::set<std::string>& allowed) {
  NamedArgs args;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (!absl::ConsumePrefix(&arg, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", argv[i], "' (flags are --name=value)"));
    }
    const size_t eq = arg.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("--", arg, ": expected --", arg, "=VALUE"));
    }
    std::string name(arg.substr(0, eq));
    if (allowed.count(name) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (!args.values_.emplace(name, std::string(arg.substr(eq + 1))).second) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " given twice"));
    }
  }
  return args;
}

std::string NamedArgs::String(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

absl::StatusOr<uint64_t> NamedArgs::Uint(const std::string& name, uint64_t fallback,
                                         uint64_t min, uint64_t max) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  const std::string& text = it->second;
  uint64_t value = 0;
  if (text.empty() || text[0] == '+' || text[0] == '-' || (text.size() > 1 && text[0] == '0') ||
      !absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": '", text, "' is not a non-negative integer"));
  }
  if (value < min || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": ", value, " is outside [", min, ", ", max, "]"));
  }
  return value;
}

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

absl::StatusOr<absl::Duration> NamedArgs::Duration(const std::string& name,
                                                   absl::Duration fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  return ParsePositiveDuration(it->second, absl::StrCat("--", name));
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
