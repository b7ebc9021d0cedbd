#include "core/common/log.h"

#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace gridledger {
namespace {

constexpr struct {
  LogLevel level;
  absl::string_view name;
  spdlog::level::level_enum spd;
} kLevels[] = {
    {LogLevel::kTrace, "trace", spdlog::level::trace},
    {LogLevel::kDebug, "debug", spdlog::level::debug},
    {LogLevel::kInfo, "info", spdlog::level::info},
    {LogLevel::kWarn, "warn", spdlog::level::warn},
    {LogLevel::kError, "error", spdlog::level::err},
    {LogLevel::kOff, "off", spdlog::level::off},
};

spdlog::level::level_enum ToSpd(LogLevel level) {
  for (const auto& l : kLevels) {
    if (l.level == level) return l.spd;
  }
  return spdlog::level::info;
}

// `tag` goes into the pattern itself ("[0/3] "); it is digits and '/' only,
// so it cannot contain a pattern flag.
std::shared_ptr<spdlog::logger> MakeLogger(const std::string& tag, LogLevel level) {
  // stderr_sink_mt serialises every stderr sink on one process-wide mutex,
  // so lines of different loggers never interleave.
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("gridledger", std::move(sink));
  // %l spells the level out ("info", "warning", "error").
  logger->set_pattern(absl::StrCat("%Y-%m-%dT%H:%M:%S.%eZ %l ", tag, "%v"),
                      spdlog::pattern_time_type::utc);
  logger->set_level(ToSpd(level));
  // Every line reaches the file at once: a test or an operator tailing the
  // log sees it, and a crash loses nothing already logged.
  logger->flush_on(spdlog::level::trace);
  return logger;
}

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text) {
  for (const auto& l : kLevels) {
    if (l.name == text) return l.level;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "expected trace|debug|info|warn|error|off, got \"", text, "\""));
}

absl::string_view LogLevelName(LogLevel level) {
  for (const auto& l : kLevels) {
    if (l.level == level) return l.name;
  }
  return "info";
}

Logger::Logger() {
  // One process logger, made on first use and shared by every default handle.
  static const std::shared_ptr<spdlog::logger> process = MakeLogger("", LogLevel::kInfo);
  impl_ = process;
}

Logger Logger::ForNode(uint32_t slice, uint32_t index, LogLevel level) {
  return Logger(MakeLogger(absl::StrCat("[", slice, "/", index, "] "), level));
}

void Logger::Log(LogLevel level, absl::string_view message) const {
  impl_->log(ToSpd(level), spdlog::string_view_t(message.data(), message.size()));
}

bool Logger::Enabled(LogLevel level) const { return impl_->should_log(ToSpd(level)); }

}  // namespace gridledger
