// The log facade (core/common/log.h): every line has a UTC timestamp and a
// level, a node's lines its "[slice/index]" tag, and the level filters.
#include "core/common/log.h"

#include <regex>
#include <string>

#include "gtest/gtest.h"

namespace gridledger {
namespace {

constexpr char kTime[] = R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)";

TEST(LogTest, NodeLinesCarryTimeLevelAndTheNodesPlace) {
  const Logger logger = Logger::ForNode(2, 5, LogLevel::kInfo);
  testing::internal::CaptureStderr();
  logger.Info("consensus stopped: disk");
  logger.Warn("commit sync refused validator 1's answer");
  logger.Debug("not written at info");
  const std::string out = testing::internal::GetCapturedStderr();
  const std::regex want(std::string("^") + kTime + R"( info \[2/5\] consensus stopped: disk\n)" +
                        kTime + R"( warning \[2/5\] commit sync refused validator 1's answer\n$)");
  EXPECT_TRUE(std::regex_match(out, want)) << out;
  EXPECT_FALSE(logger.Enabled(LogLevel::kDebug));
  EXPECT_TRUE(logger.Enabled(LogLevel::kError));
}

TEST(LogTest, LevelFiltersAndOffSilences) {
  const Logger debug = Logger::ForNode(0, 0, LogLevel::kDebug);
  const Logger off = Logger::ForNode(0, 1, LogLevel::kOff);
  testing::internal::CaptureStderr();
  debug.Debug("seen");
  off.Error("never");
  const std::string out = testing::internal::GetCapturedStderr();
  const std::regex want(std::string("^") + kTime + R"( debug \[0/0\] seen\n$)");
  EXPECT_TRUE(std::regex_match(out, want)) << out;
}

TEST(LogTest, ProcessLoggerHasNoNodeTag) {
  testing::internal::CaptureStderr();
  Logger().Warn("transport 1234abcd: refused");
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(std::regex_match(
      out, std::regex(std::string("^") + kTime + R"( warning transport 1234abcd: refused\n$)")))
      << out;
}

TEST(LogTest, LevelNamesParseBack) {
  for (LogLevel level : {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn,
                         LogLevel::kError, LogLevel::kOff}) {
    auto parsed = ParseLogLevel(LogLevelName(level));
    ASSERT_TRUE(parsed.ok()) << LogLevelName(level);
    EXPECT_EQ(*parsed, level);
  }
  auto bad = ParseLogLevel("verbose");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "expected trace|debug|info|warn|error|off, got \"verbose\"");
}

}  // namespace
}  // namespace gridledger
