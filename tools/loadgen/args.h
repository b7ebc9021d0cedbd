// `--name=value` arguments for the loadgen and cluster subcommands. They are
// parsed here rather than as global Abseil flags so that the names the issue
// asks for (--rate, --duration, --validators, ...) cannot collide with other
// subcommands' flags in the one `gridledger` binary.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_ARGS_H_
#define GRIDLEDGER_TOOLS_LOADGEN_ARGS_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace gridledger::loadgen {

class NamedArgs {
 public:
  // Every argument must be --name=value with a name in `allowed`, given at
  // most once; otherwise InvalidArgument naming the argument.
  static absl::StatusOr<NamedArgs> Parse(int argc, char** argv,
                                         const std::set<std::string>& allowed);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::string String(const std::string& name, const std::string& fallback) const;
  // A canonical non-negative decimal in [min, max]; `fallback` when absent.
  absl::StatusOr<uint64_t> Uint(const std::string& name, uint64_t fallback, uint64_t min,
                                uint64_t max) const;
  // An Abseil duration ("20s", "500ms", "1m"), > 0; `fallback` when absent.
  absl::StatusOr<absl::Duration> Duration(const std::string& name,
                                          absl::Duration fallback) const;

 private:
  std::map<std::string, std::string> values_;
};

// "2s" -> 2s: a strictly positive Abseil duration, else InvalidArgument
// naming `field`.
absl::StatusOr<absl::Duration> ParsePositiveDuration(absl::string_view text,
                                                     absl::string_view field);

// --kill=k@Ts: k validators killed at T after the load starts.
struct KillSpec {
  uint64_t count = 0;
  absl::Duration at;
};
absl::StatusOr<KillSpec> ParseKillSpec(absl::string_view text);

}  // namespace gridledger::loadgen

#endif  // GRIDLEDGER_TOOLS_LOADGEN_ARGS_H_
