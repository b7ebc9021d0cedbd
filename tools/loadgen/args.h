// Values of the cluster and loadgen options that need more than a number:
// positive durations and --kill's COUNT@TIME. The options themselves are
// declared with CLI11 (tools/cli.h) by the commands.
#ifndef GRIDLEDGER_TOOLS_LOADGEN_ARGS_H_
#define GRIDLEDGER_TOOLS_LOADGEN_ARGS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace gridledger::loadgen {

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
