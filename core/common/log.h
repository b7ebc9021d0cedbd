// Logging for the node and its parts, through spdlog. Every line carries a
// UTC timestamp and a level; a node's logger also carries the node's place,
// so the lines of four in-process validators (tests) or of a journal that
// mixes units stay attributable:
//
//   2026-11-29T23:59:01.123Z info [0/3] consensus stopped: ...
//   2026-11-29T23:59:01.124Z warn storage /var/lib/gridledger/node-0-3: ...
//
// ("[S/I]" is slice S, validator index I.) Lines go to stderr: a node's
// stdout carries only its ready line (tools/cmd_node.cc). spdlog stays behind
// this header, so only core/common/log.cc compiles against it.
#ifndef GRIDLEDGER_CORE_COMMON_LOG_H_
#define GRIDLEDGER_CORE_COMMON_LOG_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace gridledger {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// "trace", "debug", "info", "warn", "error" or "off"; InvalidArgument
// otherwise.
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text);
absl::string_view LogLevelName(LogLevel level);

// A cheap handle (copies share one spdlog logger); thread-safe.
class Logger {
 public:
  // The process logger: no node tag, level info.
  Logger();
  // A node's logger: every line tagged "[slice/index]".
  static Logger ForNode(uint32_t slice, uint32_t index, LogLevel level);

  void Log(LogLevel level, absl::string_view message) const;
  void Debug(absl::string_view message) const { Log(LogLevel::kDebug, message); }
  void Info(absl::string_view message) const { Log(LogLevel::kInfo, message); }
  void Warn(absl::string_view message) const { Log(LogLevel::kWarn, message); }
  void Error(absl::string_view message) const { Log(LogLevel::kError, message); }
  // Whether a line at `level` would be written (to skip building it).
  bool Enabled(LogLevel level) const;

 private:
  explicit Logger(std::shared_ptr<spdlog::logger> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<spdlog::logger> impl_;
};

}  // namespace gridledger

#endif  // GRIDLEDGER_CORE_COMMON_LOG_H_
